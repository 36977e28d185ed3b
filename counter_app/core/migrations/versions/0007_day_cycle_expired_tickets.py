"""centre day cycle and expired tickets

The business day becomes a row per day (open -> closed, reopened by a supervisor with a reason);
the old ``day.open`` setting is carried over. Tickets and their events gain the ``expired`` state
and kind (non-native enums of 20 characters: no schema change is needed for them).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 17:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('centre_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('state', sa.Enum('open', 'closed', name='day_state', native_enum=False, length=20), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_by', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.Column('reopened', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['closed_by'], ['app_user.id'], name=op.f('fk_centre_day_closed_by_app_user')),
    sa.ForeignKeyConstraint(['opened_by'], ['app_user.id'], name=op.f('fk_centre_day_opened_by_app_user')),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_centre_day'))
    )
    # Only today's tickets wait: the partial index of waiting tickets leads with the day.
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_waiting', sqlite_where=sa.text("status = 'waiting'"),
                            postgresql_where=sa.text("status = 'waiting'"))
        batch_op.create_index('ix_ticket_waiting', ['day', 'group_letter', 'priority', 'queued_at', 'id'], unique=False,
                              sqlite_where=sa.text("status = 'waiting'"), postgresql_where=sa.text("status = 'waiting'"))
    conn = op.get_bind()
    opened = conn.execute(sa.text("SELECT value FROM setting WHERE key = 'day.open'")).scalar()
    if opened:
        conn.execute(sa.text("INSERT INTO centre_day (day, state, opened_at, reopened) VALUES (:d, 'open', :at, 0)"),
                     {"d": datetime.strptime(str(opened), "%Y-%m-%d").date(), "at": datetime.now(UTC)})
    conn.execute(sa.text("DELETE FROM setting WHERE key = 'day.open'"))


def downgrade() -> None:
    conn = op.get_bind()
    opened = conn.execute(sa.text("SELECT max(day) FROM centre_day WHERE state = 'open'")).scalar()
    if opened:
        conn.execute(sa.text("INSERT INTO setting (key, value) VALUES ('day.open', :v)"), {"v": str(opened)})
    op.execute("UPDATE ticket SET status = 'skipped' WHERE status = 'expired'")
    op.execute("UPDATE ticket_event SET kind = 'skipped' WHERE kind = 'expired'")
    op.drop_table('centre_day')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_waiting', sqlite_where=sa.text("status = 'waiting'"),
                            postgresql_where=sa.text("status = 'waiting'"))
        batch_op.create_index('ix_ticket_waiting', ['group_letter', 'priority', 'queued_at', 'id'], unique=False,
                              sqlite_where=sa.text("status = 'waiting'"), postgresql_where=sa.text("status = 'waiting'"))
