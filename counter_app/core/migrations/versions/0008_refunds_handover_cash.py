"""refunds paid at the counter, handover to a representative, cash received, reviewer departments

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 17:00:00

* ``refund``: a refund approved by a supervisor and paid out later at a counter (until now a refund
  was a negative payment written at approval; those are moved here, as paid at that moment);
* ``payment.cash_received_piastres`` / ``payment.change_piastres``: what a citizen paying cash
  handed over and the change given back;
* ``application.collector_relation`` / ``application.collector_authority``: who collected a result
  for someone else (relation, power-of-attorney number);
* ``app_user.must_change_password``: set when a supervisor or administrator resets a password.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'refund',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
        sa.Column('method', sa.Enum('cash', 'card', 'epayment', name='payment_method', native_enum=False,
                                    length=20), nullable=False),
        sa.Column('amount_piastres', sa.BigInteger(), nullable=False),
        sa.Column('approved_by', sa.Integer(), nullable=False),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('paid_by', sa.Integer(), nullable=True),
        sa.Column('counter_id', sa.Integer(), nullable=True),
        sa.Column('paid_to_name', sa.String(length=200), nullable=True),
        sa.Column('paid_to_national_id', sa.String(length=14), nullable=True),
        sa.ForeignKeyConstraint(['application_id'], ['application.id'],
                                name=op.f('fk_refund_application_id_application'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['request_id'], ['application_request.id'],
                                name=op.f('fk_refund_request_id_application_request')),
        sa.ForeignKeyConstraint(['approved_by'], ['app_user.id'], name=op.f('fk_refund_approved_by_app_user')),
        sa.ForeignKeyConstraint(['paid_by'], ['app_user.id'], name=op.f('fk_refund_paid_by_app_user')),
        sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], name=op.f('fk_refund_counter_id_counter')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_refund')),
        sa.UniqueConstraint('uuid', name=op.f('uq_refund_uuid')),
        sa.UniqueConstraint('request_id', name=op.f('uq_refund_request_id')),
    )
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.create_index('ix_refund_paid_at', ['paid_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_refund_application_id'), ['application_id'], unique=False)

    # Plain ALTER TABLE ... ADD COLUMN: a batch copy of app_user or application would fail on a centre
    # database with data, whose other tables' foreign keys point at them.
    op.add_column('payment', sa.Column('cash_received_piastres', sa.BigInteger(), nullable=True))
    op.add_column('payment', sa.Column('change_piastres', sa.BigInteger(), nullable=True))
    op.add_column('application', sa.Column('collector_relation', sa.String(length=32), nullable=True))
    op.add_column('application', sa.Column('collector_authority', sa.String(length=64), nullable=True))
    op.add_column('app_user', sa.Column('must_change_password', sa.Boolean(), server_default=sa.text('false'),
                                        nullable=False))

    _move_negative_payments()


def _move_negative_payments() -> None:
    """Refunds written as negative payments become paid refunds (same amount, method and time)."""
    bind = op.get_bind()
    payment = sa.table('payment', sa.column('id'), sa.column('application_id'), sa.column('method'),
                       sa.column('amount_piastres'), sa.column('paid_at'), sa.column('received_by'))
    request = sa.table('application_request', sa.column('id'), sa.column('application_id'), sa.column('state'),
                       sa.column('decided_at'))
    refund = sa.table('refund', sa.column('uuid'), sa.column('application_id'), sa.column('request_id'),
                      sa.column('method'), sa.column('amount_piastres'), sa.column('approved_by'),
                      sa.column('approved_at'), sa.column('paid_at'), sa.column('paid_by'))
    rows = bind.execute(sa.select(payment).where(payment.c.amount_piastres < 0).order_by(payment.c.id)).all()
    for row in rows:
        request_id = bind.execute(
            sa.select(request.c.id).where(request.c.application_id == row.application_id,
                                          request.c.state == 'approved')
            .order_by(request.c.decided_at.desc()).limit(1)).scalar()
        bind.execute(sa.insert(refund).values(
            uuid=str(uuid.uuid4()), application_id=row.application_id, request_id=request_id, method=row.method,
            amount_piastres=-row.amount_piastres, approved_by=row.received_by, approved_at=row.paid_at,
            paid_at=row.paid_at, paid_by=row.received_by))
        bind.execute(sa.delete(payment).where(payment.c.id == row.id))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ has it): a batch copy of app_user would break the foreign keys
    # pointing at it while they are enforced.
    op.drop_column('app_user', 'must_change_password')
    op.drop_column('application', 'collector_authority')
    op.drop_column('application', 'collector_relation')
    op.drop_column('payment', 'change_piastres')
    op.drop_column('payment', 'cash_received_piastres')
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_application_id'))
        batch_op.drop_index('ix_refund_paid_at')
    op.drop_table('refund')
