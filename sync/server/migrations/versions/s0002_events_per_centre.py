"""events, quarantine and application projections keyed by (centre, uuid)

Revision ID: s0002
Revises: s0001
Create Date: 2026-11-25 23:00:00

A UUID is made by a centre and is unique there only: centre B's event with a UUID that centre A
used is B's own event, stored for B (before, B was told ``duplicate`` and its event was lost).
Going down fails when two centres already share a UUID (the old, global keys cannot hold both).
"""

from __future__ import annotations

from alembic import op

revision = 's0002'
down_revision = 's0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint('uq_event_uuid', type_='unique')
        batch_op.create_unique_constraint('uq_event_centre_code_uuid', ['centre_code', 'uuid'])
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index('ix_quarantine_uuid')
        batch_op.create_index('ix_quarantine_centre_uuid', ['centre_code', 'uuid'], unique=False)
    with op.batch_alter_table('application_projection', schema=None) as batch_op:
        batch_op.drop_constraint('pk_application_projection', type_='primary')
        batch_op.create_primary_key('pk_application_projection', ['centre_code', 'application_uuid'])


def downgrade() -> None:
    with op.batch_alter_table('application_projection', schema=None) as batch_op:
        batch_op.drop_constraint('pk_application_projection', type_='primary')
        batch_op.create_primary_key('pk_application_projection', ['application_uuid'])
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index('ix_quarantine_centre_uuid')
        batch_op.create_index('ix_quarantine_uuid', ['uuid'], unique=False)
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint('uq_event_centre_code_uuid', type_='unique')
        batch_op.create_unique_constraint('uq_event_uuid', ['uuid'])
