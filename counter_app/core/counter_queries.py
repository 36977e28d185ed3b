"""Queries and small actions of the counter app's supervisor window (pure SQLAlchemy, no Qt).

* the business day: opened and closed by the supervisor (a setting, an audit entry and an outbox
  event, in the caller's transaction);
* the day summary behind the day-close report: its figures are the day's key figures
  (``core.kpis``), so the Z report, the dashboard and the period reports never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from counter_app.core import audit, kpis, outbox
from counter_app.core.clock import CENTRE_TZ, local_day, utcnow
from counter_app.core.models import Application, Service, Setting

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
    skipped: int = 0
    wait: kpis.Durations = field(default_factory=kpis.Durations)
    service_time: kpis.Durations = field(default_factory=kpis.Durations)
    expected_piastres: int = 0  # the fees of the applications paid that day
    mismatched: list[str] = field(default_factory=list)  # tracking codes paid more or less than their fee


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
    return DaySummary(
        day=day,
        is_open=open_day(session) == day,
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
    )
