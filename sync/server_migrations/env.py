"""Alembic environment: of the central server, run with the engine handed over by :mod:`sync.server_db`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from sync.server_models import ServerBase as Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    if connection.in_transaction():
        connection.commit()
