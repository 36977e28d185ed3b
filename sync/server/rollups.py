"""Rollups: the key figures kept up to date by ingest, in the transaction that stores the events
(no HTTP here). :mod:`sync.server.kpis` reads them; its raw computation from the events stays as the
check (``central-server report verify``, :mod:`sync.server.report_verify`).

* ``rollup_service``: per centre × service × day, and the same per ten days (``span`` 't': the
  1st to the 10th, the 11th to the 20th, the 21st to the month's end), per month (``span`` 'm'),
  per calendar year (``span`` 'y'), and per ten days so far (``span`` 'c': each day's row holds
  its ten days' days up to it, from the first day with figures to the day before the ten's last):
  a period reads a year, month or ten days it covers whole as one row and ten days in part as at
  most two, per centre and service, however many tickets they hold (:func:`pieces`: at most 16
  rows for a period of up to a year; a year up to today: 4 to 9, 5.9 on average);
* ``rollup_clerk``: per centre × clerk × day (and month): tickets served, service time, no-shows;
* ``rollup_hour``: per centre × hour of today and yesterday (Cairo); older days are deleted;
* ``rollup_ticket`` keeps what the figures read of each ticket's events, whatever order they came
  in: a new event of a ticket refolds the ticket (the same fold as the raw computation) and moves
  the rollups by the difference between the ticket's new and old contribution, so an event that
  arrives late, out of order or twice (a duplicate is never stored, so never folded) counts once;
* ``rollup_application`` keeps what each application counts for (its create day, service and
  latest state): a change of state moves it from one state's count to the other's.

A batch moves each rollup row it touches by one upsert per table, rows in key order: ``INSERT ...
ON CONFLICT DO UPDATE SET n = n + excluded.n``, the histograms' and counts' JSON merged by the
database (``json_each``); the database holds the row's lock while it adds (SQLite's ``BEGIN
IMMEDIATE`` serialises writers), so two workers adding to one row never lose an addition. A ticket's
or application's own row (refolded in Python) is read under ``SELECT ... FOR UPDATE`` (an upsert
``RETURNING`` it) and written back. On PostgreSQL the rows go as one JSON document per statement
(:mod:`sync.server.bulk`). Reading, one statement fetches a period's rows; Python sums the counts and
numpy the histograms (:func:`period_figures`): the cost grows with the rows, not with the entries of
their histograms, which fill up as a centre gets busier.

**Precision.** Waiting and service times are summed exactly (integer microseconds), so counts and
means equal the raw figures. Their median and 90th percentile come from fixed histograms: one-minute
buckets up to 2 hours, ten-minute buckets up to 8 hours, one bucket beyond (a negative time, from a
centre's clock, counts in the first bucket). A percentile is the start of the bucket its rank falls
in (the median of an even count: the mean of the two middle ranks' bucket starts, as
:func:`statistics.median` averages): the raw value is at most 59 s more under 2 hours, at most 9 min
59 s more under 8 hours, and equal when every time is a whole number of minutes under 2 hours.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

import numpy as np
from sqlalchemy import (
    Table,
    and_,
    case,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session

from counter_app.common.clock import CENTRE_TZ, as_utc, local_day, to_local, utcnow
from counter_app.common.ticket_events import CALLED, ENDED_WITHOUT_SERVICE, FINISHED, ISSUED, TicketEventKind
from sync.protocol import WireEvent
from sync.server import bulk
from sync.server.models import (
    ApplicationProjection,
    RollupApplication,
    RollupClerk,
    RollupHour,
    RollupService,
    RollupTicket,
    ServerBase,
    StoredEvent,
)

NO_SHOW, SKIPPED = TicketEventKind.NO_SHOW.value, TicketEventKind.SKIPPED.value
MINUTE_BUCKETS, TEN_MINUTE_BUCKETS = 120, 36
LAST_BUCKET = MINUTE_BUCKETS + TEN_MINUTE_BUCKETS  # 8 hours or more
US = 1_000_000
PAID = "n:"  # in ``methods``: the number of payments by a method, beside its amount
PRUNE_EVERY_S = 3600.0
_last_prune = 0.0  # this process's last deletion of old hours (time.monotonic)


def bucket(us: int) -> int:
    """The histogram bucket of a time in microseconds."""
    seconds = max(us, 0) // US
    if seconds < MINUTE_BUCKETS * 60:
        return seconds // 60
    return min(MINUTE_BUCKETS + (seconds - MINUTE_BUCKETS * 60) // 600, LAST_BUCKET)


def bucket_start_s(b: int) -> float:
    return float(b * 60 if b < MINUTE_BUCKETS else MINUTE_BUCKETS * 60 + (b - MINUTE_BUCKETS) * 600)


def durations(count: int, sum_us: int, hist: Counter[int]) -> dict[str, Any]:
    """``{"count", "mean_s", "median_s", "p90_s"}`` like :class:`~counter_app.common.ticket_events.Durations`."""
    if count <= 0:
        return {"count": 0, "mean_s": 0.0, "median_s": 0.0, "p90_s": 0.0}
    ordered = sorted((b, n) for b, n in hist.items() if n > 0)

    def at_rank(rank: int) -> float:  # 1-based
        seen = 0
        for b, n in ordered:
            seen += n
            if seen >= rank:
                return bucket_start_s(b)
        return bucket_start_s(ordered[-1][0]) if ordered else 0.0

    median = at_rank((count + 1) // 2) if count % 2 else (at_rank(count // 2) + at_rank(count // 2 + 1)) / 2
    return {"count": count, "mean_s": sum_us / (count * US), "median_s": median,
            "p90_s": at_rank(max(math.ceil(0.9 * count), 1))}


# -- deltas: a row's additions: a column's by its name, a counter's entry by (column, key) ---------------
Delta = dict[Any, int]
_COUNTERS = {"wait_hist", "service_hist", "states", "methods"}


def _add(target: Delta, source: Delta, sign: int = 1) -> None:
    for name, value in source.items():
        target[name] = target.get(name, 0) + sign * value


def _encode(counter: dict[Any, int]) -> str:
    return json.dumps({str(k): n for k, n in sorted(counter.items(), key=lambda kv: str(kv[0])) if n != 0},
                      separators=(",", ":"))


def _t(model: type[ServerBase]) -> Table:
    return cast(Table, model.__table__)


def _locked(session: Session, table: Table, keys: list[str], wanted: Sequence[tuple[Any, ...]],
            blank: dict[str, Any]) -> dict[tuple[Any, ...], Any]:
    """The rows of ``wanted`` keys, made to exist, locked and read in one statement (an upsert that
    sets a key to itself, ``RETURNING`` the row), in key order."""
    ordered = sorted(set(wanted), key=lambda k: tuple(str(v) for v in k))
    if not ordered:
        return {}
    rows = bulk.insert(session, table, [{**dict(zip(keys, k, strict=True)), **blank} for k in ordered],
                       lambda stmt: stmt.on_conflict_do_update(index_elements=keys,
                                                               set_={keys[0]: stmt.excluded[keys[0]]})
                       .returning(*table.c))
    return {tuple(getattr(row, k) for k in keys): row for row in rows}


def _write(session: Session, table: Table, keys: list[str], rows: list[dict[str, Any]]) -> None:
    """Whole rows, written over the locked ones in one statement."""
    if rows:
        bulk.insert(session, table, rows, lambda stmt: stmt.on_conflict_do_update(
            index_elements=keys, set_={c.name: stmt.excluded[c.name] for c in table.c if c.name not in keys}))


_MERGE = {  # a counter column's JSON plus the excluded row's, zeros left out; {t}: table, {c}: column
    "postgresql": "(SELECT COALESCE(json_object_agg(entry_key, entry_n), '{{}}')::text FROM (SELECT key AS entry_key, "
                  "SUM(value::bigint) AS entry_n FROM (SELECT * FROM json_each_text({t}.{c}::json) UNION ALL "
                  "SELECT * FROM json_each_text(excluded.{c}::json)) AS entries GROUP BY key "
                  "HAVING SUM(value::bigint) <> 0) AS merged)",
    "sqlite": "(SELECT COALESCE(json_group_object(entry_key, entry_n), '{{}}') FROM (SELECT key AS entry_key, "
              "SUM(value) AS entry_n FROM (SELECT key, value FROM json_each({t}.{c}) UNION ALL "
              "SELECT key, value FROM json_each(excluded.{c})) GROUP BY key HAVING SUM(value) <> 0))",
}


def _apply(session: Session, table: Table, keys: list[str], deltas: dict[tuple[Any, ...], Delta]) -> None:
    """Add each key's delta to its row, in one upsert (``ON CONFLICT DO UPDATE SET n = n + excluded.n``;
    a counter's JSON merged by the database, :data:`_MERGE`): the database locks each row while it
    adds, in key order, so two workers adding to one row never lose an addition."""
    deltas = {k: d for k, d in deltas.items() if any(v != 0 for v in d.values())}
    if not deltas:
        return
    merge = _MERGE[session.get_bind().dialect.name]
    values = [c.name for c in table.c if c.name not in keys]
    rows = []
    encoded: dict[int, dict[str, Any]] = {}  # by the delta's identity: days of ten days so far share one
    for key, delta in sorted(deltas.items(), key=lambda kv: tuple(str(v) for v in kv[0])):
        columns = encoded.get(id(delta))
        if columns is None:
            counters: dict[str, dict[Any, int]] = {}
            for name, value in delta.items():
                if isinstance(name, tuple):
                    counters.setdefault(name[0], {})[name[1]] = value
            columns = encoded[id(delta)] = {
                name: _encode(counters.get(name, {})) if name in _COUNTERS else delta.get(name, 0) for name in values}
        rows.append({**dict(zip(keys, key, strict=True)), **columns})
    bulk.insert(session, table, rows, lambda stmt: stmt.on_conflict_do_update(index_elements=keys, set_={
        name: literal_column(f"CASE WHEN excluded.{name} = '{{}}' THEN {table.name}.{name} ELSE "  # nothing to add
                             f"{merge.format(t=table.name, c=name)} END") if name in _COUNTERS
        else table.c[name] + stmt.excluded[name] for name in values}))


# -- tickets --------------------------------------------------------------------------------------------
#: seq, kind, at (ISO), centre day, service or None, the centre's user id or None
Fact = tuple[int, str, str, str, str | None, int | None]


@dataclass
class Folded:
    """One ticket's events folded in the centre's order, as :func:`sync.server.kpis._fold` does."""

    day: str = ""
    service: str | None = None
    status: str | None = None
    wait_us: int | None = None
    served_us: int | None = None
    issued_at: datetime | None = None
    called_at: datetime | None = None  # its first call (that ended the wait)
    finished_at: datetime | None = None
    ended_by: int | None = None  # the user of its last finishing or no-show event


def fold(facts: Iterable[Fact]) -> Folded:
    t = Folded()
    last_call: datetime | None = None
    for _seq, kind, at_text, day, service, user in sorted(facts, key=lambda f: f[0]):
        at = datetime.fromisoformat(at_text)
        t.day = t.day or day
        t.service = t.service or service
        if kind == ISSUED:
            t.issued_at = at
        elif kind == CALLED:
            if t.wait_us is None and t.issued_at is not None:
                t.wait_us = (at - t.issued_at) // timedelta(microseconds=1)
                t.called_at = at
            last_call = at
        elif kind == FINISHED:
            t.status, t.finished_at, t.ended_by = FINISHED, at, user
            t.served_us = (at - last_call) // timedelta(microseconds=1) if last_call is not None else None
            last_call = None
        elif kind in ENDED_WITHOUT_SERVICE:
            t.status, last_call = kind, None
            t.ended_by = user if kind == NO_SHOW else None
    return t


class Deltas:
    """What a batch adds to each rollup table, by key: a service's and a clerk's by day, spread over
    the day's, month's (and year's) rows once, when written (:meth:`write`)."""

    def __init__(self, centre: str, hours_from: date) -> None:
        self.centre, self.hours_from = centre, hours_from
        self.hours_from_moment = datetime.combine(hours_from, datetime.min.time(), CENTRE_TZ)
        self.service: dict[tuple[date, str], Delta] = {}
        self.clerk: dict[tuple[date, int], Delta] = {}
        self.hour: dict[tuple[Any, ...], Delta] = {}

    def to_service(self, service: str | None, day: date, delta: Delta, sign: int = 1) -> None:
        _add(self.service.setdefault((day, service or ""), {}), delta, sign)

    def to_clerk(self, user: int, day: date, delta: Delta, sign: int) -> None:
        _add(self.clerk.setdefault((day, user), {}), delta, sign)

    def to_hour(self, moment: datetime | None, delta: Delta, sign: int) -> None:
        if moment is None or as_utc(moment) < self.hours_from_moment:  # a day before yesterday (Cairo)
            return
        local = to_local(moment)
        _add(self.hour.setdefault((local.date(), self.centre, local.hour), {}), delta, sign)

    def ticket(self, t: Folded, sign: int) -> None:
        if not t.day:
            return
        day = date.fromisoformat(t.day)
        d: Delta = {"issued": 1, "served": int(t.status == FINISHED), "no_shows": int(t.status == NO_SHOW),
                    "skipped": int(t.status == SKIPPED)}
        if t.wait_us is not None:
            d.update({"wait_count": 1, "wait_sum_us": t.wait_us, ("wait_hist", bucket(t.wait_us)): 1})
        if t.served_us is not None:
            d.update({"service_count": 1, "service_sum_us": t.served_us, ("service_hist", bucket(t.served_us)): 1})
        self.to_service(t.service, day, d, sign)
        if t.ended_by is not None and t.status in (FINISHED, NO_SHOW):
            c: Delta = {"served": int(t.status == FINISHED), "no_shows": int(t.status == NO_SHOW)}
            if t.served_us is not None and t.status == FINISHED:
                c.update({"service_count": 1, "service_sum_us": t.served_us,
                          ("service_hist", bucket(t.served_us)): 1})
            self.to_clerk(t.ended_by, day, c, sign)
        self.to_hour(t.issued_at, {"issued": 1}, sign)
        if t.wait_us is not None:
            self.to_hour(t.called_at, {"called": 1, "wait_sum_us": t.wait_us}, sign)
        if t.status == FINISHED:
            self.to_hour(t.finished_at, {"served": 1}, sign)

    def write(self, session: Session) -> None:
        _apply(session, _t(RollupService), ["span", "day", "centre_code", "service_code"],
               self._spans(self.service, years=True))
        _apply(session, _t(RollupClerk), ["span", "day", "centre_code", "user_id"], self._spans(self.clerk))
        _apply(session, _t(RollupHour), ["day", "centre_code", "hour"], self.hour)

    def _spans(self, by_day: dict[tuple[date, Any], Delta], years: bool = False) -> dict[tuple[Any, ...], Delta]:
        """Each day's delta added to its day's row, its month's and (``years``) its year's, its ten
        days' (``span`` 't') and their so-far rows (``span`` 'c') of that day and every later day of
        the ten but the last (the ten days so far at their last day is their row)."""
        out: dict[tuple[Any, ...], Delta] = {}
        tens: dict[tuple[Any, date], list[tuple[date, Delta]]] = {}
        for (day, other), delta in by_day.items():
            firsts = [("d", day), ("m", day.replace(day=1))]
            if years:
                ten = bounds("t", day)[0]
                firsts += [("y", day.replace(month=1, day=1)), ("t", ten)]
                tens.setdefault((other, ten), []).append((day, delta))
            for span, first in firsts:
                _add(out.setdefault((span, first, self.centre, other), {}), delta)
        for (other, first), days in tens.items():  # the ten days so far: one delta shared by the days
            days.sort(key=lambda d: d[0])  # from one day with a delta to the next (encoded once: _apply)
            running: Delta = {}
            for k, (day, delta) in enumerate(days):
                running = dict(running)
                _add(running, delta)
                until = days[k + 1][0] if k + 1 < len(days) else bounds("t", first)[1]
                for n in range((until - day).days):
                    out[("c", day + timedelta(days=n), self.centre, other)] = running
        return out


def _fact(e: WireEvent) -> Fact | None:
    p = e.payload
    try:
        user = p.get("user_id")
        return (e.seq, str(p["event"]), str(p["at"]), str(p["day"]), p.get("service") or None,
                user if isinstance(user, int) and not isinstance(user, bool) else None)
    except KeyError:
        return None


def _tickets(session: Session, centre: str, events: list[WireEvent], deltas: Deltas) -> None:
    new: dict[str, list[Fact]] = {}
    for e in events:
        if e.kind.startswith("ticket.") and (fact := _fact(e)) is not None:
            new.setdefault(e.aggregate_id, []).append(fact)
    if not new:
        return
    table, keys = _t(RollupTicket), ["centre_code", "ticket_uuid"]
    # a ticket seen for the first time (the common case): stored at once, nothing to take back
    fresh = set(bulk.insert(session, table, [
        {"centre_code": centre, "ticket_uuid": t, "facts": _facts_text(new[t])} for t in sorted(new)],
        lambda stmt: stmt.on_conflict_do_nothing(index_elements=keys).returning(table.c.ticket_uuid)).scalars())
    for ticket in fresh:
        deltas.ticket(fold(new[ticket]), 1)
    rows = _locked(session, table, keys, [(centre, t) for t in new if t not in fresh], {"facts": "[]"})
    changes = []
    for (_centre, ticket), row in sorted(rows.items()):
        old: list[Fact] = [tuple(f) for f in json.loads(row.facts)]
        if old:
            deltas.ticket(fold(old), -1)
        deltas.ticket(fold(old + new[ticket]), 1)
        changes.append({"centre_code": centre, "ticket_uuid": ticket, "facts": _facts_text(old + new[ticket])})
    _write(session, table, keys, changes)


def _facts_text(facts: list[Fact]) -> str:
    return json.dumps(sorted(facts, key=lambda f: f[0]), separators=(",", ":"))


# -- applications and payments --------------------------------------------------------------------------
def _applications(session: Session, centre: str, events: list[WireEvent], deltas: Deltas) -> None:
    touched: set[str] = set()
    created: dict[str, date] = {}
    latest: dict[str, tuple[str, str]] = {}  # service and state of each application's latest event here
    last_seq: dict[str, int] = {}
    for e in events:
        p = e.payload
        if not e.kind.startswith("application.") or not isinstance(p.get("application"), str):
            continue
        touched.add(p["application"])
        if e.seq > last_seq.get(p["application"], -1):  # as sync.server.ingest.project reads them
            last_seq[p["application"]] = e.seq
            latest[p["application"]] = (str(p.get("service")), str(p.get("state")))
        if e.kind == "application.create":
            created.setdefault(p["application"], local_day(datetime.fromisoformat(e.created_at)))
        if e.kind == "application.payment":
            service, method, amount = p.get("service") or None, str(p.get("method")), int(p.get("amount") or 0)
            deltas.to_service(service, local_day(datetime.fromisoformat(e.created_at)),
                              {"payments": 1, ("methods", method): amount, ("methods", PAID + method): 1})
    if not touched:
        return
    table, keys = _t(RollupApplication), ["centre_code", "application_uuid"]
    # an application seen for the first time: its service and state are its latest event's here
    # (as the projection keeps them), nothing to take back
    fresh = set(bulk.insert(session, table, [
        {"centre_code": centre, "application_uuid": u, "day": created.get(u), "service_code": latest[u][0],
         "state": latest[u][1]} for u in sorted(touched)],
        lambda stmt: stmt.on_conflict_do_nothing(index_elements=keys).returning(table.c.application_uuid)).scalars())
    for app_uuid in fresh:
        if (day := created.get(app_uuid)) is not None:
            deltas.to_service(latest[app_uuid][0], day, {("states", latest[app_uuid][1]): 1})
    rest = sorted(touched - fresh)
    if not rest:
        return
    projection = ApplicationProjection.__table__.c
    now = {u: (str(s), str(st)) for u, s, st in session.connection().execute(
        select(projection.application_uuid, projection.service_code, projection.state)
        .where(projection.centre_code == centre, projection.application_uuid.in_(rest)))}
    rows = _locked(session, table, keys, [(centre, u) for u in rest], {"day": None, "service_code": "", "state": ""})
    changes = []
    for app_uuid in rest:
        row = rows[(centre, app_uuid)]
        day = row.day or created.get(app_uuid)
        service, state = now.get(app_uuid, (row.service_code, row.state))
        if (row.day, row.service_code, row.state) == (day, service, state):
            continue
        if row.day is not None:
            deltas.to_service(row.service_code, row.day, {("states", row.state): 1}, -1)
        if day is not None:
            deltas.to_service(service, day, {("states", state): 1})
        changes.append({"centre_code": centre, "application_uuid": app_uuid, "day": day, "service_code": service,
                        "state": state})
    _write(session, table, keys, changes)


def add(session: Session, centre: str, stored: list[WireEvent], now: datetime) -> None:
    """Move the rollups by the events just stored (call after the application projection)."""
    if not stored:
        return
    today = local_day(now)
    deltas = Deltas(centre, today - timedelta(days=1))
    _tickets(session, centre, stored, deltas)
    _applications(session, centre, stored, deltas)
    deltas.write(session)
    prune_hours(session, today)


def prune_hours(session: Session, today: date, force: bool = False) -> None:
    """Delete hours of days before yesterday, at most once an hour per process."""
    global _last_prune
    if not force and time.monotonic() - _last_prune < PRUNE_EVERY_S:
        return
    _last_prune = time.monotonic()
    session.execute(delete(RollupHour).where(RollupHour.day < today - timedelta(days=1)))


# -- reading ------------------------------------------------------------------------------------------
@dataclass
class Summary:
    """The rollups' figures of one report row."""

    issued: int = 0
    served: int = 0
    no_shows: int = 0
    skipped: int = 0
    wait_count: int = 0
    wait_sum_us: int = 0
    wait_hist: Counter[int] = field(default_factory=Counter)
    service_count: int = 0
    service_sum_us: int = 0
    service_hist: Counter[int] = field(default_factory=Counter)
    states: Counter[str] = field(default_factory=Counter)
    payments: int = 0
    methods: Counter[str] = field(default_factory=Counter)

    def add(self, other: Summary) -> None:
        """Add ``other``'s figures (spelled out: a national year adds a few thousand summaries)."""
        self.issued += other.issued
        self.served += other.served
        self.no_shows += other.no_shows
        self.skipped += other.skipped
        self.wait_count += other.wait_count
        self.wait_sum_us += other.wait_sum_us
        self.service_count += other.service_count
        self.service_sum_us += other.service_sum_us
        self.payments += other.payments
        counters: tuple[tuple[Counter[Any], Counter[Any]], ...] = (
            (self.wait_hist, other.wait_hist), (self.service_hist, other.service_hist),
            (self.states, other.states), (self.methods, other.methods))
        for mine, theirs in counters:
            for key, n in theirs.items():
                mine[key] += n

    @property
    def empty(self) -> bool:
        return not (self.issued or sum(self.states.values()) or self.payments)

    def figures(self) -> dict[str, Any]:
        states = {k: n for k, n in sorted(self.states.items()) if n}
        paid = sorted(k.removeprefix(PAID) for k, n in self.methods.items() if k.startswith(PAID) and n > 0)
        methods = {k: self.methods[k] for k in paid}  # a payment of 0 names its method
        return {
            "tickets": {"issued": self.issued, "served": self.served, "no_shows": self.no_shows,
                        "skipped": self.skipped},
            "waiting_time": durations(self.wait_count, self.wait_sum_us, self.wait_hist),
            "service_time": durations(self.service_count, self.service_sum_us, self.service_hist),
            "applications": {"received": sum(states.values()), "by_state": states},
            "money": {"total": sum(methods.values()), "payments": self.payments, "by_method": methods},
        }


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def bounds(span: str, day: date) -> tuple[date, date]:
    """The first and last day of the year ('y'), month ('m') or ten days ('t': the 1st to the 10th,
    the 11th to the 20th, the 21st to the month's end) that ``day`` is in."""
    if span == "y":
        return day.replace(month=1, day=1), day.replace(month=12, day=31)
    if span == "m":
        return day.replace(day=1), _month_end(day)
    start = day.replace(day=min((day.day - 1) // 10, 2) * 10 + 1)
    return start, (_month_end(day) if start.day == 21 else start + timedelta(days=9))


#: Rows of one span whose first days are from ``[1]`` to ``[2]``: ('d', first day, last day); ('c', a
#: day, a later day: the ten days so far up to each); ('t', ten days' first day, a later one's);
#: ('m', a month's first day, a later month's); ('y', 1 January, a later 1 January).
Piece = tuple[str, date, date]
#: The first and the last day with any figures (of any centre); days outside read as nothing.
Extent = tuple[date, date]
_DAY = timedelta(days=1)
_FINER = {"y": "m", "m": "t"}


@dataclass
class Cover:
    """Rows whose sum is a period's figures: ``plus`` added, ``minus`` taken away; ``cost``: how many
    rows per centre and service."""

    plus: list[Piece] = field(default_factory=list)
    minus: list[Piece] = field(default_factory=list)
    cost: int = 0

    def take(self, other: Cover, sign: int = 1) -> None:
        self.plus += other.plus if sign > 0 else other.minus
        self.minus += other.minus if sign > 0 else other.plus
        self.cost += other.cost


def _one(span: str, day: date) -> Cover:
    return Cover([(span, day, day)], [], 1)


def _part(span: str, a: date, b: date, extent: Extent) -> Cover:
    """Days ``a``..``b`` of one year, month or ten days (``span``): its own row when the days outside
    hold nothing; else the fewer of its finer parts inside, and its row less its finer parts outside.
    Ten days in part are read as the ten days' row, or their so-far row of ``b`` when days with
    figures follow ``b``, less their so-far row of the day before ``a`` when days with figures come
    before ``a``: at most two rows, whatever the days hold."""
    lo, hi = extent
    if b < lo or a > hi:
        return Cover()
    start, end = bounds(span, a)
    before = a != start and a - _DAY >= lo  # days before a (in the span) may hold figures
    after = b != end and b + _DAY <= hi
    if not before and not after:
        return _one(span, start)
    if span == "t":
        out = _one("c", b) if after else _one("t", start)
        if before:
            out.take(_one("c", a - _DAY), -1)
        return out
    inside = _span_range(_FINER[span], a, b, extent)
    whole = _one(span, start)
    if before:
        whole.take(_span_range(_FINER[span], start, a - _DAY, extent), -1)
    if after:
        whole.take(_span_range(_FINER[span], b + _DAY, end, extent), -1)
    return whole if whole.cost < inside.cost else inside


def _span_range(span: str, first: date, last: date, extent: Extent) -> Cover:
    out, cursor = Cover(), first
    while cursor <= last:
        end = bounds(span, cursor)[1]
        out.take(_part(span, cursor, min(end, last), extent))
        cursor = end + _DAY
    return out


def _merged(pieces: list[Piece]) -> list[Piece]:
    """Neighbours of one span joined (days, ten days, months or years one after the other)."""
    out: list[Piece] = []
    for span, a, b in sorted(pieces, key=lambda p: (p[1], p[0])):
        if out and out[-1][0] == span and (out[-1][2] if span in "dc" else bounds(span, out[-1][2])[1]) + _DAY == a:
            out[-1] = (span, out[-1][1], b)
        else:
            out.append((span, a, b))
    return out


def pieces(first: date, last: date, extent: Extent | None = None) -> tuple[list[Piece], list[Piece]]:
    """What to read for centre days ``first``..``last``: rows to add and rows to take away. A year,
    month or ten days the period covers whole is its row; one covered in part is read as its finer
    parts inside the period, or, when that reads fewer rows, as its row less its finer parts outside
    (a year row is the sum of its months, a month's of its ten days, ten days' of their days, a
    so-far row of its ten days up to its own day: :meth:`Deltas._spans`); ten days in part as at
    most two rows. Days outside ``extent`` hold nothing and are not read. So a year up to today reads
    a few rows per centre and service (on 26 November: last year's 21-30 November less their so far
    up to the 26th, last December, this year's row), whatever the tickets, the services a day holds
    or the period's days."""
    if extent is None:  # any day may hold figures
        extent = (date.min, date.max)
    out = _span_range("y", first, last, extent)
    return _merged(out.plus), _merged(out.minus)


def extent(session: Session) -> Extent | None:
    """The first and last day of any centre's day rows (None: no figures at all), read from the
    key's index."""
    t = _t(RollupService).c
    lo, hi = session.connection().execute(select(func.min(t.day), func.max(t.day)).where(t.span == "d")).one()
    return None if lo is None else (lo, hi)


_SUMMED = ("issued", "served", "no_shows", "skipped", "wait_count", "wait_sum_us", "service_count", "service_sum_us",
           "payments")


@dataclass
class PeriodFigures:
    """A period's figures: the whole, per governorate, per centre and per service."""

    overall: Summary = field(default_factory=Summary)
    governorates: dict[str | None, Summary] = field(default_factory=dict)
    centres: dict[str, Summary] = field(default_factory=dict)
    services: dict[str | None, Summary] = field(default_factory=dict)


_BUCKETS = LAST_BUCKET + 1
_JSON_PUNCTUATION = str.maketrans('{}":,', "     ")
Ints = np.ndarray[Any, np.dtype[np.int64]]


def _histograms(texts: list[str], rows: Ints, signs: Ints, pairs: int) -> Ints:
    """Histogram JSON texts (``{"3":2,"17":1}``) of rows of centre and service ``rows`` (an index),
    each times its sign, summed per centre and service: one parse of all the texts as numbers, key and
    count by turns, one scatter-add; no Python step per entry."""
    out = np.zeros((pairs, _BUCKETS), np.int64)
    kept = [i for i, text in enumerate(texts) if text != "{}"]
    if kept:
        entries = np.array([texts[i].count(":") for i in kept])
        numbers = np.fromstring("".join([texts[i] for i in kept]).translate(_JSON_PUNCTUATION), dtype=np.int64,
                                sep=" ")
        np.add.at(out, (np.repeat(rows[kept], entries), numbers[0::2]), numbers[1::2] * np.repeat(signs[kept], entries))
    return out


def _counts(texts: list[str], rows: Ints, signs: Ints, pairs: int) -> list[Counter[str]]:
    """Count JSON texts (states, payment methods: a few keys each) summed per centre and service."""
    out: list[Counter[str]] = [Counter() for _ in range(pairs)]
    for counts, row, sign in zip(json.loads("[" + ",".join(texts) + "]"), rows.tolist(), signs.tolist(), strict=True):
        target = out[row]
        for key, n in counts.items():
            target[key] += sign * n
    return out


def _counter(row: Ints) -> Counter[int]:
    buckets = np.flatnonzero(row)
    return Counter(dict(zip(buckets.tolist(), row[buckets].tolist(), strict=True)))


def _select(session: Session, plus: list[Piece], minus: list[Piece], centres: Collection[str] | None) -> Sequence[Any]:
    """The rows ``plus`` and ``minus`` name (of ``centres`` only, when given), each with its sign."""
    if not plus:
        return []
    t = _t(RollupService).c
    adding = [and_(t.span == span, t.day >= a, t.day <= b) for span, a, b in plus]
    taking = [and_(t.span == span, t.day >= a, t.day <= b) for span, a, b in minus]
    sign: Any = case((or_(*taking), -1), else_=1) if taking else literal(1)
    where = [or_(*adding, *taking), *(() if centres is None else (t.centre_code.in_(sorted(centres)),))]
    return session.connection().execute(select(
        t.centre_code, t.service_code, sign, *(t[name] for name in _SUMMED), t.wait_hist, t.service_hist, t.states,
        t.methods).where(*where)).all()


def _period_rows(session: Session, first: date, last: date, centres: Collection[str] | None) -> Sequence[Any]:
    """The period's rows, read knowing the figures' extent; read again when the extent has grown
    meanwhile: a day outside it was taken to hold nothing, but an event stored between the two
    statements (PostgreSQL reads each in its own snapshot) may have put figures there that the rows
    read already count. Should it keep growing, the rows are read as if any day held figures (one
    statement, one snapshot: always right)."""
    known = extent(session)
    for _attempt in range(3):
        rows = _select(session, *pieces(first, last, known), centres) if known is not None else []
        now = extent(session)
        if now == known:
            return rows
        known = now
    return _select(session, *pieces(first, last), centres)


def period_figures(session: Session, first: date, last: date, governorate_of: Mapping[str, str | None],
                   centres: Collection[str] | None = None) -> PeriodFigures:
    """The figures of centre days ``first``..``last`` (of ``centres`` only, when given), a centre
    counted in its governorate by ``governorate_of``. One statement reads the rows :func:`pieces`
    names; numpy sums them per centre and service (counts and histograms), then per governorate,
    centre and service: the Python steps are per row read, none per histogram entry. A centre's
    service whose figures come to nothing counts nowhere."""
    out = PeriodFigures()
    rows = _period_rows(session, first, last, centres)
    if not rows:
        return out
    index: dict[tuple[str, str | None], int] = {}
    row_pair = np.array([index.setdefault((r[0], r[1] or None), len(index)) for r in rows], np.int64)
    columns = list(zip(*rows, strict=True))
    signs = np.array(columns[2], np.int64)
    n, s = len(index), 3 + len(_SUMMED)
    sums = np.zeros((n, len(_SUMMED)), np.int64)
    np.add.at(sums, row_pair, np.array(columns[3:s], np.int64).T * signs[:, None])
    waits = _histograms(list(columns[s]), row_pair, signs, n)
    served = _histograms(list(columns[s + 1]), row_pair, signs, n)
    states = _counts(list(columns[s + 2]), row_pair, signs, n)
    methods = _counts(list(columns[s + 3]), row_pair, signs, n)
    issued, payments = _SUMMED.index("issued"), _SUMMED.index("payments")
    kept = [(key, i) for key, i in index.items()
            if sums[i, issued] or sums[i, payments] or sum(states[i].values())]  # as Summary.empty
    picked = [i for _key, i in kept]
    groups: tuple[tuple[dict[Any, Summary], Callable[[str, str | None], Any]], ...] = (
        (out.governorates, lambda c, s: governorate_of.get(c)), (out.centres, lambda c, s: c),
        (out.services, lambda c, s: s), ({None: out.overall}, lambda c, s: None))
    for target, label_of in groups:
        labels: dict[Any, int] = {}
        rows_of = [labels.setdefault(label_of(*key), len(labels)) for key, _i in kept]
        totals = np.zeros((len(labels), len(_SUMMED)), object)  # Python's integers: a nation's microseconds
        wait = np.zeros((len(labels), _BUCKETS), np.int64)
        service = np.zeros((len(labels), _BUCKETS), np.int64)
        np.add.at(totals, rows_of, sums[picked].astype(object))
        np.add.at(wait, rows_of, waits[picked])
        np.add.at(service, rows_of, served[picked])
        for label, j in labels.items():
            summary = target.setdefault(label, Summary())
            for name, value in zip(_SUMMED, totals[j].tolist(), strict=True):
                setattr(summary, name, value)
            summary.wait_hist, summary.service_hist = _counter(wait[j]), _counter(service[j])
        summaries = [target[label] for label in labels]
        for i, j in zip(picked, rows_of, strict=True):
            summaries[j].states.update(states[i])
            summaries[j].methods.update(methods[i])
    return out


def rebuild(session: Session, chunk: int = 20_000) -> int:
    """Empty the rollups and build them again from every stored event, through :func:`add`, each
    centre's events in its own order (the migration that made them; the bench's bulk load). Returns
    the number of events read."""
    for model in (RollupService, RollupClerk, RollupHour, RollupTicket, RollupApplication):
        session.execute(delete(model))
    e = StoredEvent.__table__.c
    conn, now, count = session.connection(), utcnow(), 0
    for centre in sorted(conn.execute(select(e.centre_code).distinct()).scalars()):
        after: int | None = None
        while True:
            query = select(e.uuid, e.seq, e.kind, e.aggregate_id, e.created_at, e.payload).where(e.centre_code == centre)
            if after is not None:
                query = query.where(e.seq > after)
            rows = conn.execute(query.order_by(e.seq).limit(chunk)).all()
            if not rows:
                break
            events = []
            for uuid, seq, kind, aggregate, created_at, payload in rows:
                try:
                    body = json.loads(payload)
                except ValueError:
                    continue
                if isinstance(body, dict):
                    events.append(WireEvent(uuid, seq, kind, aggregate, created_at, body))
            add(session, centre, events, now)
            count, after = count + len(rows), rows[-1][1]
    return count
