"""report rollups per ten days and ten days so far: rebuilt once, so a database migrated before them has them

Revision ID: s0012
Revises: s0011
Create Date: 2026-11-26 12:15:00.000000

``rollup_service`` rows of ``span`` 't' (ten days: the 1st to the 10th, the 11th to the 20th, the 21st
to the month's end) and 'c' (each day's row holds its ten days' days up to it), so that days covered
in part read at most two rows whatever they hold (sync.server.rollups.pieces). Ingest keeps them
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
    op.execute("DELETE FROM rollup_service WHERE span IN ('c', 't')")
