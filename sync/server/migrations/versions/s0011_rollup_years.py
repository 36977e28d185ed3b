"""report rollups per calendar year: rebuilt once, so a database migrated before them has its year rows

Revision ID: s0011
Revises: s0010
Create Date: 2026-11-26 10:00:00.000000

``rollup_service`` rows of ``span`` 'y' (sync.server.rollups: a year's figures read from about three
rows per centre and service). Ingest keeps them from now on; the rows of the events stored before
this migration are built here by the same rebuild as s0009's (every stored event through
:func:`sync.server.rollups.add`; on a national database this takes a while, once).
"""

from __future__ import annotations

from alembic import op
from sqlalchemy.orm import Session

revision = 's0011'
down_revision = 's0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from sync.server import rollups

    rollups.rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.execute("DELETE FROM rollup_service WHERE span = 'y'")
