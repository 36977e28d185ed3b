"""A centre's public details for the citizens' portal: its address (Arabic and English), opening
hours, portal address and the services it offers now.

The texts are centre settings (``centre.address_ar``, ``centre.address_en``,
``centre.opening_hours`` in the language-neutral form of :func:`counter_app.common.portal.normalise_opening_hours`
that a page renders with :func:`~counter_app.common.portal.opening_hours_text`, ``portal.base_url``); the services are the active services of the
centre's catalogue. The central server learns them from the ``centre.updated`` event
(:func:`announce`: the centre's names and all these details), emitted when any of them changes
(:func:`set_details`, a catalogue applied) and at enrolment; the enrolment request carries them
too (:func:`details`). Nothing personal: a public office's address and hours.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from counter_app.common.i18n import N_, Msg
from counter_app.common.portal import (
    InvalidOpeningHours,
    InvalidPortalUrl,
    normalise_base_url,
    normalise_opening_hours,
)
from counter_app.core import audit, outbox, settings
from counter_app.core.errors import ValidationFailed
from counter_app.core.models import Centre, Service

#: Setting keys of the details (texts; "" when not set).
SETTING_KEYS = {"address_ar": "centre.address_ar", "address_en": "centre.address_en",
         "opening_hours": "centre.opening_hours", "portal_url": "portal.base_url"}
#: The digest of the last ``centre.updated`` payload emitted, so an unchanged centre sends nothing.
ANNOUNCED = "centre.announced"
#: Column sizes of the central server (s0005).
LIMITS = {"address_ar": 300, "address_en": 300, "opening_hours": 200, "portal_url": 200}
_FIELDS = {"address_ar": N_("field.centre_address"), "address_en": N_("field.centre_address"),
           "opening_hours": N_("field.opening_hours"), "portal_url": N_("field.portal_url")}


def portal_url(session: Session) -> str:
    """The centre's portal address ("" for none)."""
    return settings.get(session, SETTING_KEYS["portal_url"])


def active_services(session: Session) -> list[str]:
    return sorted(session.scalars(select(Service.code).where(Service.active.is_(True))))


def details(session: Session) -> dict[str, Any]:
    """The public details as the central server stores them: a text or None, the service codes."""
    found: dict[str, Any] = {name: settings.get(session, key) or None for name, key in SETTING_KEYS.items()}
    found["services"] = active_services(session)
    return found


def _check(name: str, value: str) -> str:
    value = value.strip()
    try:
        if name == "portal_url":
            return normalise_base_url(value)
        if name == "opening_hours":
            value = normalise_opening_hours(value)
    except (InvalidPortalUrl, InvalidOpeningHours):  # the form is in the command's --help
        raise ValidationFailed(detail=Msg(_FIELDS[name])) from None
    if len(value) > LIMITS[name] or "\x00" in value or not value.replace("\n", " ").isprintable():
        raise ValidationFailed(detail=Msg(_FIELDS[name]))
    return " ".join(value.split())  # one line: printed and shown as such


def set_details(session: Session, *, address_ar: str | None = None, address_en: str | None = None,
                opening_hours: str | None = None, portal_url: str | None = None, by: int | None = None) -> bool:
    """Change the details given (None: unchanged; "": cleared); tells the central server when
    anything changed. Returns whether it did."""
    given = {"address_ar": address_ar, "address_en": address_en, "opening_hours": opening_hours,
             "portal_url": portal_url}
    changed: dict[str, str] = {}
    for name, value in given.items():
        if value is None:
            continue
        clean = _check(name, value)
        if clean != settings.get(session, SETTING_KEYS[name]):
            settings.put(session, SETTING_KEYS[name], clean)
            changed[name] = clean
    if changed:
        audit.record(session, user_id=by, action="centre.public_details", entity_type="centre",
                     entity_id=settings.get(session, "centre.code"), detail=changed)
    return announce(session)


def announce(session: Session, *, force: bool = False) -> bool:
    """Emit ``centre.updated`` (names and public details) when they differ from the last one sent,
    or always with ``force`` (set-up, enrolment). Returns whether an event was emitted."""
    centre = session.scalar(select(Centre).order_by(Centre.id).limit(1))
    if centre is None:
        return False
    payload: dict[str, Any] = {"code": centre.code, "name_ar": centre.name_ar, "name_en": centre.name_en,
                               **details(session)}
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    if not force and digest == settings.get(session, ANNOUNCED):
        return False
    outbox.emit(session, "centre.updated", centre.code, payload)
    settings.put(session, ANNOUNCED, digest)
    return True
