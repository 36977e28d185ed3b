"""report rollups per month so far: rebuilt once, so a database migrated before them has them

Revision ID: s0012
Revises: s0011
Create Date: 2026-11-26 12:15:00.000000

``rollup_service`` rows of ``span`` 'c' (sync.server.rollups: each day's row holds its month's days
up to it, so that a month covered in part reads two rows whatever its days hold). Ingest keeps them
from now on; the rows of the events stored before this migration are built here by the same rebuild
as s0009's and s0011's (every stored event through :func:`sync.server.rollups.add`; on a national
database this takes a while, once).
"""

from __future__ import annotations

from alembic import op
from sqlalchemy.orm import Session

revision = 's0012'
down_revision = 's0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from sync.server import rollups

    rollups.rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.execute("DELETE FROM rollup_service WHERE span = 'c'")
