"""intake bound to the ticket, one submit per intake

The counter's intake form carries a key (a UUID made when the form is bound to a called ticket);
an application stores it under a unique constraint, so a second submit of the same intake finds
the first application instead of creating another one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intake_key', sa.String(length=36), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_application_intake_key'), ['intake_key'])


def downgrade() -> None:
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_application_intake_key'), type_='unique')
        batch_op.drop_column('intake_key')
