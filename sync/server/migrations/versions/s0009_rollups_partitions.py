"""national scale: the event table partitioned by month (PostgreSQL), event keys, report rollups

Revision ID: s0009
Revises: s0008
Create Date: 2026-11-26 05:30:00.000000

* ``event_key`` (centre, uuid) holds what ``event``'s unique constraint held: on PostgreSQL ``event``
  becomes a table partitioned by range of ``created_at`` (one partition a month, in the schema
  ``event_month``; sync.server.partitions), whose keys must hold the partition key; its primary
  key is now (centre, uuid, created_at) on both databases and the surrogate ``id`` is gone;
* the rollup tables (sync.server.rollups), built here from the events already stored.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = 's0009'
down_revision = 's0008'
branch_labels = None
depends_on = None

EVENT_COLUMNS = "uuid, centre_code, seq, kind, aggregate_id, created_at, payload, payload_hash, received_at"


def _rollup_tables() -> None:
    op.create_table('event_key',
    sa.Column('centre_code', sa.String(length=16), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.String(length=40), nullable=False),
    sa.Column('payload_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('centre_code', 'uuid', name=op.f('pk_event_key'))
    )
    op.create_table('rollup_ticket',
    sa.Column('centre_code', sa.String(length=16), nullable=False),
    sa.Column('ticket_uuid', sa.String(length=64), nullable=False),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('centre_code', 'ticket_uuid', name=op.f('pk_rollup_ticket'))
    )
    op.create_table('rollup_application',
    sa.Column('centre_code', sa.String(length=16), nullable=False),
    sa.Column('application_uuid', sa.String(length=36), nullable=False),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('service_code', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('centre_code', 'application_uuid', name=op.f('pk_rollup_application'))
    )
    op.create_table('rollup_service',
    sa.Column('span', sa.String(length=1), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('centre_code', sa.String(length=16), nullable=False),
    sa.Column('service_code', sa.String(length=32), nullable=False),
    sa.Column('issued', sa.Integer(), nullable=False),
    sa.Column('served', sa.Integer(), nullable=False),
    sa.Column('no_shows', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('wait_count', sa.Integer(), nullable=False),
    sa.Column('wait_sum_us', sa.BigInteger(), nullable=False),
    sa.Column('wait_hist', sa.Text(), nullable=False),
    sa.Column('service_count', sa.Integer(), nullable=False),
    sa.Column('service_sum_us', sa.BigInteger(), nullable=False),
    sa.Column('service_hist', sa.Text(), nullable=False),
    sa.Column('states', sa.Text(), nullable=False),
    sa.Column('payments', sa.Integer(), nullable=False),
    sa.Column('methods', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('span', 'day', 'centre_code', 'service_code', name=op.f('pk_rollup_service'))
    )
    op.create_table('rollup_clerk',
    sa.Column('span', sa.String(length=1), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('centre_code', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('served', sa.Integer(), nullable=False),
    sa.Column('no_shows', sa.Integer(), nullable=False),
    sa.Column('service_count', sa.Integer(), nullable=False),
    sa.Column('service_sum_us', sa.BigInteger(), nullable=False),
    sa.Column('service_hist', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('span', 'day', 'centre_code', 'user_id', name=op.f('pk_rollup_clerk'))
    )
    op.create_table('rollup_hour',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('centre_code', sa.String(length=16), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('issued', sa.Integer(), nullable=False),
    sa.Column('called', sa.Integer(), nullable=False),
    sa.Column('wait_sum_us', sa.BigInteger(), nullable=False),
    sa.Column('served', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'centre_code', 'hour', name=op.f('pk_rollup_hour'))
    )


def _partition_postgresql() -> None:
    from sync.server import partitions

    op.execute("ALTER TABLE event RENAME TO event_flat")
    for old in ("pk_event", "uq_event_centre_code_uuid", "ix_event_centre_seq"):
        op.execute(f"ALTER INDEX {old} RENAME TO {old}_flat")
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {partitions.SCHEMA}")
    op.execute("""CREATE TABLE event (
        uuid VARCHAR(36) NOT NULL, centre_code VARCHAR(16) NOT NULL, seq BIGINT NOT NULL,
        kind VARCHAR(64) NOT NULL, aggregate_id VARCHAR(64) NOT NULL, created_at VARCHAR(40) NOT NULL,
        payload TEXT NOT NULL, payload_hash VARCHAR(64) NOT NULL, received_at TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT pk_event PRIMARY KEY (centre_code, uuid, created_at)
    ) PARTITION BY RANGE (created_at)""")
    op.execute("CREATE INDEX ix_event_centre_seq ON event (centre_code, seq)")
    op.execute(f"CREATE TABLE {partitions.SCHEMA}.event_default PARTITION OF event DEFAULT")
    conn = op.get_bind()
    texts = conn.execute(sa.text("SELECT DISTINCT substr(created_at, 1, 7) FROM event_flat "
                                 "WHERE created_at ~ '^[0-9]{4}-(0[1-9]|1[0-2])'")).scalars().all()
    odd = conn.execute(sa.text("SELECT DISTINCT created_at FROM event_flat "
                               "WHERE created_at !~ '^[0-9]{4}-(0[1-9]|1[0-2])'")).scalars().all()
    months = {m for m in [*texts, *(partitions.month_of(t) for t in odd)] if m is not None and m >= "0001-01"}
    partitions.create(conn, months)
    op.execute(f"INSERT INTO event ({EVENT_COLUMNS}) SELECT {EVENT_COLUMNS} FROM event_flat")
    op.execute("DROP TABLE event_flat")


def upgrade() -> None:
    _rollup_tables()
    if op.get_bind().dialect.name == "postgresql":
        _partition_postgresql()
    else:
        with op.batch_alter_table('event', schema=None, recreate='always') as batch_op:
            batch_op.drop_constraint('uq_event_centre_code_uuid', type_='unique')
            batch_op.drop_column('id')
            batch_op.create_primary_key('pk_event', ['centre_code', 'uuid', 'created_at'])
    op.execute("INSERT INTO event_key (centre_code, uuid, created_at, payload_hash) "
               "SELECT centre_code, uuid, created_at, payload_hash FROM event")
    from sync.server import rollups

    rollups.rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        from sync.server import partitions

        op.execute("ALTER TABLE event RENAME TO event_partitioned")
        op.execute("ALTER INDEX pk_event RENAME TO pk_event_partitioned")
        op.execute("ALTER INDEX ix_event_centre_seq RENAME TO ix_event_centre_seq_partitioned")
        op.create_table('event',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('centre_code', sa.String(length=16), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('kind', sa.String(length=64), nullable=False),
        sa.Column('aggregate_id', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.String(length=40), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('payload_hash', sa.String(length=64), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_event')),
        sa.UniqueConstraint('centre_code', 'uuid', name='uq_event_centre_code_uuid')
        )
        op.create_index('ix_event_centre_seq', 'event', ['centre_code', 'seq'], unique=False)
        op.execute(f"INSERT INTO event ({EVENT_COLUMNS}) SELECT {EVENT_COLUMNS} FROM event_partitioned "
                   "ORDER BY received_at, centre_code, seq")
        op.execute("DROP TABLE event_partitioned")
        op.execute(f"DROP SCHEMA IF EXISTS {partitions.SCHEMA} CASCADE")
    else:
        with op.batch_alter_table('event', schema=None, recreate='always') as batch_op:
            batch_op.drop_constraint('pk_event', type_='primary')
            batch_op.add_column(sa.Column('id', sa.Integer(), nullable=True))
        op.execute("UPDATE event SET id = rowid")
        with op.batch_alter_table('event', schema=None, recreate='always') as batch_op:
            batch_op.alter_column('id', existing_type=sa.Integer(), nullable=False)
            batch_op.create_primary_key('pk_event', ['id'])
            batch_op.create_unique_constraint('uq_event_centre_code_uuid', ['centre_code', 'uuid'])
    for table in ('rollup_hour', 'rollup_clerk', 'rollup_service', 'rollup_application', 'rollup_ticket', 'event_key'):
        op.drop_table(table)
