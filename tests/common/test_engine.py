"""The one engine factory (``counter_app.common.engine``): URL normalisation and each mode the
centre database, the central server and the display need, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import InternalError, OperationalError

from counter_app.common.engine import READ_ONLY, make_engine, normalise_url
from tests.helpers.postgres import Cluster, External


@pytest.mark.parametrize(("given", "expected"), [
    ("postgres://u:p@db:5432/centre", "postgresql+psycopg://u:p@db:5432/centre"),
    ("postgresql://u@db/centre", "postgresql+psycopg://u@db/centre"),
    ("postgresql+psycopg://u@db/centre", "postgresql+psycopg://u@db/centre"),
    ("sqlite:///data/centre.sqlite3", "sqlite:///data/centre.sqlite3"),
    ("sqlite://", "sqlite://"),
])
def test_urls_are_normalised(given: str, expected: str) -> None:
    assert normalise_url(given) == expected


@pytest.mark.parametrize("url", ["postgres://u@127.0.0.1/c", "postgresql://u@127.0.0.1/c"])
def test_a_plain_postgres_url_gets_the_psycopg_driver(url: str) -> None:
    engine = make_engine(url, pool_size=3, max_overflow=1)
    try:
        assert engine.url.drivername == "postgresql+psycopg"
        assert engine.pool.size() == 3 and engine.pool._pre_ping  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def _pragmas(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        return {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")}


def test_a_sqlite_file_in_wal_with_full_sync_a_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "central.sqlite3"
    engine = make_engine(f"sqlite:///{path}", busy_timeout_s=30)
    try:
        assert _pragmas(engine) == {"journal_mode": "wal", "synchronous": 2, "busy_timeout": 30000,
                                    "foreign_keys": 1}
        assert path.exists()  # its folder was made
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        failed: list[BaseException] = []

        def other_thread() -> None:  # a pooled connection made on this thread, used on another
            try:
                with engine.begin() as conn:
                    conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            except BaseException as exc:  # noqa: BLE001 - reported to the test's thread
                failed.append(exc)

        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
        assert failed == []
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 1
    finally:
        engine.dispose()


def test_immediate_writes_take_the_write_lock_at_begin_and_reads_do_not(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'centre.sqlite3'}", immediate_writes=True, busy_timeout_s=0.2)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        with engine.connect() as writer:
            writer.begin()  # no statement yet: the lock is taken by BEGIN IMMEDIATE itself
            with engine.connect() as second, pytest.raises(OperationalError, match="locked"):
                second.begin()
            reader = engine.connect().execution_options(**{READ_ONLY: True})
            with reader.begin():  # BEGIN DEFERRED: reads beside the writer
                assert reader.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
            reader.close()
            writer.rollback()
        plain = make_engine(f"sqlite:///{tmp_path / 'centre.sqlite3'}", busy_timeout_s=0.2)
        try:  # without immediate_writes the driver's deferred transactions take no lock at begin
            with plain.connect() as first, plain.connect() as second:
                first.begin()
                second.begin()
                second.rollback()
                first.rollback()
        finally:
            plain.dispose()
    finally:
        engine.dispose()


def test_read_only_sqlite_opens_the_file_with_mode_ro(tmp_path: Path) -> None:
    folder = tmp_path / "a b#c%d"  # characters a URI must escape
    folder.mkdir()
    path = folder / "centre.sqlite3"
    with sqlite3.connect(path) as conn:  # a rollback-journal file, as a writer left it
        conn.execute("CREATE TABLE t (x INTEGER)")
        conn.execute("INSERT INTO t VALUES (7)")
    conn.close()
    engine = make_engine(f"sqlite:///{path}", read_only=True)
    try:
        with engine.connect() as ro:
            assert ro.exec_driver_sql("SELECT x FROM t").scalar() == 7
            assert ro.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"  # never switched to WAL
            assert ro.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
            with pytest.raises(OperationalError, match="readonly"):
                ro.exec_driver_sql("INSERT INTO t VALUES (8)")
        worker_rows: list[int] = []
        worker = threading.Thread(target=lambda: worker_rows.append(_count(engine)))
        worker.start()
        worker.join()
        assert worker_rows == [1]
    finally:
        engine.dispose()
    missing = folder / "missing.sqlite3"
    engine = make_engine(f"sqlite:///{missing}", read_only=True)
    try:
        with pytest.raises(OperationalError), engine.connect():
            pass
        assert not missing.exists()  # never created by a reader
    finally:
        engine.dispose()
    with pytest.raises(ValueError, match="file"):
        make_engine("sqlite://", read_only=True)


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM t")).scalar_one())


@pytest.mark.postgres
def test_postgres_one_connection_read_only_for_the_display(pg_cluster: Cluster | External) -> None:
    url = pg_cluster.create_database().replace("postgresql+psycopg://", "postgresql://")
    writer = make_engine(url)
    try:
        with writer.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            conn.exec_driver_sql("INSERT INTO t VALUES (5)")
    finally:
        writer.dispose()
    display = make_engine(url, read_only=True, pool_size=1, max_overflow=0)
    try:
        assert display.pool.size() == 1 and display.pool._max_overflow == 0  # type: ignore[attr-defined]
        with display.connect() as conn:
            assert conn.exec_driver_sql("SELECT x FROM t").scalar() == 5
            with pytest.raises(InternalError, match="read-only"):
                conn.exec_driver_sql("INSERT INTO t VALUES (6)")
    finally:
        display.dispose()
