"""signed requests seen (replays), rate-limit counters, report sessions

Revision ID: s0003
Revises: s0001
Create Date: 2026-11-25 22:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 's0003'
down_revision = 's0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('seen_request',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('centre_code', sa.String(length=16), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_seen_request'))
    )
    with op.batch_alter_table('seen_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seen_request_expires_at'), ['expires_at'], unique=False)

    op.create_table('rate_limit',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit'))
    )
    with op.batch_alter_table('rate_limit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_expires_at'), ['expires_at'], unique=False)

    op.create_table('report_session',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('grant', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_report_session'))
    )
    with op.batch_alter_table('report_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_session_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('report_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_session_expires_at'))
    op.drop_table('report_session')
    with op.batch_alter_table('rate_limit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_expires_at'))
    op.drop_table('rate_limit')
    with op.batch_alter_table('seen_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seen_request_expires_at'))
    op.drop_table('seen_request')
