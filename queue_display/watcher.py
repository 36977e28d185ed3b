"""Watches the centre database for queue changes and reloads the display state once per burst.

No busy polling of the tables:

* PostgreSQL: the core announces every ticket event on the ``shubbak_queue`` channel inside its
  transaction (delivered at commit); the watcher ``LISTEN``\\s on its own connection and wakes on
  the notification.
* SQLite (one PC): the watcher keeps one read-only connection open and asks SQLite for
  ``PRAGMA data_version`` every 40 ms. That pragma reads a counter in the shared-memory index of
  the WAL, not a table: it changes only when another connection commits, so an idle centre costs
  nothing but the pragma.

Either way one :func:`load_state` follows a change (notifications that arrive together are
coalesced), plus a reload every 30 s so that the day change and anything missed show up. Any
database error turns the status to "reconnecting" and the watcher retries with a growing delay,
until the database is back; it never needs a restart. The watcher has no Qt: it calls
``on_state`` and ``on_status`` from its own thread.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from counter_app.core.queue import QUEUE_CHANNEL
from queue_display.state import DisplayState, TickerService, load_state

log = logging.getLogger(__name__)

SQLITE_POLL_S = 0.04
PG_WAIT_S = 0.5
COALESCE_S = 0.01
FULL_RELOAD_S = 30.0
BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 5.0)


@dataclass(frozen=True)
class WatchStatus:
    connected: bool
    error: str = ""
    attempts: int = 0


class _Source:
    """One connection to the database: loads the state and waits for the next change."""

    engine: Engine

    def load(self, groups: frozenset[str] | None, with_ticker: bool) -> DisplayState:
        with Session(self.engine) as s:
            return load_state(s, groups, with_ticker=with_ticker)

    def wait_change(self, timeout: float) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def close(self) -> None:
        self.engine.dispose()


class _SqliteSource(_Source):
    def __init__(self, path: str) -> None:
        if not os.path.exists(path):
            raise FileNotFoundError(path)
        self.path = path
        self.inode = os.stat(path).st_ino
        uri = f"file:{path}?mode=ro"
        self.engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True,
                                                                                 check_same_thread=False))
        self.probe = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
        self.version = self._version()

    def _version(self) -> int:
        return int(self.probe.execute("PRAGMA data_version").fetchone()[0])

    def wait_change(self, timeout: float) -> bool:
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
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(SQLITE_POLL_S)

    def close(self) -> None:
        self.probe.close()
        super().close()


class _PostgresSource(_Source):
    def __init__(self, url: str) -> None:
        import psycopg

        self.engine = create_engine(url, pool_pre_ping=True, pool_size=1, max_overflow=0)
        parsed = make_url(url)
        conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        self.listen = psycopg.connect(conninfo, autocommit=True, connect_timeout=5)
        self.listen.execute(f"LISTEN {QUEUE_CHANNEL}")

    def wait_change(self, timeout: float) -> bool:
        got = False
        for _note in self.listen.notifies(timeout=timeout, stop_after=1):
            got = True
        if got:  # drain the rest of the burst, so one reload covers it
            for _note in self.listen.notifies(timeout=COALESCE_S):
                pass
        if self.listen.closed or self.listen.broken:
            raise ConnectionError("the notification connection was lost")
        return got

    def close(self) -> None:
        try:
            self.listen.close()
        finally:
            super().close()


def open_source(url: str) -> _Source:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database:
            raise ValueError("the display needs a SQLite file, not an in-memory database")
        return _SqliteSource(parsed.database)
    return _PostgresSource(url)


class Watcher:
    """Runs on its own thread until :meth:`stop`; reports through the two callbacks."""

    def __init__(self, url: str, on_state: Callable[[DisplayState], Any], on_status: Callable[[WatchStatus], Any],
                 groups: frozenset[str] | None = None) -> None:
        self.url, self.groups = url, groups
        self.on_state, self.on_status = on_state, on_status
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="display-watcher", daemon=True)
        self.reloads = 0
        self._ticker: tuple[TickerService, ...] | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        attempts = 0
        while not self._stop.is_set():
            source: _Source | None = None
            try:
                source = open_source(self.url)
                self._publish(source, full=True)
                if attempts:
                    log.info("database reachable again after %d attempt(s)", attempts)
                attempts = 0
                self.on_status(WatchStatus(True))
                last_full = time.monotonic()
                while not self._stop.is_set():
                    changed = source.wait_change(PG_WAIT_S)
                    full = time.monotonic() - last_full > FULL_RELOAD_S
                    if changed or full:
                        self._publish(source, full)
                        if full:
                            last_full = time.monotonic()
            except Exception as exc:  # the database is unreachable: say so and try again
                attempts += 1
                log.warning("display cannot read the database (attempt %d): %s", attempts, exc)
                self.on_status(WatchStatus(False, str(exc), attempts))
                self._stop.wait(BACKOFF_S[min(attempts - 1, len(BACKOFF_S) - 1)])
            finally:
                if source is not None:
                    try:
                        source.close()
                    except Exception:  # closing a broken connection may fail too
                        log.debug("closing the display's connection failed", exc_info=True)

    def _publish(self, source: _Source, full: bool) -> None:
        """A change reloads the calls and counts; the ticker (the catalogue) only at a full reload."""
        state = source.load(self.groups, with_ticker=full or self._ticker is None)
        if full or self._ticker is None:
            self._ticker = state.ticker
        else:
            state = replace(state, ticker=self._ticker)
        self.reloads += 1
        self.on_state(state)
