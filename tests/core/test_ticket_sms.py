"""Issue 18, item 3: the SMS of a ticket's turn. A mobile number typed at the kiosk is kept on the
ticket only; one SMS when N tickets are ahead, one when it is called (with the counter), each at
most once, queued in the notification outbox in the queue change's transaction; the numbers and
the pending SMS are gone when the day ends (closing it, or expiry by the next day's first action)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from counter_app.common.i18n import strip_isolates
from counter_app.core import counter_queries, queue, settings, ticket_sms
from counter_app.core.clock import CENTRE_TZ, local_day, utcnow
from counter_app.core.db import Database
from counter_app.core.errors import ValidationFailed
from counter_app.core.models import AuditEntry, Counter, Notification, NotificationState, OutboxEvent, Ticket
from counter_app.core.notifications import Store
from counter_app.notify.dispatch import dispatch
from counter_app.notify.senders import HttpSmsSender
from tests.helpers.factories import Centre
from tests.helpers.sms_gateway import Gateway

PHONE = "010 1234 5678"
E164 = "+201012345678"


def sms_of(db: Database) -> list[tuple[int | None, str, str, NotificationState]]:
    with db.read() as s:
        return [(n.ticket_id, n.event, n.recipient, n.state)
                for n in s.scalars(select(Notification).where(Notification.ticket_id.is_not(None))
                                   .order_by(Notification.id))]


@pytest.mark.parametrize(("typed", "expected"), [
    ("01012345678", E164), (PHONE, E164), ("+20 10 1234 5678", E164), ("٠١٠١٢٣٤٥٦٧٨", E164),
    ("(0122) 345-6789", "+201223456789"), ("", None), ("   ", None),
])
def test_an_egyptian_mobile_is_accepted(typed: str, expected: str | None) -> None:
    assert ticket_sms.mobile_e164(typed) == expected


@pytest.mark.parametrize("typed", [
    "0223456789",  # a Cairo landline: no SMS
    "0101234567",  # a digit short
    "010123456789",  # a digit too many
    "+447911123456",  # a British mobile
    "01O12345678",  # a letter O
    "01012345678; drop",
])
def test_a_wrong_number_is_refused(typed: str) -> None:
    with pytest.raises(ticket_sms.InvalidMobile):
        ticket_sms.mobile_e164(typed)


def test_sms_at_n_ahead_and_at_call_once_each(db: Database, site: Centre, gateway: Gateway) -> None:
    c1, c2, k = site.counter_ids[0], site.counter_ids[1], site.clerk_ids[0]
    with db.begin() as s:
        assert ticket_sms.ahead_threshold(s) == 3  # the default
        before = [queue.issue_ticket(s, "A").ticket.id for _ in range(5)]
        mine = queue.issue_ticket(s, "A", sms_phone=PHONE)
        late = queue.issue_ticket(s, "A", sms_phone="01123456789").ticket.id  # 6 ahead: due too
        counter_numbers = {cid: s.get_one(Counter, cid).number for cid in (c1, c2)}
    assert mine.waiting_ahead == 5
    assert sms_of(db) == []  # 5 ahead: not yet
    with db.begin() as s:
        queue.call_next(s, c1, k)  # 4 ahead
    assert sms_of(db) == []
    with db.begin() as s:
        queue.call_next(s, c2, k)  # 3 ahead: now
    assert sms_of(db) == [(mine.ticket.id, "ahead", E164, NotificationState.PENDING)]
    with db.begin() as s:
        queue.call_next(s, c1, k)  # 2 ahead: nothing more
        queue.call_next(s, c2, k)
    assert len(sms_of(db)) == 2 and sms_of(db)[1][:2] == (late, "ahead")  # the second number's turn at 3
    with db.begin() as s:
        queue.call_next(s, c1, k)
        called = queue.call_next(s, c2, k)  # mine
        assert called is not None and called.id == mine.ticket.id
    assert sms_of(db)[2] == (mine.ticket.id, "called", E164, NotificationState.PENDING)
    with db.begin() as s:  # recalled, transferred to the other counter and called again: no second SMS
        queue.recall(s, mine.ticket.id, c2, k)
        queue.transfer(s, mine.ticket.id, c2, k, to_counter_id=c1)
        again = queue.call_next(s, c1, k)
        assert again is not None and again.id == mine.ticket.id
    assert [e for t, e, _, _ in sms_of(db) if t == mine.ticket.id] == ["ahead", "called"]
    with db.read() as s:
        body = s.scalars(select(Notification.body).where(Notification.ticket_id == mine.ticket.id,
                                                         Notification.event == "called")).one()
        ahead_body = s.scalars(select(Notification.body).where(Notification.ticket_id == mine.ticket.id,
                                                               Notification.event == "ahead")).one()
    assert "A-006" in strip_isolates(body) and f"رقم {counter_numbers[c2]}" in strip_isolates(body)
    assert "A-006" in strip_isolates(ahead_body) and "3 أشخاص" in strip_isolates(ahead_body)
    # the dispatcher sends them through the SMS gateway (the one place the number goes)
    assert dispatch(Store(db), {"sms": HttpSmsSender(gateway.url, "sms-token")}).sent == 3
    assert [m["to"] for m in gateway.received] == [E164, "+201123456789", E164]
    assert [m["text"] for m in gateway.received] == [ahead_body, *[m["text"] for m in gateway.received[1:2]], body]
    assert len(before) == 5


def test_a_ticket_issued_near_the_front_gets_only_the_call(db: Database, site: Centre) -> None:
    c, k = site.counter_ids[0], site.clerk_ids[0]
    with db.begin() as s:
        settings.put(s, "queue.sms_ahead", "2")
        queue.issue_ticket(s, "A")
        near = queue.issue_ticket(s, "A", sms_phone=PHONE)  # 1 ahead: the ticket says so already
    assert near.waiting_ahead == 1 and sms_of(db) == []
    with db.begin() as s:
        queue.call_next(s, c, k)
    assert sms_of(db) == []
    with db.begin() as s:
        queue.call_next(s, c, k)
    assert [e for _, e, _, _ in sms_of(db)] == ["called"]


def test_the_setting_is_checked(db: Database, site: Centre) -> None:
    with db.begin() as s, pytest.raises(ValidationFailed):
        settings.put(s, "queue.sms_ahead", "0")
    with db.begin() as s, pytest.raises(ValidationFailed):
        queue.issue_ticket(s, "A", sms_phone="0223456789")


def test_the_number_is_in_no_event_audit_or_sync(db: Database, site: Centre) -> None:
    c, k = site.counter_ids[0], site.clerk_ids[0]
    with db.begin() as s:
        ticket_id = queue.issue_ticket(s, "A", sms_phone=PHONE).ticket.id
        queue.call_next(s, c, k)
        queue.recall(s, ticket_id, c, k)
        queue.transfer(s, ticket_id, c, k, to_group="B")
    with db.begin() as s:
        counter_queries.close_day(s, by=site.supervisor_id)
    with db.read() as s:
        payloads = [e.payload for e in s.scalars(select(OutboxEvent))]
        audits = [f"{a.action} {a.detail}" for a in s.scalars(select(AuditEntry))]
    assert any("ticket.issued" in a for a in audits) and payloads
    for text in payloads + audits:
        for form in ("1012345678", "1234", "5678", "+20"):
            assert form not in text.replace(" ", ""), text
    issued = [json.loads(p) for p in payloads if '"issued"' in p]
    assert issued and all("phone" not in str(p).lower() and "sms" not in str(p).lower() for p in issued)


def test_closing_the_day_forgets_the_numbers_and_their_pending_sms(db: Database, site: Centre,
                                                                  gateway: Gateway) -> None:
    c, k = site.counter_ids[0], site.clerk_ids[0]
    with db.begin() as s:
        served = queue.issue_ticket(s, "A", sms_phone=PHONE).ticket.id
        for _ in range(4):
            queue.issue_ticket(s, "A")
        waiting = queue.issue_ticket(s, "A", sms_phone="01123456789").ticket.id
        queue.call_next(s, c, k)  # served: its "called" SMS
    sms = HttpSmsSender(gateway.url, "sms-token")
    assert dispatch(Store(db), {"sms": sms}).sent == 1
    with db.begin() as s:
        queue.call_next(s, c, k)
        queue.call_next(s, c, k)  # 3 ahead of the waiting one: its SMS pending
    assert [(t, e, st) for t, e, _, st in sms_of(db)] == [
        (served, "called", NotificationState.SENT), (waiting, "ahead", NotificationState.PENDING)]
    with db.begin() as s:
        counter_queries.close_day(s, by=site.supervisor_id)
    with db.read() as s:
        phones = s.scalars(select(Ticket.sms_phone).where(Ticket.sms_phone.is_not(None))).all()
    assert phones == []
    assert sms_of(db) == [(served, "called", "", NotificationState.SENT)]  # kept without its recipient
    assert dispatch(Store(db), {"sms": sms}).sent == 0 and len(gateway.received) == 1


def _yesterday_at(hour: int) -> datetime:
    return datetime.combine(local_day(utcnow()) - timedelta(days=1), time(hour), CENTRE_TZ).astimezone(UTC)


def test_expiry_by_the_next_day_forgets_the_numbers(db: Database, site: Centre) -> None:
    c, k = site.counter_ids[0], site.clerk_ids[0]
    with db.begin() as s:  # yesterday nobody closed the day
        for i in range(4):
            queue.issue_ticket(s, "A", at=_yesterday_at(10) + timedelta(minutes=i))
        left = queue.issue_ticket(s, "A", sms_phone=PHONE, at=_yesterday_at(11)).ticket.id
        queue.call_next(s, c, k, at=_yesterday_at(12))  # 3 ahead: its SMS pending
    assert [(t, e) for t, e, _, _ in sms_of(db)] == [(left, "ahead")]
    with db.begin() as s:  # this morning's first ticket expires yesterday's
        today = queue.issue_ticket(s, "A", sms_phone="01123456789").ticket.id
    with db.read() as s:
        phones = dict(s.execute(select(Ticket.id, Ticket.sms_phone).where(Ticket.sms_phone.is_not(None))).all())
    assert phones == {today: "+201123456789"}  # today's number stays for today
    assert sms_of(db) == []
    with db.begin() as s:  # the queue function alone, as a later day would
        queue.expire_tickets(s, up_to=local_day(utcnow()), at=utcnow())
    with db.read() as s:
        assert s.scalars(select(Ticket.sms_phone).where(Ticket.sms_phone.is_not(None))).all() == []


@pytest.mark.parametrize("fairness", ["strict", "ratio:2"])
def test_the_sms_follows_the_cores_waiting_ahead(db: Database, site: Centre, fairness: str) -> None:
    """Random issues (some priority, some with a number), calls and transfers: after every change
    no ticket with a number is left expecting its SMS while N or fewer are ahead by the core's own
    ``waiting_ahead``, and every SMS queued by that change went to a ticket with N or fewer ahead."""
    import random

    rng = random.Random(18)
    counters, k = site.counter_ids, site.clerk_ids[0]
    with db.begin() as s:
        settings.put(s, "queue.fairness", fairness)
        settings.put(s, "queue.sms_ahead", "2")
    seen: set[int] = set()
    for step in range(80):
        with db.begin() as s:
            roll = rng.random()
            if roll < 0.55:
                queue.issue_ticket(s, rng.choice("AB"), priority=rng.random() < 0.25,
                                   sms_phone=f"010{rng.randrange(10**7, 10**8)}" if rng.random() < 0.5 else None)
            else:
                counter = rng.choice(counters)
                called = queue.call_next(s, counter, k)
                if called is not None and rng.random() < 0.2:
                    queue.transfer(s, called.id, counter, k, to_group="B" if called.group_letter == "A" else "A")
        with db.read() as s:
            waiting = s.scalars(select(Ticket).where(Ticket.sms_phone.is_not(None),
                                                     Ticket.status == "waiting")).all()
            for ticket in waiting:
                ahead = queue.waiting_ahead(s, ticket)
                assert not (ticket.sms_ahead_due and ahead <= 2), f"step {step}: {ticket.display_number} missed"
            new = s.scalars(select(Notification).where(Notification.event == "ahead",
                                                       Notification.id.not_in(seen or {0}))).all()
            for note in new:
                assert note.ticket_id is not None
                ticket = s.get_one(Ticket, note.ticket_id)
                if ticket.status == "waiting":
                    assert queue.waiting_ahead(s, ticket) <= 2, f"step {step}: {ticket.display_number} too early"
                seen.add(note.id)
    with db.read() as s:
        events = s.execute(select(Notification.ticket_id, Notification.event)
                           .where(Notification.ticket_id.is_not(None))).all()
    assert len(events) == len(set(events)) and seen


def test_only_the_kiosk_and_the_core_touch_the_number() -> None:
    """No window (counter, supervisor, review), no display, no printer, no sync code and no other
    service reads the number: it cannot reach a screen, a document or the central server."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    allowed = {"counter_app/core/ticket_sms.py", "counter_app/core/queue.py", "counter_app/core/models.py",
               "counter_app/core/migrations/versions/0010_ticket_sms.py", "counter_app/services/kiosk.py"}
    readers = {path.relative_to(root).as_posix()
               for folder in ("counter_app", "sync", "queue_display", "printers")
               for path in (root / folder).rglob("*.py") if "sms_phone" in path.read_text(encoding="utf-8")}
    assert readers == allowed
