"""The mobile ticket's live stream: ``GET /t/<token>/events`` (server-sent events, for
``/static/ticket.js``; the 15 s poll of ``/t/<token>/state`` stays as the fallback).

The stream sends the ticket's state (the JSON of ``/state``, same fields) at once and then each
time it changes, a comment every :data:`KEEPALIVE_S` seconds so that proxies and phones keep the
connection, and ends when the ticket's turn is over (its last state sent), when the ticket is no
longer of today, or after :data:`LIFETIME_S` (the browser's ``EventSource`` comes back after
``retry:`` milliseconds, and is counted again by the per-client rate limit ``ticket``, which
counts every ``/t/`` request: so does opening a stream). An unknown token gets the page's 404.

**Cheap with a thousand open streams.** A stream never asks the database on its own: the streams
of one centre share a :class:`CentreWatch`, one task per centre and process that looks at the
centre's *mark* (the newest sequence and the number of today's rows of its ticket projection, the
HH:MM of its last sync and whether it is silent) every :data:`CHECK_S` seconds, at once when
:func:`sync.server.queue_state.fold` committed a change of that centre in this process (its
``on_change`` hook), and only when the mark moved reads the centre's tickets of today in one
``select`` and computes every ticket's state (positions by ``queue_state.all_waiting_ahead``, the
SQL rule in Python). The streams then wake, take their ticket's state from that snapshot and send
it if it differs from what they sent. A push that landed in another worker process (or server)
is seen within :data:`CHECK_S`. A ticket not yet in the snapshot (issued since) is asked once
the usual way.

**Bounded.** At most :data:`MAX_STREAMS` streams per process and :data:`MAX_CLIENT_STREAMS` per
client address (``SHUBBAK_PORTAL_MAX_STREAMS`` and ``SHUBBAK_PORTAL_MAX_CLIENT_STREAMS``); beyond,
503 with ``Retry-After``: the page then polls. A disconnect ends the stream at once (Starlette
cancels it when the server reports ``http.disconnect``) and frees its place (:data:`registry`)
and, with the centre's last stream, the centre's watch (:data:`watches`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from counter_app.common.clock import local_day, utcnow
from sync.server import queue_state
from sync.server.db import ServerDatabase
from sync.server.models import EnrolledCentre, TicketProjection
from sync.server.portal import tickets
from sync.server.ratelimit import client_of

log = logging.getLogger(__name__)
T = TicketProjection

CHECK_S = 0.5  # a centre's mark is looked at this often while it has streams
KEEPALIVE_S = 20.0
LIFETIME_S = 600.0
RETRY_MS = 3000
READY_S = 10.0  # a centre's first snapshot: a stream waits this long, then ends (the page polls)
MAX_STREAMS = 2000
MAX_CLIENT_STREAMS = 100  # many phones share a carrier's address (CGNAT)
_COLUMNS = (T.ticket_uuid, T.token_hash, T.number, T.status, T.group_letter, T.priority, T.queued_at, T.issued_seq,
            T.to_counter, T.counter_number, T.updated_at)


@dataclass
class Registry:
    """The open streams of this process (read by the tests and the benchmark)."""

    limit: int = MAX_STREAMS
    per_client: int = MAX_CLIENT_STREAMS
    open: int = 0
    held_max: int = 0
    by_client: Counter[str] = field(default_factory=Counter)

    def admit(self, client: str) -> bool:
        if self.open >= self.limit or self.by_client[client] >= self.per_client:
            return False
        self.open += 1
        self.by_client[client] += 1
        self.held_max = max(self.held_max, self.open)
        return True

    def release(self, client: str) -> None:
        self.open -= 1
        self.by_client[client] -= 1
        if self.by_client[client] <= 0:
            del self.by_client[client]


registry = Registry()


@dataclass(frozen=True)
class Mark:
    day: date
    newest_seq: int | None
    rows: int
    updated: str | None
    offline_since: str | None


def _mark(db: ServerDatabase, centre: str, now: datetime) -> tuple[Mark, tickets.CentreInfo]:
    day = local_day(now)
    with db.sessions() as s:
        newest, rows = s.execute(select(func.max(T.last_seq), func.count())
                                 .where(T.centre_code == centre, T.day == day)).one()
        info = tickets.info_of(s.get(EnrolledCentre, centre), centre)
    seen = info.last_seen
    return Mark(day, newest, int(rows), tickets.hhmm(seen) if seen else None,
                tickets._stale_since(seen, now)), info


def snapshot(db: ServerDatabase, centre: str, known: Mark | None) -> tuple[Mark, dict[str, dict[str, Any]] | None]:
    """The centre's mark, and when it moved from ``known`` every ticket's state of today by token hash."""
    now = utcnow()
    mark, info = _mark(db, centre, now)
    if mark == known:
        return mark, None
    with db.sessions() as s:
        rows = s.execute(select(*_COLUMNS).where(T.centre_code == centre, T.day == mark.day)).all()
        ahead = queue_state.all_waiting_ahead(rows)
        views = {}
        for group in {r.group_letter for r in rows}:
            seconds = queue_state.service_seconds(s, centre, mark.day, group)
            views[group] = queue_state.GroupView(
                seconds / queue_state.serving_counters(s, centre, mark.day, group),
                queue_state.now_calling(s, centre, mark.day, group=group))
    return mark, {r.token_hash: tickets.compose(r, ahead[r.ticket_uuid], views[r.group_letter], info, now)
                  for r in rows if r.token_hash}


class CentreWatch:
    """One centre's shared look at the database, while it has streams in this process."""

    def __init__(self, db: ServerDatabase, centre: str) -> None:
        self.db, self.centre = db, centre
        self.loop = asyncio.get_running_loop()
        self.version = 0
        self.mark: Mark | None = None
        self.states: dict[str, dict[str, Any]] = {}
        self.streams = 0
        self.checks = 0  # database looks, for the tests
        self.poke = asyncio.Event()
        self.ready = asyncio.Event()
        self._changed = asyncio.Event()
        self.task = self.loop.create_task(self._run(), name=f"ticket-watch-{centre}")

    async def _run(self) -> None:
        try:
            while True:
                self.poke.clear()
                states: dict[str, dict[str, Any]] | None = None
                try:
                    mark, states = await run_in_threadpool(snapshot, self.db, self.centre, self.mark)
                except SQLAlchemyError as exc:  # the streams keep what they have; the next look may do
                    log.info("ticket streams of %s: no look at the database (%s)", self.centre, exc)
                self.checks += 1
                if states is not None:
                    self.mark, self.states = mark, states
                    self.version += 1
                    changed, self._changed = self._changed, asyncio.Event()
                    changed.set()
                    self.ready.set()
                if self.streams <= 0:
                    return
                try:
                    await asyncio.wait_for(self.poke.wait(), CHECK_S)
                except TimeoutError:
                    pass
                if self.streams <= 0:
                    return
        finally:
            if watches.get((self.db, self.centre)) is self:
                del watches[(self.db, self.centre)]

    async def changed_since(self, seen: int, timeout: float) -> bool:
        if self.version == seen:
            try:
                async with asyncio.timeout(timeout):  # no task per wait (a thousand streams wake at once)
                    await self._changed.wait()
            except TimeoutError:
                pass
        return self.version != seen

    def leave(self) -> None:
        self.streams -= 1
        if self.streams <= 0:
            self.poke.set()  # its task ends now


#: The watches of this process, by (database, centre).
watches: dict[tuple[ServerDatabase, str], CentreWatch] = {}


def join(db: ServerDatabase, centre: str) -> CentreWatch:
    watch = watches.get((db, centre))
    if watch is None or watch.task.done():
        watch = watches[(db, centre)] = CentreWatch(db, centre)
    watch.streams += 1
    return watch


def _folded(centre: str) -> None:
    """A commit of this process changed ``centre``'s tickets (from the committing thread)."""
    for (_, code), watch in list(watches.items()):
        if code == centre:
            try:
                watch.loop.call_soon_threadsafe(watch.poke.set)
            except RuntimeError:  # its loop is closed
                pass


queue_state.on_change(_folded)


def _event(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


class EventStream(StreamingResponse):
    """The stream's answer; its place in :data:`registry` is freed however it ends."""

    media_type = "text/event-stream"

    def __init__(self, content: AsyncIterator[str], client: str) -> None:
        super().__init__(content, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
        self.client = client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            registry.release(self.client)


async def _stream(request: Request, db: ServerDatabase, centre: str, token: str, poll: int,
                  lifetime: float) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + lifetime
    key = queue_state.token_hash(token)
    watch = join(db, centre)
    try:
        yield f"retry: {RETRY_MS}\n\n"
        try:
            await asyncio.wait_for(watch.ready.wait(), READY_S)
        except TimeoutError:
            return
        seen, sent = -1, None
        while True:
            if watch.version != seen:
                seen = watch.version
                state = watch.states.get(key)
                if state is None:  # issued since the snapshot, or no longer of today
                    state = await run_in_threadpool(tickets.ticket_state, db, token)
                if state is None:
                    yield _event({"state": "unknown"})
                    return
                if state != sent:  # most changes of a centre change nothing of most of its tickets
                    yield _event({**state, "poll": poll, "texts": tickets.texts(request, state)})
                    sent = state
                if state["state"] == "ended":
                    return
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            if not await watch.changed_since(seen, min(KEEPALIVE_S, remaining)):
                yield ": keep-alive\n\n"
    finally:
        watch.leave()


def _centre_of(db: ServerDatabase, token: str) -> str | None:
    with db.sessions() as s:
        ticket = queue_state.by_token(s, token)
        return ticket.centre_code if ticket is not None and ticket.day == local_day(utcnow()) else None


def add_routes(app: FastAPI, db: ServerDatabase) -> None:
    poll = tickets.poll_seconds()
    registry.limit = int(os.environ.get("SHUBBAK_PORTAL_MAX_STREAMS", str(MAX_STREAMS)))
    registry.per_client = int(os.environ.get("SHUBBAK_PORTAL_MAX_CLIENT_STREAMS", str(MAX_CLIENT_STREAMS)))
    lifetime = float(os.environ.get("SHUBBAK_PORTAL_STREAM_S", str(LIFETIME_S)))

    @app.get("/t/{token}/events", include_in_schema=False)
    async def ticket_events(request: Request, token: str) -> Response:
        headers = {"Cache-Control": "no-store"}
        centre = await run_in_threadpool(_centre_of, db, token)
        if centre is None:
            return JSONResponse({"state": "unknown"}, status_code=404, headers=headers)
        client = client_of(request.scope)
        if not registry.admit(client):
            log.info("ticket streams: refused one of %s (%d open)", client, registry.open)
            return JSONResponse({"state": "busy"}, status_code=503, headers={**headers, "Retry-After": "60"})
        return EventStream(_stream(request, db, centre, token, poll, lifetime), client)
