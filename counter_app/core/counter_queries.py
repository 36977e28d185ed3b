"""Queries and small actions of the counter app's supervisor window (pure SQLAlchemy, no Qt).

* the business day (:mod:`counter_app.core.centre_day`): it opens by itself with its first ticket
  or call, or by the supervisor; closing it expires every ticket still waiting or called; a closed
  day is reopened only by a supervisor with a reason (each an audit entry and an outbox event, in
  the caller's transaction);
* the day summary behind the day-close report: its figures are the day's key figures
  (``core.kpis``), so the Z report, the dashboard and the period reports never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from counter_app.core import centre_day, kpis, queue
from counter_app.core.clock import CENTRE_TZ, local_day, utcnow
from counter_app.core.models import Application, DayState, Service, Ticket, TicketStatus


@dataclass(frozen=True)
class ServiceDay:
    code: str
    name_ar: str
    name_en: str
    tickets: int
    applications: int
    total_piastres: int


@dataclass(frozen=True)
class DaySummary:
    day: date
    is_open: bool
    tickets_issued: int
    tickets_served: int
    no_shows: int
    waiting: int
    applications: int
    totals_by_method: dict[str, int]
    services: list[ServiceDay] = field(default_factory=list)
    skipped: int = 0
    wait: kpis.Durations = field(default_factory=kpis.Durations)
    service_time: kpis.Durations = field(default_factory=kpis.Durations)
    expected_piastres: int = 0  # the fees of the applications paid that day
    mismatched: list[str] = field(default_factory=list)  # tracking codes paid more or less than their fee
    refunds_piastres: int = 0  # refunds paid out at the counters that day: their own line
    state: DayState | None = None  # None: the day has not started (no ticket, not opened)
    in_service: int = 0  # tickets called at a counter now
    expired: int = 0  # tickets ended by the close of the day
    reopened: int = 0

    @property
    def is_closed(self) -> bool:
        return self.state == DayState.CLOSED


def open_day(session: Session, at: datetime | None = None) -> date | None:
    """The business day currently open (the latest up to today), if any."""
    found = centre_day.latest(session, local_day(at or utcnow()))
    return found.day if found.is_open else None


def current_day(session: Session, at: datetime | None = None) -> date:
    """The day the supervisor works on: the one still open, else today (open, closed or not started)."""
    return centre_day.latest(session, local_day(at or utcnow())).day


def start_day(session: Session, *, by: int, at: datetime | None = None) -> date:
    """The supervisor opens today before its first ticket (it would open by itself then)."""
    return centre_day.open_day(session, by=by, at=queue.locked_now(session, at))


def close_day(session: Session, *, by: int, at: datetime | None = None) -> DaySummary:
    """Close the open day: every ticket still waiting or called expires (audited, synced)."""
    moment = queue.locked_now(session, at)
    day, _expired = centre_day.close_day(session, by=by, at=moment, detail=lambda d: _close_detail(session, d))
    return day_summary(session, day)


def _close_detail(session: Session, day: date) -> dict[str, object]:
    summary = day_summary(session, day)
    return {"tickets": summary.tickets_issued, "served": summary.tickets_served,
            "applications": summary.applications, "totals": summary.totals_by_method}


def reopen_day(session: Session, *, by: int, reason: str, at: datetime | None = None) -> DaySummary:
    """A supervisor reopens today's closed day with a reason."""
    day = centre_day.reopen_day(session, by=by, reason=reason, at=queue.locked_now(session, at))
    return day_summary(session, day)


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=CENTRE_TZ)
    return start, start + timedelta(days=1)


def day_summary(session: Session, day: date) -> DaySummary:
    start, end = _bounds(day)
    k = kpis.compute(session, day)
    tickets_by_service = k.tickets_by_service
    app_rows = session.execute(
        select(Application.service_code, func.count(), func.sum(Application.fee_total_piastres))
        .where(Application.submitted_at >= start, Application.submitted_at < end)
        .group_by(Application.service_code)
    ).all()
    apps_by_service = {code: (int(n), int(total or 0)) for code, n, total in app_rows}
    codes = set(tickets_by_service) | set(apps_by_service)
    services = []
    if codes:
        for svc in session.scalars(select(Service).where(Service.code.in_(codes)).order_by(Service.code)):
            n_apps, total = apps_by_service.get(svc.code, (0, 0))
            services.append(ServiceDay(svc.code, svc.name_ar, svc.name_en, int(tickets_by_service.get(svc.code, 0)),
                                       n_apps, total))
    status = centre_day.status(session, day)
    expired = int(session.scalar(select(func.count()).select_from(Ticket)
                                 .where(Ticket.day == day, Ticket.status == TicketStatus.EXPIRED)) or 0)
    return DaySummary(
        day=day,
        is_open=status.is_open,
        tickets_issued=k.tickets_issued,
        tickets_served=k.tickets_served,
        no_shows=k.no_shows,
        waiting=k.waiting_now,
        applications=k.applications_received,
        totals_by_method=dict(k.money.by_method),
        services=services,
        skipped=k.skipped,
        wait=k.waiting.overall,
        service_time=k.service.overall,
        expected_piastres=k.money.expected,
        mismatched=list(k.money.mismatched),
        refunds_piastres=k.money.refunds,
        state=status.state,
        in_service=centre_day.in_service(session, day),
        expired=expired,
        reopened=status.reopened,
    )
