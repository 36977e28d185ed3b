"""The central server's Alembic migrations build exactly its models, and go down again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from sync.server.db import ServerDatabase, alembic_config
from sync.server.models import ServerBase


def test_migrations_match_the_models_and_downgrade(central_url: str) -> None:
    db = ServerDatabase(central_url)
    try:
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), ServerBase.metadata)
        assert diff == []
        command.downgrade(alembic_config(db.engine), "base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        command.upgrade(alembic_config(db.engine), "head")
    finally:
        db.dispose()
