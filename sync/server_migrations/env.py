"""Alembic environment: of the central server, run with the engine handed over by :mod:`sync.server_db`."""

from counter_app.core.migrate import run_env
from sync.server_models import ServerBase

run_env(ServerBase.metadata)
