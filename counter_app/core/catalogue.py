"""The service catalogue in the centre database: applying a version, and reading it back."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from counter_app.common import formatting
from counter_app.common.catalogue_data import Catalogue, load_catalogue
from counter_app.common.i18n import Msg
from counter_app.core import audit, centre_public, outbox
from counter_app.core.clock import utcnow
from counter_app.core.errors import DomainError, NotFound
from counter_app.core.models import (
    CatalogueVersion,
    Department,
    Service,
    ServiceDocument,
    ServiceFee,
    ServiceGroup,
)

log = logging.getLogger(__name__)


def active_version(session: Session) -> int | None:
    return session.scalar(select(CatalogueVersion.version).where(CatalogueVersion.active.is_(True)))


def apply_catalogue(session: Session, catalogue: Catalogue, *, user_id: int | None = None,
                    allow_same: bool = False) -> bool:
    """Make ``catalogue`` the active one, all of it or nothing (the caller's transaction).

    Returns False when this version is already active. Services missing from the new version
    are deactivated, not deleted: past applications still refer to them.
    """
    current = active_version(session)
    if current is not None and catalogue.version <= current:
        if catalogue.version == current or allow_same:
            return False
        raise DomainError("catalogue_older", version=catalogue.version, current=current)
    for g in catalogue.groups:
        row = session.get(ServiceGroup, g.letter) or ServiceGroup(letter=g.letter)
        row.name_ar, row.name_en = g.name_ar, g.name_en
        session.add(row)
    for d in catalogue.departments:
        dep = session.get(Department, d.code) or Department(code=d.code)
        dep.name_ar, dep.name_en = d.name_ar, d.name_en
        session.add(dep)
    session.flush()
    seen: set[str] = set()
    for spec in catalogue.services:
        seen.add(spec.code)
        svc = session.get(Service, spec.code) or Service(code=spec.code)
        svc.name_ar, svc.name_en = spec.name_ar, spec.name_en
        svc.group_letter, svc.department_code = spec.group, spec.department
        svc.processing_days = spec.processing_days
        svc.expected_service_minutes = spec.expected_service_minutes
        svc.active, svc.catalogue_version = True, catalogue.version
        if svc.documents or svc.fees:  # remove the old lines first: codes are unique per service
            svc.documents.clear()
            svc.fees.clear()
            session.flush()
        svc.documents = [
            ServiceDocument(code=doc.code, name_ar=doc.name_ar, name_en=doc.name_en,
                            mandatory=doc.mandatory, position=i)
            for i, doc in enumerate(spec.documents)
        ]
        svc.fees = [
            ServiceFee(code=fee.code, name_ar=fee.name_ar, name_en=fee.name_en,
                       amount_piastres=fee.amount_piastres, position=i)
            for i, fee in enumerate(spec.fees)
        ]
        session.add(svc)
        session.flush()
    for svc in session.scalars(select(Service).where(Service.code.not_in(seen))):
        svc.active = False
    for old in session.scalars(select(CatalogueVersion).where(CatalogueVersion.active.is_(True))):
        old.active = False
    session.add(CatalogueVersion(version=catalogue.version, published_at=catalogue.published_at,
                                 applied_at=utcnow(), active=True))
    audit.record(session, user_id=user_id, action="catalogue.apply", entity_type="catalogue",
                 entity_id=catalogue.version, detail={"services": len(catalogue.services)})
    outbox.emit(session, "catalogue.applied", catalogue.version, {"version": catalogue.version})
    session.flush()
    centre_public.announce(session)  # the services the centre offers may have changed
    log.info("catalogue version %s applied (%d services)", catalogue.version, len(catalogue.services))
    return True


def ensure_catalogue(session: Session, path: str | Path | None = None) -> int:
    """Apply the shipped catalogue when the database has none or an older one."""
    catalogue = load_catalogue(path)
    current = active_version(session)
    if current is None or catalogue.version > current:
        apply_catalogue(session, catalogue)
        return catalogue.version
    return current


def services(session: Session, *, group: str | None = None, active_only: bool = True) -> list[Service]:
    stmt = select(Service).options(selectinload(Service.documents), selectinload(Service.fees))
    if active_only:
        stmt = stmt.where(Service.active.is_(True))
    if group:
        stmt = stmt.where(Service.group_letter == group)
    return list(session.scalars(stmt.order_by(Service.group_letter, Service.code)))


def get_service(session: Session, code: str) -> Service:
    svc = session.get(Service, code)
    if svc is None:
        raise NotFound(what=Msg("what.service", code=formatting.code(code)))
    return svc


def groups(session: Session) -> list[ServiceGroup]:
    return list(session.scalars(select(ServiceGroup).order_by(ServiceGroup.letter)))


def service_names(session: Session) -> dict[str, tuple[str, str]]:
    """Every service's (Arabic, English) name by code, withdrawn ones included (old reports name them)."""
    return {code: (ar, en) for code, ar, en in session.execute(select(Service.code, Service.name_ar, Service.name_en))}


def service_departments(session: Session) -> dict[str, str]:
    """The department that reviews each service's files, by service code."""
    return {code: dept for code, dept in session.execute(select(Service.code, Service.department_code))}
