"""The central server's ticket projection (sync/server/queue_state.py) is the same whatever the
order and the repetition of the batches the ticket events come in, and its ``waiting_ahead``
equals the core's for every ticket: the real core makes the events, the real ingest folds them."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from counter_app.core import outbox, queue
from counter_app.core.centre import centre_code
from counter_app.core.models import Ticket
from sync import protocol
from sync.agent.agent import wire_event
from sync.server import queue_state
from sync.server.db import ServerDatabase
from sync.server.ingest import ingest
from sync.server.models import TicketProjection
from tests.helpers.factories import Centre


@pytest.fixture
def server_db(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[[str], ServerDatabase]]:
    made: list[ServerDatabase] = []

    def make(name: str) -> ServerDatabase:
        if db_url.startswith("sqlite"):
            url = f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
        else:
            url = str(request.getfixturevalue("pg_cluster").create_database())
        made.append(ServerDatabase(url))
        return made[-1]

    yield make
    for db in made:
        db.dispose()


def a_busy_morning(site: Centre) -> None:
    """Tickets of two groups, priority ones, calls at three counters, a recall, transfers to a
    group and to a counter, a skip, a finish."""
    c, k = site.counter_ids, site.clerk_ids
    with site.db.begin() as s:
        for i in range(9):
            queue.issue_ticket(s, "AB"[i % 2], priority=i in (4, 7), priority_reason="elderly" if i in (4, 7) else None)
    with site.db.begin() as s:
        first = queue.call_next(s, c[0], k[0])
        second = queue.call_next(s, c[1], k[1])
        assert first is not None and second is not None
        queue.recall(s, first.id, c[0], k[0])
        queue.transfer(s, first.id, c[0], k[0], to_group="B" if first.group_letter == "A" else "A")
        queue.transfer(s, second.id, c[1], k[1], to_counter_id=c[2])
    with site.db.begin() as s:
        third = queue.call_next(s, c[0], k[0])
        assert third is not None
        queue.skip(s, third.id, c[0], k[0], "the citizen left")
        queue.call_next(s, c[1], k[1])
        queue.call_next(s, c[1], k[1])  # finishes the one before
    with site.db.begin() as s:
        queue.issue_ticket(s, "A")


def events_of(site: Centre) -> tuple[str, list[protocol.WireEvent]]:
    with site.db.read() as s:
        return centre_code(s), [wire_event(row) for row in outbox.pending(s, limit=10_000)]


def projection(db: ServerDatabase) -> list[tuple[Any, ...]]:
    with db.sessions() as s:
        rows = s.scalars(select(TicketProjection).order_by(TicketProjection.ticket_uuid)).all()
        return [(r.ticket_uuid, r.day, r.number, r.group_letter, r.priority, r.status,
                 r.queued_at.replace(tzinfo=UTC) if r.queued_at and r.queued_at.tzinfo is None else r.queued_at,
                 r.issued_seq, r.to_counter, r.counter_number, r.token_hash, r.last_seq) for r in rows]


def feed(db: ServerDatabase, centre: str, batches: list[list[protocol.WireEvent]]) -> None:
    for batch in batches:
        with db.sessions.begin() as s:
            ingest(s, centre, batch, datetime.now(UTC))


def test_the_projection_ignores_order_and_repeats_and_equals_core(site: Centre,
                                                                 server_db: Callable[[str], ServerDatabase]) -> None:
    a_busy_morning(site)
    centre, events = events_of(site)
    assert any(e.kind == "ticket.called" and "counter_number" in e.payload for e in events)
    in_order = server_db("in_order")
    feed(in_order, centre, [events])
    rng = random.Random(18)
    shuffled = events[:]
    rng.shuffle(shuffled)
    backwards = server_db("backwards")  # small batches, newest first, each sent twice
    batches = [events[i:i + 3] for i in range(0, len(events), 3)][::-1]
    feed(backwards, centre, [b for batch in batches for b in (batch, batch)])
    random_order = server_db("random")
    feed(random_order, centre, [shuffled[i:i + 2] for i in range(0, len(shuffled), 2)])
    assert projection(in_order) == projection(backwards) == projection(random_order)
    with site.db.read() as core, in_order.sessions() as server:
        tickets = core.scalars(select(Ticket).order_by(Ticket.id)).all()
        statuses = set()
        for t in tickets:
            row = server.get_one(TicketProjection, (centre, t.uuid))
            statuses.add(row.status)
            assert queue_state.waiting_ahead(server, row) == queue.waiting_ahead(core, t), t.number
            assert (row.status, row.group_letter, row.to_counter) == (
                t.status.value, t.group_letter, t.target_counter_id is not None), t.number
            assert queue_state.by_token(server, str(t.public_token)) is not None
        assert {"waiting", "called", "done", "skipped"} <= statuses
        day = tickets[0].day
        assert queue_state.waiting_counts(server, centre, day) == queue.waiting_counts(core, day)
