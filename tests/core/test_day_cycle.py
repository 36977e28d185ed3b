"""Issue 15, items 3 and 6: a ticket lives one centre day; the day is open -> closed, reopened only
by a supervisor with a reason; the counters, the kiosk and the display count the same tickets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from counter_app.common.i18n import strip_isolates
from counter_app.core import counter_queries, queue
from counter_app.core.clock import CENTRE_TZ, local_day, utcnow
from counter_app.core.db import Database
from counter_app.core.errors import DomainError, ValidationFailed
from counter_app.core.models import (
    AuditEntry,
    DayState,
    OutboxEvent,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)
from queue_display.state import load_state
from sync.protocol import WireEvent, decode_batch, encode_batch
from tests.helpers.factories import Centre


def _yesterday_at(hour: int) -> datetime:
    return datetime.combine(local_day(utcnow()) - timedelta(days=1), time(hour), CENTRE_TZ).astimezone(UTC)


def test_yesterdays_tickets_are_not_called_today(db: Database, site: Centre) -> None:
    c, k = site.counter_ids[0], site.clerk_ids[0]
    with db.begin() as s:  # yesterday nobody closed the day: three citizens were left waiting, one at a counter
        old = [queue.issue_ticket(s, "A", at=_yesterday_at(10) + timedelta(minutes=i)).ticket for i in range(4)]
        queue.call_next(s, c, k, at=_yesterday_at(11))
    with db.begin() as s:  # this morning's first citizen
        issued = queue.issue_ticket(s, "A")
    assert issued.ticket.display_number == "A-001" and issued.ticket.day == local_day(utcnow())
    assert issued.waiting_ahead == 0, "yesterday's tickets are counted ahead of today's first citizen"
    with db.begin() as s:
        called = queue.call_next(s, c, k)
    assert called is not None and called.id == issued.ticket.id, "yesterday's A-001 was called today"
    with db.read() as s:
        statuses = {t.id: t.status for t in s.scalars(select(Ticket).where(Ticket.id.in_([t.id for t in old])))}
        expired_events = s.scalars(select(TicketEvent).where(TicketEvent.kind == TicketEventKind.EXPIRED)).all()
        audited = s.scalars(select(AuditEntry.action).where(AuditEntry.action.in_(("ticket.expired", "day.close")))).all()
        synced = s.scalars(select(OutboxEvent.kind).where(OutboxEvent.kind.in_(("ticket.expired", "day.closed")))).all()
        yesterday = counter_queries.day_summary(s, old[0].day)
    assert set(statuses.values()) == {TicketStatus.EXPIRED}
    assert len(expired_events) == 4 and sorted(audited) == ["day.close"] + ["ticket.expired"] * 4
    assert sorted(synced) == ["day.closed"] + ["ticket.expired"] * 4
    assert yesterday.state == DayState.CLOSED and yesterday.expired == 4 and yesterday.waiting == 0


def test_counter_kiosk_and_display_count_the_same_waiting(db: Database, site: Centre) -> None:
    with db.begin() as s:
        queue.issue_ticket(s, "A", at=_yesterday_at(12))
    with db.begin() as s:
        for letter in "AAB":
            queue.issue_ticket(s, letter)
    with db.read() as s:
        counts = queue.waiting_counts(s)
        today = queue.waiting_counts(s, local_day(utcnow()))
        shown = {g.letter: g.waiting for g in load_state(s).waiting if g.waiting}
        kpi_waiting = counter_queries.day_summary(s, local_day(utcnow())).waiting
    assert counts == today == shown == {"A": 2, "B": 1} and kpi_waiting == 3
    with db.read() as s:  # a day's count is that day's, not today's
        assert queue.waiting_counts(s, local_day(utcnow()) - timedelta(days=1)) == {}


def test_closing_the_day_expires_what_is_left_and_refuses_new_work(db: Database, site: Centre) -> None:
    c, k = site.counter_ids[0], site.clerk_ids[0]
    with db.begin() as s:
        for _ in range(3):
            queue.issue_ticket(s, "A")
        served = queue.call_next(s, c, k)
        assert served is not None
    with db.read() as s:
        before = counter_queries.day_summary(s, local_day(utcnow()))
    assert (before.state, before.waiting, before.in_service) == (DayState.OPEN, 2, 1)
    with db.begin() as s:
        summary = counter_queries.close_day(s, by=site.supervisor_id)
    assert summary.state == DayState.CLOSED and summary.expired == 3 and summary.waiting == 0
    assert summary.in_service == 0
    with db.read() as s:
        left = s.scalars(select(Ticket)).all()
        close = s.scalars(select(AuditEntry).where(AuditEntry.action == "day.close")).one()
        events = [json.loads(e.payload) for e in s.scalars(select(OutboxEvent)
                                                            .where(OutboxEvent.kind == "ticket.expired"))]
    assert {t.status for t in left} == {TicketStatus.EXPIRED}
    assert json.loads(close.detail)["expired"] == 3
    assert sorted(e["detail"]["was"] for e in events) == ["called", "waiting", "waiting"]
    # the wire protocol carries the new kind as any other
    wire = WireEvent("u-1", 1, "ticket.expired", events[0]["ticket"], "2026-11-25T17:00:00+00:00", events[0])
    assert decode_batch(encode_batch("0103", [wire]))[1] == [wire]
    # the kiosk and the counters refuse new work, with a message that says why
    for attempt in (lambda s: queue.issue_ticket(s, "A"), lambda s: queue.call_next(s, c, k)):
        with pytest.raises(DomainError) as refused, db.begin() as s:
            attempt(s)
        assert refused.value.code == "day_closed"
        assert "مغلق" in strip_isolates(refused.value.message("ar"))
        assert "closed" in refused.value.message("en")
    with pytest.raises(DomainError), db.begin() as s:  # closing twice
        counter_queries.close_day(s, by=site.supervisor_id)
    with pytest.raises(DomainError), db.begin() as s:  # a closed day is not "opened" again by a click
        counter_queries.start_day(s, by=site.supervisor_id)


def test_a_closed_day_is_reopened_only_with_a_reason(db: Database, site: Centre) -> None:
    with db.begin() as s:
        queue.issue_ticket(s, "A")
    with db.begin() as s:
        counter_queries.close_day(s, by=site.supervisor_id)
    with pytest.raises(ValidationFailed), db.begin() as s:
        counter_queries.reopen_day(s, by=site.supervisor_id, reason="  ")
    with db.begin() as s:
        summary = counter_queries.reopen_day(s, by=site.supervisor_id, reason="late delivery of a batch")
    assert summary.state == DayState.OPEN and summary.reopened == 1
    with db.read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "day.reopen")).one()
        event = s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "day.reopened")).one()
    assert entry.user_id == site.supervisor_id and json.loads(entry.detail)["reason"] == "late delivery of a batch"
    assert json.loads(event.payload)["reason"] == "late delivery of a batch"
    with db.begin() as s:  # the numbering goes on: the expired A-001 is not given again
        again = queue.issue_ticket(s, "A").ticket
    assert again.display_number == "A-002"
    with pytest.raises(DomainError), db.begin() as s:  # an open day has nothing to reopen
        counter_queries.reopen_day(s, by=site.supervisor_id, reason="again")


def test_the_day_opens_by_itself_with_its_first_ticket(db: Database, site: Centre) -> None:
    today = local_day(utcnow())
    with db.read() as s:
        assert counter_queries.day_summary(s, today).state is None  # not started
    with db.begin() as s:
        queue.issue_ticket(s, "A")
    with db.read() as s:
        summary = counter_queries.day_summary(s, today)
        opened = s.scalars(select(AuditEntry).where(AuditEntry.action == "day.open")).one()
    assert summary.state == DayState.OPEN and summary.is_open
    assert opened.user_id is None and json.loads(opened.detail)["automatic"] is True
