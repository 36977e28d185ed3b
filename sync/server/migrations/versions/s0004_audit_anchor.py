"""audit anchors: every audit chain head a centre's batches carried

Revision ID: s0004
Revises: s0001
Create Date: 2026-11-25 22:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 's0004'
down_revision = 's0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_anchor',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('centre_code', sa.String(length=16), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_anchor'))
    )
    with op.batch_alter_table('audit_anchor', schema=None) as batch_op:
        batch_op.create_index('ix_audit_anchor_centre_id', ['centre_code', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_anchor_flagged'), ['flagged'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_anchor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_anchor_flagged'))
        batch_op.drop_index('ix_audit_anchor_centre_id')

    op.drop_table('audit_anchor')
