"""Heartbeats: each centre's latest backlog, queue now, software version and clock (issue 19).

Every agent sends ``POST /v1/heartbeat`` (:data:`sync.protocol.HEARTBEAT_PATH`) at least each
minute, with or without events to send (:mod:`sync.agent.heartbeat`). The request is signed and
checked as a push is (the centre's Ed25519 signature, fresh, not replayed) and counts under the
per-centre rate limit (``centre``, :mod:`sync.server.ratelimit`). Its body is a JSON
:class:`sync.protocol.Heartbeat` of at most :data:`sync.protocol.MAX_HEARTBEAT_BYTES` (strict
types, bounded figures, no extra field): anything else is 422 ``invalid``, never a 500.

The server keeps the latest per centre (``centre_heartbeat``, one row per centre, one upsert) with
its receive time; the clock skew is the centre's clock (``clock``, the PC's own, not the time it
signs with) minus the server's clock when it arrived, so it includes the request's transit time
(a fraction of a second, against the minutes a skew alert is about).

**Never blocked by a push.** The agent sends heartbeats from their own thread on their own HTTP
connection, so a long backlog push (many batches, a slow link) does not delay them; on the server
the heartbeat writes only its own row: it never touches the ``centre`` row, which a push locks for
its whole transaction (:mod:`sync.server.anchors`). On PostgreSQL it therefore never waits for a
push; on SQLite (development) every write waits for the one write lock, a push's included.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from counter_app.common.clock import utcnow
from sync import protocol
from sync.server.db import ServerDatabase
from sync.server.errors import ApiError
from sync.server.models import CentreHeartbeat

log = logging.getLogger(__name__)


def parse(body: bytes) -> protocol.Heartbeat:
    """The heartbeat in ``body``, or 422 naming the fields that do not validate (never the values)."""
    try:
        return protocol.Heartbeat.model_validate_json(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p).encode('ascii', 'backslashreplace').decode()[:40] for p in e['loc']) or 'body'}: "
            f"{e['msg']}" for e in exc.errors(include_url=False, include_context=False, include_input=False)[:10])
        raise ApiError(422, "invalid", f"not a heartbeat: {problems}") from None


def record(session: Session, beat: protocol.Heartbeat, received_at: datetime) -> float:
    """Keep ``beat`` as its centre's latest (one upsert, in the caller's transaction); returns the
    centre's clock skew in seconds (its clock minus ``received_at``)."""
    skew = (beat.clock - received_at).total_seconds()
    values: dict[str, Any] = {
        "centre_code": beat.centre, "received_at": received_at, "centre_clock": beat.clock, "clock_skew_s": skew,
        "version": beat.version, "backlog_events": beat.backlog.events,
        "backlog_oldest_age_s": beat.backlog.oldest_age_s, "rejected_events": beat.backlog.rejected,
        "day": beat.queue.day, "waiting": json.dumps(dict(sorted(beat.queue.waiting.items()))),
        "waiting_total": sum(beat.queue.waiting.values()), "longest_wait_s": beat.queue.longest_wait_s,
        "counters_open": beat.queue.counters_open, "counters_active": beat.queue.counters_active}
    insert = (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(CentreHeartbeat)
    stmt = insert.values(values)
    session.execute(stmt.on_conflict_do_update(
        index_elements=[CentreHeartbeat.centre_code],
        set_={name: stmt.excluded[name] for name in values if name != "centre_code"}))
    return skew


def add_heartbeat_routes(app: FastAPI, db: ServerDatabase,
                         authenticate: Callable[[Request], Awaitable[tuple[str, bytes, Any]]]) -> None:
    """``authenticate`` is the app's check of a signed centre request (it reads the body)."""

    @app.post(protocol.HEARTBEAT_PATH)
    async def heartbeat(request: Request) -> dict[str, Any]:
        """A centre's heartbeat (signed): kept as its latest; answers the receive time and the
        centre's clock skew (its clock minus the server's, seconds)."""
        centre, body, _signed_time = await authenticate(request)
        beat = parse(body)
        if beat.centre != centre:
            log.warning("centre %s sent a heartbeat for centre %s: refused", centre, beat.centre)
            raise ApiError(403, "forbidden", "the heartbeat's centre does not match the credential")

        def store() -> dict[str, Any]:
            received = utcnow()
            with db.sessions.begin() as s:
                skew = record(s, beat, received)
            return {"centre": centre, "received_at": received.isoformat(), "clock_skew_s": round(skew, 3)}

        return await run_in_threadpool(store)
