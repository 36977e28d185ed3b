"""The mobile ticket's live stream: ``GET /t/<token>/events`` (server-sent events, for
``/static/ticket.js``; the 15 s poll of ``/t/<token>/state`` stays as the fallback).

The stream sends the ticket's state (the JSON of ``/state``, same fields) at once and then each
time it changes, a comment every :data:`KEEPALIVE_S` seconds so that proxies and phones keep the
connection, and ends when the ticket's turn is over (its last state sent), when the ticket is no
longer of today, or after :data:`LIFETIME_S` (the browser's ``EventSource`` comes back after
``retry:`` milliseconds, and is counted again by the per-client rate limit ``ticket``, which
counts every ``/t/`` request: so does opening a stream). An unknown token gets the page's 404.

**Cheap with a thousand open streams.** A stream never asks the database on its own: it takes its
ticket's state from its centre's snapshot in memory (:mod:`sync.server.portal.ticket_snapshots`:
one task per process looks at all its centres in one query every half second and at once when a
push of this process changed one, and reads a centre again only when it moved), and waits on its
own ticket's key: a change of the centre wakes only the streams whose ticket's state changed. A
push that landed in another worker process (or server) is seen within
:data:`~sync.server.portal.ticket_snapshots.CHECK_S`. A ticket not yet in the snapshot (issued
since) is asked once the usual way.

**Bounded.** At most :data:`MAX_STREAMS` streams per process and :data:`MAX_CLIENT_STREAMS` per
client address (``SHUBBAK_PORTAL_MAX_STREAMS`` and ``SHUBBAK_PORTAL_MAX_CLIENT_STREAMS``); beyond,
503 with ``Retry-After``: the page then polls. A disconnect ends the stream at once (Starlette
cancels it when the server reports ``http.disconnect``) and frees its place (:data:`registry`)
and its hold on the centre's snapshot.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from sync.server import queue_state
from sync.server.db import ServerDatabase
from sync.server.portal import ticket_snapshots, tickets
from sync.server.ratelimit import client_of

log = logging.getLogger(__name__)

KEEPALIVE_S = 20.0
LIFETIME_S = 600.0
RETRY_MS = 3000
READY_S = 10.0  # a centre's first snapshot: a stream waits this long, then ends (the page polls)
MAX_STREAMS = 2000
MAX_CLIENT_STREAMS = 100  # many phones share a carrier's address (CGNAT)


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
    live = ticket_snapshots.live(db)
    loop = live.loop
    deadline = loop.time() + lifetime
    key = queue_state.token_hash(token)
    snap = live.keep(centre)
    changed = live.waiter(snap, key)
    try:
        yield f"retry: {RETRY_MS}\n\n"
        try:
            await asyncio.wait_for(snap.ready.wait(), READY_S)
        except TimeoutError:
            return
        sent = None
        while True:
            changed.clear()  # a change from here on sets it again: none is missed
            state = live.cached(key)
            if state is None:  # issued since the snapshot, no longer of today, or no fresh look
                state = await run_in_threadpool(tickets.ticket_state, db, token)
            if state is None:
                yield _event({"state": "unknown"})
                return
            if state != sent:
                yield _event({**state, "poll": poll, "texts": tickets.texts(request, state)})
                sent = state
            if state["state"] == "ended":
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                await asyncio.wait_for(changed.wait(), min(KEEPALIVE_S, remaining))
            except TimeoutError:
                yield ": keep-alive\n\n"
    finally:
        live.leave(snap, key, changed)


def add_routes(app: FastAPI, db: ServerDatabase) -> None:
    poll = tickets.poll_seconds()
    registry.limit = int(os.environ.get("SHUBBAK_PORTAL_MAX_STREAMS", str(MAX_STREAMS)))
    registry.per_client = int(os.environ.get("SHUBBAK_PORTAL_MAX_CLIENT_STREAMS", str(MAX_CLIENT_STREAMS)))
    lifetime = float(os.environ.get("SHUBBAK_PORTAL_STREAM_S", str(LIFETIME_S)))

    @app.get("/t/{token}/events", include_in_schema=False)
    async def ticket_events(request: Request, token: str) -> Response:
        headers = {"Cache-Control": "no-store"}
        answer = await ticket_snapshots.live(db).answer(token)
        if answer is None:
            return JSONResponse({"state": "unknown"}, status_code=404, headers=headers)
        centre = answer[0]
        client = client_of(request.scope)
        if not registry.admit(client):
            log.info("ticket streams: refused one of %s (%d open)", client, registry.open)
            return JSONResponse({"state": "busy"}, status_code=503, headers={**headers, "Retry-After": "60"})
        return EventStream(_stream(request, db, centre, token, poll, lifetime), client)
