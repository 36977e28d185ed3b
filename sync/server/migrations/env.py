"""Alembic environment: of the central server, run with the engine handed over by :mod:`sync.server.db`."""

from counter_app.common.engine import run_env
from sync.server.models import ServerBase

run_env(ServerBase.metadata)
