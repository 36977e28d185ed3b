"""``ticket_projection`` keeps today and yesterday (Cairo days): older rows are deleted after an
ingest, at most one round an hour per process, in bounded batches (sync/server/projection_cleanup.py,
"Cleaning"). On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, event, func, select

from counter_app.common.clock import local_day, utcnow
from counter_app.core import queue
from counter_app.core.centre import centre_code
from sync.agent.agent import Agent
from sync.server import projection_cleanup, queue_state
from sync.server.db import ServerDatabase
from sync.server.models import TicketProjection
from sync.server.projection_cleanup import ProjectionPruner
from tests.helpers.central import enrol_site, running_central
from tests.helpers.factories import Centre
from tests.helpers.waiting import wait_for

#: 00:30 in Cairo on the 27th while it is still the 26th in UTC: the Cairo day decides.
NOW = datetime(2026, 11, 26, 22, 30, tzinfo=UTC)


@pytest.fixture
def central_db(central_url: str) -> Iterator[ServerDatabase]:
    db = ServerDatabase(central_url)
    yield db
    db.dispose()


def add_rows(db: ServerDatabase, centre: str, day: date, n: int) -> None:
    at = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
    with db.sessions.begin() as s:
        s.add_all(TicketProjection(centre_code=centre, ticket_uuid=str(uuid.uuid4()), day=day, number=f"A-{i:03d}",
                                   group_letter="A", priority=False, status="waiting", queued_at=at, issued_seq=i,
                                   to_counter=False, last_seq=i, updated_at=at) for i in range(n))


def days_held(db: ServerDatabase, centre: str | None = None) -> dict[date, int]:
    with db.sessions() as s:
        stmt = select(TicketProjection.day, func.count()).group_by(TicketProjection.day)
        if centre is not None:
            stmt = stmt.where(TicketProjection.centre_code == centre)
        return {d: int(n) for d, n in s.execute(stmt)}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_old_days_go_in_bounded_batches_and_once_an_hour(central_db: ServerDatabase) -> None:
    today, yesterday = date(2026, 11, 27), date(2026, 11, 26)  # Cairo's, at NOW
    assert projection_cleanup.keep_from(NOW) == yesterday
    for centre in ("C1", "C2", "C3"):
        for day, n in ((today, 4), (yesterday, 3), (date(2026, 11, 25), 12), (date(2026, 10, 1), 5)):
            add_rows(central_db, centre, day, n)
    deletes: list[int] = []

    def count_deletes(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(1)

    event.listen(central_db.engine, "before_cursor_execute", count_deletes)
    clock = Clock()
    pruner = ProjectionPruner(central_db.sessions, batch=7, budget_s=0.0, clock=clock)
    assert pruner.due()
    slices = []
    while pruner.due():  # budget 0: one batch per slice, the round goes on at the next ingest
        slices.append(pruner.run(NOW))
        assert len(slices) < 50
    assert max(slices) == 7 and all(0 <= n <= 7 for n in slices)
    assert sum(slices) == pruner.deleted_in_round == 3 * 17
    assert len(deletes) == len(slices)  # one bounded statement per slice
    for centre in ("C1", "C2", "C3"):
        assert days_held(central_db, centre) == {today: 4, yesterday: 3}

    add_rows(central_db, "C2", date(2026, 11, 20), 2)  # a late event of an old day, within the hour
    clock.now += projection_cleanup.PRUNE_EVERY_S - 1
    assert not pruner.due() and pruner.after_ingest(NOW) is None and pruner.run(NOW) == 0
    assert days_held(central_db, "C2")[date(2026, 11, 20)] == 2
    clock.now += 1  # an hour after the round ended
    assert pruner.due() and pruner.after_ingest(NOW) is not None
    late = [pruner.run(NOW) for _ in range(3)]  # a batch per centre: C1 none, C2 two, C3 none
    assert late == [0, 2, 0] and not pruner.due()
    assert days_held(central_db) == {today: 12, yesterday: 9}


def test_a_slice_within_its_budget_does_the_whole_round(central_db: ServerDatabase) -> None:
    old, kept = date(2026, 11, 1), date(2026, 11, 26)
    add_rows(central_db, "C1", old, 30)
    add_rows(central_db, "C1", kept, 2)
    pruner = ProjectionPruner(central_db.sessions, batch=8, budget_s=60.0)
    assert pruner.run(NOW) == 30 and not pruner.due() and pruner.run(NOW) == 0
    assert days_held(central_db) == {kept: 2}
    with central_db.sessions.begin() as s:
        s.execute(delete(TicketProjection))
    fresh = ProjectionPruner(central_db.sessions)  # a projection with no rows: a round of nothing
    assert fresh.run(NOW) == 0 and not fresh.due()

def test_the_server_cleans_after_a_real_push_then_waits_an_hour(site: Centre, central_url: str) -> None:
    with running_central(central_url) as central:
        with site.db.read() as s:
            code = centre_code(s)
        today = local_day(utcnow())
        old = today - timedelta(days=2)
        add_rows(central.db, code, old, 5)
        add_rows(central.db, "OTHER", old - timedelta(days=40), 3)
        add_rows(central.db, code, today - timedelta(days=1), 2)  # yesterday stays
        with site.db.begin() as s:
            issued = [queue.issue_ticket(s, "A").ticket.public_token for _ in range(3)]
        enrol_site(central, site.db)
        agent = Agent(site.db)  # no fault here: the agent's own timeouts (a loaded CI machine once took > 5 s)
        app = central.server.config.app
        assert isinstance(app, FastAPI)
        pruner: ProjectionPruner = app.state.projection_pruner

        def a_slice_since(count: int) -> bool:
            return pruner.slices > count or not pruner.due()

        def push_a_ticket() -> None:
            with site.db.begin() as s:
                issued.append(queue.issue_ticket(s, "A").ticket.public_token)
            agent.sync_once()

        try:
            agent.sync_once()
            wait_for(lambda: pruner.slices >= 1)
            # a slice per push, each within its time budget (PRUNE_BUDGET_S): on a slow machine the
            # round goes on over the next pushes, as it does at a busy centre
            while pruner.due():
                assert pruner.slices < 20
                ran = pruner.slices
                push_a_ticket()
                wait_for(partial(a_slice_since, ran))
            assert days_held(central.db) == {today - timedelta(days=1): 2, today: len(issued)}
            assert pruner.deleted_in_round == 8

            add_rows(central.db, code, old, 1)  # within the hour: the next push leaves it
            push_a_ticket()
            assert days_held(central.db) == {today - timedelta(days=1): 2, today: len(issued), old: 1}
            with central.db.sessions() as s:
                hashes = set(s.scalars(select(TicketProjection.token_hash).where(TicketProjection.day == today)))
            assert hashes == {queue_state.token_hash(str(t)) for t in issued}
        finally:
            agent.close()
