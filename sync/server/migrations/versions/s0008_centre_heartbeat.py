"""the latest heartbeat of each centre: backlog, queue now, version, clock

Revision ID: s0008
Revises: s0007
Create Date: 2026-11-26 05:10:00.000000

One row per centre, overwritten by each heartbeat (``sync.server.heartbeats``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 's0008'
down_revision = 's0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('centre_heartbeat',
    sa.Column('centre_code', sa.String(length=16), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('centre_clock', sa.DateTime(timezone=True), nullable=False),
    sa.Column('clock_skew_s', sa.Double(), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('backlog_events', sa.BigInteger(), nullable=False),
    sa.Column('backlog_oldest_age_s', sa.BigInteger(), nullable=True),
    sa.Column('rejected_events', sa.BigInteger(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('waiting', sa.Text(), nullable=False),
    sa.Column('waiting_total', sa.BigInteger(), nullable=False),
    sa.Column('longest_wait_s', sa.BigInteger(), nullable=True),
    sa.Column('counters_open', sa.BigInteger(), nullable=False),
    sa.Column('counters_active', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('centre_code', name=op.f('pk_centre_heartbeat'))
    )
    with op.batch_alter_table('centre_heartbeat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_centre_heartbeat_received_at'), ['received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('centre_heartbeat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_centre_heartbeat_received_at'))

    op.drop_table('centre_heartbeat')
