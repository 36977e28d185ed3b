"""people and roles, their sessions, the central audit, enrolment codes

Revision ID: s0007
Revises: s0006
Create Date: 2026-11-26 05:10:00.000000

The administrator-token sessions of ``report_session`` end: a session now belongs to a person
(``user_session``); whoever was logged in with the token logs in again as a person.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 's0007'
down_revision = 's0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('report_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_session_expires_at'))
    op.drop_table('report_session')
    op.create_table('central_user',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=24), nullable=False),
    sa.Column('governorate', sa.String(length=2), nullable=True),
    sa.Column('centre_code', sa.String(length=16), nullable=True),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_central_user')),
    sa.UniqueConstraint('username', name=op.f('uq_central_user_username'))
    )
    op.create_table('user_session',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_user_session'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)
    op.create_table('central_audit',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('target', sa.String(length=80), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('client', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_central_audit'))
    )
    with op.batch_alter_table('central_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_central_audit_at'), ['at'], unique=False)
    op.create_table('enrolment_code',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('centre_code', sa.String(length=16), nullable=False),
    sa.Column('governorate', sa.String(length=2), nullable=True),
    sa.Column('issued_by', sa.String(length=80), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_enrolment_code'))
    )
    with op.batch_alter_table('enrolment_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolment_code_centre_code'), ['centre_code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('enrolment_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolment_code_centre_code'))
    op.drop_table('enrolment_code')
    with op.batch_alter_table('central_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_central_audit_at'))
    op.drop_table('central_audit')
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))
        batch_op.drop_index(batch_op.f('ix_user_session_expires_at'))
    op.drop_table('user_session')
    op.drop_table('central_user')
    op.create_table('report_session',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('grant', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_report_session'))
    )
    with op.batch_alter_table('report_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_session_expires_at'), ['expires_at'], unique=False)
