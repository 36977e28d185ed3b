"""Each centre's tickets of today as one snapshot in memory, shared by every mobile-ticket answer of
this process: the page ``/t/<token>``, its JSON ``/t/<token>/state`` and its event stream
``/t/<token>/events``.

**Why.** A thousand phones of one centre asking every 15 s, and holding a stream each, must not
cost the server a thousand reads of the same rows: each centre's tickets are read in one
``select`` when they changed, every ticket's state computed at once (positions by
:func:`sync.server.queue_state.all_waiting_ahead`, the SQL rule in Python), and the answers are
then taken from memory on the event loop, without a thread or a database connection.

**Fresh within a second or two.** One task per process and database (:class:`LiveTickets`) looks,
every :data:`CHECK_S` seconds and at once when :func:`sync.server.queue_state.fold` committed a
change in this process (its ``on_change`` hook), at the *mark* of every centre it keeps (the
newest sequence and the number of today's rows of its ticket projection, the HH:MM of its last
sync and whether it is silent): **one grouped query for all its centres**, whatever their number.
Only a centre whose mark moved is read again. A push that landed in another worker process or
server is so seen within :data:`CHECK_S`. An answer is taken from a snapshot only while its last
look is at most :data:`FRESH_S` old; else (the database is away, say) the ticket is asked the
usual way (:func:`sync.server.portal.tickets.ticket_state`) and its error, if any, is the answer.

**What it keeps.** A centre is kept while one of its tickets is asked (a token the snapshot does
not know is asked the usual way, which names its centre; the centre is kept from then on) and
forgotten :data:`IDLE_S` after the last question, unless a stream of it is open. A ticket issued
after the snapshot, or unknown, is asked the usual way. Event streams wait on their own ticket's
key (:meth:`LiveTickets.waiter`): a change of the centre wakes only the streams whose ticket's state
changed, not every stream of the centre.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from counter_app.common.clock import local_day, utcnow
from sync.server import queue_state
from sync.server.db import ServerDatabase
from sync.server.models import EnrolledCentre, TicketProjection
from sync.server.portal import tickets

log = logging.getLogger(__name__)
T = TicketProjection

CHECK_S = 0.5  # the marks of the kept centres are looked at this often
FRESH_S = 3.0  # a snapshot whose last look is older answers nothing (the usual way does)
IDLE_S = 60.0  # a centre nobody asked about for this long (and without streams) is forgotten
_CHUNK = 500  # centres per grouped query
WAKE_BATCH = 8  # streams woken per turn of the event loop
CLOSE_S = 10.0  # at the server's stop, the look under way may end in this time
_COLUMNS = (T.ticket_uuid, T.token_hash, T.number, T.status, T.group_letter, T.priority, T.queued_at, T.issued_seq,
            T.to_counter, T.counter_number, T.updated_at)

State = dict[str, Any]


@dataclass(frozen=True)
class Mark:
    day: date
    newest_seq: int | None
    rows: int
    updated: str | None
    offline_since: str | None


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i:i + _CHUNK]


def marks(db: ServerDatabase, centres: list[str], now: datetime) -> dict[str, tuple[Mark, tickets.CentreInfo]]:
    """Every given centre's mark and public details, in two queries per :data:`_CHUNK` centres."""
    day = local_day(now)
    out: dict[str, tuple[Mark, tickets.CentreInfo]] = {}
    with db.sessions() as s:
        for part in _chunks(centres):
            counts = {code: (newest, int(rows)) for code, newest, rows in s.execute(
                select(T.centre_code, func.max(T.last_seq), func.count())
                .where(T.centre_code.in_(part), T.day == day).group_by(T.centre_code))}
            rows_of = {row.code: row for row in s.scalars(select(EnrolledCentre).where(EnrolledCentre.code.in_(part)))}
            for code in part:
                info = tickets.info_of(rows_of.get(code), code)
                seen = info.last_seen
                newest, n = counts.get(code, (None, 0))
                out[code] = (Mark(day, newest, n, tickets.hhmm(seen) if seen else None,
                                  tickets._stale_since(seen, now)), info)
    return out


def states_of(db: ServerDatabase, centre: str, day: date, info: tickets.CentreInfo, now: datetime) -> dict[str, State]:
    """Every ticket's state of the centre's day, by token hash: one ``select`` of the tickets and,
    per service group, its estimate and the tickets it calls now."""
    with db.sessions() as s:
        rows = s.execute(select(*_COLUMNS).where(T.centre_code == centre, T.day == day)).all()
        ahead = queue_state.all_waiting_ahead(rows)
        views = {}
        for group in {r.group_letter for r in rows}:
            seconds = queue_state.service_seconds(s, centre, day, group)
            views[group] = queue_state.GroupView(
                seconds / queue_state.serving_counters(s, centre, day, group),
                queue_state.now_calling(s, centre, day, group=group))
    return {r.token_hash: tickets.compose(r, ahead[r.ticket_uuid], views[r.group_letter], info, now)
            for r in rows if r.token_hash}


@dataclass
class Snapshot:
    """One centre's tickets of today as last read, in this process."""

    centre: str
    mark: Mark | None = None
    states: dict[str, State] = field(default_factory=dict)
    version: int = 0
    looked: float = float("-inf")  # loop time of the last look at its mark
    used: float = 0.0  # loop time of the last question
    streams: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    waiters: dict[str, set[asyncio.Event]] = field(default_factory=dict)


def _look(db: ServerDatabase, known: dict[str, Mark | None]) -> dict[str, tuple[Mark, dict[str, State] | None]]:
    """(In a thread) each centre's mark, and its states when the mark moved from ``known``."""
    now = utcnow()
    out: dict[str, tuple[Mark, dict[str, State] | None]] = {}
    for centre, (mark, info) in marks(db, list(known), now).items():
        moved = mark != known[centre]
        out[centre] = (mark, states_of(db, centre, mark.day, info, now) if moved else None)
    return out


class LiveTickets:
    """The snapshots of one database in this process (its event loop), kept fresh by one task."""

    def __init__(self, db: ServerDatabase) -> None:
        self.db = db
        self.loop = asyncio.get_running_loop()
        self.snapshots: dict[str, Snapshot] = {}
        self.centre_of: dict[str, str] = {}  # token hash -> centre, of the kept snapshots
        self.checks = 0  # looks at the database, for the tests
        self.poke = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    # --- questions -----------------------------------------------------------------------------

    def cached(self, key: str) -> State | None:
        """The ticket's state from a fresh snapshot, or None (then ask the usual way)."""
        centre = self.centre_of.get(key)
        snap = self.snapshots.get(centre) if centre is not None else None
        if snap is None:
            return None
        snap.used = self.loop.time()
        if self.loop.time() - snap.looked > FRESH_S:
            return None
        return snap.states.get(key)

    async def state(self, token: str) -> State | None:
        """The ticket's state, from memory when its centre is kept, else from the database (and its
        centre kept from then on). None: unknown, or not of today."""
        answer = await self.answer(token)
        return answer[1] if answer is not None else None

    async def answer(self, token: str) -> tuple[str, State] | None:
        """The ticket's centre code and :meth:`state`."""
        key = queue_state.token_hash(token)
        state = self.cached(key)
        if state is not None:
            return self.centre_of[key], state
        answer = await run_in_threadpool(tickets.ticket_answer, self.db, token)
        if answer is not None:
            self.keep(answer[0])
        return answer

    def keep(self, centre: str) -> Snapshot:
        snap = self.snapshots.get(centre)
        if snap is None:
            snap = self.snapshots[centre] = Snapshot(centre, used=self.loop.time())
            self.poke.set()
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self._run(), name="ticket-snapshots")
        return snap

    def waiter(self, snap: Snapshot, key: str) -> asyncio.Event:
        """An event set each time ``key``'s state changes (a stream's own)."""
        event = asyncio.Event()
        snap.waiters.setdefault(key, set()).add(event)
        snap.streams += 1
        return event

    def leave(self, snap: Snapshot, key: str, event: asyncio.Event) -> None:
        mine = snap.waiters.get(key)
        if mine is not None:
            mine.discard(event)
            if not mine:
                del snap.waiters[key]
        snap.streams -= 1
        snap.used = self.loop.time()

    def streaming(self) -> list[Snapshot]:
        return [s for s in self.snapshots.values() if s.streams > 0]

    # --- the task ------------------------------------------------------------------------------

    async def _run(self) -> None:
        while self.snapshots:
            self.poke.clear()
            known = {code: snap.mark for code, snap in self.snapshots.items()}
            try:
                looked = await run_in_threadpool(_look, self.db, known)
            except SQLAlchemyError as exc:  # answers go the usual way until the next look does
                log.info("ticket snapshots: no look at the database (%s)", exc)
                looked = {}
            self.checks += 1
            now = self.loop.time()
            for centre, (mark, states) in looked.items():
                snap = self.snapshots.get(centre)
                if snap is None:
                    continue
                snap.looked = now
                if states is not None:
                    self._replace(snap, mark, states)
            for snap in list(self.snapshots.values()):
                if snap.streams <= 0 and now - snap.used > IDLE_S:
                    self._forget(snap)
            if not self.snapshots:
                break
            try:
                await asyncio.wait_for(self.poke.wait(), CHECK_S)
            except TimeoutError:
                pass

    def _replace(self, snap: Snapshot, mark: Mark, states: dict[str, State]) -> None:
        old = snap.states
        snap.mark, snap.states = mark, states
        snap.version += 1
        for key in old.keys() - states.keys():
            self.centre_of.pop(key, None)
        for key in states.keys() - old.keys():
            self.centre_of[key] = snap.centre
        snap.ready.set()
        self._wake([event for key, events in snap.waiters.items() if states.get(key) != old.get(key)
                    for event in events])

    def _wake(self, events: list[asyncio.Event]) -> None:
        """Wake the streams :data:`WAKE_BATCH` at a time, one turn of the loop each: the sockets are
        looked at between two batches, so a thousand streams sending do not hold up the questions
        that arrive meanwhile."""
        for event in events[:WAKE_BATCH]:
            event.set()
        if len(events) > WAKE_BATCH:
            self.loop.call_soon(self._wake, events[WAKE_BATCH:])

    def _forget(self, snap: Snapshot) -> None:
        del self.snapshots[snap.centre]
        for key in snap.states:
            if self.centre_of.get(key) == snap.centre:
                del self.centre_of[key]

    def changed(self, centre: str) -> None:
        if centre in self.snapshots:
            self.poke.set()


#: The live tickets of this process, by database (one per event loop that serves it).
_lives: dict[ServerDatabase, LiveTickets] = {}


def live(db: ServerDatabase) -> LiveTickets:
    """This process's :class:`LiveTickets` of ``db`` (made on first use, on the running loop)."""
    mine = _lives.get(db)
    if mine is None or mine.loop is not asyncio.get_running_loop() or mine.loop.is_closed():
        mine = _lives[db] = LiveTickets(db)
    return mine


def lives() -> list[LiveTickets]:
    return list(_lives.values())


async def close(db: ServerDatabase) -> None:
    """The server stops: forget ``db``'s snapshots of this loop and end their task."""
    mine = _lives.get(db)
    if mine is None or mine.loop is not asyncio.get_running_loop():
        return
    del _lives[db]
    mine.snapshots.clear()  # its task ends after the look under way (its thread holds a connection)
    mine.poke.set()
    if mine.task is not None and not mine.task.done():
        try:
            await asyncio.wait_for(asyncio.shield(mine.task), CLOSE_S)
        except TimeoutError:
            mine.task.cancel()
            log.warning("ticket snapshots: a look at the database still under way at the stop")


def _folded(centre: str) -> None:
    """A commit of this process changed ``centre``'s tickets (from the committing thread)."""
    for mine in list(_lives.values()):
        if centre in mine.snapshots:
            try:
                mine.loop.call_soon_threadsafe(mine.changed, centre)
            except RuntimeError:  # its loop is closed
                pass


queue_state.on_change(_folded)
