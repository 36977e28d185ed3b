"""the bookings still booked, by day: the days not closed

Revision ID: s0018
Revises: s0017
Create Date: 2026-11-26 19:00:00.000000

(sync.server.alerts.day_not_closed; issue 20)

* ``ix_booking_booked_day``: ``day``, ``centre_code`` of the bookings still ``booked`` (partial),
  so the alerts' round reads the bookings of days whose close is overdue alone, not every past
  booking.

Written beside other branches' migrations from s0015; relinked when merged.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 's0018'
down_revision = 's0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.create_index('ix_booking_booked_day', ['day', 'centre_code'], unique=False,
                              sqlite_where=sa.text("state = 'booked'"),
                              postgresql_where=sa.text("state = 'booked'"))


def downgrade() -> None:
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_booked_day', sqlite_where=sa.text("state = 'booked'"),
                            postgresql_where=sa.text("state = 'booked'"))
