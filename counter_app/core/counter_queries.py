"""Queries and small actions of the counter app's supervisor window (pure SQLAlchemy, no Qt).

* the business day: opened and closed by the supervisor (a setting, an audit entry and an outbox
  event, in the caller's transaction);
* the day summary behind the day-close report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from counter_app.core import audit, outbox
from counter_app.core.clock import CENTRE_TZ, local_day, utcnow
from counter_app.core.models import Application, Payment, Service, Setting, Ticket, TicketStatus

DAY_OPEN_KEY = "day.open"


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


def open_day(session: Session) -> date | None:
    """The business day currently open, if any."""
    row = session.get(Setting, DAY_OPEN_KEY)
    return date.fromisoformat(row.value) if row and row.value else None


def _set_open(session: Session, value: str) -> None:
    row = session.get(Setting, DAY_OPEN_KEY)
    if row is None:
        session.add(Setting(key=DAY_OPEN_KEY, value=value))
    else:
        row.value = value
    session.flush()


def start_day(session: Session, *, by: int, at: datetime | None = None) -> date:
    moment = at or utcnow()
    day = local_day(moment)
    _set_open(session, day.isoformat())
    audit.record(session, user_id=by, action="day.open", entity_type="day", entity_id=day.isoformat(), at=moment)
    outbox.emit(session, "day.opened", day.isoformat(), {"day": day.isoformat(), "by": by}, at=moment)
    return day


def close_day(session: Session, *, by: int, at: datetime | None = None) -> DaySummary:
    moment = at or utcnow()
    day = open_day(session) or local_day(moment)
    summary = day_summary(session, day)
    _set_open(session, "")
    detail = {"day": day.isoformat(), "tickets": summary.tickets_issued, "served": summary.tickets_served,
              "applications": summary.applications, "totals": summary.totals_by_method}
    audit.record(session, user_id=by, action="day.close", entity_type="day", entity_id=day.isoformat(),
                 detail=detail, at=moment)
    outbox.emit(session, "day.closed", day.isoformat(), {**detail, "by": by}, at=moment)
    return DaySummary(**{**summary.__dict__, "is_open": False})


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=CENTRE_TZ)
    return start, start + timedelta(days=1)


def day_summary(session: Session, day: date) -> DaySummary:
    start, end = _bounds(day)
    by_status = dict(session.execute(
        select(Ticket.status, func.count()).where(Ticket.day == day).group_by(Ticket.status)
    ).all())
    issued = sum(int(n) for n in by_status.values())
    totals = {str(method): int(total or 0) for method, total in session.execute(
        select(Payment.method, func.sum(Payment.amount_piastres))
        .where(Payment.paid_at >= start, Payment.paid_at < end).group_by(Payment.method)
    ).all()}
    apps = int(session.scalar(select(func.count()).select_from(Application)
                              .where(Application.created_at >= start, Application.created_at < end)) or 0)
    tickets_by_service = dict(session.execute(
        select(Ticket.service_code, func.count()).where(Ticket.day == day, Ticket.service_code.is_not(None))
        .group_by(Ticket.service_code)
    ).all())
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
    return DaySummary(
        day=day,
        is_open=open_day(session) == day,
        tickets_issued=issued,
        tickets_served=int(by_status.get(TicketStatus.DONE, 0)),
        no_shows=int(by_status.get(TicketStatus.NO_SHOW, 0)),
        waiting=int(by_status.get(TicketStatus.WAITING, 0)),
        applications=apps,
        totals_by_method=totals,
        services=services,
    )
