"""the SMS of a ticket's turn: the kiosk's mobile number on the ticket, ticket notifications

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 02:00:00

``ticket.sms_phone`` (E.164, cleared when the ticket's day ends) and ``ticket.sms_ahead_due``
(the "N ahead" SMS is still to come), with a partial index of the tickets that have a number;
``notification.ticket_id`` (a message about a ticket), so ``application_id`` becomes nullable and
``(ticket_id, event, channel)`` is unique like ``(application_id, event, channel)``: each SMS of a
ticket is queued at most once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on ticket (no batch copy: other tables' foreign keys point at it).
    op.add_column('ticket', sa.Column('sms_phone', sa.String(length=16), nullable=True))
    op.add_column('ticket', sa.Column('sms_ahead_due', sa.Boolean(), server_default=sa.text('false'),
                                      nullable=False))
    op.create_index('ix_ticket_sms', 'ticket', ['day'], unique=False,
                    sqlite_where=sa.text('sms_phone IS NOT NULL'), postgresql_where=sa.text('sms_phone IS NOT NULL'))
    # Nothing points at notification: SQLite's batch copy is fine.
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))
        batch_op.alter_column('application_id', existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                              nullable=True)
        batch_op.create_foreign_key(op.f('fk_notification_ticket_id_ticket'), 'ticket', ['ticket_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_unique_constraint(op.f('uq_notification_ticket_id'), ['ticket_id', 'event', 'channel'])
        batch_op.create_index('ix_notification_ticket_id', ['ticket_id'], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM notification WHERE application_id IS NULL")
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_ticket_id')
        batch_op.drop_constraint(op.f('uq_notification_ticket_id'), type_='unique')
        batch_op.drop_constraint(op.f('fk_notification_ticket_id_ticket'), type_='foreignkey')
        batch_op.alter_column('application_id', existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                              nullable=False)
        batch_op.drop_column('ticket_id')
    op.drop_index('ix_ticket_sms', table_name='ticket')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('sms_ahead_due')
        batch_op.drop_column('sms_phone')
