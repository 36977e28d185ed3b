"""The mobile ticket: ``/t/<token>`` (the printed ticket's QR code) and its live state
``/t/<token>/state`` (JSON, for ``/static/ticket.js``).

The page shows the ticket's number, the people ahead (:func:`sync.server.queue_state.waiting_ahead`,
the centre core's own count), the estimated wait and the tickets called now; once called, the
counter to go to in large type. It refreshes by itself: the script listens to the ticket's
server-sent events (``/t/<token>/events``, :mod:`sync.server.portal.ticket_events`: a change shows
within a second or two) and, while that stream is not open, asks the state every :data:`POLL_S`
seconds (less with ``SHUBBAK_PORTAL_POLL_S``); it updates the page, reloading it when the
ticket's state changes; without JavaScript a ``<meta refresh>`` in ``<noscript>`` reloads.

A token is 22 random characters (``secrets.token_urlsafe(16)``); the server keeps only its SHA-256.
An unknown token, a malformed one and one of another day get the same 404 page: the answer tells
nothing to someone trying tokens. Both routes are counted under the per-client rate limit
``ticket`` (:mod:`sync.server.ratelimit`). Nothing personal is ever shown: the ticket has none.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.orm import Session

from counter_app.common.clock import as_utc, local_day, to_local, utcnow
from counter_app.common.i18n import Lang, gettext, ngettext
from sync.server import queue_state
from sync.server.db import ServerDatabase
from sync.server.models import EnrolledCentre, TicketProjection
from sync.server.portal import render, request_lang

#: Seconds between two refreshes of an open ticket page (the issue: at most every 15 s); a
#: deployment (or a test) may ask for less with ``SHUBBAK_PORTAL_POLL_S``, read when the app is made.
POLL_S = 15


def poll_seconds() -> int:
    return max(1, min(POLL_S, int(os.environ.get("SHUBBAK_PORTAL_POLL_S", str(POLL_S)))))
#: A centre that has not synced for this long shows that its live figures are old.
STALE_AFTER = timedelta(minutes=15)


def hhmm(moment: datetime) -> str:
    return to_local(moment).strftime("%H:%M")


def _stale_since(last_seen: datetime | None, now: datetime) -> str | None:
    if last_seen is None:
        return None
    return hhmm(last_seen) if now - as_utc(last_seen) > STALE_AFTER else None


@dataclass(frozen=True)
class CentreInfo:
    name: str  # in Arabic (the enrolment's one name for a centre that sent none)
    last_seen: datetime | None
    name_en: str = ""


_centres: dict[str, tuple[float, CentreInfo]] = {}


def centre_info(session: Session, code: str) -> CentreInfo:
    """A centre's name and last sync, kept :data:`~sync.server.queue_state.SHARED_TTL_S` in the process
    (every phone of the centre asks for them)."""
    now = time.monotonic()
    cached = _centres.get(code)
    if cached is not None and now - cached[0] < queue_state.SHARED_TTL_S:
        return cached[1]
    info = info_of(session.get(EnrolledCentre, code), code)
    if len(_centres) > 10_000:
        _centres.clear()
    _centres[code] = (now, info)
    return info


def info_of(row: EnrolledCentre | None, code: str) -> CentreInfo:
    """The centre's names in both languages and its last sync (its code for an unknown centre)."""
    if row is None:
        return CentreInfo(code, None, code)
    return CentreInfo(row.public_name("ar"), as_utc(row.last_seen) if row.last_seen else None, row.public_name("en"))


def ticket_state(db: ServerDatabase, token: str) -> dict[str, Any] | None:
    """What the page shows of the ticket of ``token``, or None (unknown, or not of today)."""
    answer = ticket_answer(db, token)
    return answer[1] if answer is not None else None


def ticket_answer(db: ServerDatabase, token: str) -> tuple[str, dict[str, Any]] | None:
    """The ticket's centre code and :func:`ticket_state`, from the database (its own row and count)."""
    now = utcnow()
    with db.sessions() as s:
        ticket: TicketProjection | None = queue_state.by_token(s, token)
        if ticket is None or ticket.day != local_day(now):
            return None
        centre = centre_info(s, ticket.centre_code)
        ahead = queue_state.waiting_ahead(s, ticket)
        shared = queue_state.group_view(s, ticket.centre_code, ticket.day, ticket.group_letter)
        return ticket.centre_code, compose(ticket, ahead, shared, centre, now)


def compose(ticket: Any, ahead: int, shared: queue_state.GroupView, centre: CentreInfo,
            now: datetime) -> dict[str, Any]:
    """The state's fields from the ticket's row (a ``TicketProjection`` or a row of the same names),
    its count, its group's shared view and its centre (the JSON ``/state`` and the event stream alike)."""
    state = {"waiting": "waiting", "called": "called"}.get(ticket.status, "ended")
    wait = shared.wait_minutes(ahead) if state == "waiting" else 0
    return {"state": state, "number": ticket.number, "ahead": ahead, "wait_minutes": wait,
            "counter": ticket.counter_number if state == "called" else None,
            "calling": [{"number": c.number, "counter": c.counter_number} for c in shared.calling],
            "centre": centre.name, "centre_en": centre.name_en or centre.name,
            # the figures are the centre's as of its last sync
            "updated": hhmm(centre.last_seen or ticket.updated_at),
            "offline_since": _stale_since(centre.last_seen, now)}


def texts(request: Request, state: dict[str, Any]) -> dict[str, str]:
    """The page's live lines in the request's language (the script puts them in place); the same
    place says the same whichever ticket holds it, so they are kept (a thousand phones of a centre
    share a few hundred of them). The answer is shared: not to be changed."""
    return _texts(request_lang(request), state["ahead"], state["wait_minutes"], state["counter"],
                  state["updated"], state["offline_since"])


@functools.lru_cache(maxsize=4096)
def _texts(lang: Lang, ahead: int, minutes: int, counter: int | None, updated: str,
           offline_since: str | None) -> dict[str, str]:
    return {
        "ahead": ngettext("portal.ticket_ahead", ahead, lang, n=ahead),
        "wait": (gettext("portal.ticket_next", lang) if ahead == 0
                 else ngettext("portal.ticket_wait", minutes, lang, n=minutes)),
        "counter": gettext("portal.ticket_go_to_counter", lang, counter=counter) if counter is not None else "",
        "updated": gettext("portal.ticket_updated", lang, time=updated),
        "offline": gettext("portal.ticket_offline", lang, time=offline_since) if offline_since else "",
    }


def add_routes(app: FastAPI, db: ServerDatabase) -> None:
    poll = poll_seconds()

    from sync.server.portal import ticket_snapshots  # it builds on this module

    @app.get("/t/{token}", include_in_schema=False)
    async def ticket_page(request: Request, token: str) -> HTMLResponse:
        state = await ticket_snapshots.live(db).state(token)
        if state is None:
            return render(request, "ticket_unknown.html", status=404, cache="no-store")
        if state["state"] == "ended":
            return render(request, "ticket_ended.html", cache="no-store", number=state["number"])
        return render(request, "ticket.html", cache="no-store", s=state, live=texts(request, state),
                      poll=poll, state_url=f"/t/{token}/state",
                      events_url=f"/t/{token}/events")

    @app.get("/t/{token}/state", include_in_schema=False)
    async def ticket_state_json(request: Request, token: str) -> JSONResponse:
        state = await ticket_snapshots.live(db).state(token)
        headers = {"Cache-Control": "no-store"}
        if state is None:
            return JSONResponse({"state": "unknown"}, status_code=404, headers=headers)
        return JSONResponse({**state, "poll": poll, "texts": texts(request, state)}, headers=headers)
