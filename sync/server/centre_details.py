"""A centre's public details on the central server (the s0005 columns of ``centre``): address in
Arabic and English, opening hours, portal address and the services it offers, for the citizens'
portal's centre pages.

They arrive with the enrolment request (``POST /v1/centres/enrol``: :func:`details_from_enrolment`) and in
the centre's ``centre.updated`` events (:func:`project_centre`, from :func:`sync.server.ingest.ingest`).
A field absent from a request or an event leaves the stored value; ``None`` clears it. Within a
batch the event of the highest sequence wins; an agent pushes its outbox in sequence order, so a
later batch holds later details. ``services`` is stored as a JSON list of codes (``None``: every
service of the catalogue, as for a centre that never sent it).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from sync.protocol import CentreDetails, WireEvent
from sync.server.models import EnrolledCentre

FIELDS = ("address_ar", "address_en", "opening_hours", "portal_url", "services")
#: The names in both languages: in every centre.updated event and in an enrolment request.
NAMES = ("name_ar", "name_en")
_DETAILS: TypeAdapter[CentreDetails] = TypeAdapter(CentreDetails)


class InvalidDetails(ValueError):
    """The enrolment request's details do not follow :class:`sync.events.CentreDetails`."""


def details_from_enrolment(payload: dict[str, Any]) -> dict[str, Any]:
    """The public details an enrolment request carries (checked like the event's), by field."""
    given = {name: payload[name] for name in FIELDS if name in payload}
    names = {name: str(payload[name]).strip()[:200] for name in NAMES if isinstance(payload.get(name), str)
             and payload[name].strip()}
    try:
        return {**dict(_DETAILS.validate_python(given)), **names}
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidDetails(f"{where}: {first['msg']}") from None


def apply_details(row: EnrolledCentre, details: dict[str, Any]) -> None:
    """Store the fields given on the centre's row."""
    for name in NAMES:
        if details.get(name):
            setattr(row, name, details[name])
    for name in FIELDS:
        if name not in details:
            continue
        value = details[name]
        if name == "services":
            row.services = None if value is None else json.dumps(list(value), ensure_ascii=False)
        else:
            setattr(row, name, value)


def project_centre(session: Session, centre: str, events: list[WireEvent]) -> None:
    """Keep the details of the newest ``centre.updated`` among the events just stored."""
    updates = [e for e in events if e.kind == "centre.updated"]
    if not updates:
        return
    latest = max(updates, key=lambda e: e.seq)
    row = session.get(EnrolledCentre, centre)
    if row is not None:
        apply_details(row, {name: latest.payload[name] for name in (*NAMES, *FIELDS) if name in latest.payload})
