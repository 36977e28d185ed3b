"""The central server's database: engine (:func:`counter_app.common.engine.make_engine`; a
``postgres://`` or ``postgresql://`` URL means psycopg 3), sessions and Alembic migrations applied at
start.

**Several server processes on one database** (``--workers N``, or servers on several machines):
each process that starts migrates (:class:`ServerDatabase`, ``migrate=True``) under
:func:`startup_lock` (a PostgreSQL session advisory lock, or a lock file beside a SQLite file), so
processes starting together on an empty database migrate one after the other: the first creates
the tables, the others find the head already applied and go on. ``--read-db URL`` opens a second,
read-only :class:`ServerDatabase` (``read_only=True``: no migrations, every transaction read-only)
for the reports' reading, e.g. a streaming replica (:mod:`sync.server.__main__`)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text
from sqlalchemy.orm import sessionmaker

from counter_app.common.clock import local_day, utcnow
from counter_app.common.engine import make_engine, sqlite_path
from sync.server import partitions

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
DEFAULT_URL = "sqlite:///central.sqlite3"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    cfg.attributes["engine"] = engine
    return cfg


#: The central server answers many requests at once (threads, and ``--workers`` processes).
POOL_SIZE, MAX_OVERFLOW = 20, 20
#: Its SQLite (development) waits longer for the write lock than a centre's.
SQLITE_BUSY_TIMEOUT_S = 30.0
#: The advisory lock key of the start-up migrations (PostgreSQL); any constant the product uses once.
STARTUP_LOCK = 0x53484242_0001  # "SHBB", 1


@contextlib.contextmanager
def startup_lock(engine: Engine) -> Iterator[None]:
    """One server process at a time in here, across processes and machines on one database: a
    session advisory lock held on a connection of its own (PostgreSQL; released when it closes,
    also if the process dies), or an exclusive ``flock`` on ``<file>.startup-lock`` (SQLite, one
    machine). An in-memory SQLite database has one process: nothing to lock."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": STARTUP_LOCK})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": STARTUP_LOCK})
                conn.commit()
        return
    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    if path is None:
        yield
        return
    import fcntl  # the central server runs on Linux; a SQLite central is for development

    with open(path.with_name(path.name + ".startup-lock"), "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class ServerDatabase:
    def __init__(self, url: str = DEFAULT_URL, migrate: bool = True, *, read_only: bool = False) -> None:
        self.read_only = read_only
        self.engine = make_engine(url, busy_timeout_s=SQLITE_BUSY_TIMEOUT_S, pool_size=POOL_SIZE,
                                  max_overflow=MAX_OVERFLOW, read_only=read_only)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate and not read_only:
            with startup_lock(self.engine):  # N processes starting together migrate one at a time
                command.upgrade(alembic_config(self.engine), "head")
                partitions.ahead(self.engine, local_day(utcnow()))  # the event table's months ahead (PostgreSQL)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()
