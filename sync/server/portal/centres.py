"""The centres: ``/centres`` (by governorate, with address, opening hours and services) and
``/centres/<code>`` with the live waiting now and estimated wait per service group
(:mod:`sync.server.queue_state`), as of the centre's last sync (``EnrolledCentre.last_seen``).

A centre that has not synced for :data:`~sync.server.portal.tickets.STALE_AFTER` (15 minutes) shows
"no live data since HH:MM" (Cairo time) instead of figures that may be wrong. The estimate for a
service group is what a ticket taken now would be told: everyone waiting in the group is ahead.
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

from counter_app.common.clock import as_utc, local_day, utcnow
from counter_app.common.governorates import GOVERNORATES
from counter_app.common.portal import opening_hours_text
from sync.server import queue_state
from sync.server.db import ServerDatabase
from sync.server.models import EnrolledCentre, PublishedCatalogue
from sync.server.portal import render, request_lang
from sync.server.portal.tickets import STALE_AFTER, hhmm


@dataclass(frozen=True)
class Catalogue:
    groups: list[dict[str, Any]]
    services: list[dict[str, Any]]


def catalogue(session: Session) -> Catalogue:
    body = session.scalar(select(PublishedCatalogue.body).order_by(PublishedCatalogue.version.desc()).limit(1))
    data = json.loads(body) if body else {}
    return Catalogue(list(data.get("groups", [])), list(data.get("services", [])))


def offered(centre: EnrolledCentre, cat: Catalogue) -> list[dict[str, Any]]:
    """The centre's services (every service of the catalogue when it has not said)."""
    if centre.services is None:
        return cat.services
    try:
        codes = set(json.loads(centre.services))
    except (ValueError, TypeError):
        return cat.services
    return [s for s in cat.services if s.get("code") in codes]


def _name(item: dict[str, Any], lang: str) -> str:
    return str(item.get(f"name_{lang}") or item.get("name_ar") or item.get("code") or item.get("letter"))


def _governorate(code: str | None, lang: str) -> tuple[str, str]:
    names = GOVERNORATES.get(code or "")
    return (code or "99", names[0 if lang == "ar" else 1]) if names else ("99", "")


def _card(centre: EnrolledCentre, cat: Catalogue, lang: str) -> dict[str, Any]:
    services = offered(centre, cat)
    return {"code": centre.code, "name": centre.public_name(lang),
            "address": (centre.address_ar if lang == "ar" else centre.address_en) or centre.address_ar
            or centre.address_en,
            "hours": opening_hours_text(centre.opening_hours, lang) if centre.opening_hours else None,
            "all_services": centre.services is None,
            "services": [_name(s, lang) for s in services]}


def live_groups(session: Session, centre: EnrolledCentre, cat: Catalogue, lang: str,
                now: datetime) -> list[dict[str, Any]]:
    """Per service group the centre offers: waiting now and the estimated wait of a new ticket."""
    day = local_day(now)
    counts = queue_state.waiting_counts(session, centre.code, day)
    letters = {str(s.get("group")) for s in offered(centre, cat)} | set(counts)
    rows = []
    for group in cat.groups:
        letter = str(group.get("letter"))
        if letter not in letters:
            continue
        waiting = counts.get(letter, 0)
        rows.append({"letter": letter, "name": _name(group, lang), "waiting": waiting,
                     "wait": queue_state.estimate_wait_minutes(session, centre.code, day, letter, waiting)})
    return rows


def add_routes(app: FastAPI, db: ServerDatabase) -> None:
    @app.get("/centres", include_in_schema=False)
    def centres_page(request: Request) -> HTMLResponse:
        lang = request_lang(request)
        with db.sessions() as s:
            cat = catalogue(s)
            rows = s.scalars(select(EnrolledCentre).order_by(EnrolledCentre.governorate, EnrolledCentre.name)).all()
            by_governorate: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for centre in rows:
                by_governorate.setdefault(_governorate(centre.governorate, lang), []).append(_card(centre, cat, lang))
        governorates = [{"code": code, "name": name, "centres": cards}
                        for (code, name), cards in sorted(by_governorate.items())]
        return render(request, "centres.html", governorates=governorates)

    @app.get("/centres/{code}", include_in_schema=False)
    def centre_page(request: Request, code: str) -> HTMLResponse:
        lang = request_lang(request)
        now = utcnow()
        with db.sessions() as s:
            centre = s.get(EnrolledCentre, code) if len(code) <= 16 else None
            if centre is None:
                return render(request, "centre_unknown.html", status=404)
            cat = catalogue(s)
            card = _card(centre, cat, lang)
            seen = as_utc(centre.last_seen) if centre.last_seen else None
            stale = seen is None or now - seen > STALE_AFTER
            groups = [] if stale else live_groups(s, centre, cat, lang, now)
        return render(request, "centre.html", centre=card, groups=groups, stale=stale,
                      seen=hhmm(seen) if seen else None,
                      governorate=_governorate(centre.governorate, lang)[1])
