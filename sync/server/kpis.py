"""Key figures across centres for the central server (no HTTP here): :func:`central_kpis` reads
the rollups ingest keeps (:mod:`sync.server.rollups`); :func:`central_kpis_raw` computes them from
the events the centres sent, the check the rollups must equal (``central-server report verify``). The definitions are the centres' own (:mod:`counter_app.common.ticket_events`, as
:mod:`counter_app.core.kpis` uses them):

* a ticket belongs to the centre day (Africa/Cairo) it was issued on, its payload's ``day``;
* waiting time: from its ``issued`` event to its first ``called`` event; service time: from its
  last ``called`` event to its ``finished`` event (a transfer, no-show or skip ends a call
  without service); summarised as count, mean, median and 90th percentile by nearest rank;
* tickets issued, served (finished), no-shows and skipped;
* applications received in the period (their ``application.create`` event) by their latest state;
* money collected in the period (``application.payment`` events) by payment method, in piastres.

A centre's events follow their own sequence (``seq``), never the wall clock. Events are first cut
by ``created_at`` with a day's margin (UTC against the centre's zone), then by their centre day.

A stored payload is never trusted to have the types its schema (:mod:`sync.events`) gives: a row
stored before events were validated, or changed in the database by hand, whose fields the figures
need cannot be read (not JSON, a time that is not an aware ISO time, an amount that is not an
integer of piastres, a text that is not text) is left out of every figure and counted in
``skipped_events`` (of the period's cut, the day either side included).

``central_kpis`` returns (JSON-ready; lists sorted by code, ``null`` codes last)::

    {
      "from": "2026-11-23", "to": "2026-11-24",
      "skipped_events": int,
      "overall": FIGURES,
      "by_governorate": [{"governorate": "21" | null, "name_ar": "الجيزة" | null, "name_en": "Giza" | null,
                          "centres": ["GIZ-01", ...], **FIGURES}, ...],
      "by_centre": [{"centre": "GIZ-01", "name": "..." (as enrolled), "name_ar": ..., "name_en": ...,
                     "governorate": "21" | null, **FIGURES}, ...],
      "by_service": [{"service": "MP-REG-CERT" | null, "name_ar": ... | null, "name_en": ... | null,
                      **FIGURES}, ...]
    }

    FIGURES = {
      "tickets": {"issued": int, "served": int, "no_shows": int, "skipped": int},
      "waiting_time": {"count": int, "mean_s": float, "median_s": float, "p90_s": float},
      "service_time": {"count": int, "mean_s": float, "median_s": float, "p90_s": float},
      "applications": {"received": int, "by_state": {"draft": int, "submitted": int, ...}},
      "money": {"total": int, "payments": int, "by_method": {"cash": int, "card": int, ...}}
    }

Every enrolled centre has a row (zeros when it sent nothing for the period) and so has the
governorate of each; a service has a row when it had a ticket, an application or a payment
(``service: null`` gathers the tickets issued for a group without a service).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from counter_app.common.clock import local_day
from counter_app.common.governorates import GOVERNORATES
from counter_app.common.ticket_events import (
    CALLED,
    ENDED_WITHOUT_SERVICE,
    FINISHED,
    ISSUED,
    Durations,
    TicketEventKind,
)
from sync.protocol import MAX_PIASTRES, is_day, is_time
from sync.server.models import ApplicationProjection, EnrolledCentre, PublishedCatalogue, StoredEvent
from sync.server.rollups import Summary, period_figures

MAX_DAYS = 366
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NO_SHOW, SKIPPED = TicketEventKind.NO_SHOW.value, TicketEventKind.SKIPPED.value


class BadRange(ValueError):
    """A report period that cannot be served; ``key`` names the reason for a translated page."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def parse_range(first: str | None, last: str | None, today: date) -> tuple[date, date]:
    """``from``/``to`` as sent (YYYY-MM-DD, inclusive); one missing is the other, both are today."""
    def day(name: str, value: str) -> date:
        try:
            if not _DATE.fullmatch(value):
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            raise BadRange("bad_date", f"'{name}' is not a date of the form YYYY-MM-DD: {value[:40]!r}") from None

    start = day("from", first) if first else None
    end = day("to", last) if last else None
    start, end = start or end or today, end or start or today
    if start > end:
        raise BadRange("reversed", f"'from' ({start}) is after 'to' ({end})")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadRange("too_long", f"the period is longer than {MAX_DAYS} days")
    return start, end


@dataclass
class _Tally:
    """Every figure of one row (overall, a governorate, a centre or a service)."""

    issued: int = 0
    served: int = 0
    no_shows: int = 0
    skipped: int = 0
    waits: list[float] = field(default_factory=list)
    services: list[float] = field(default_factory=list)
    states: Counter[str] = field(default_factory=Counter)
    payments: int = 0
    methods: Counter[str] = field(default_factory=Counter)

    def figures(self) -> dict[str, Any]:
        return {
            "tickets": {"issued": self.issued, "served": self.served, "no_shows": self.no_shows,
                        "skipped": self.skipped},
            "waiting_time": asdict(Durations.of(self.waits)),
            "service_time": asdict(Durations.of(self.services)),
            "applications": {"received": sum(self.states.values()), "by_state": dict(sorted(self.states.items()))},
            "money": {"total": sum(self.methods.values()), "payments": self.payments,
                      "by_method": dict(sorted(self.methods.items()))},
        }


@dataclass
class _Ticket:
    """One ticket's events folded, in the centre's order."""

    centre: str
    day: str = ""
    service: str | None = None
    status: str | None = None
    wait: float | None = None
    served_in: float | None = None


class _Rows:
    """The tallies a fact adds to: overall, its centre's governorate, its centre, its service."""

    def __init__(self, centres: dict[str, EnrolledCentre]) -> None:
        self.governorate_of = {code: c.governorate for code, c in centres.items()}
        self.overall = _Tally()
        self.governorates: dict[str | None, _Tally] = {g: _Tally() for g in self.governorate_of.values()}
        self.centres: dict[str, _Tally] = {code: _Tally() for code in centres}
        self.services: dict[str | None, _Tally] = {}
        self.skipped = 0  # stored events whose payload could not be read

    def of(self, centre: str, service: str | None) -> Iterator[_Tally]:
        governorate = self.governorate_of.get(centre)
        yield self.overall
        yield self.governorates.setdefault(governorate, _Tally())
        yield self.centres.setdefault(centre, _Tally())
        yield self.services.setdefault(service, _Tally())


class _Unreadable(ValueError):
    """A stored value the figures cannot use."""


#: What reading a stored value may raise (a time at the edge of the calendar overflows in Cairo's zone).
_UNREADABLE = (ValueError, OverflowError)


def _body(payload: str) -> dict[str, Any]:
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError):
        raise _Unreadable("not JSON") from None
    if not isinstance(body, dict):
        raise _Unreadable("not an object")
    return body


def _text(value: object) -> str:
    """A code or name as sent: text that can go into a JSON answer or a page (no lone surrogate)."""
    if not isinstance(value, str) or not value or len(value) > 64 or "\x00" in value:
        raise _Unreadable("not a short text")
    try:
        value.encode()
    except UnicodeEncodeError:
        raise _Unreadable("not text") from None
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None or value == "" else _text(value)


def _moment(value: object) -> datetime:
    if not isinstance(value, str) or not is_time(value):
        raise _Unreadable("not a time with its zone")
    return datetime.fromisoformat(value)


def _piastres(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_PIASTRES:
        raise _Unreadable("not an amount of piastres")
    return value


#: What the figures read of one ticket event: its kind, time, centre day and service.
_Fact = tuple[str, datetime, str, str | None]


def _fact(payload: str) -> _Fact:
    body = _body(payload)
    day = body.get("day")
    if not isinstance(day, str) or not is_day(day):
        raise _Unreadable("not a day")
    return _text(body.get("event")), _moment(body.get("at")), day, _optional_text(body.get("service"))


def _fold(centre: str, facts: Iterable[_Fact]) -> _Ticket:
    """Like :func:`counter_app.core.kpis._walk`: the first call ends the wait, the last call
    before ``finished`` starts the service."""
    ticket = _Ticket(centre)
    issued_at: datetime | None = None
    last_call: datetime | None = None
    for kind, at, day, service in facts:
        ticket.day = ticket.day or day
        ticket.service = ticket.service or service
        if kind == ISSUED:
            issued_at = at
        elif kind == CALLED:
            if ticket.wait is None and issued_at is not None:
                ticket.wait = (at - issued_at).total_seconds()
            last_call = at
        elif kind == FINISHED:
            ticket.status = FINISHED
            if last_call is not None:
                ticket.served_in = (at - last_call).total_seconds()
            last_call = None
        elif kind in ENDED_WITHOUT_SERVICE:
            ticket.status = kind
            last_call = None
    return ticket


def _between(kind: Any, first: date, last: date, centres: Collection[str] | None = None) -> Any:
    """The cheap cut: events created (UTC) from the day before ``first`` to the day after ``last``
    (of ``centres`` only, when given: a person's scope)."""
    c = StoredEvent.__table__.c
    created = c.created_at
    scoped = () if centres is None else (c.centre_code.in_(sorted(centres)),)
    return (kind, created >= (first - timedelta(days=1)).isoformat(),
            created < (last + timedelta(days=2)).isoformat(), *scoped)


def _tickets(session: Session, first: date, last: date, rows_of: _Rows,
             centres: Collection[str] | None = None) -> Iterator[_Ticket]:
    e = StoredEvent.__table__.c
    rows = session.connection().execute(
        select(e.centre_code, e.aggregate_id, e.payload)
        .where(*_between(e.kind.like("ticket.%"), first, last, centres))
        .order_by(e.centre_code, e.aggregate_id, e.seq)
        .execution_options(yield_per=5000))  # streamed: a month of a country is millions of events
    low, high = first.isoformat(), last.isoformat()
    current: tuple[str, str] | None = None
    facts: list[_Fact] = []
    for centre, aggregate, payload in rows:
        if (centre, aggregate) != current:
            if current is not None:
                yield _fold(current[0], facts)
            current, facts = (centre, aggregate), []
        try:
            fact = _fact(payload)
        except _UNREADABLE:
            rows_of.skipped += 1
            continue
        if low <= fact[2] <= high:
            facts.append(fact)
    if current is not None:
        yield _fold(current[0], facts)


def _in_days(created_at: str, first: date, last: date) -> bool:
    return first <= local_day(_moment(created_at)) <= last


def _service_names(session: Session) -> dict[str, tuple[str, str]]:
    body = session.scalar(select(PublishedCatalogue.body).order_by(PublishedCatalogue.version.desc()).limit(1))
    services = json.loads(body).get("services", []) if body else []
    return {str(s["code"]): (str(s.get("name_ar") or ""), str(s.get("name_en") or "")) for s in services}


def _codes_last(key: str | None) -> tuple[bool, str]:
    return key is None, key or ""


def central_kpis_raw(session: Session, first: date, last: date,
                     scope: Collection[str] | None = None) -> dict[str, Any]:
    """The figures of centre days ``first``..``last`` (inclusive) computed from the stored events
    (a scan of the period's events: the check of the rollups, ``central-server report verify``).
    ``scope``: only these centres' (a person's scope, :mod:`sync.server.accounts`); None: all."""
    centres = {c.code: c for c in session.scalars(select(EnrolledCentre)) if scope is None or c.code in scope}
    rows = _Rows(centres)
    for ticket in _tickets(session, first, last, rows, scope):
        if not ticket.day:
            continue  # none of its events is of the period
        for tally in rows.of(ticket.centre, ticket.service):
            tally.issued += 1
            tally.served += ticket.status == FINISHED
            tally.no_shows += ticket.status == NO_SHOW
            tally.skipped += ticket.status == SKIPPED
            if ticket.wait is not None:
                tally.waits.append(ticket.wait)
            if ticket.served_in is not None:
                tally.services.append(ticket.served_in)
    e, projection = StoredEvent.__table__.c, ApplicationProjection.__table__.c
    received = session.connection().execute(
        select(e.centre_code, e.created_at, projection.service_code, projection.state)
        .join_from(StoredEvent.__table__, ApplicationProjection.__table__,
                   (projection.centre_code == e.centre_code) & (projection.application_uuid == e.aggregate_id))
        .where(*_between(e.kind == "application.create", first, last, scope)))
    for centre, created_at, service, state in received:
        try:
            if not _in_days(created_at, first, last):
                continue
        except _UNREADABLE:
            rows.skipped += 1
            continue
        for tally in rows.of(centre, service):
            tally.states[str(state)] += 1
    paid = session.connection().execute(
        select(e.centre_code, e.created_at, e.payload).where(
            *_between(e.kind == "application.payment", first, last, scope)))
    for centre, created_at, payload in paid:
        try:
            if not _in_days(created_at, first, last):
                continue
            body = _body(payload)
            service, method, amount = (_optional_text(body.get("service")), _text(body.get("method")),
                                       _piastres(body.get("amount")))
        except _UNREADABLE:
            rows.skipped += 1
            continue
        for tally in rows.of(centre, service):
            tally.payments += 1
            tally.methods[method] += amount
    return _answer(session, first, last, rows.skipped, rows.overall, rows.governorates, rows.centres, rows.services,
                   rows.governorate_of, centres)


def central_kpis(session: Session, first: date, last: date, scope: Collection[str] | None = None) -> dict[str, Any]:
    """The figures of centre days ``first``..``last`` (inclusive) read from the rollups (the shape
    is in the module's doc; percentiles to the precision :mod:`sync.server.rollups` states;
    ``skipped_events`` is 0: only events that follow their schema reach the rollups).
    ``scope``: only these centres' (a person's scope, :mod:`sync.server.accounts`); None: all."""
    centres = {c.code: c for c in session.scalars(select(EnrolledCentre)) if scope is None or c.code in scope}
    governorate_of = {code: c.governorate for code, c in centres.items()}
    figures = period_figures(session, first, last, governorate_of, scope)
    overall, services = figures.overall, figures.services
    governorates: dict[str | None, Summary] = {g: Summary() for g in governorate_of.values()} | figures.governorates
    by_centre: dict[str, Summary] = {code: Summary() for code in centres} | figures.centres
    return _answer(session, first, last, 0, overall, governorates, by_centre, services, governorate_of, centres)


class _Row(Protocol):
    def figures(self) -> dict[str, Any]: ...


def _answer(session: Session, first: date, last: date, skipped: int, overall: _Row,
            governorates: Mapping[str | None, _Row], by_centre: Mapping[str, _Row], services: Mapping[str | None, _Row],
            governorate_of: dict[str, str | None], centres: dict[str, EnrolledCentre]) -> dict[str, Any]:
    names = _service_names(session)
    no_name = ("", "")
    return {
        "from": first.isoformat(), "to": last.isoformat(),
        "skipped_events": skipped,
        "overall": overall.figures(),
        "by_governorate": [
            {"governorate": g, "name_ar": GOVERNORATES[g][0] if g in GOVERNORATES else None,
             "name_en": GOVERNORATES[g][1] if g in GOVERNORATES else None,
             "centres": sorted(c for c, gov in governorate_of.items() if gov == g), **t.figures()}
            for g, t in sorted(governorates.items(), key=lambda kv: _codes_last(kv[0]))],
        "by_centre": [
            {"centre": c, "name": centres[c].name if c in centres else c,
             "name_ar": centres[c].public_name("ar") if c in centres else None,
             "name_en": centres[c].public_name("en") if c in centres else None,
             "governorate": governorate_of.get(c), **t.figures()}
            for c, t in sorted(by_centre.items())],
        "by_service": [
            {"service": s, "name_ar": names.get(s or "", no_name)[0] or None,
             "name_en": names.get(s or "", no_name)[1] or None, **t.figures()}
            for s, t in sorted(services.items(), key=lambda kv: _codes_last(kv[0]))],
    }
