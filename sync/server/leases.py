"""Work that one central server process of many does at a time: a lease in the database.

Every worker process (``--workers N``), and every server on the same database, runs the same
periodic jobs: the alerts' evaluation (:mod:`sync.server.alerts`) and the ticket projection's
hourly cleaning (:mod:`sync.server.projection_cleanup`). Both rest on one row per job in table
``server_lease`` (name, holder, expires_at), taken by one atomic statement, so two processes asking
at once never both get it, on PostgreSQL and SQLite alike:

- :func:`take_lease`: a *holder* takes the job and renews it at each round; another holder takes it
  over only once it has expired (a process that died leaves it after its time to live; one that
  stops gives it back, :func:`release_lease`).
- :meth:`Lease.claim`: yes to exactly one caller per ``period_s``: each claim is a new holder, so
  the first claim after the window's end takes it and every other claim of the window is refused.

Nothing is held open between rounds: no connection, no lock. Times are the database's clients'
system clocks (UTC).
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from counter_app.common.clock import as_utc, utcnow
from sync.server.db import ServerDatabase
from sync.server.models import ServerLease

log = logging.getLogger(__name__)


def take_lease(session: Session, holder: str, now: datetime, ttl_s: float, name: str) -> bool:
    """Take or renew the lease ``name`` for ``holder`` (in the caller's transaction): True when held."""
    expires = now + timedelta(seconds=ttl_s)
    renewed = session.execute(update(ServerLease).where(
        ServerLease.name == name, (ServerLease.holder == holder) | (ServerLease.expires_at < now))
        .values(holder=holder, expires_at=expires))
    if renewed.rowcount:  # type: ignore[attr-defined]
        return True
    insert = (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(ServerLease)
    added = session.execute(insert.values(name=name, holder=holder, expires_at=expires)
                            .on_conflict_do_nothing(index_elements=[ServerLease.name]).returning(ServerLease.name))
    return added.first() is not None  # (psycopg's rowcount of an INSERT ... ON CONFLICT is no count)


def release_lease(session: Session, holder: str, name: str) -> bool:
    """Give the lease ``name`` back if ``holder`` holds it (a process stopping: the next one takes
    over at its next round instead of after the time to live); True when it was held."""
    gone = session.execute(delete(ServerLease).where(ServerLease.name == name, ServerLease.holder == holder))
    return bool(gone.rowcount)  # type: ignore[attr-defined]


class Lease:
    """``claim()`` is true for one caller per ``period_s`` across every process on ``db``."""

    def __init__(self, db: ServerDatabase, name: str, period_s: float) -> None:
        self.db, self.name, self.period_s = db, name, period_s

    def claim(self) -> bool:
        with self.db.sessions.begin() as s:
            return take_lease(s, uuid.uuid4().hex, utcnow(), self.period_s, self.name)


class LeasedRunner:
    """A periodic round in a server process (a daemon thread), done only while this process holds
    the lease ``lease`` (:func:`take_lease`, renewed at each round with three intervals to live, given
    back at :meth:`stop`). A subclass names its ``lease`` and ``what`` (for the log) and does its work
    in :meth:`round`; :attr:`rounds` counts the rounds done."""

    lease = ""
    what = ""

    def __init__(self, db: ServerDatabase, interval_s: float) -> None:
        self.db, self.interval_s = db, interval_s
        self.holder = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0

    def round(self, now: datetime) -> None:
        raise NotImplementedError

    def closing(self) -> None:
        """Called by :meth:`stop` once the thread has ended, before the lease is given back."""

    def run_once(self, now: datetime | None = None) -> bool:
        """One round when this process holds the lease; False when another one does."""
        now = as_utc(now or utcnow())
        with self.db.sessions.begin() as s:
            if not take_lease(s, self.holder, now, 3 * self.interval_s, self.lease):
                return False
        self.round(now)
        self.rounds += 1
        return True

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # the database (or a gateway) away: the next round tries again
                log.exception("%s: the round failed", self.what)
            self._stop.wait(self.interval_s)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.lease, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the rounds and give the lease back (another process takes over at its next round)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        self.closing()
        try:
            with self.db.sessions.begin() as s:
                release_lease(s, self.holder, self.lease)
        except Exception:  # the database away at the stop: the lease expires by itself
            log.warning("%s: the lease was not given back at the stop", self.what, exc_info=True)
