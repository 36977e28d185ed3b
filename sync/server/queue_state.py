"""The centres' queues as the central server knows them: each ticket's state folded from the
ticket events the centres already send (``ticket.issued``, ``called``, ``recalled``,
``transferred``, ``finished``, ``no_show``, ``skipped``, ``expired``), and the questions the
portal's live pages ask of it.

**How the server knows the queue.** Every queue change at a centre commits a ticket event to the
centre's outbox in the same transaction; the sync agent is kicked at that commit and pushes it
within a second or two while the centre is online. On ingest (:func:`fold`, called by
``sync.server.ingest.ingest`` for the events it newly stored) each ticket's row in
``ticket_projection`` takes the state its latest event says, **by the centre's own sequence**
(``seq``), never by clock or arrival: an event that comes again is not stored again and so not
folded again; an older event that comes after a newer one (another batch) changes nothing of the
state, except what only the ``issued`` event carries (queue time, its sequence, the token's
hash), which is filled whatever the order. Every ticket event carries the ticket's whole current
identity (number, day, group, priority), so a row is right from its latest event alone.

**The position equals the centre's.** :func:`waiting_ahead` is ``counter_app.core.queue.waiting_ahead``
over the projection, term by term:

* only waiting tickets of the same centre day and the same group, and not those transferred to one
  counter (that counter calls them before its queue: they are nobody's "ahead");
* a priority ticket has ahead of it only the priority tickets queued before it;
* an ordinary ticket has ahead of it every waiting priority ticket (even one that came later) and
  every ticket queued before it;
* "before" is the queue time (the issue time, kept when the ticket is transferred to another
  group), then the order of issue: the core breaks ties by the ticket's row id, the server by the
  ``issued`` event's sequence; both are taken under the centre's write lock in one transaction, so
  they are in the same order.

This is the core's *strict order* count, the figure the kiosk shows and the ticket prints. With
the fairness setting ``ratio:N`` a counter calls one priority ticket per N ordinary ones, so the
real order interleaves the two classes: for an ordinary ticket the figure is then an upper bound
(some priority tickets it counts go after it), for a priority ticket a lower bound. The portal says
exactly what the centre says, so a citizen never reads two figures; the test
``tests/portal/test_ticket_live.py`` compares them for every waiting ticket after each change.

**Estimated wait** follows ``core.queue.estimate_wait_minutes``: people ahead times the mean
service time of the group's last :data:`ESTIMATE_WINDOW` finished tickets of the day (from their call and
finish times; else the catalogue's expected minutes of the group's services; else 8 minutes),
divided by the counters serving the group. The server does not know the centre's counters, so it
counts those that called a ticket of the group that day (else of any group; at least one): the
estimate can differ from the kiosk's, the position cannot.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, event, func, or_, select
from sqlalchemy.orm import Session

from counter_app.common.clock import as_utc
from sync.protocol import WireEvent
from sync.server import bulk
from sync.server.models import PublishedCatalogue, TicketProjection

log = logging.getLogger(__name__)
ESTIMATE_WINDOW = 20  # the core's default ``queue.estimate_window``
DEFAULT_SERVICE_SECONDS = 8 * 60
_ENDED = {"finished": "done", "no_show": "no_show", "skipped": "skipped", "expired": "expired"}
_COLUMNS = ("day", "number", "group_letter", "priority", "status", "queued_at", "issued_seq", "to_counter",
            "counter_id", "counter_number", "called_at", "finished_at", "token_hash", "last_seq", "updated_at")
T = TicketProjection


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _time(value: object) -> datetime:
    return datetime.fromisoformat(str(value))


def _apply(row: dict[str, Any], e: WireEvent) -> None:
    """One event's change to a ticket's row (a dict of :data:`_COLUMNS`)."""
    p = e.payload
    kind = str(p.get("event"))
    at = _time(p["at"])
    if kind == "issued":  # what only the issue says: whatever the order it arrives in
        row["queued_at"], row["issued_seq"] = at, e.seq
        if p.get("token"):
            row["token_hash"] = token_hash(str(p["token"]))
    if kind == "called":  # the latest call: call times follow the centre's commits, whatever the arrival
        called = row.get("called_at")
        row["called_at"] = at if called is None or as_utc(called) < at else called
    if e.seq <= row.get("last_seq", -1):
        return
    row.update(day=date.fromisoformat(str(p["day"])), number=str(p["number"]), group_letter=str(p["group"]),
               priority=bool(p["priority"]), last_seq=e.seq, updated_at=at, counter_id=p.get("counter_id"))
    detail = p.get("detail")
    moved_to_counter = isinstance(detail, dict) and "to_counter" in detail
    if kind in ("issued", "transferred"):
        row.update(status="waiting", to_counter=kind == "transferred" and moved_to_counter,
                   counter_number=None, finished_at=None, counter_id=None)
    elif kind in ("called", "recalled"):
        row.update(status="called", to_counter=False, counter_number=p.get("counter_number"))
    elif kind in _ENDED:
        row.update(status=_ENDED[kind], to_counter=False, counter_number=None, finished_at=at)
    row.setdefault("to_counter", False)


def fold(session: Session, centre: str, events: list[WireEvent]) -> None:
    """Fold newly stored ticket events into ``ticket_projection``. A ticket whose ``issued`` event is
    in the batch is most often new: its row, folded from the batch alone, is inserted (``ON CONFLICT
    DO NOTHING RETURNING``); the others, and those that were there after all, are read under ``FOR
    UPDATE``, folded on and written back (one upsert)."""
    mine = sorted((e for e in events if e.kind.startswith("ticket.") and isinstance(e.payload.get("ticket"), str)),
                  key=lambda e: e.seq)
    if not mine:
        return
    table = cast(Table, T.__table__)
    keys = ["centre_code", "ticket_uuid"]
    by_ticket: dict[str, list[WireEvent]] = {}
    for e in mine:
        by_ticket.setdefault(str(e.payload["ticket"]), []).append(e)
    rest, changed = set(by_ticket), False
    issued_here = sorted(u for u, es in by_ticket.items() if any(e.payload.get("event") == "issued" for e in es))
    if issued_here:
        fresh_rows = {u: _folded({}, by_ticket[u]) for u in issued_here}
        values = [{"centre_code": centre, "ticket_uuid": u, **{c: row.get(c) for c in _COLUMNS}}
                  for u, row in fresh_rows.items() if "status" in row]
        if values:
            inserted = set(bulk.insert(session, table, values, lambda ins: ins.on_conflict_do_nothing(
                index_elements=keys).returning(table.c.ticket_uuid)).scalars())
            rest, changed = rest - inserted, bool(inserted)
    if rest:
        postgres = session.get_bind().dialect.name == "postgresql"
        stmt = select(*table.c).where(T.centre_code == centre, T.ticket_uuid.in_(sorted(rest)))
        rows: dict[str, dict[str, Any]] = {  # Core rows: no ORM object per ticket
            r.ticket_uuid: {c: getattr(r, c) for c in _COLUMNS}
            for r in session.connection().execute(stmt.with_for_update() if postgres else stmt)}
        values = [{"centre_code": centre, "ticket_uuid": u, **{c: row.get(c) for c in _COLUMNS}}
                  for u in sorted(rest) if "status" in (row := _folded(rows.get(u, {}), by_ticket[u]))]
        if values:
            bulk.insert(session, table, values, lambda ins: ins.on_conflict_do_update(
                index_elements=keys, set_={c: ins.excluded[c] for c in _COLUMNS}))
            changed = True
    if changed:
        session.info.setdefault(_CHANGED, set()).add(centre)


def _folded(row: dict[str, Any], events: list[WireEvent]) -> dict[str, Any]:
    for e in events:
        _apply(row, e)
    return row


#: The centres whose projection a session changed, told to :func:`on_change` listeners once committed.
_CHANGED = "shubbak.ticket_projection_changed"
_listeners: list[Callable[[str], None]] = []


def on_change(listener: Callable[[str], None]) -> None:
    """Call ``listener(centre)`` after each commit that folded ticket events of ``centre`` in this
    process (from the committing thread): the portal's event streams wake at once instead of at
    their next look at the database (``sync.server.portal.ticket_events``)."""
    if listener not in _listeners:
        _listeners.append(listener)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    for centre in session.info.pop(_CHANGED, ()):
        for listener in _listeners:
            listener(centre)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def _same_queue(ticket: TicketProjection) -> Any:
    return and_(T.centre_code == ticket.centre_code, T.day == ticket.day, T.status == "waiting",
                T.group_letter == ticket.group_letter, T.to_counter.is_(False))


def waiting_ahead(session: Session, ticket: TicketProjection) -> int:
    """How many waiting tickets will be called before this one: the core's rule (module docstring)."""
    if ticket.status != "waiting" or ticket.queued_at is None:
        return 0
    earlier = or_(T.queued_at < ticket.queued_at,
                  and_(T.queued_at == ticket.queued_at, T.issued_seq < (ticket.issued_seq or 0)))
    if ticket.priority:
        cond = and_(_same_queue(ticket), T.priority.is_(True), earlier)
    else:
        cond = and_(_same_queue(ticket), or_(T.priority.is_(True), earlier))
    return int(session.scalar(select(func.count()).select_from(T).where(cond)) or 0)


def _before(line: list[tuple[datetime, int | None]], times: list[datetime], r: Any) -> int:
    """How many of ``line`` (sorted by queue time) are queued before ``r`` (then issued before it)."""
    lo, hi = bisect_left(times, r.queued_at), bisect_right(times, r.queued_at)
    mine = r.issued_seq or 0
    return lo + sum(1 for _, seq in line[lo:hi] if seq is not None and seq < mine)


def all_waiting_ahead(rows: Iterable[Any]) -> dict[str, int]:
    """:func:`waiting_ahead` of every ticket of one centre day at once, in Python (rows with the
    projection's column names, e.g. from one ``select``), by ``ticket_uuid``: the same rule term by
    term, including SQL's NULLs (a row without queue time or sequence is never "before")."""
    rows = list(rows)
    queues: dict[str, list[Any]] = {}
    for r in rows:
        if r.status == "waiting" and not r.to_counter:
            queues.setdefault(r.group_letter, []).append(r)
    out = {r.ticket_uuid: 0 for r in rows}
    for members in queues.values():
        priority = [r for r in members if r.priority]
        lines = {flag: sorted(((r.queued_at, r.issued_seq) for r in members
                               if bool(r.priority) is flag and r.queued_at is not None), key=lambda p: p[0])
                 for flag in (True, False)}
        times = {flag: [p[0] for p in line] for flag, line in lines.items()}
        for r in members:
            if r.queued_at is None:
                continue
            flag = bool(r.priority)
            before = _before(lines[flag], times[flag], r)
            out[r.ticket_uuid] = before if flag else len(priority) + before
    return out


_catalogue_cache: dict[int, dict[str, float]] = {}


def _catalogue_seconds(session: Session) -> dict[str, float]:
    """The catalogue's expected service seconds per group (parsed once per published version)."""
    version = session.scalar(select(func.max(PublishedCatalogue.version)))
    if version in _catalogue_cache:
        return _catalogue_cache[version]
    body = session.scalar(select(PublishedCatalogue.body).where(PublishedCatalogue.version == version))
    minutes: dict[str, list[float]] = {}
    for service in json.loads(body)["services"] if body else []:
        if service.get("expected_service_minutes"):
            minutes.setdefault(str(service.get("group")), []).append(float(service["expected_service_minutes"]))
    seconds = {g: 60 * sum(m) / len(m) for g, m in minutes.items()}
    if version is not None:
        _catalogue_cache[version] = seconds
    return seconds


def service_seconds(session: Session, centre: str, day: date, group: str) -> float:
    """Mean service time of the group's last finished tickets at the centre that day, or the catalogue's."""
    rows = session.execute(
        select(T.called_at, T.finished_at)
        .where(T.centre_code == centre, T.day == day, T.status == "done", T.group_letter == group,
               T.called_at.is_not(None), T.finished_at.is_not(None))
        .order_by(T.finished_at.desc()).limit(ESTIMATE_WINDOW)).all()
    durations = [(as_utc(done) - as_utc(called)).total_seconds() for called, done in rows if called and done]
    if durations:
        return max(0.0, sum(durations) / len(durations))
    return _catalogue_seconds(session).get(group, DEFAULT_SERVICE_SECONDS)


def serving_counters(session: Session, centre: str, day: date, group: str) -> int:
    """Counters that called a ticket of the group that day; else that called any ticket; at least one."""
    def distinct(*where: Any) -> int:
        return int(session.scalar(select(func.count(func.distinct(T.counter_id)))
                                  .where(T.centre_code == centre, T.day == day, T.called_at.is_not(None),
                                         T.counter_id.is_not(None), *where)) or 0)

    return max(1, distinct(T.group_letter == group) or distinct())


def estimate_wait_minutes(session: Session, centre: str, day: date, group: str, ahead: int) -> int:
    if ahead <= 0:
        return 0
    seconds = service_seconds(session, centre, day, group)
    return math.ceil(ahead * seconds / serving_counters(session, centre, day, group) / 60)


@dataclass(frozen=True)
class Calling:
    number: str
    counter_number: int | None


def now_calling(session: Session, centre: str, day: date, *, group: str | None = None,
                limit: int = 3) -> list[Calling]:
    """The tickets at a counter now, latest call first (of ``group`` when given)."""
    stmt = (select(T.number, T.counter_number).where(T.centre_code == centre, T.day == day, T.status == "called")
            .order_by(T.called_at.desc()).limit(limit))
    if group is not None:
        stmt = stmt.where(T.group_letter == group)
    return [Calling(n, c) for n, c in session.execute(stmt)]


def waiting_counts(session: Session, centre: str, day: date) -> dict[str, int]:
    """Waiting tickets per group letter of the centre day (as the centre's display shows them)."""
    rows = session.execute(select(T.group_letter, func.count())
                           .where(T.centre_code == centre, T.day == day, T.status == "waiting")
                           .group_by(T.group_letter)).all()
    return {letter: int(n) for letter, n in rows}


@dataclass(frozen=True)
class GroupView:
    """What every ticket page of one centre's group shares: kept :data:`SHARED_TTL_S` in the process,
    so a thousand phones of one centre cost the server their own row and count, not the estimate."""

    seconds_per_ahead: float
    calling: list[Calling]

    def wait_minutes(self, ahead: int) -> int:
        return math.ceil(ahead * self.seconds_per_ahead / 60) if ahead > 0 else 0


SHARED_TTL_S = 2.0
_views: dict[tuple[str, date, str], tuple[float, GroupView]] = {}


def group_view(session: Session, centre: str, day: date, group: str) -> GroupView:
    key = (centre, day, group)
    now = time.monotonic()
    cached = _views.get(key)
    if cached is not None and now - cached[0] < SHARED_TTL_S:
        return cached[1]
    view = GroupView(service_seconds(session, centre, day, group) / serving_counters(session, centre, day, group),
                     now_calling(session, centre, day, group=group))
    if len(_views) > 10_000:  # old days and centres: start again
        _views.clear()
    _views[key] = (now, view)
    return view


def by_token(session: Session, token: str) -> TicketProjection | None:
    """The ticket of a public token, or None (an unknown token and a malformed one alike)."""
    if not 16 <= len(token) <= 32:
        return None
    return session.scalar(select(T).where(T.token_hash == token_hash(token)).limit(1))
