"""The central server's database: engine (:func:`counter_app.common.engine.make_engine`; a
``postgres://`` or ``postgresql://`` URL means psycopg 3), sessions and Alembic migrations applied at
start."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from counter_app.common.clock import local_day, utcnow
from counter_app.common.engine import make_engine
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


class ServerDatabase:
    def __init__(self, url: str = DEFAULT_URL, migrate: bool = True) -> None:
        self.engine = make_engine(url, busy_timeout_s=SQLITE_BUSY_TIMEOUT_S, pool_size=POOL_SIZE,
                                  max_overflow=MAX_OVERFLOW)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            command.upgrade(alembic_config(self.engine), "head")
            partitions.ahead(self.engine, local_day(utcnow()))  # the event table's months ahead (PostgreSQL)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()
