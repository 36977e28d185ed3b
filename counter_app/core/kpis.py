"""Key figures of a centre for a day or a range of days, computed from the ticket events, the
applications and the payments (never from stored totals that could drift). No Qt, no printing.

* waiting time of a ticket: from its ``issued`` event to its first ``called`` event;
* service time of a served ticket: from its last ``called`` event to its ``finished`` event;
* both summarised (count, mean, median, 90th percentile) overall and per service, counter,
  clerk and hour of the day (centre time; the hour the ticket was issued for waiting, the hour it
  was called for service);
* tickets issued, served, no-shows and skipped; applications by state; files past their due time;
* money collected by payment method, reconciled against the applications' computed fees; refunds
  paid out at the counter are their own line (never a negative payment), so a correct day with a
  refund reconciles.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from counter_app.common.ticket_events import CALLED, ENDED_WITHOUT_SERVICE, FINISHED, ISSUED
from counter_app.common.ticket_events import Durations as Durations
from counter_app.core.clock import CENTRE_TZ, as_utc, utcnow
from counter_app.core.models import (
    Application,
    ApplicationState,
    Payment,
    Refund,
    Ticket,
    TicketEvent,
    TicketStatus,
)

OPEN_STATES = (ApplicationState.SUBMITTED, ApplicationState.IN_REVIEW, ApplicationState.RETURNED)


@dataclass(frozen=True)
class Breakdown:
    """One measure overall and by service, counter, clerk and hour of the day."""

    overall: Durations
    by_service: dict[str, Durations]
    by_counter: dict[int, Durations]
    by_clerk: dict[int, Durations]
    by_hour: dict[int, Durations]


@dataclass(frozen=True)
class Money:
    by_method: dict[str, int]  # piastres
    total: int
    payments: int
    expected: int  # what the paid applications' fees add up to
    mismatched: list[str] = field(default_factory=list)  # tracking codes paid more or less than their fee
    refunds: int = 0  # piastres paid back at the counter in the period (approved refunds)
    refund_count: int = 0

    @property
    def reconciled(self) -> bool:
        return self.total == self.expected and not self.mismatched

    @property
    def net(self) -> int:
        """What the cash drawers and accounts hold for the period: collected less refunds paid."""
        return self.total - self.refunds


@dataclass(frozen=True)
class Kpis:
    first_day: date
    last_day: date
    tickets_issued: int
    tickets_served: int
    no_shows: int
    skipped: int
    waiting_now: int
    tickets_by_service: dict[str, int]
    tickets_without_service: dict[str, int]  # by group letter: kiosk tickets that became no application
    tickets_by_hour: dict[int, int]
    served_by_clerk: dict[int, int]
    waiting: Breakdown
    service: Breakdown
    applications_by_state: dict[str, int]
    applications_received: int
    overdue: int
    money: Money


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC-comparable bounds of centre days ``first``..``last`` (inclusive)."""
    start = datetime.combine(first, time(0), tzinfo=CENTRE_TZ)
    return start, datetime.combine(last + timedelta(days=1), time(0), tzinfo=CENTRE_TZ)


class _Hours:
    """Centre-time hour of UTC moments, one time-zone conversion per distinct UTC hour."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int, int, int], int] = {}

    def __call__(self, moment: datetime) -> int:
        key = (moment.year, moment.month, moment.day, moment.hour)
        hour = self._cache.get(key)
        if hour is None:
            hour = self._cache[key] = as_utc(moment).astimezone(CENTRE_TZ).hour
        return hour


@dataclass
class _Acc:
    overall: list[float] = field(default_factory=list)
    service: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    counter: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    clerk: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    hour: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))

    def add(self, seconds: float, service: str | None, counter: int | None, clerk: int | None, hour: int) -> None:
        self.overall.append(seconds)
        if service:
            self.service[service].append(seconds)
        if counter is not None:
            self.counter[counter].append(seconds)
        if clerk is not None:
            self.clerk[clerk].append(seconds)
        self.hour[hour].append(seconds)

    def done(self) -> Breakdown:
        return Breakdown(Durations.of(self.overall),
                         {k: Durations.of(v) for k, v in sorted(self.service.items())},
                         {k: Durations.of(v) for k, v in sorted(self.counter.items())},
                         {k: Durations.of(v) for k, v in sorted(self.clerk.items())},
                         {k: Durations.of(v) for k, v in sorted(self.hour.items())})


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # SQLite gives naive UTC


def _ticket_times(session: Session, first: date, last: date) -> tuple[_Acc, _Acc, dict[int, int], dict[int, int]]:
    """Waiting and service times from the events of the range's tickets.

    The database folds each ticket's events into one row (a month is ~400,000 events); a ticket
    called more than once (a transfer) has its events walked in order instead."""
    events, tickets = TicketEvent.__table__.c, Ticket.__table__.c
    kind = type_coerce(events.kind, String)

    def when(name: str, agg: Any = func.min) -> Any:
        return agg(events.at).filter(kind == name)

    called = kind == CALLED
    rows = session.connection().execute(
        select(events.ticket_id, tickets.service_code, when(ISSUED), when(CALLED), when(FINISHED, func.max),
               func.count().filter(called), func.max(events.counter_id).filter(called),
               func.max(events.user_id).filter(called))
        .join_from(TicketEvent.__table__, Ticket.__table__, tickets.id == events.ticket_id)
        .where(tickets.day >= first, tickets.day <= last)
        .group_by(events.ticket_id, tickets.service_code)
    ).all()
    hour_of = _Hours()
    waiting, service = _Acc(), _Acc()
    by_hour: dict[int, int] = defaultdict(int)
    served_by_clerk: dict[int, int] = defaultdict(int)
    several: list[int] = []
    for ticket_id, service_code, issued_at, called_at, finished_at, calls, counter, clerk in rows:
        if issued_at is not None:
            issued_at = _aware(issued_at)
            by_hour[hour_of(issued_at)] += 1
        if calls > 1:
            several.append(ticket_id)
            continue
        if calls == 0:
            continue
        called_at = _aware(called_at)
        if issued_at is not None:
            waiting.add((called_at - issued_at).total_seconds(), service_code, counter, clerk, hour_of(issued_at))
        if finished_at is not None:
            service.add((_aware(finished_at) - called_at).total_seconds(), service_code, counter, clerk,
                        hour_of(called_at))
            if clerk is not None:
                served_by_clerk[clerk] += 1
    for chunk in range(0, len(several), 500):
        _walk(session, several[chunk:chunk + 500], waiting, service, served_by_clerk, hour_of)
    return waiting, service, dict(sorted(by_hour.items())), dict(sorted(served_by_clerk.items()))


def _walk(session: Session, ticket_ids: list[int], waiting: _Acc, service: _Acc,
          served_by_clerk: dict[int, int], hour_of: _Hours) -> None:
    """Tickets called more than once: their events in order (the issue was counted already)."""
    events, tickets = TicketEvent.__table__.c, Ticket.__table__.c
    rows = session.connection().execute(
        select(events.ticket_id, type_coerce(events.kind, String), events.at, events.counter_id, events.user_id,
               tickets.service_code)
        .join_from(TicketEvent.__table__, Ticket.__table__, tickets.id == events.ticket_id)
        .where(events.ticket_id.in_(ticket_ids))
        .order_by(events.ticket_id, events.id)
    ).all()
    current, issued_at, first_call_seen, last_call = None, None, False, None
    for ticket_id, kind, at, counter_id, user_id, service_code in rows:
        if ticket_id != current:
            current, issued_at, first_call_seen, last_call = ticket_id, None, False, None
        at = _aware(at)
        if kind == ISSUED:
            issued_at = at
        elif kind == CALLED:
            if not first_call_seen and issued_at is not None:
                waiting.add((at - issued_at).total_seconds(), service_code, counter_id, user_id, hour_of(issued_at))
            first_call_seen = True
            last_call = (at, counter_id, user_id)
        elif kind == FINISHED and last_call is not None:
            called_at, counter, clerk = last_call
            server = clerk if clerk is not None else user_id
            service.add((at - called_at).total_seconds(), service_code,
                        counter if counter is not None else counter_id, server, hour_of(called_at))
            if server is not None:
                served_by_clerk[server] += 1
            last_call = None
        elif kind in ENDED_WITHOUT_SERVICE:
            last_call = None  # the time at the counter ended without a service


def _money(session: Session, start: datetime, end: datetime) -> Money:
    """Payments of the period by method, and the fees of the applications they paid (in SQL: a
    busy month has tens of thousands of payments)."""
    in_period = (Payment.paid_at >= start, Payment.paid_at < end)
    by_method: dict[str, int] = {}
    payments = 0
    for method, amount, count in session.execute(
            select(Payment.method, func.sum(Payment.amount_piastres), func.count())
            .where(*in_period).group_by(Payment.method)).all():
        by_method[str(method)] = int(amount or 0)
        payments += int(count)
    paid_apps = select(Payment.application_id).where(*in_period).distinct().scalar_subquery()
    expected = int(session.scalar(select(func.coalesce(func.sum(Application.fee_total_piastres), 0))
                                  .where(Application.id.in_(paid_apps))) or 0)
    per_app = (select(Application.tracking_code)
               .join(Payment, Payment.application_id == Application.id)
               .where(*in_period)
               .group_by(Application.id, Application.tracking_code, Application.fee_total_piastres)
               .having(func.sum(Payment.amount_piastres) != Application.fee_total_piastres))
    mismatched = sorted(session.scalars(per_app))
    refunds, refund_count = session.execute(
        select(func.coalesce(func.sum(Refund.amount_piastres), 0), func.count())
        .where(Refund.paid_at.is_not(None), Refund.paid_at >= start, Refund.paid_at < end)).one()
    return Money(dict(sorted(by_method.items())), sum(by_method.values()), payments, expected, mismatched,
                 int(refunds or 0), int(refund_count or 0))


def compute(session: Session, first: date, last: date | None = None, *, now: datetime | None = None) -> Kpis:
    """The key figures of centre days ``first``..``last`` (one day when ``last`` is omitted)."""
    last = last or first
    start, end = day_bounds(first, last)
    moment = as_utc(now or utcnow())
    # One pass over the range's tickets gives the counts by status, by service and, for tickets
    # that never named a service, by group.
    statuses: dict[Any, int] = defaultdict(int)
    by_service_counts: dict[str, int] = defaultdict(int)
    without_service_counts: dict[str, int] = defaultdict(int)
    for status, code, letter, n in session.execute(
            select(Ticket.status, Ticket.service_code, Ticket.group_letter, func.count())
            .where(Ticket.day >= first, Ticket.day <= last)
            .group_by(Ticket.status, Ticket.service_code, Ticket.group_letter)).all():
        statuses[status] += int(n)
        if code is None:
            without_service_counts[str(letter)] += int(n)
        else:
            by_service_counts[str(code)] += int(n)
    by_service = dict(sorted(by_service_counts.items()))
    without_service = dict(sorted(without_service_counts.items()))
    waiting, service, by_hour, served_by_clerk = _ticket_times(session, first, last)
    in_range = (Application.created_at >= start, Application.created_at < end)
    by_state = {str(state): int(n) for state, n in session.execute(
        select(Application.state, func.count()).where(*in_range).group_by(Application.state)).all()}
    overdue = int(session.scalar(select(func.count()).select_from(Application).where(
        Application.state.in_(OPEN_STATES), Application.due_at.is_not(None), Application.due_at < moment)) or 0)
    return Kpis(
        first_day=first, last_day=last,
        tickets_issued=sum(int(n) for n in statuses.values()),
        tickets_served=int(statuses.get(TicketStatus.DONE, 0)),
        no_shows=int(statuses.get(TicketStatus.NO_SHOW, 0)),
        skipped=int(statuses.get(TicketStatus.SKIPPED, 0)),
        waiting_now=int(statuses.get(TicketStatus.WAITING, 0)),
        tickets_by_service=by_service, tickets_without_service=without_service, tickets_by_hour=by_hour, served_by_clerk=served_by_clerk,
        waiting=waiting.done(), service=service.done(),
        applications_by_state=dict(sorted(by_state.items())),
        applications_received=sum(by_state.values()),
        overdue=overdue,
        money=_money(session, start, end),
    )
