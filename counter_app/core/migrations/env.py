"""Alembic environment: runs with the engine handed over by :mod:`counter_app.core.migrate`
(:func:`counter_app.common.engine.run_env`)."""

from counter_app.common.engine import run_env
from counter_app.core.models import Base

run_env(Base.metadata)
