"""booking notices: the central server's SMS outbox; reminders' choice on the booking

Revision ID: s0014
Revises: s0013
Create Date: 2026-11-26 15:30:00

(sync.server.appointments.notices)

* ``booking_notice``: the SMS about a booking (confirmation, move, cancel, reminders), unique per
  booking and kind, with its sending state, attempts and the gateway's id;
* ``booking.reminders`` (the citizen's choice, yes by default) and ``booking.chosen_at`` (when the
  current slot was chosen);
* ``ix_booking_mobile_day``: the bookings whose number is still kept, by day (partial).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 's0014'
down_revision = 's0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('booking_notice',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('booking_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('recipient', sa.String(length=16), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('provider_id', sa.String(length=64), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], name=op.f('fk_booking_notice_booking_id_booking')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_notice')),
    sa.UniqueConstraint('booking_id', 'kind', name=op.f('uq_booking_notice_booking_id'))
    )
    with op.batch_alter_table('booking_notice', schema=None) as batch_op:
        batch_op.create_index('ix_booking_notice_due', ['state', 'next_attempt_at'], unique=False)
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminders', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('chosen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_booking_mobile_day', ['day'], unique=False,
                              sqlite_where=sa.text('mobile IS NOT NULL'),
                              postgresql_where=sa.text('mobile IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_mobile_day', sqlite_where=sa.text('mobile IS NOT NULL'),
                            postgresql_where=sa.text('mobile IS NOT NULL'))
        batch_op.drop_column('chosen_at')
        batch_op.drop_column('reminders')
    with op.batch_alter_table('booking_notice', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_notice_due')
    op.drop_table('booking_notice')
