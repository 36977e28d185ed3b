"""The one SQLAlchemy engine factory of every program: the centre database (counter app, sync
agent, ``shubbak``), the central server and the queue display.

This is the one module of ``counter_app.common`` that imports SQLAlchemy: the central server may
not import ``counter_app.core``, and the three programs must agree on how a database URL is read
and how SQLite is set up.

* URLs: ``postgres://`` and ``postgresql://`` mean the psycopg 3 driver
  (``postgresql+psycopg://``); other URLs are used as given.
* SQLite (a file): WAL journal, ``synchronous=FULL``, a busy timeout, foreign keys on, usable
  from any thread of the process (``check_same_thread=False``); the file's folder is created.
  ``immediate_writes`` switches the driver's own transaction handling off: every transaction
  starts with ``BEGIN IMMEDIATE`` (the write lock at once, so a read-then-write is serialised),
  or ``BEGIN DEFERRED`` on a connection with the :data:`READ_ONLY` execution option.
  ``read_only`` opens the existing file with SQLite's ``mode=ro`` URI: nothing can write through
  it, and no journal setting is touched.
* PostgreSQL: connections are pinged before use; ``pool_size`` and ``max_overflow`` are each
  program's own (the display needs one connection, the central server many). ``read_only``
  makes every transaction read-only (``default_transaction_read_only``).

The two schemas (the centre's, the central server's) also share their constraint naming
(:data:`NAMING`), the UTC timestamp column type (:data:`UtcDateTime`) and the body of their
Alembic ``env.py`` (:func:`run_env`, which imports Alembic when it runs).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Dialect, Engine, MetaData, TypeDecorator, create_engine, event, make_url

#: An execution option: the transactions of this connection only read (``BEGIN DEFERRED`` when
#: ``immediate_writes``).
READ_ONLY = "shubbak_readonly"
#: How long SQLite waits for another connection's write lock before it gives up.
SQLITE_BUSY_TIMEOUT_S = 15.0


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` for the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL; None for PostgreSQL or an in-memory database."""
    url = normalise_url(url)
    if not url.startswith("sqlite:///") or url.startswith("sqlite:///:memory:"):
        return None
    return Path(url[len("sqlite:///"):].split("?", 1)[0])


def make_engine(url: str, *, read_only: bool = False, immediate_writes: bool = False,
                busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S, pool_size: int | None = None,
                max_overflow: int | None = None, **engine_kwargs: Any) -> Engine:
    """An engine for ``url`` set up as the module says; ``engine_kwargs`` go to
    :func:`sqlalchemy.create_engine` as given."""
    url = normalise_url(url)
    # A failed statement's error (and so the log) never carries its values: names, national IDs.
    engine_kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed.database, read_only=read_only, immediate_writes=immediate_writes,
                              busy_timeout_s=busy_timeout_s, url=url, **engine_kwargs)
    engine_kwargs.setdefault("pool_pre_ping", True)
    if pool_size is not None:
        engine_kwargs["pool_size"] = pool_size
    if max_overflow is not None:
        engine_kwargs["max_overflow"] = max_overflow
    if read_only:
        engine_kwargs.setdefault("connect_args", {})["options"] = "-c default_transaction_read_only=on"
    return create_engine(url, **engine_kwargs)


def _sqlite_engine(database: str | None, *, read_only: bool, immediate_writes: bool, busy_timeout_s: float,
                   url: str, **engine_kwargs: Any) -> Engine:
    in_memory = not database or database == ":memory:"
    if read_only:
        if in_memory:
            raise ValueError("a read-only SQLite database must be a file, not an in-memory database")
        path = Path(str(database)).resolve()
        uri = f"{path.as_uri()}?mode=ro"

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(uri, uri=True, timeout=busy_timeout_s, check_same_thread=False)

        # the file URL (never opened as such) gives a file database's pool
        engine = create_engine(f"sqlite:///{path}", creator=connect, **engine_kwargs)
    else:
        connect_args = engine_kwargs.pop("connect_args", {})
        connect_args.setdefault("timeout", busy_timeout_s)
        if not in_memory:
            Path(str(database)).parent.mkdir(parents=True, exist_ok=True)
            connect_args.setdefault("check_same_thread", False)
        engine = create_engine(url, connect_args=connect_args, **engine_kwargs)
    _sqlite_settings(engine, busy_timeout_ms=int(busy_timeout_s * 1000), journal=not read_only,
                     immediate_writes=immediate_writes)
    return engine


def _sqlite_settings(engine: Engine, *, busy_timeout_ms: int, journal: bool, immediate_writes: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        if immediate_writes:  # we emit BEGIN ourselves (below); the driver must not open transactions
            dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        if journal:
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    if immediate_writes:
        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN DEFERRED" if conn.get_execution_options().get(READ_ONLY)
                                 else "BEGIN IMMEDIATE")


# -- what the centre's schema and the central server's share -------------------------------------
#: One naming convention for the constraints and indexes of both schemas.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class _UtcDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that stores an aware value as UTC on every backend (SQLite
    would otherwise keep the wall time of a non-UTC value and drop its offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            return value.astimezone(UTC)
        return value


UtcDateTime = _UtcDateTime()


def run_env(metadata: MetaData) -> None:
    """The body of an Alembic ``env.py`` (the centre's and the central server's): migrate on the
    engine handed over in the config's attributes, in one transaction, batch mode on SQLite."""
    from alembic import context

    config = context.config
    engine = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        if connection.in_transaction():
            connection.commit()
