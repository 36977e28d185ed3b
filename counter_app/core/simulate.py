"""A synthetic day: citizens through tickets, calls, intake, payment, review and delivery.

Everything goes through the real core API and the real database. Citizens arrive over a
working day (08:30-15:00 Cairo); K counter threads call, serve and submit in parallel, each with
its own sessions; then reviewer threads decide the files and the counters hand over the results.
Simulated times are passed as ``at=`` so that waiting and service times look like a real day.
"""

from __future__ import annotations

import logging
import random
import statistics
import threading
import time
from collections import Counter as Tally
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any, TypeVar

from sqlalchemy import func, select

from counter_app.core import applications as apps
from counter_app.core import audit, catalogue, queue, settings
from counter_app.core.clock import CENTRE_TZ, as_utc, local_day, utcnow
from counter_app.core.db import Database
from counter_app.core.demo import ensure_demo_centre
from counter_app.core.errors import DomainError, EnvironmentFailure
from counter_app.core.models import (
    Application,
    ApplicationState,
    Payment,
    PaymentMethod,
    Ticket,
    TicketStatus,
    User,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

FIRST_NAMES = ["محمد", "أحمد", "محمود", "مصطفى", "علي", "حسن", "فاطمة", "مريم", "نورهان", "سارة", "هبة", "منى"]
LAST_NAMES = ["عبد الله", "السيد", "إبراهيم", "حسين", "عبد الرحمن", "الشريف", "فهمي", "النجار", "سليمان"]


def four_part_name(own: str, father: str, family: str) -> str:
    """Four names, as the intake requires; the grandfather's follows from the father's, so the
    random sequence (and every simulated figure) stays as it was."""
    grandfather = FIRST_NAMES[(FIRST_NAMES.index(father) + 3) % len(FIRST_NAMES)]
    return f"{own} {father} {grandfather} {family}"


GOVERNORATES = ["01", "02", "12", "13", "14", "16", "21", "24", "25", "27"]


@dataclass
class Summary:
    citizens: int
    counters: int
    tickets_issued: int = 0
    served: int = 0
    no_shows: int = 0
    slips: int = 0
    applications: Tally[str] = field(default_factory=Tally)
    collected_piastres: Tally[str] = field(default_factory=Tally)
    waits: list[float] = field(default_factory=list)
    services: list[float] = field(default_factory=list)
    retries: int = 0
    elapsed_s: float = 0.0
    audit_ok: bool = False
    audit_entries: int = 0

    def lines(self) -> list[str]:
        def minutes(values: list[float]) -> str:
            return f"{statistics.mean(values) / 60:.1f}" if values else "-"

        out = [
            f"citizens: {self.citizens}",
            f"counters: {self.counters}",
            f"tickets_issued: {self.tickets_issued}",
            f"served: {self.served}",
            f"no_shows: {self.no_shows}",
            f"missing_document_slips: {self.slips}",
            f"mean_wait_min: {minutes(self.waits)}",
            f"mean_service_min: {minutes(self.services)}",
        ]
        out += [f"applications_{state}: {n}" for state, n in sorted(self.applications.items())]
        out += [f"collected_{m}_egp: {v / 100:.2f}" for m, v in sorted(self.collected_piastres.items())]
        out += [f"retried_transactions: {self.retries}", f"elapsed_s: {self.elapsed_s:.2f}",
                f"audit_chain: {'intact' if self.audit_ok else 'BROKEN'} ({self.audit_entries} entries)"]
        return out


def fake_national_id(rng: random.Random) -> str:
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
    century = "2" if birth.year < 2000 else "3"
    return f"{century}{birth:%y%m%d}{rng.choice(GOVERNORATES)}{rng.randrange(1000, 9999):04d}{rng.randrange(10)}"


def _retry(summary: Summary, fn: Callable[..., T], *args: Any) -> T:
    """Run one transaction, again when the database was busy (as a clerk would press again)."""
    for attempt in range(20):
        try:
            return fn(*args)
        except EnvironmentFailure:
            summary.retries += 1
            time.sleep(0.05 * (attempt + 1))
    return fn(*args)


def run(db: Database, *, citizens: int, counters: int, seed: int = 1, day: date | None = None) -> Summary:
    rng = random.Random(seed)
    started = time.perf_counter()
    demo = ensure_demo_centre(db, counters=counters)
    summary = Summary(citizens, counters)
    day = day or local_day(utcnow())
    opening = as_utc(datetime.combine(day, dtime(8, 30), CENTRE_TZ))
    closing = as_utc(datetime.combine(day, dtime(15, 0), CENTRE_TZ))
    with db.read() as s:
        services = [(svc.code, [d.code for d in svc.documents if d.mandatory], [d.code for d in svc.documents])
                    for svc in catalogue.services(s)]
    lock = threading.Lock()

    # Arrivals over the day, issued in order of arrival (as the kiosk would).
    span = (closing - opening).total_seconds()
    arrivals = sorted(opening + timedelta(seconds=rng.uniform(0, span * 0.85)) for _ in range(citizens))
    plans: dict[int, dict[str, object]] = {}
    for moment in arrivals:
        code, mandatory, all_docs = rng.choice(services)
        issued = _retry(summary, _issue, db, code, rng.random() < 0.1, moment)
        plans[issued] = {
            "service": code, "mandatory": mandatory, "docs": all_docs, "no_show": rng.random() < 0.04,
            "missing": rng.random() < 0.08, "minutes": rng.uniform(3, 12),
            "method": rng.choice([PaymentMethod.CASH] * 3 + [PaymentMethod.CARD, PaymentMethod.EPAYMENT]),
            "name": four_part_name(rng.choice(FIRST_NAMES), rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)),
            "nid": fake_national_id(rng), "phone": f"01{rng.choice('0125')}{rng.randrange(10**7, 10**8)}",
        }
    summary.tickets_issued = len(plans)

    # Counters keep their simulated clocks in step: a counter calls only when no other counter
    # is behind it, so nobody calls a ticket "from the future" of another counter.
    clocks: dict[int, datetime] = {}
    turn = threading.Condition()

    def wait_turn(counter_id: int, clock: datetime) -> None:
        with turn:
            clocks[counter_id] = clock
            turn.notify_all()
            turn.wait_for(lambda: clock <= min(clocks.values()), timeout=5)

    def leave(counter_id: int) -> None:
        with turn:
            clocks.pop(counter_id, None)
            turn.notify_all()

    def counter_worker(counter_id: int, clerk_id: int, wrng: random.Random) -> None:
        try:
            serve(counter_id, clerk_id, wrng)
        finally:
            leave(counter_id)

    def serve(counter_id: int, clerk_id: int, wrng: random.Random) -> None:
        clock = opening + timedelta(minutes=wrng.uniform(0, 3))
        with turn:
            clocks[counter_id] = clock
        while True:
            wait_turn(counter_id, clock)
            called = _retry(summary, _call, db, counter_id, clerk_id, clock)
            if called is None:
                with db.read() as s:
                    nxt = s.scalar(select(func.min(Ticket.queued_at)).where(Ticket.status == TicketStatus.WAITING))
                if nxt is None:
                    return
                clock = max(clock + timedelta(seconds=30), as_utc(nxt))
                continue
            ticket_id, queued_at = called
            plan = plans.get(ticket_id)
            with lock:
                summary.waits.append((clock - queued_at).total_seconds())
            if plan is None:  # a ticket from outside this run: serve it briefly
                clock += timedelta(minutes=3)
                continue
            if plan["no_show"]:
                clock = _retry(summary, _no_show, db, ticket_id, counter_id, clerk_id, clock)
                with lock:
                    summary.no_shows += 1
                continue
            minutes = float(plan["minutes"])  # type: ignore[arg-type]
            slip = _retry(summary, _intake, db, ticket_id, counter_id, clerk_id, plan, clock, wrng)
            clock += timedelta(minutes=minutes)
            _retry(summary, _finish, db, ticket_id, counter_id, clerk_id, clock)
            with lock:
                summary.served += 1
                summary.services.append(minutes * 60)
                summary.slips += int(slip)
            clock += timedelta(seconds=wrng.uniform(5, 40))

    clocks.update({cid: opening for cid in demo.counter_ids[:counters]})
    threads = [
        threading.Thread(target=counter_worker, args=(cid, demo.clerk_ids[i % len(demo.clerk_ids)],
                                                       random.Random(seed * 1000 + i)), name=f"counter-{cid}")
        for i, cid in enumerate(demo.counter_ids[:counters])
    ]
    _run_all(threads)

    # Back office: every reviewer works through their queue in parallel; then the counters deliver.
    reviewers = [rid for ids in demo.reviewer_ids.values() for rid in ids]
    threads = [threading.Thread(target=_review_worker, args=(db, rid, random.Random(seed * 7 + rid), summary, closing,
                                                             demo.clerk_ids[0]), name=f"reviewer-{rid}")
               for rid in reviewers]
    _run_all(threads)
    _run_all([threading.Thread(target=_review_worker, args=(db, rid, random.Random(seed * 11 + rid), summary,
                                                            closing + timedelta(hours=1), demo.clerk_ids[0]))
              for rid in reviewers])
    _deliver_ready(db, demo.clerk_ids[-1], summary, closing + timedelta(days=1), rng)

    with db.read() as s:
        for state, n in s.execute(select(Application.state, func.count()).group_by(Application.state)):
            summary.applications[state.value] = int(n)
        report = audit.verify_chain(s)
    summary.audit_ok, summary.audit_entries = report.ok, report.entries
    summary.elapsed_s = time.perf_counter() - started
    return summary


def _run_all(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _issue(db: Database, service: str, priority: bool, moment: datetime) -> int:
    with db.begin() as s:
        issued = queue.issue_ticket(s, "", service_code=service, priority=priority,
                                    priority_reason="elderly" if priority else None, at=moment)
        return issued.ticket.id


def _call(db: Database, counter_id: int, clerk_id: int, clock: datetime) -> tuple[int, datetime] | None:
    with db.begin() as s:
        ticket = queue.call_next(s, counter_id, clerk_id, at=clock)
        return None if ticket is None else (ticket.id, as_utc(ticket.queued_at))


def _finish(db: Database, ticket_id: int, counter_id: int, clerk_id: int, clock: datetime) -> None:
    with db.begin() as s:
        queue.finish(s, ticket_id, counter_id, clerk_id, at=clock)


def _no_show(db: Database, ticket_id: int, counter_id: int, clerk_id: int, clock: datetime) -> datetime:
    with db.begin() as s:
        for _ in range(settings.max_recalls(s)):
            clock += timedelta(seconds=45)
            queue.recall(s, ticket_id, counter_id, clerk_id, at=clock)
        clock += timedelta(seconds=45)
        queue.no_show(s, ticket_id, counter_id, clerk_id, at=clock)
    return clock


def _intake(db: Database, ticket_id: int, counter_id: int, clerk_id: int, plan: dict[str, object],
            clock: datetime, rng: random.Random) -> bool:
    """One intake; returns True when a mandatory document was missing (a slip, nothing submitted)."""
    with db.begin() as s:
        clerk = s.get_one(User, clerk_id)
        app = apps.start_application(
            s, service_code=str(plan["service"]), clerk=clerk, counter_id=counter_id, ticket_id=ticket_id,
            applicant=apps.Applicant(str(plan["name"]), str(plan["nid"]), str(plan["phone"])), at=clock)
        docs = list(plan["docs"])  # type: ignore[call-overload]
        mandatory = list(plan["mandatory"])  # type: ignore[call-overload]
        if plan["missing"] and mandatory:
            docs.remove(rng.choice(mandatory))
        apps.set_documents(s, app.id, docs, clerk=clerk, at=clock)
        if apps.missing_documents(app):
            return True
        method = PaymentMethod(plan["method"])  # type: ignore[arg-type]
        reference = None if method == PaymentMethod.CASH else f"REF{rng.randrange(10**8, 10**9)}"
        apps.record_payment(s, app.id, method, clerk=clerk, reference=reference, at=clock)
        apps.submit(s, app.id, clerk=clerk, at=clock + timedelta(minutes=1))
        return False


def _review_worker(db: Database, reviewer_id: int, rng: random.Random, summary: Summary, start: datetime,
                   clerk_id: int) -> None:
    clock = start
    with db.read() as s:
        reviewer = s.get_one(User, reviewer_id)
        todo = [a.id for a in apps.reviewer_queue(s, reviewer)]
    for app_id in todo:
        clock += timedelta(minutes=rng.uniform(2, 10))
        roll = rng.random()

        def decide(app_id: int = app_id, roll: float = roll, at: datetime = clock) -> None:
            with db.begin() as s:
                rev = s.get_one(User, reviewer_id)
                app = apps.get_application(s, app_id)
                if app.state == ApplicationState.SUBMITTED:
                    apps.start_review(s, app_id, reviewer=rev, at=at)
                if roll < 0.8:
                    apps.approve(s, app_id, reviewer=rev, at=at)
                    apps.mark_ready(s, app_id, user=rev, at=at + timedelta(minutes=5))
                elif roll < 0.9:
                    apps.reject(s, app_id, reviewer=rev, reason="المستندات غير مطابقة للشروط", at=at)
                else:
                    first = next(d.code for d in app.documents if d.mandatory)
                    apps.return_for_documents(s, app_id, reviewer=rev, missing=[first], at=at)
                    # The citizen comes back with the document the next day and the counter resubmits.
                    clerk = s.get_one(User, clerk_id)
                    apps.set_documents(s, app_id, [d.code for d in app.documents], clerk=clerk,
                                       at=at + timedelta(days=1))
                    apps.submit(s, app_id, clerk=clerk, at=at + timedelta(days=1))

        try:
            _retry(summary, decide)
        except DomainError as exc:  # pragma: no cover - would be a bug in the simulator
            log.error("review of %s failed: %s", app_id, exc)


def _deliver_ready(db: Database, clerk_id: int, summary: Summary, at: datetime, rng: random.Random) -> None:
    with db.read() as s:
        ready = list(s.execute(select(Application.id, Application.applicant_name, Application.national_id)
                               .where(Application.state == ApplicationState.READY)))
    for app_id, name, nid in ready:
        def hand_over(app_id: int = app_id, name: str = name, nid: str = nid) -> None:
            with db.begin() as s:
                apps.deliver(s, app_id, clerk=s.get_one(User, clerk_id), collected_by_name=name,
                             collected_by_national_id=nid, at=at)
        _retry(summary, hand_over)
    with db.read() as s:
        for method, total in s.execute(
            select(Payment.method, func.sum(Payment.amount_piastres)).group_by(Payment.method)
        ):
            summary.collected_piastres[method.value] = int(total)
