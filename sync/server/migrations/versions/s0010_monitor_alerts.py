"""live monitoring: alerts raised and cleared once, a lease for the one worker that evaluates
them, an e-mail address for the people alerts are mailed to

Revision ID: s0010
Revises: s0009
Create Date: 2026-11-26 06:40:00.000000

* ``central_alert`` (sync.server.alerts): ``open_key`` is unique while an alert is open, so several
  workers raising the same alert insert it once;
* ``server_lease``: which server process evaluates the alerts (one at a time);
* ``central_user.email`` (optional).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 's0010'
down_revision = 's0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('central_alert',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('centre_code', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('open_key', sa.String(length=48), nullable=True),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('value', sa.Double(), nullable=True),
    sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('emailed_to', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_central_alert')),
    sa.UniqueConstraint('open_key', name=op.f('uq_central_alert_open_key'))
    )
    with op.batch_alter_table('central_alert', schema=None) as batch_op:
        batch_op.create_index('ix_central_alert_centre_raised', ['centre_code', 'raised_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_central_alert_cleared_at'), ['cleared_at'], unique=False)
    op.create_table('server_lease',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=80), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_server_lease'))
    )
    with op.batch_alter_table('central_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('central_user', schema=None) as batch_op:
        batch_op.drop_column('email')
    op.drop_table('server_lease')
    with op.batch_alter_table('central_alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_central_alert_cleared_at'))
        batch_op.drop_index('ix_central_alert_centre_raised')
    op.drop_table('central_alert')
