"""Issue 15, item 4: every state change reads its clock after it holds the write lock.

Four counters and a kiosk, each in its own process, on one database: no ticket may be stored as
called before it was queued, and the stored times of the ticket events follow the order in which
they committed (their ids). Before the fix, 9 of 400 tickets had negative waits on SQLite.
"""

from __future__ import annotations

import multiprocessing as mp
import threading

from sqlalchemy import select

from counter_app.core import queue
from counter_app.core.clock import as_utc
from counter_app.core.db import Database
from counter_app.core.models import Ticket, TicketEvent
from tests.helpers.factories import build_centre

COUNTERS = 4
TICKETS = 160


def _kiosk(url: str, count: int, start: threading.Barrier, done: threading.Event) -> int:
    db = Database(url, migrate=False)
    start.wait(timeout=300)
    for i in range(count):
        with db.begin() as s:
            queue.issue_ticket(s, "AB"[i % 2], priority=i % 7 == 0, priority_reason="elderly" if i % 7 == 0 else None)
    done.set()
    db.dispose()
    return count


def _counter(url: str, counter_id: int, clerk_id: int, start: threading.Barrier, done: threading.Event) -> int:
    db = Database(url, migrate=False)
    calls = 0
    start.wait(timeout=300)
    while True:
        finished = done.is_set()  # read before the call: a call after it that finds nobody ends the loop
        with db.begin() as s:
            ticket = queue.call_next(s, counter_id, clerk_id)
        if ticket is not None:
            calls += 1
        elif finished:
            break
    db.dispose()
    return calls


def test_stored_times_follow_the_commit_order(db: Database) -> None:
    site = build_centre(db, counters=COUNTERS, clerks=COUNTERS)
    ctx = mp.get_context("spawn")
    manager = ctx.Manager()
    start, done = manager.Barrier(COUNTERS + 1), manager.Event()
    with ctx.Pool(COUNTERS + 1) as pool:
        kiosk = pool.apply_async(_kiosk, (db.url, TICKETS, start, done))
        counters = [pool.apply_async(_counter, (db.url, site.counter_ids[k], site.clerk_ids[k], start, done))
                    for k in range(COUNTERS)]
        assert kiosk.get(timeout=600) == TICKETS
        calls = sum(c.get(timeout=600) for c in counters)
    manager.shutdown()
    assert calls == TICKETS
    with db.read() as s:
        tickets = s.scalars(select(Ticket)).all()
        events = s.execute(select(TicketEvent.id, TicketEvent.at).order_by(TicketEvent.id)).all()
    negative = [t.display_number for t in tickets if t.called_at is None or as_utc(t.called_at) < as_utc(t.queued_at)]
    assert negative == [], f"{len(negative)} tickets called before they were queued: {negative[:10]}"
    backwards = [(a.id, b.id, (as_utc(a.at) - as_utc(b.at)).total_seconds())
                 for a, b in zip(events, events[1:], strict=False) if as_utc(b.at) < as_utc(a.at)]
    assert backwards == [], f"{len(backwards)} events stored out of commit order, e.g. {backwards[:5]}"
