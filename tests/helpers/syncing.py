"""Shared helpers for sync tests and the sync benchmark: queue events, compare both sides."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import select

from counter_app.core import outbox
from counter_app.core.centre import centre_code
from counter_app.core.db import Database
from counter_app.core.models import OutboxEvent
from sync.agent.agent import wire_event
from sync.protocol import WireEvent
from sync.server.models import StoredEvent
from tests.helpers.central import Central


def queue_events(db: Database, count: int, *, centre: str | None = None) -> list[str]:
    """``count`` outbox events in one transaction: ``application.documents`` events (~330 bytes
    each, five per file) that follow their schema (:mod:`sync.events`). ``centre`` is the centre
    their payloads name (by default the database's own)."""
    uuids = []
    with db.begin() as s:
        code = centre or centre_code(s)
        application = ""
        for i in range(count):
            if i % 5 == 0:
                application = str(uuid.uuid4())
            payload = {"application": application, "tracking_code": f"{i // 5:04d}-0000-0000", "centre": code,
                       "service": "LU-SHOP-LICENCE", "state": "draft", "fee_total": 15000 + i, "received_by": 2,
                       "reviewer_id": None, "governorate": "01", "catalogue_version": 1,
                       "at": "2026-11-23T09:00:00+00:00", "received": ["LEASE", "NID", "TAX-CARD"]}
            uuids.append(outbox.emit(s, "application.documents", application, payload).uuid)
    return uuids


def pending_wire_events(db: Database) -> list[WireEvent]:
    """The outbox's pending events as the agent would send them."""
    with db.read() as s:
        return [wire_event(row) for row in outbox.pending(s)]


def wait_drained(db: Database, timeout: float) -> None:
    """Until the outbox has nothing pending (or the time is up: the caller's asserts tell)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.read() as s:
            if outbox.pending_count(s) == 0:
                return
        time.sleep(0.05)


def local_uuids(db: Database, *, sent: bool | None = None) -> set[str]:
    with db.read() as s:
        query = select(OutboxEvent.uuid)
        if sent is True:
            query = query.where(OutboxEvent.sent_at.is_not(None))
        elif sent is False:
            query = query.where(OutboxEvent.sent_at.is_(None))
        return set(s.scalars(query))


def rejected_uuids(db: Database) -> set[str]:
    with db.read() as s:
        return set(s.scalars(select(OutboxEvent.uuid).where(OutboxEvent.rejected_at.is_not(None))))


def server_uuids(central: Central, centre: str | None = None) -> list[str]:
    """Every event uuid the server holds (a list: a duplicate would show twice)."""
    with central.db.sessions() as s:
        query = select(StoredEvent.uuid)
        if centre:
            query = query.where(StoredEvent.centre_code == centre)
        return list(s.scalars(query))


def assert_exactly_once(db: Database, central: Central) -> int:
    """Every local event is on the server exactly once, and the local outbox agrees (all sent)."""
    local = local_uuids(db) - rejected_uuids(db)
    on_server = server_uuids(central)
    assert len(on_server) == len(set(on_server)), "an event is stored twice"
    assert set(on_server) == local, (len(set(on_server) - local), len(local - set(on_server)))
    assert local_uuids(db, sent=False) == set(), "the outbox still has events the server holds"
    return len(local)
