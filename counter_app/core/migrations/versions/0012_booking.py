"""the centre's copy of its appointments, pulled by the sync agent, for check-in at the kiosk

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 13:10:00

``booking``: code, national ID, service and its group, booked time (UTC) and its Cairo day, state,
the server's version of its last change, and the check-in's time and ticket.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'booking',
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('national_id', sa.String(length=14), nullable=False),
        sa.Column('service_code', sa.String(length=32), nullable=False),
        sa.Column('group_letter', sa.String(length=4), nullable=False),
        sa.Column('booked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ticket_uuid', sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_booking')),
    )
    op.create_index('ix_booking_national_id_day', 'booking', ['national_id', 'day'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_booking_national_id_day', table_name='booking')
    op.drop_table('booking')
