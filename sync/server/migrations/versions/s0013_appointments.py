"""appointments: slot rules, closed days, bookings

Revision ID: s0013
Revises: s0012
Create Date: 2026-11-26 11:43:51.098363

(sync.server.appointments)

* ``appointment_rule``: per centre and service group, the weekly hours, slot length, places per
  slot, how far ahead and how late one may book;
* ``appointment_closure``: national public holidays (``centre_code`` '') and a centre's own closures;
* ``appointment_slot``: the places taken of a slot (its conditional UPDATE sells the last place once);
* ``appointment_centre``: each centre's bookings version (the agent's pull, later);
* ``booking``: the citizen's booking; ``active_key`` unique while it is active.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 's0013'
down_revision = 's0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('appointment_centre',
    sa.Column('centre_code', sa.String(length=16), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('centre_code', name=op.f('pk_appointment_centre'))
    )
    op.create_table('appointment_closure',
    sa.Column('centre_code', sa.String(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason_ar', sa.String(length=200), nullable=False),
    sa.Column('reason_en', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('centre_code', 'day', name=op.f('pk_appointment_closure'))
    )
    op.create_table('appointment_rule',
    sa.Column('centre_code', sa.String(length=16), nullable=False),
    sa.Column('group_letter', sa.String(length=4), nullable=False),
    sa.Column('hours', sa.Text(), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.Column('horizon_days', sa.Integer(), nullable=False),
    sa.Column('cutoff_days_before', sa.Integer(), nullable=False),
    sa.Column('cutoff_time', sa.String(length=5), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('centre_code', 'group_letter', name=op.f('pk_appointment_rule'))
    )
    op.create_table('appointment_slot',
    sa.Column('centre_code', sa.String(length=16), nullable=False),
    sa.Column('group_letter', sa.String(length=4), nullable=False),
    sa.Column('slot_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('centre_code', 'group_letter', 'slot_start', name=op.f('pk_appointment_slot'))
    )
    op.create_table('booking',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('secret_digest', sa.String(length=64), nullable=False),
    sa.Column('centre_code', sa.String(length=16), nullable=False),
    sa.Column('group_letter', sa.String(length=4), nullable=False),
    sa.Column('service_code', sa.String(length=32), nullable=False),
    sa.Column('slot_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('national_id', sa.String(length=14), nullable=False),
    sa.Column('mobile', sa.String(length=16), nullable=True),
    sa.Column('lang', sa.String(length=2), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('active_key', sa.String(length=64), nullable=True),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking')),
    sa.UniqueConstraint('active_key', name=op.f('uq_booking_active_key')),
    sa.UniqueConstraint('code', name=op.f('uq_booking_code'))
    )
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.create_index('ix_booking_centre_slot', ['centre_code', 'group_letter', 'slot_start'], unique=False)
        batch_op.create_index('ix_booking_centre_version', ['centre_code', 'version'], unique=False)
        batch_op.create_index('ix_booking_national_id_day', ['national_id', 'day'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_national_id_day')
        batch_op.drop_index('ix_booking_centre_version')
        batch_op.drop_index('ix_booking_centre_slot')

    op.drop_table('booking')
    op.drop_table('appointment_slot')
    op.drop_table('appointment_rule')
    op.drop_table('appointment_closure')
    op.drop_table('appointment_centre')
