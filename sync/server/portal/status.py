"""``/status``: a citizen looks up an application by its tracking code (a form that works without
JavaScript, ``GET /status?code=...``). The answer is what ``GET /v1/status/{code}`` answers
(:func:`sync.server.ingest.status_of`: state, service, centre, date) in words, and for a file
returned for documents the documents to bring, named from the catalogue version the file was
made under (the ``missing`` codes of its latest ``application.return`` event).

Nothing personal: no name, national ID, phone or address is read. Rate-limited per client with
the ``status`` rule (:mod:`sync.server.ratelimit`), the empty form included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from counter_app.common.formatting import format_date
from counter_app.common.i18n import Lang
from counter_app.common.tracking import normalise_tracking_code
from sync.server.db import ServerDatabase
from sync.server.ingest import status_of
from sync.server.models import ApplicationProjection, EnrolledCentre, StoredEvent
from sync.server.portal import render, request_lang
from sync.server.portal.catalogue import catalogue_version, governorate_name

#: The form's example of a tracking code (its shape only).
EXAMPLE = "1234-5678-9012"
#: The longest text looked at as a tracking code (12 digits and separators, with room to spare).
MAX_CODE = 40


@dataclass(frozen=True)
class StatusView:
    code: str
    state: str
    service: str
    centre: str
    date: str
    missing: list[str]


def documents_to_bring(session: Session, tracking_code: str, lang: Lang) -> list[str] | None:
    """The names of the documents a returned file needs, or None when the newest application with
    ``tracking_code`` is not returned. The return is the application's latest event or close before
    it: found by the centre's sequence index, walking back from the projection's ``last_seq``."""
    row = session.scalar(select(ApplicationProjection).where(ApplicationProjection.tracking_code == tracking_code)
                         .order_by(ApplicationProjection.updated_at.desc()).limit(1))
    if row is None or row.state != "returned":
        return None
    text = session.scalar(select(StoredEvent.payload).where(
        StoredEvent.centre_code == row.centre_code, StoredEvent.seq <= row.last_seq,
        StoredEvent.kind == "application.return", StoredEvent.aggregate_id == row.application_uuid)
        .order_by(StoredEvent.seq.desc()).limit(1))
    payload = json.loads(text) if text else {}
    codes = [str(c) for c in payload.get("missing") or []]
    version = payload.get("catalogue_version")
    cat = catalogue_version(session, version if isinstance(version, int) else None)
    names = {}
    if cat is not None:
        try:
            spec = cat.service(row.service_code)
            names = {d.code: (d.name_ar if lang == "ar" else d.name_en) for d in spec.documents}
        except KeyError:
            pass
    return [names.get(code, code) for code in codes]


def status_view(session: Session, code: str, lang: Lang) -> StatusView | None:
    found = status_of(session, code)
    if found is None:
        return None
    cat = catalogue_version(session)
    service = found["service"]
    if cat is not None:
        try:
            spec = cat.service(service)
            service = spec.name_ar if lang == "ar" else spec.name_en
        except KeyError:
            pass
    centre_row = session.get(EnrolledCentre, found["centre"])
    centre = found["centre"]
    if centre_row is not None:
        where = governorate_name(centre_row.governorate, lang)
        name = centre_row.public_name(lang)
        centre = f"{name} · {where}" if where else name
    try:
        day = str(format_date(datetime.fromisoformat(found["updated_at"]), lang, style="medium"))
    except ValueError:
        day = ""
    missing = documents_to_bring(session, code, lang) if found["state"] == "returned" else None
    return StatusView(found["tracking_code"], found["state"], service, centre, day, missing or [])


def page(request: Request, **context: Any) -> HTMLResponse:
    return render(request, "status.html", example=EXAMPLE, **context)


def add_routes(app: FastAPI, db: ServerDatabase) -> None:
    @app.get("/status", include_in_schema=False)
    def status(request: Request, code: str = "") -> HTMLResponse:
        lang = request_lang(request)
        typed = code.strip()[:MAX_CODE]
        if not typed:
            return page(request, typed="", problem=None, view=None)
        normal = normalise_tracking_code(typed)
        if normal is None:
            return page(request, status=422, typed=typed, problem="malformed", view=None)
        with db.sessions() as s:
            view = status_view(s, normal, lang)
        if view is None:
            return page(request, status=404, typed=normal, problem="unknown", view=None)
        return page(request, typed=normal, problem=None, view=view, cache="no-store")
