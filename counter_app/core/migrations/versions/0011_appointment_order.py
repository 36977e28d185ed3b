"""appointments in the queue: a ticket's booked time, a counter's appointments called in a row

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 09:30:00

``ticket.appointment_at`` (UTC; the booked time of an appointment's ticket, NULL for a walk-in)
with a partial index of the waiting ones, a partial index of the waiting tickets by the counter they were
transferred to, and ``counter.appointments_in_a_row`` (the appointments this counter called in a row while a
walk-in waited: :mod:`counter_app.core.call_order` gives a walk-in its turn after K of them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy: other tables' foreign keys point at both tables).
    op.add_column('ticket', sa.Column('appointment_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_ticket_appointment', 'ticket', ['day', 'group_letter', 'priority', 'appointment_at'], unique=False,
                    sqlite_where=sa.text("status = 'waiting' AND appointment_at IS NOT NULL"),
                    postgresql_where=sa.text("status = 'waiting' AND appointment_at IS NOT NULL"))
    # Every call reads the tickets transferred to its counter: without this index a scan of the day's queue.
    op.create_index('ix_ticket_transferred', 'ticket', ['target_counter_id'], unique=False,
                    sqlite_where=sa.text("status = 'waiting' AND target_counter_id IS NOT NULL"),
                    postgresql_where=sa.text("status = 'waiting' AND target_counter_id IS NOT NULL"))
    op.add_column('counter', sa.Column('appointments_in_a_row', sa.Integer(), server_default=sa.text('0'),
                                       nullable=False))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of counter or ticket fails on the foreign keys
    # that point at them.
    op.drop_index('ix_ticket_transferred', table_name='ticket')
    op.drop_index('ix_ticket_appointment', table_name='ticket')
    op.drop_column('counter', 'appointments_in_a_row')
    op.drop_column('ticket', 'appointment_at')
