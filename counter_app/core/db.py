"""The centre database: engine set-up, sessions and migrations.

The engine comes from :func:`counter_app.common.engine.make_engine`: SQLite (one PC) runs in WAL
mode with ``synchronous=FULL``, foreign keys on and a busy timeout; every write transaction starts
with ``BEGIN IMMEDIATE`` so that a read-then-write (call next, ticket numbers, the audit chain) is
serialised without lost updates. PostgreSQL (many counters) is reached through the same URL
setting, ``postgresql+psycopg://...`` (``postgresql://`` and ``postgres://`` are read as such).

Data functions never commit: a caller opens one transaction per user action with
:meth:`Database.begin` and passes the session in.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from counter_app.common import lanes
from counter_app.common.engine import READ_ONLY, make_engine, normalise_url
from counter_app.common.engine import sqlite_path as sqlite_path
from counter_app.core.errors import DatabaseCorrupt, EnvironmentFailure, PermissionDenied

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 15_000
#: Set in ``session.info`` by ``outbox.emit``; see ``Database.outbox_listeners``.
OUTBOX_EMITTED = "shubbak.outbox_emitted"


def default_database_url() -> str:
    """``SHUBBAK_DB`` if set, otherwise a SQLite file in the user's data directory."""
    url = os.environ.get("SHUBBAK_DB")
    if url:
        return url
    data_dir = Path(platformdirs.user_data_dir("shubbak", appauthor=False))
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'centre.sqlite3'}"


#: What SQLite says of a damaged file (the messages of SQLITE_CORRUPT and SQLITE_NOTADB).
_CORRUPTION = ("database disk image is malformed", "file is not a database", "malformed database schema")


def is_corruption(exc: BaseException) -> bool:
    """True when a driver error says the database file is damaged (not a passing failure)."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return any(marker in text for marker in _CORRUPTION)


def corrupt(path: Path | str, detail: str) -> DatabaseCorrupt:
    from counter_app.common import formatting

    log.info("damaged centre database %s: %s", path, detail)  # in the log file; the user reads the message
    return DatabaseCorrupt(path=formatting.code(str(path)))  # the driver's words are in the log only


def check_file(path: Path, *, full: bool = False) -> None:
    """SQLite's own check of the file (``PRAGMA quick_check``, or ``integrity_check`` when
    ``full``), read-only: the file is never modified. Raises :class:`DatabaseCorrupt` when the
    file is not a database, is truncated or has damaged pages. A missing or empty file is a new
    database and passes."""
    import sqlite3

    if not path.exists() or path.stat().st_size == 0:
        return
    sidecars = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm")]
    existed = {side: side.exists() for side in sidecars}
    uri = f"{path.resolve().as_uri()}?mode=ro"
    problem: str | None = None
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        try:
            rows = [str(row[0]) for row in conn.execute(f"PRAGMA {'integrity_check' if full else 'quick_check'}")]
        finally:
            conn.close()
        if rows != ["ok"]:
            problem = "; ".join(rows[:5])
    except sqlite3.DatabaseError as exc:
        if not is_corruption(exc):
            raise EnvironmentFailure(detail=str(exc)) from exc
        problem = str(exc)
    if problem is not None:
        for side in sidecars:  # what our read-only look left beside a damaged file goes again
            if not existed[side] and side.exists() and (side.name.endswith("-shm") or side.stat().st_size == 0):
                side.unlink(missing_ok=True)
        raise corrupt(path, problem)


class Database:
    """One centre database: an engine, a session factory and the migration entry point."""

    def __init__(self, url: str | None = None, *, migrate: bool = True, check: bool = True,
                 **engine_kwargs: Any) -> None:
        self.url = normalise_url(url or default_database_url())
        self.path = sqlite_path(self.url)
        if check and self.path is not None:
            check_file(self.path)  # PRAGMA quick_check before anything writes to the file
        self.engine = make_engine(self.url, immediate_writes=True, busy_timeout_s=SQLITE_BUSY_TIMEOUT_MS / 1000,
                                  **engine_kwargs)
        event.listen(self.engine, "handle_error", self._on_driver_error)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )
        #: Called (on the committing thread) after each commit that queued outbox events: the
        #: sync agent's ``kick``, so a transaction is sent at once, not at the next minute.
        self.outbox_listeners: list[Callable[[], None]] = []
        event.listen(self._sessions, "after_commit", self._after_commit)
        event.listen(self._sessions, "after_rollback", lambda session: session.info.pop(OUTBOX_EMITTED, None))
        if migrate:
            self.upgrade()

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(OUTBOX_EMITTED, None):
            for listener in list(self.outbox_listeners):
                try:
                    listener()
                except Exception:  # a listener never undoes a commit
                    log.exception("outbox listener failed")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def upgrade(self) -> None:
        from counter_app.core.migrate import upgrade

        upgrade(self.engine)

    def _on_driver_error(self, context: Any) -> None:
        """A damaged file met after the start-up check (a page read later, any statement): the
        clear :class:`DatabaseCorrupt` instead of the driver's error."""
        if self.path is not None and is_corruption(context.original_exception):
            raise corrupt(self.path, str(context.original_exception)) from context.original_exception

    def check(self, *, full: bool = True) -> None:
        """``shubbak db check``: SQLite's ``integrity_check`` (``quick_check`` when not ``full``)
        of the file; on PostgreSQL the server answers a query."""
        if self.path is not None:
            check_file(self.path, full=full)
        elif not self.ping():
            raise EnvironmentFailure(detail="no answer")

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A write transaction: commits when the block ends, rolls back on any error.

        The transaction starts at once (on SQLite ``BEGIN IMMEDIATE`` waits here for the write
        lock), so a time read inside the block is never older than a commit that came first.
        Opened by a worker of a read-only lane, it is reported (``common.lanes``).
        """
        lanes.check_write()
        try:
            with self._sessions.begin() as session:
                session.connection()
                yield session
        except PermissionDenied as exc:
            if exc.attempt is not None:
                self._record_attempt(exc.attempt)
            raise
        except OperationalError as exc:
            raise EnvironmentFailure(detail=str(exc.orig)) from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise EnvironmentFailure(detail=str(exc.orig)) from exc
            raise

    def _record_attempt(self, attempt: dict[str, Any]) -> None:
        from counter_app.core import audit

        with self._sessions.begin() as session:
            audit.record(session, **attempt)
        log.warning("refused attempt audited: %s", attempt.get("action"))

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session (no write lock is taken on SQLite); closed at the end.

        Closing releases the transaction without expiring what was loaded, so results stay
        readable after the block (as detached objects).
        """
        try:
            with self._read_sessions() as session:
                yield session
        except OperationalError as exc:
            raise EnvironmentFailure(detail=str(exc.orig)) from exc

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except DBAPIError:
            return False

    def dispose(self) -> None:
        self.engine.dispose()
