"""a centre's public details for the citizens' portal

Revision ID: s0005
Revises: s0004
Create Date: 2026-11-26 02:00:00.000000

What the portal's pages show of a centre: its name in Arabic and English (``name`` keeps the one
name the enrolment gave, for the administrators' reports), the address in both
languages, the opening hours, the centre's own portal address, and the services it offers (a JSON
list of service codes; none known yet: every service of the catalogue). Sent by the centre at
enrolment and in its ``centre.updated`` events. Nothing personal.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 's0005'
down_revision = 's0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('centre', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_ar', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('name_en', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('address_ar', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('address_en', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('opening_hours', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('portal_url', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('services', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('centre', schema=None) as batch_op:
        for column in ('services', 'portal_url', 'opening_hours', 'address_en', 'address_ar', 'name_en', 'name_ar'):
            batch_op.drop_column(column)
