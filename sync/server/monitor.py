"""The live monitoring view's figures (issue 19, item 4): every centre a person sees, worst first.

Rules (the page's notes say them too):

* **online**: the centre's latest heartbeat (:mod:`sync.server.heartbeats`) arrived less than
  :data:`ONLINE_S` (3 minutes, three missed beats of an agent beating each minute) ago; a centre that
  never sent one is offline;
* **last sync**: the last push the server stored for it (``centre.last_seen``);
* **backlog, waiting now, longest wait, counters open**: as its latest heartbeat said them (shown
  for an offline centre too, with the heartbeat's age);
* **files past their due date**: the server knows each application's service and state
  (``rollup_application``, kept by ingest) and the day its ``application.create`` was made, and the
  catalogue's ``processing_days`` per service: a file is past its due date when it is still open
  (submitted, in review or approved; not yet ready, delivered, returned, rejected or cancelled) and
  its creation day plus the service's processing days (calendar days) is before today (Cairo);
  every centre's count is read at most once a minute per server process (a due date is a day);
* **worst first**: most open alerts, then offline before online, then the longest wait, then the
  oldest backlog, then the most files past due, then the code.

Scope: only the centres of :meth:`sync.server.accounts.Scope.centres` are read (a governorate
supervisor never gets a row of another governorate's centre). Every function reads in the caller's
session and writes nothing.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import EllipsisType
from typing import Any

from sqlalchemy import and_, case, func, null, or_, select
from sqlalchemy.orm import Session

from counter_app.common.clock import as_utc, local_day
from sync.server.accounts import Scope
from sync.server.models import (
    CentralAlert,
    CentreHeartbeat,
    EnrolledCentre,
    RollupApplication,
    RollupHour,
    RollupService,
)
from sync.server.portal.catalogue import catalogue_version

ONLINE_S = 180
#: Application states of a file not yet finished (``ready`` and after: done for the due date).
OPEN_STATES = ("submitted", "in_review", "approved")
TREND_DAYS = 14
OVERDUE_TTL_S = 60.0


@dataclass
class CentreRow:
    code: str
    name: str
    governorate: str | None
    online: bool
    heartbeat_at: datetime | None
    last_sync: datetime | None
    backlog_events: int | None = None
    backlog_oldest_s: int | None = None
    waiting: int | None = None
    longest_wait_s: int | None = None
    counters_open: int | None = None
    overdue: int = 0
    alerts: int = 0
    services: list[str] | None = None  # read only when filtering by service (then None: every service)

    def worst_first(self) -> tuple[Any, ...]:
        return (-self.alerts, self.online, -(self.longest_wait_s or 0), -(self.backlog_oldest_s or 0),
                -self.overdue, self.code)


@dataclass
class Filters:
    governorate: str | None = None
    service: str | None = None


def is_online(heartbeat_at: datetime | None, now: datetime) -> bool:
    return heartbeat_at is not None and (now - as_utc(heartbeat_at)).total_seconds() < ONLINE_S


def _name(centre: EnrolledCentre, lang: str) -> str:
    return centre.public_name(lang)


def _services(text: str | None) -> list[str] | None:
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return [str(v) for v in value] if isinstance(value, list) else None


_overdue_lock = threading.Lock()
_overdue: dict[date, tuple[float, dict[str, int]]] = {}  # today -> (when read, every centre's count)


def overdue_counts(session: Session, centres: list[str] | None, today: date) -> dict[str, int]:
    """Files past their due date per centre (the module's rule). Every centre's counts are read
    at most once each :data:`OVERDUE_TTL_S` seconds per process (a due date is a day: a count a
    minute old is as good); a few centres' are read fresh."""
    if centres is not None and len(centres) <= 50:
        return _overdue_read(session, centres, today)
    with _overdue_lock:
        cached = _overdue.get(today)
    if cached is None or time.monotonic() - cached[0] > OVERDUE_TTL_S:
        cached = (time.monotonic(), _overdue_read(session, None, today))
        with _overdue_lock:
            _overdue.clear()
            _overdue[today] = cached
    counts = cached[1]
    return counts if centres is None else {code: counts[code] for code in centres if code in counts}


def _overdue_read(session: Session, centres: list[str] | None, today: date) -> dict[str, int]:
    """Files past their due date per centre, one grouped query."""
    catalogue = catalogue_version(session)
    if catalogue is None:
        return {}
    by_days: dict[int, list[str]] = {}
    for spec in catalogue.services:
        by_days.setdefault(int(spec.processing_days), []).append(spec.code)
    if not by_days:
        return {}
    late = or_(*(and_(RollupApplication.service_code.in_(codes), RollupApplication.day < today - timedelta(days=d))
                 for d, codes in sorted(by_days.items())))
    query = (select(RollupApplication.centre_code, func.count())
             .where(RollupApplication.state.in_(OPEN_STATES), RollupApplication.day.is_not(None), late)
             .group_by(RollupApplication.centre_code))
    if centres is not None:
        query = query.where(RollupApplication.centre_code.in_(centres))
    return {str(code): int(n) for code, n in session.execute(query)}


def open_alert_counts(session: Session, centres: list[str] | None) -> dict[str, int]:
    query = (select(CentralAlert.centre_code, func.count()).where(CentralAlert.cleared_at.is_(None))
             .group_by(CentralAlert.centre_code))
    if centres is not None:
        query = query.where(CentralAlert.centre_code.in_(centres))
    return {str(code): int(n) for code, n in session.execute(query)}


def centre_rows(session: Session, scope: Scope, now: datetime, lang: str,
                filters: Filters | None = None, *, visible: list[str] | None | EllipsisType = ...) -> list[CentreRow]:
    """Every centre ``scope`` sees (narrowed by ``filters``), worst first. Plain columns, no ORM
    objects (2,000 centres' rows are the page's main cost). ``visible``: ``scope.centres(session)``
    when the caller has read it already."""
    filters = filters or Filters()
    if isinstance(visible, EllipsisType):
        visible = scope.centres(session)
    c, h = EnrolledCentre, CentreHeartbeat
    first, second = (c.name_en, c.name_ar) if lang == "en" else (c.name_ar, c.name_en)
    shown = func.coalesce(func.nullif(first, ""), func.nullif(second, ""), c.name)  # the page's language first
    query = (select(c.code, shown, c.governorate, c.last_seen, h.received_at, h.backlog_events,
                    h.backlog_oldest_age_s, h.waiting_total, h.longest_wait_s, h.counters_open,
                    c.services if filters.service else null())  # the services' JSON only to filter by it
             .outerjoin(h, h.centre_code == c.code))
    if visible is not None:
        query = query.where(c.code.in_(visible))
    if filters.governorate:
        query = query.where(c.governorate == filters.governorate)
    overdue = overdue_counts(session, visible, local_day(now))
    alerts = open_alert_counts(session, visible)
    online_since = now - timedelta(seconds=ONLINE_S)
    rows = []
    # Core rows through the session's connection (no ORM loading: 2,000 rows are the page's main cost).
    for (code, name, governorate, last_seen, received, backlog, oldest, waiting, longest, counters,
         services_json) in session.connection().execute(query).all():  # one fetch, not one per row
        services = None
        if filters.service:
            services = _services(services_json)
            if services is not None and filters.service not in services:
                continue
        if received is not None and received.tzinfo is None:  # SQLite: naive, UTC
            received = received.replace(tzinfo=UTC)
        if last_seen is not None and last_seen.tzinfo is None:
            last_seen = last_seen.replace(tzinfo=UTC)
        rows.append(CentreRow(code, name, governorate, received is not None and received > online_since,
                              received, last_seen, backlog, oldest, waiting, longest, counters, overdue.get(code, 0),
                              alerts.get(code, 0), services))
    rows.sort(key=CentreRow.worst_first)
    return rows


@dataclass
class CentreDetail:
    row: CentreRow
    waiting_by_group: dict[str, int] = field(default_factory=dict)
    counters_active: int | None = None
    version: str | None = None
    clock_skew_s: float | None = None
    today: dict[str, int] = field(default_factory=dict)  # issued, served, no_shows, wait_mean_s
    hours: list[tuple[int, int, int]] = field(default_factory=list)  # (hour, issued, served) today
    trend: list[tuple[date, int, int]] = field(default_factory=list)  # (day, issued, served), oldest first
    alerts: list[CentralAlert] = field(default_factory=list)  # open ones, then the last cleared


def centre_detail(session: Session, scope: Scope, code: str, now: datetime, lang: str) -> CentreDetail | None:
    """One centre's page, or None when ``scope`` does not see it (or it is unknown)."""
    visible = scope.centres(session)
    if visible is not None and code not in visible:
        return None
    centre = session.get(EnrolledCentre, code)
    if centre is None:
        return None
    beat = session.get(CentreHeartbeat, code)
    row = CentreRow(centre.code, _name(centre, lang), centre.governorate,
                    is_online(beat.received_at if beat else None, now),
                    as_utc(beat.received_at) if beat else None,
                    as_utc(centre.last_seen) if centre.last_seen else None,
                    overdue=overdue_counts(session, [code], local_day(now)).get(code, 0))
    detail = CentreDetail(row)
    if beat is not None:
        row.backlog_events, row.backlog_oldest_s = beat.backlog_events, beat.backlog_oldest_age_s
        row.waiting, row.longest_wait_s, row.counters_open = beat.waiting_total, beat.longest_wait_s, beat.counters_open
        detail.counters_active, detail.version, detail.clock_skew_s = (beat.counters_active, beat.version,
                                                                       beat.clock_skew_s)
        try:
            waiting = json.loads(beat.waiting)
            detail.waiting_by_group = {str(k): int(v) for k, v in waiting.items()} if isinstance(waiting, dict) else {}
        except ValueError:
            detail.waiting_by_group = {}
    today = local_day(now)
    figures = session.execute(
        select(func.coalesce(func.sum(RollupService.issued), 0), func.coalesce(func.sum(RollupService.served), 0),
               func.coalesce(func.sum(RollupService.no_shows), 0), func.coalesce(func.sum(RollupService.wait_count), 0),
               func.coalesce(func.sum(RollupService.wait_sum_us), 0))
        .where(RollupService.span == "d", RollupService.day == today, RollupService.centre_code == code)).one()
    issued, served, no_shows, wait_count, wait_sum = (int(v) for v in figures)
    detail.today = {"issued": issued, "served": served, "no_shows": no_shows,
                    "wait_mean_s": wait_sum // 1_000_000 // wait_count if wait_count else -1}
    detail.hours = [(int(h), int(i), int(s)) for h, i, s in session.execute(
        select(RollupHour.hour, RollupHour.issued, RollupHour.served)
        .where(RollupHour.day == today, RollupHour.centre_code == code).order_by(RollupHour.hour))]
    first = today - timedelta(days=TREND_DAYS - 1)
    by_day = {d: (int(i), int(s)) for d, i, s in session.execute(
        select(RollupService.day, func.sum(RollupService.issued), func.sum(RollupService.served))
        .where(RollupService.span == "d", RollupService.centre_code == code, RollupService.day >= first,
               RollupService.day <= today).group_by(RollupService.day))}
    detail.trend = [(first + timedelta(days=n), *by_day.get(first + timedelta(days=n), (0, 0)))
                    for n in range(TREND_DAYS)]
    detail.alerts = list(session.scalars(
        select(CentralAlert).where(CentralAlert.centre_code == code)
        .order_by(case((CentralAlert.cleared_at.is_(None), 0), else_=1), CentralAlert.raised_at.desc()).limit(20)))
    return detail


def open_alerts(session: Session, scope: Scope, limit: int = 200, *,
                visible: list[str] | None | EllipsisType = ...) -> list[tuple[Any, str]]:
    """The open alerts of the centres ``scope`` sees, newest first: rows of (``centre_code``,
    ``kind``, ``since``, ``value``), each with its centre's code."""
    if isinstance(visible, EllipsisType):
        visible = scope.centres(session)
    query = (select(CentralAlert.centre_code, CentralAlert.kind, CentralAlert.since, CentralAlert.value)
             .where(CentralAlert.cleared_at.is_(None)).order_by(CentralAlert.since.desc()).limit(limit))
    if visible is not None:
        query = query.where(CentralAlert.centre_code.in_(visible))
    return [(row, row.centre_code) for row in session.execute(query)]
