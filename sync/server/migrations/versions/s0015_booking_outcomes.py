"""booking outcomes: the appointment ticket and when it was first called

Revision ID: s0015
Revises: s0014
Create Date: 2026-11-26 15:30:00.000000

(sync.server.appointments.outcomes; issue 20 items 6 and 7)

* ``booking.ticket_uuid``: the appointment ticket a booking checked in to on time (its
  ``booking.checked_in`` event), so the ingest finds the booking of a ticket's ``called`` event;
* ``booking.called_at``: that ticket's first call (the punctuality: called minus booked time);
* ``ix_booking_ticket`` and ``ix_booking_day_centre`` (the central KPIs of a period).

Written beside the notification outbox's s0014 and relinked to follow it when both were merged.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 's0015'
down_revision = 's0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ticket_uuid', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('called_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_booking_ticket', ['ticket_uuid'], unique=False)
        batch_op.create_index('ix_booking_day_centre', ['day', 'centre_code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_day_centre')
        batch_op.drop_index('ix_booking_ticket')
        batch_op.drop_column('called_at')
        batch_op.drop_column('ticket_uuid')
