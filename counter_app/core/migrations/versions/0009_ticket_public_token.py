"""the ticket's public token: what its QR code links to on the citizens' portal

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 02:00:00

``ticket.public_token``: 128 random bits (URL-safe base64), made when the ticket is issued and
sent to the central server in the ``ticket.issued`` event; the portal's ``/t/<token>`` page shows
the ticket's place in the queue on that centre day only. Older tickets have none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy: other tables' foreign keys point at ticket).
    op.add_column('ticket', sa.Column('public_token', sa.String(length=32), nullable=True))
    op.create_index('ix_ticket_public_token', 'ticket', ['public_token'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_ticket_public_token', table_name='ticket')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('public_token')
