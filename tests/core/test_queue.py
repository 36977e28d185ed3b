from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from counter_app.common.i18n import strip_isolates
from counter_app.core import queue, settings
from counter_app.core.clock import CENTRE_TZ, as_utc, local_day, utcnow
from counter_app.core.db import Database
from counter_app.core.errors import DomainError, ValidationFailed
from counter_app.core.models import Ticket, TicketEvent, TicketEventKind, TicketStatus
from tests.helpers.factories import Centre

# 09:00 in Cairo today: a ticket lives one centre day, so the calls made now must see it
T0 = datetime.combine(local_day(utcnow()), time(9), CENTRE_TZ).astimezone(UTC)


def issue(db: Database, group: str = "A", priority: bool = False, at: datetime = T0) -> Ticket:
    with db.begin() as s:
        return queue.issue_ticket(s, group, priority=priority, priority_reason="elderly" if priority else None,
                                  at=at).ticket


def call(db: Database, counter_id: int, clerk_id: int | None = None) -> Ticket | None:
    with db.begin() as s:
        return queue.call_next(s, counter_id, clerk_id)


def test_numbers_per_day_and_letter(db: Database, site: Centre) -> None:
    a1, a2, b1 = issue(db, "A"), issue(db, "A"), issue(db, "B")
    assert [a1.display_number, a2.display_number, b1.display_number] == ["A-001", "A-002", "B-001"]
    # 22:30 UTC is already the next day in Cairo: numbering restarts.
    next_day = issue(db, "A", at=datetime(2026, 11, 22, 22, 30, tzinfo=UTC))
    assert next_day.display_number == "A-001"
    assert str(next_day.day) == "2026-11-23"


def test_call_next_fifo_within_class_and_priority_first(db: Database, site: Centre) -> None:
    c = site.counter_ids[0]
    o1 = issue(db, "A", at=T0)
    o2 = issue(db, "A", at=T0 + timedelta(minutes=1))
    p1 = issue(db, "A", priority=True, at=T0 + timedelta(minutes=2))
    called = [call(db, c) for _ in range(3)]
    assert [t.id for t in called if t] == [p1.id, o1.id, o2.id]
    assert call(db, c) is None


def test_appointments_are_called_around_their_time_and_walk_ins_get_their_turn(db: Database, site: Centre) -> None:
    """The rule of :mod:`counter_app.core.call_order` through the database: due appointments before
    walk-ins, earliest booked first, a walk-in after two in a row, an early one when nobody else waits."""
    from counter_app.core.models import Counter

    c, now = site.counter_ids[0], utcnow()
    walk_ins = [issue(db, "A", at=T0 + timedelta(minutes=i)) for i in range(3)]
    with db.begin() as s:
        early, late, on_time = (queue.issue_ticket(s, "A", at=T0 + timedelta(minutes=3 + i), appointment_at=booked).ticket
                                for i, booked in enumerate([now + timedelta(minutes=30), now - timedelta(minutes=1),
                                                            now + timedelta(minutes=4)]))
    assert early.appointment_at is not None and as_utc(early.appointment_at) == now + timedelta(minutes=30)
    first, second = call(db, c), call(db, c)
    assert first is not None and second is not None and (first.id, second.id) == (late.id, on_time.id)
    with db.read() as s:
        assert s.get_one(Counter, c).appointments_in_a_row == 2
    rest = [call(db, c) for _ in range(4)]
    assert [t.id for t in rest if t] == [*(w.id for w in walk_ins), early.id]
    with db.read() as s:
        assert s.get_one(Counter, c).appointments_in_a_row == 0


def test_ratio_fairness_interleaves(db: Database, site: Centre) -> None:
    with db.begin() as s:
        settings.put(s, "queue.fairness", "ratio:2")
    c = site.counter_ids[0]
    ordinary = [issue(db, "A", at=T0 + timedelta(seconds=i)) for i in range(5)]
    prio = [issue(db, "A", priority=True, at=T0 + timedelta(minutes=5, seconds=i)) for i in range(3)]
    order = [call(db, c) for _ in range(8)]
    kinds = ["P" if t and t.priority else "O" for t in order]
    # The counter starts having served no one: ordinary, ordinary, then one priority, and so on.
    assert kinds == ["O", "O", "P", "O", "O", "P", "O", "P"]
    assert {t.id for t in order if t} == {t.id for t in ordinary + prio}


def test_bad_fairness_setting_rejected(db: Database, site: Centre) -> None:
    with db.begin() as s, pytest.raises(ValidationFailed):
        settings.put(s, "queue.fairness", "ratio:0")


def test_counter_serves_only_its_groups(db: Database, site: Centre) -> None:
    from counter_app.core import centre

    with db.begin() as s:
        centre.set_counter_groups(s, site.counter_ids[0], "B")
    issue(db, "A")
    assert call(db, site.counter_ids[0]) is None
    b = issue(db, "B")
    got = call(db, site.counter_ids[0])
    assert got is not None and got.id == b.id


def test_call_next_finishes_current_and_records_events(db: Database, site: Centre) -> None:
    c, clerk = site.counter_ids[0], site.clerk_ids[0]
    t1, t2 = issue(db), issue(db)
    call(db, c, clerk)
    call(db, c, clerk)
    with db.read() as s:
        assert s.get_one(Ticket, t1.id).status == TicketStatus.DONE
        assert s.get_one(Ticket, t2.id).status == TicketStatus.CALLED
        kinds = [e.kind for e in s.query(TicketEvent).filter_by(ticket_id=t1.id).order_by(TicketEvent.id)]
        assert kinds == [TicketEventKind.ISSUED, TicketEventKind.CALLED, TicketEventKind.FINISHED]


def test_recall_limit_then_no_show(db: Database, site: Centre) -> None:
    c = site.counter_ids[0]
    t = issue(db)
    call(db, c)
    with db.begin() as s:
        with pytest.raises(DomainError) as err:
            queue.no_show(s, t.id, c, None)  # not before the recalls
    assert strip_isolates(err.value.message("ar")) == "أعد استدعاء التذكرة 3 مرات أخرى قبل تسجيلها «لم يحضر»."
    assert strip_isolates(err.value.message("en")) == "Recall the ticket 3 more times before marking it a no-show."
    for _ in range(3):
        with db.begin() as s:
            queue.recall(s, t.id, c, None)
    with db.begin() as s, pytest.raises(DomainError) as err:
        queue.recall(s, t.id, c, None)
    assert strip_isolates(err.value.message("ar")) == "أُعيد استدعاء هذه التذكرة 3 مرات، وهو الحد الأقصى."
    with db.begin() as s:
        assert queue.no_show(s, t.id, c, None).status == TicketStatus.NO_SHOW


def test_skip_needs_reason_and_is_audited(db: Database, site: Centre) -> None:
    from counter_app.core.models import AuditEntry

    c = site.counter_ids[0]
    t = issue(db)
    call(db, c)
    with db.begin() as s, pytest.raises(ValidationFailed):
        queue.skip(s, t.id, c, None, "  ")
    with db.begin() as s:
        queue.skip(s, t.id, c, site.clerk_ids[0], "المواطن غادر")
    with db.read() as s:
        entry = s.query(AuditEntry).filter_by(action="ticket.skipped").one()
        assert "المواطن غادر" in entry.detail
        assert entry.user_id == site.clerk_ids[0]


def test_only_the_calling_counter_acts_on_a_ticket(db: Database, site: Centre) -> None:
    c1, c2 = site.counter_ids[:2]
    t = issue(db)
    call(db, c1)
    with db.begin() as s, pytest.raises(DomainError) as err:
        queue.finish(s, t.id, c2, None)
    assert strip_isolates(err.value.message("ar")) == "لا يمكن تنفيذ «إنهاء الخدمة» على تذكرة حالتها «مُستدعاة»."
    assert strip_isolates(err.value.message("en")) == "Cannot finish serving a ticket that is called."


def test_transfer_to_group_keeps_place(db: Database, site: Centre) -> None:
    c = site.counter_ids[0]
    a = issue(db, "A", at=T0)
    b_later = issue(db, "B", at=T0 + timedelta(minutes=5))
    call(db, c)
    with db.begin() as s:
        moved = queue.transfer(s, a.id, c, None, to_group="B", reason="خدمة أخرى")
        assert moved.status == TicketStatus.WAITING and moved.group_letter == "B"
    nxt = call(db, site.counter_ids[1])
    assert nxt is not None and nxt.id == a.id  # issued earlier than B-001
    assert nxt.display_number == "A-001"
    assert b_later.status == TicketStatus.WAITING


def test_transfer_to_counter_is_called_there_first(db: Database, site: Centre) -> None:
    c1, c2, c3 = site.counter_ids
    first = issue(db, "A", at=T0)
    issue(db, "A", at=T0 - timedelta(minutes=30))  # an older ticket still waits
    with db.begin() as s:
        older = queue.call_next(s, c1, None)
    assert older is not None and older.id != first.id
    with db.begin() as s:
        queue.transfer(s, older.id, c1, None, to_counter_id=c3)
    got2 = call(db, c2)
    assert got2 is not None and got2.id == first.id  # c2 cannot take the ticket sent to c3
    got3 = call(db, c3)
    assert got3 is not None and got3.id == older.id


def test_waiting_ahead_and_estimate(db: Database, site: Centre) -> None:
    for i in range(4):
        issue(db, "A", at=T0 + timedelta(seconds=i))
    with db.begin() as s:
        issued = queue.issue_ticket(s, "A", at=T0 + timedelta(minutes=1))
        prio = queue.issue_ticket(s, "A", priority=True, priority_reason="pregnancy", at=T0 + timedelta(minutes=2))
    assert issued.waiting_ahead == 4
    assert prio.waiting_ahead == 0 and prio.estimated_wait_minutes == 0
    # No history yet: the catalogue's expected minutes, shared by the 3 counters serving A.
    with db.read() as s:
        per_ticket = queue.recent_service_seconds(s, "A")
    assert issued.estimated_wait_minutes == pytest.approx(4 * per_ticket / 3 / 60, abs=1)
    # After real service times, the estimate follows them.
    c = site.counter_ids[0]
    with db.begin() as s:
        t = queue.call_next(s, c, None, at=T0 + timedelta(minutes=3))
        assert t is not None
        queue.finish(s, t.id, c, None, at=T0 + timedelta(minutes=23))
    with db.read() as s:
        assert queue.recent_service_seconds(s, "A") == pytest.approx(20 * 60)
        assert queue.estimate_wait_minutes(s, "A", 3) == 20


def test_unknown_group_and_priority_reason(db: Database, site: Centre) -> None:
    with db.begin() as s, pytest.raises(DomainError) as err:
        queue.issue_ticket(s, "Z")
    assert strip_isolates(err.value.message("ar")) == "مجموعة الخدمة «Z» غير معروفة."
    with db.begin() as s, pytest.raises(ValidationFailed):
        queue.issue_ticket(s, "A", priority=True, priority_reason="vip")
