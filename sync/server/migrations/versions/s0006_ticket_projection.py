"""the tickets' live state for the portal's mobile ticket and centre pages

Revision ID: s0006
Revises: s0005
Create Date: 2026-11-26 02:00:00.000000

One row per (centre, ticket), folded from the centre's ticket events in its own sequence
(``sync.server.queue_state``); the public token only as its SHA-256.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 's0006'
down_revision = 's0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ticket_projection',
    sa.Column('centre_code', sa.String(length=16), nullable=False),
    sa.Column('ticket_uuid', sa.String(length=36), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('group_letter', sa.String(length=1), nullable=False),
    sa.Column('priority', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_seq', sa.BigInteger(), nullable=True),
    sa.Column('to_counter', sa.Boolean(), nullable=False),
    sa.Column('counter_id', sa.BigInteger(), nullable=True),
    sa.Column('counter_number', sa.Integer(), nullable=True),
    sa.Column('called_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('centre_code', 'ticket_uuid', name=op.f('pk_ticket_projection'))
    )
    with op.batch_alter_table('ticket_projection', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_projection_queue', ['centre_code', 'day', 'status', 'group_letter'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_projection_token_hash'), ['token_hash'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket_projection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_projection_token_hash'))
        batch_op.drop_index('ix_ticket_projection_queue')

    op.drop_table('ticket_projection')
