"""Change notification for the centre database: who else committed, without polling the tables.

* PostgreSQL: the core announces its changes with ``pg_notify`` inside the transaction (delivered
  at commit): every ticket event on :data:`QUEUE`, every commit that queued outbox events on
  :data:`OUTBOX`, every round the sync agent records on :data:`SYNC`. The watcher ``LISTEN``\\s on
  one connection of its own and wakes on the notification.
* SQLite (one PC): the watcher keeps one read-only connection open and asks SQLite for
  ``PRAGMA data_version`` every 40 ms. That pragma reads a counter in the shared-memory index of
  the WAL, not a table: it changes only when another connection commits, so an idle centre costs
  nothing but the pragma. It cannot tell what changed: every channel watched is reported.

:class:`ChangeWatcher` runs on its own thread. It calls ``on_change`` once per burst (the
notifications of the next 10 ms, or of one 40 ms poll, make one change), once at every
(re)connection and every 30 s as a safety net (``Change.full``: the day change, anything missed).
Any database error turns the status to "reconnecting" and the watcher retries with a growing
delay until the database is back; it never needs a restart. No Qt: the callbacks run on the
watcher's thread, and an exception in ``on_change`` counts as a lost connection.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from counter_app.common.engine import make_engine, normalise_url
from counter_app.core.outbox import OUTBOX_CHANNEL
from counter_app.core.queue import QUEUE_CHANNEL

log = logging.getLogger(__name__)

#: Ticket events (issue, call, recall, finish, ...): queue panels, kiosks, displays.
QUEUE = QUEUE_CHANNEL
#: A commit that queued events for the central server (the sync agent's outbox).
OUTBOX = OUTBOX_CHANNEL
#: The sync agent recorded a round (its result, the events it marked sent): the status line.
SYNC = "shubbak_sync"
CHANNELS: frozenset[str] = frozenset({QUEUE, OUTBOX, SYNC})

SQLITE_POLL_S = 0.04
WAIT_S = 0.5
COALESCE_S = 0.01
FULL_RELOAD_S = 30.0
BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 5.0)


def announce(session: Session, channel: str) -> None:
    """Announce a change on ``channel`` at the commit of ``session``'s transaction (PostgreSQL;
    on SQLite the commit itself is seen through ``data_version``)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel})


@dataclass(frozen=True)
class Change:
    """What changed: the channels announced (every channel watched when the database cannot tell,
    as on SQLite); ``full`` for a catch-up after a (re)connection and the periodic safety net."""

    channels: frozenset[str]
    full: bool = False

    def about(self, *channels: str) -> bool:
        return self.full or not self.channels.isdisjoint(channels)


@dataclass(frozen=True)
class WatchStatus:
    connected: bool
    error: str = ""
    attempts: int = 0


def watch_engine(url: str) -> Engine:
    """**The** engine of a change watcher (and of the reads made on its thread): read-only on a
    SQLite file (the display never takes a lock a counter could wait for), a small pool on
    PostgreSQL. Raises when there is nothing to watch (an in-memory or missing SQLite file)."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:":
            raise ValueError("changes can only be watched on a SQLite file, not an in-memory database")
        if not os.path.exists(path):
            raise FileNotFoundError(path)
        return make_engine(url, read_only=True)  # SQLite's mode=ro: no lock a counter could wait for
    return make_engine(url, pool_size=2, max_overflow=0)


class _Source:
    """One connection that waits for the next change, and the engine for reads beside it."""

    engine: Engine

    def wait(self, timeout: float, stop: threading.Event) -> frozenset[str]:  # pragma: no cover - overridden
        raise NotImplementedError

    def wake(self) -> None:
        """Called from another thread by ``stop``: end a wait early."""

    def close(self) -> None:
        self.engine.dispose()


class _SqliteSource(_Source):
    def __init__(self, engine: Engine, path: str, channels: frozenset[str]) -> None:
        self.engine, self.path, self.channels = engine, path, channels
        self.inode = os.stat(path).st_ino
        self.raw = engine.raw_connection()
        self.version = self._version()

    def _version(self) -> int:
        cursor = self.raw.cursor()
        try:
            cursor.execute("PRAGMA data_version")
            row = cursor.fetchone()
            return int(row[0]) if row else 0
        finally:
            cursor.close()

    def wait(self, timeout: float, stop: threading.Event) -> frozenset[str]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                stat = os.stat(self.path)
            except FileNotFoundError:
                raise ConnectionError(f"the database file {self.path} is gone") from None
            if stat.st_ino != self.inode:
                raise ConnectionError(f"the database file {self.path} was replaced")
            version = self._version()
            if version != self.version:
                self.version = version
                return self.channels
            if time.monotonic() >= deadline or stop.wait(SQLITE_POLL_S):
                return frozenset()

    def close(self) -> None:
        try:
            self.raw.close()
        finally:
            super().close()


class _PostgresSource(_Source):
    def __init__(self, engine: Engine, channels: frozenset[str]) -> None:
        self.engine = engine
        raw = engine.raw_connection()
        conn: Any = raw.driver_connection
        raw.detach()  # the listening connection is ours until close, never back in the pool
        try:
            conn.autocommit = True
            for channel in sorted(channels):
                conn.execute(f"LISTEN {channel}")
        except BaseException:
            conn.close()
            raise
        self.conn = conn
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)

    def _drain(self, timeout: float) -> set[str]:
        return {note.channel for note in self.conn.notifies(timeout=timeout)}

    def wait(self, timeout: float, stop: threading.Event) -> frozenset[str]:
        got = self._drain(0)  # what came with the last exchange
        if not got:
            ready, _w, _x = select.select([self.conn.fileno(), self._wake_r], [], [], timeout)
            if self._wake_r in ready:
                return frozenset()
            if ready:  # the first notification, and the rest of its burst
                got = self._drain(COALESCE_S)
        if self.conn.closed or self.conn.broken:
            raise ConnectionError("the notification connection was lost")
        return frozenset(got)

    def wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:  # closed already
            pass

    def close(self) -> None:
        try:
            self.conn.close()
        finally:
            self._wake_r.close()
            self._wake_w.close()
            super().close()


def open_source(url: str, channels: frozenset[str] = CHANNELS) -> _Source:
    engine = watch_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            return _SqliteSource(engine, str(make_url(normalise_url(url)).database), channels)
        return _PostgresSource(engine, channels)
    except BaseException:
        engine.dispose()
        raise


class ChangeWatcher:
    """Runs on its own thread until :meth:`stop`; reports through ``on_change`` and ``on_status``."""

    def __init__(self, url: str, on_change: Callable[[Change], object], on_status: Callable[[WatchStatus], object],
                 *, channels: Collection[str] = CHANNELS, full_reload_s: float = FULL_RELOAD_S,
                 name: str = "change-watcher") -> None:
        self.url, self.channels, self.full_reload_s = url, frozenset(channels), full_reload_s
        self.on_change, self.on_status = on_change, on_status
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._source: _Source | None = None
        self._lock = threading.Lock()
        self.changes = 0  # changes reported (tests, benchmarks)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        with self._lock:
            if self._source is not None:
                self._source.wake()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session on the watcher's engine, for reads made inside ``on_change`` (its thread)."""
        source = self._source
        if source is None:
            raise ConnectionError("the change watcher is not connected")
        with Session(source.engine) as session:
            yield session

    def _run(self) -> None:
        attempts = 0
        while not self._stop.is_set():
            source: _Source | None = None
            try:
                source = open_source(self.url, self.channels)
                with self._lock:
                    self._source = source
                if self._stop.is_set():
                    break
                self._report(Change(self.channels, full=True))
                if attempts:
                    log.info("database reachable again after %d attempt(s)", attempts)
                attempts = 0
                self.on_status(WatchStatus(True))
                last_full = time.monotonic()
                while not self._stop.is_set():
                    changed = source.wait(WAIT_S, self._stop)
                    if self._stop.is_set():
                        break
                    full = time.monotonic() - last_full >= self.full_reload_s
                    if changed or full:
                        self._report(Change(self.channels if full else changed, full=full))
                        if full:
                            last_full = time.monotonic()
            except Exception as exc:  # the database is unreachable: say so and try again
                attempts += 1
                log.warning("%s cannot read the database (attempt %d): %s", self._thread.name, attempts, exc)
                self.on_status(WatchStatus(False, str(exc), attempts))
                self._stop.wait(BACKOFF_S[min(attempts - 1, len(BACKOFF_S) - 1)])
            finally:
                with self._lock:
                    self._source = None
                if source is not None:
                    try:
                        source.close()
                    except Exception:  # closing a broken connection may fail too
                        log.debug("closing the watcher's connection failed", exc_info=True)

    def _report(self, change: Change) -> None:
        self.changes += 1
        self.on_change(change)
