"""The centre itself and its counters."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from counter_app.common import formatting
from counter_app.common.i18n import Msg
from counter_app.core import audit, centre_public, settings
from counter_app.core.errors import DomainError, NotFound, ValidationFailed
from counter_app.core.models import Centre, Counter, ServiceGroup


def get_centre(session: Session) -> Centre | None:
    return session.scalar(select(Centre).order_by(Centre.id).limit(1))


def centre_code(session: Session) -> str:
    centre = get_centre(session)
    if centre is None:
        raise NotFound(what=Msg("what.centre"))
    return centre.code


def setup_centre(session: Session, *, code: str, name_ar: str, name_en: str, by: int | None = None) -> Centre:
    code = code.strip().upper()
    if not code or not code.replace("-", "").isalnum() or len(code) > 16:
        raise ValidationFailed(detail=Msg("field.centre_code"))
    centre = get_centre(session)
    if centre is None:
        centre = Centre(code=code, name_ar=name_ar.strip(), name_en=name_en.strip())
        session.add(centre)
    else:
        centre.code, centre.name_ar, centre.name_en = code, name_ar.strip(), name_en.strip()
    settings.put(session, "centre.code", code)
    session.flush()
    audit.record(session, user_id=by, action="centre.setup", entity_type="centre", entity_id=code,
                 detail={"name_ar": name_ar, "name_en": name_en})
    centre_public.announce(session, force=True)  # names and public details
    return centre


def _check_groups(session: Session, groups: str) -> str:
    letters = "".join(sorted(set(groups.replace(",", "").replace(" ", "").upper())))
    if not letters:
        raise ValidationFailed(detail=Msg("field.counter_groups"))
    for letter in letters:
        if session.get(ServiceGroup, letter) is None:
            raise DomainError("counter_group_unknown", letter=formatting.code(letter))
    return letters


def create_counter(session: Session, *, number: int, groups: str, name_ar: str | None = None,
                   name_en: str | None = None, by: int | None = None) -> Counter:
    if number < 1:
        raise ValidationFailed(detail=Msg("field.counter_number"))
    if session.scalar(select(Counter.id).where(Counter.number == number)) is not None:
        raise ValidationFailed("counter_exists", number=formatting.counter_number(number))
    counter = Counter(number=number, name_ar=name_ar or f"شباك {number}", name_en=name_en or f"Counter {number}",
                      groups=_check_groups(session, groups), active=True, ordinary_since_priority=0)
    session.add(counter)
    session.flush()
    audit.record(session, user_id=by, action="counter.create", entity_type="counter", entity_id=counter.id,
                 detail={"number": number, "groups": counter.groups})
    return counter


def set_counter_groups(session: Session, counter_id: int, groups: str, *, by: int | None = None) -> Counter:
    counter = get_counter(session, counter_id)
    counter.groups = _check_groups(session, groups)
    audit.record(session, user_id=by, action="counter.groups", entity_type="counter", entity_id=counter.id,
                 detail={"groups": counter.groups})
    return counter


def get_counter(session: Session, counter_id: int) -> Counter:
    counter = session.get(Counter, counter_id)
    if counter is None:
        raise NotFound(what=Msg("what.counter", id=counter_id))
    return counter


def counters(session: Session, active_only: bool = True) -> list[Counter]:
    stmt = select(Counter).order_by(Counter.number)
    if active_only:
        stmt = stmt.where(Counter.active.is_(True))
    return list(session.scalars(stmt))
