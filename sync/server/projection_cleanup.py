"""Cleaning of the central server's ticket projection (``ticket_projection``, folded by
:mod:`sync.server.queue_state`).

**Cleaning.** The projection keeps today and yesterday (Cairo days, :func:`keep_from`): a ticket
page of the day that just ended still answers, and nothing older is read. :class:`ProjectionPruner`
deletes the older rows after an ingest (``POST /v1/events`` runs it once the answer is sent): a round
at most once per :data:`PRUNE_EVERY_S`, by one process of all those on the database (a
:class:`sync.server.leases.Lease` claimed at the round's start; a process refused it waits for its
next hour), centre by centre through the queue index's
``(centre_code, day)`` prefix, in batches of at most :data:`PRUNE_BATCH` rows each committed on its
own, and at most :data:`PRUNE_BUDGET_S` of work per ingest (a round left unfinished goes on at the
next ingest), so millions of old rows never make one long transaction nor one slow push. An event of
an older day that arrives late folds as usual and goes at the next round.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.background import BackgroundTask

from counter_app.common.clock import local_day
from sync.server.models import TicketProjection

log = logging.getLogger(__name__)
T = TicketProjection


PRUNE_EVERY_S = 3600.0
PRUNE_BATCH = 2000
PRUNE_BUDGET_S = 0.2

#: Every centre that has rows, by the primary key's first column, one index probe per centre (a
#: "loose index scan": PostgreSQL's DISTINCT would read the whole index).
_CENTRES = text(
    "WITH RECURSIVE c(code) AS (SELECT MIN(centre_code) FROM ticket_projection UNION ALL "
    "SELECT (SELECT MIN(t.centre_code) FROM ticket_projection t WHERE t.centre_code > c.code) "
    "FROM c WHERE c.code IS NOT NULL) SELECT code FROM c WHERE code IS NOT NULL")


def keep_from(now: datetime) -> date:
    """The oldest centre day the projection keeps: yesterday, by the Cairo calendar."""
    return local_day(now) - timedelta(days=1)


def projection_centres(session: Session) -> list[str]:
    return [str(code) for code in session.scalars(_CENTRES)]


def prune_batch(session: Session, centre: str, before: date, limit: int) -> int:
    """Delete at most ``limit`` rows of ``centre`` of days before ``before`` (the caller commits);
    the number deleted."""
    old = select(T.ticket_uuid).where(T.centre_code == centre, T.day < before).limit(limit)
    result = session.execute(delete(T).where(T.centre_code == centre, T.ticket_uuid.in_(old))
                             .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


class ProjectionPruner:
    """Rounds of :func:`prune_batch` over every centre, at most one round per ``every_s`` (module
    docstring, "Cleaning"); one per process (``create_app``). Thread-safe: a slice asked while
    another runs does nothing. ``claim``: asked before a round begins (the lease shared by every
    process on the database); refused, the round waits ``every_s``."""

    def __init__(self, sessions: sessionmaker[Session], *, every_s: float = PRUNE_EVERY_S,
                 batch: int = PRUNE_BATCH, budget_s: float = PRUNE_BUDGET_S,
                 clock: Callable[[], float] = time.monotonic, claim: Callable[[], bool] | None = None) -> None:
        self._sessions, self._every_s, self._batch, self._budget_s = sessions, every_s, batch, budget_s
        self._claim = claim
        self._clock = clock
        self._lock = threading.Lock()
        self._next = clock()  # due at once: the first ingest after start-up begins a round
        self._round: list[str] | None = None  # centres still to clean in this round, last first
        self._before: date | None = None
        self.deleted_in_round = 0
        self.slices = 0  # slices done (a test waits for the one a push started)

    def due(self) -> bool:
        return self._clock() >= self._next

    def after_ingest(self, now: datetime) -> BackgroundTask | None:
        """What ``POST /v1/events`` runs once its answer is sent: a slice when one is due."""
        return BackgroundTask(self.run, now) if self.due() else None

    def run(self, now: datetime) -> int:
        """One slice of the current round (a new round when due); the number of rows deleted."""
        if not self.due() or not self._lock.acquire(blocking=False):
            return 0
        try:
            return self._slice(now)
        except SQLAlchemyError as exc:  # a deadlock with an ingest, the database away: try again later
            log.warning("cleaning ticket_projection failed, tried again in a minute: %s", exc)
            self._round, self._next = None, self._clock() + 60.0
            return 0
        finally:
            self.slices += 1
            self._lock.release()

    def _slice(self, now: datetime) -> int:
        start = self._clock()
        if self._round is None:
            if self._claim is not None and not self._claim():  # another process's round this hour
                self._next = self._clock() + self._every_s
                return 0
            with self._sessions() as s:
                self._round = projection_centres(s)[::-1]
            self._before, self.deleted_in_round = keep_from(now), 0
        assert self._before is not None
        deleted = 0
        while self._round:
            with self._sessions.begin() as s:
                n = prune_batch(s, self._round[-1], self._before, self._batch)
            deleted += n
            if n < self._batch:
                self._round.pop()
            if self._clock() - start >= self._budget_s:
                break
        self.deleted_in_round += deleted
        if not self._round:
            if self.deleted_in_round:
                log.info("ticket_projection: deleted %d rows of days before %s", self.deleted_in_round,
                         self._before)
            self._round, self._next = None, self._clock() + self._every_s
        return deleted
