"""Key figures against values computed by hand, then on a simulated day against the raw rows."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update

from counter_app.core import applications as apps
from counter_app.core import kpis, queue, simulate
from counter_app.core.clock import CENTRE_TZ
from counter_app.core.db import Database
from counter_app.core.kpis import Durations
from counter_app.core.models import Application, Payment, Ticket, TicketStatus, User
from tests.helpers.factories import Centre

DAY = date(2026, 11, 10)


def at(hh: int, mm: int) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hh, mm, tzinfo=CENTRE_TZ)


def test_durations_mean_median_p90() -> None:
    assert Durations.of([]) == Durations()
    assert Durations.of([600, 420, 600, 300]) == Durations(4, 480.0, 510.0, 600.0)
    assert Durations.of([float(s) for s in range(1, 11)]).p90_s == 9.0


def test_a_hand_made_morning(db: Database, site: Centre) -> None:
    c1, c2 = site.counter_ids[:2]
    k1, k2 = site.clerk_ids[:2]
    with db.begin() as s:
        t = [queue.issue_ticket(s, "A", at=at(9, 0)).ticket.id, queue.issue_ticket(s, "A", at=at(9, 5)).ticket.id]
    with db.begin() as s:
        assert queue.call_next(s, c1, k1, at=at(9, 10)).id == t[0]  # type: ignore[union-attr]
        assert queue.call_next(s, c2, k2, at=at(9, 12)).id == t[1]  # type: ignore[union-attr]
        queue.finish(s, t[0], c1, k1, at=at(9, 20))
        queue.finish(s, t[1], c2, k2, at=at(9, 30))
        t.append(queue.issue_ticket(s, "A", at=at(9, 30)).ticket.id)
    with db.begin() as s:  # the third citizen never comes
        assert queue.call_next(s, c1, k1, at=at(9, 40)).id == t[2]  # type: ignore[union-attr]
        for minute in (41, 42, 43):
            queue.recall(s, t[2], c1, k1, at=at(9, minute))
        queue.no_show(s, t[2], c1, k1, at=at(9, 44))
        t.append(queue.issue_ticket(s, "A", at=at(10, 15)).ticket.id)
    with db.begin() as s:
        assert queue.call_next(s, c1, k1, at=at(10, 20)).id == t[3]  # type: ignore[union-attr]
        queue.recall(s, t[3], c1, k1, at=at(10, 22))
        queue.finish(s, t[3], c1, k1, at=at(10, 30))
        queue.issue_ticket(s, "B", at=at(10, 40))
    with db.read() as s:
        k = kpis.compute(s, DAY, now=at(12, 0))
    assert (k.tickets_issued, k.tickets_served, k.no_shows, k.skipped, k.waiting_now) == (5, 3, 1, 0, 1)
    assert k.tickets_by_hour == {9: 3, 10: 2}
    # waiting: 10, 7, 10 and 5 minutes
    assert k.waiting.overall == Durations(4, 480.0, 510.0, 600.0)
    assert k.waiting.by_hour == {9: Durations(3, 540.0, 600.0, 600.0), 10: Durations(1, 300.0, 300.0, 300.0)}
    assert k.waiting.by_counter[c2] == Durations(1, 420.0, 420.0, 420.0)
    # service: 10, 18 and 10 minutes (a recall does not restart the service clock)
    assert k.service.overall == Durations(3, 760.0, 600.0, 1080.0)
    assert k.service.by_clerk == {k1: Durations(2, 600.0, 600.0, 600.0), k2: Durations(1, 1080.0, 1080.0, 1080.0)}
    assert k.served_by_clerk == {k1: 2, k2: 1}
    assert k.service.by_hour == {9: Durations(2, 840.0, 840.0, 1080.0), 10: Durations(1, 600.0, 600.0, 600.0)}
    # another day shows nothing of this one
    with db.read() as s:
        assert kpis.compute(s, date(2026, 11, 11)).tickets_issued == 0


def test_money_by_method_reconciled_and_a_tampered_payment_found(db: Database, site: Centre) -> None:
    ids = []
    with db.begin() as s:
        clerk = s.get_one(User, site.clerk_ids[0])
        for method, ref in (("cash", None), ("card", "POS-1"), ("cash", None)):
            app = apps.start_application(s, service_code="MP-REG-CERT", clerk=clerk, counter_id=site.counter_ids[0],
                                         applicant=apps.Applicant("محمد أحمد علي حسن", "29001010112355", None, None))
            apps.set_documents(s, app.id, [d.code for d in app.documents], clerk=clerk)
            apps.record_payment(s, app.id, method, clerk=clerk, reference=ref)
            ids.append((app.id, app.fee_total_piastres))
    fee = ids[0][1]
    with db.read() as s:
        today = s.scalar(select(Payment.paid_at).limit(1))
        assert today is not None
        day = today.astimezone(CENTRE_TZ).date()
        k = kpis.compute(s, day)
    assert k.money.by_method == {"card": fee, "cash": 2 * fee}
    assert k.money.total == k.money.expected == 3 * fee and k.money.payments == 3 and k.money.reconciled
    assert k.applications_by_state == {"draft": 3} and k.applications_received == 3
    with db.begin() as s:  # someone lowers a payment behind the system's back
        s.execute(update(Payment).where(Payment.application_id == ids[1][0]).values(amount_piastres=fee - 500))
        code = s.get_one(Application, ids[1][0]).tracking_code
    with db.read() as s:
        k = kpis.compute(s, day)
    assert not k.money.reconciled and k.money.mismatched == [code] and k.money.expected - k.money.total == 500


def test_a_simulated_day_agrees_with_the_rows(db: Database, site: Centre) -> None:
    summary = simulate.run(db, citizens=40, counters=3, seed=4)
    with db.read() as s:
        day = s.scalar(select(Ticket.day).limit(1))
        assert day is not None
        k = kpis.compute(s, day, now=datetime(2030, 1, 1, tzinfo=CENTRE_TZ))
        tickets = s.scalars(select(Ticket).where(Ticket.day == day)).all()
        paid = sum(p.amount_piastres for p in s.scalars(select(Payment)))
    served = [t for t in tickets if t.status == TicketStatus.DONE]
    assert k.tickets_issued == len(tickets) == 40
    assert k.tickets_served == len(served) and k.no_shows == sum(t.status == TicketStatus.NO_SHOW for t in tickets)
    # every ticket called once (no transfers in the simulator): waiting = first call - issue
    waits = sorted((t.called_at - t.issued_at).total_seconds() for t in tickets if t.called_at)
    assert k.waiting.overall.count == len(waits)
    assert abs(k.waiting.overall.mean_s - sum(waits) / len(waits)) < 1e-6
    services = sorted((t.finished_at - t.called_at).total_seconds() for t in served
                      if t.finished_at and t.called_at and t.recall_count == 0)
    assert k.service.overall.count == len(served) and len(services) > 0
    assert k.money.total == paid and k.money.reconciled
    assert sum(k.served_by_clerk.values()) == len(served)
    assert summary is not None


def test_a_transferred_ticket_waits_until_its_first_call_and_is_served_after_its_last(
        db: Database, site: Centre) -> None:
    c1, c2 = site.counter_ids[:2]
    k1, k2 = site.clerk_ids[:2]
    with db.begin() as s:
        moved = queue.issue_ticket(s, "A", at=at(9, 0)).ticket.id
        plain = queue.issue_ticket(s, "A", at=at(9, 1)).ticket.id
    with db.begin() as s:
        assert queue.call_next(s, c1, k1, at=at(9, 4)).id == moved  # type: ignore[union-attr]
        queue.transfer(s, moved, c1, k1, to_counter_id=c2, at=at(9, 6))
        assert queue.call_next(s, c2, k2, at=at(9, 20)).id == moved  # type: ignore[union-attr]
        queue.finish(s, moved, c2, k2, at=at(9, 35))
        assert queue.call_next(s, c1, k1, at=at(9, 21)).id == plain  # type: ignore[union-attr]
        queue.finish(s, plain, c1, k1, at=at(9, 26))
    with db.read() as s:
        k = kpis.compute(s, DAY, now=at(12, 0))
    # waiting: 4 min (to the first call, at counter 1) and 20 min; service: 15 min at counter 2, 5 at 1
    assert k.waiting.by_counter == {c1: Durations(2, 720.0, 720.0, 1200.0)}
    assert k.service.by_counter == {c1: Durations(1, 300.0, 300.0, 300.0), c2: Durations(1, 900.0, 900.0, 900.0)}
    assert k.served_by_clerk == {k1: 1, k2: 1} and k.tickets_by_hour == {9: 2}
