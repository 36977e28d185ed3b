"""The queue now, as a heartbeat reports it (counter_app.core.queue_now), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from counter_app.core import queue
from counter_app.core.clock import local_day, utcnow
from counter_app.core.models import Counter
from counter_app.core.queue_now import OPEN_WITHIN, queue_now
from tests.helpers.factories import Centre


def test_waiting_longest_wait_and_counters_open(site: Centre) -> None:
    now = utcnow()
    with site.db.read() as s:
        empty = queue_now(s, now)
    assert (empty.waiting, empty.longest_wait_s, empty.counters_open) == ({}, None, 0)
    assert empty.counters_active == 3 and empty.day == local_day(now)

    first, second, third = site.counter_ids
    with site.db.begin() as s:
        queue.issue_ticket(s, "A", at=now - timedelta(minutes=40))
        queue.issue_ticket(s, "A", at=now - timedelta(minutes=30))
        queue.issue_ticket(s, "B", at=now - timedelta(minutes=12))
    # counter 1 served one long ago (finished: idle since), counter 2 serves one now
    with site.db.begin() as s:
        done = queue.call_next(s, first, site.clerk_ids[0], at=now - timedelta(minutes=35))
        assert done is not None
        queue.finish(s, done.id, first, site.clerk_ids[0], at=now - OPEN_WITHIN - timedelta(minutes=1))
    with site.db.begin() as s:
        serving = queue.call_next(s, second, site.clerk_ids[1], at=now - timedelta(minutes=20))
        assert serving is not None and serving.group_letter == "A"
    with site.db.read() as s:
        state = queue_now(s, now)
    assert state.waiting == {"B": 1}
    assert state.longest_wait_s == 12 * 60
    assert (state.counters_open, state.counters_active) == (1, 3)  # counter 1 idle too long, 3 never opened

    # a transferred ticket keeps its queue time: the longest wait counts from when it first queued
    with site.db.begin() as s:
        queue.transfer(s, serving.id, second, site.clerk_ids[1], to_group="B", at=now - timedelta(minutes=1))
    with site.db.read() as s:
        state = queue_now(s, now)
    assert state.waiting == {"B": 2} and state.longest_wait_s == 30 * 60
    assert state.counters_open == 1  # counter 2 acted a minute ago
    # a counter switched off is neither open nor active
    with site.db.begin() as s:
        s.get_one(Counter, second).active = False
        s.get_one(Counter, third).active = False
    with site.db.read() as s:
        state = queue_now(s, now)
    assert (state.counters_open, state.counters_active) == (0, 1)
