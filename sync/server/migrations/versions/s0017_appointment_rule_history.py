"""appointment rule history: the rule in force each day, for the capacity figures

Revision ID: s0017
Revises: s0015
Create Date: 2026-11-26 18:45:00.000000

(sync.server.models.AppointmentRuleVersion; sync.server.appointment_kpis, issue 20 item 7)

* ``appointment_rule_version``: per centre and service group, the rule (hours, slot length,
  places) in force from ``valid_from`` (the Cairo day it was set) until the next version; a
  deletion is a version without them. Written by every change of a rule from now on.

Seeding: the history before this migration was not kept (a rule was replaced in place), so it is
unknown. Each existing rule gets one version, valid from the Cairo day of its ``updated_at``, or
from the day of its centre and group's earliest booking when that is older: the current rule is
taken for the days before its last change that already had bookings, as the figures did before.
Days before that have no version (no places offered).

Written beside another helper's s0016 and relinked to follow it when both are merged.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = 's0017'
down_revision = 's0015'
branch_labels = None
depends_on = None

CAIRO = ZoneInfo("Africa/Cairo")


def _cairo_day(moment: datetime) -> date:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite gives naive UTC
    return aware.astimezone(CAIRO).date()


def upgrade() -> None:
    versions = op.create_table('appointment_rule_version',
    sa.Column('centre_code', sa.String(length=16), nullable=False),
    sa.Column('group_letter', sa.String(length=4), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('hours', sa.Text(), nullable=True),
    sa.Column('slot_minutes', sa.Integer(), nullable=True),
    sa.Column('places', sa.Integer(), nullable=True),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('set_by', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('centre_code', 'group_letter', 'valid_from', name=op.f('pk_appointment_rule_version'))
    )
    conn = op.get_bind()
    earliest = {(centre, group): day for centre, group, day in conn.execute(sa.text(
        "SELECT centre_code, group_letter, MIN(day) FROM booking GROUP BY centre_code, group_letter"))}
    rows = []
    for centre, group, hours, slot_minutes, places, updated_at, updated_by in conn.execute(sa.text(
            "SELECT centre_code, group_letter, hours, slot_minutes, places, updated_at, updated_by "
            "FROM appointment_rule")):
        changed = updated_at if isinstance(updated_at, datetime) else datetime.fromisoformat(updated_at)
        first = _cairo_day(changed)
        booked = earliest.get((centre, group))
        if booked is not None:
            first = min(first, booked if isinstance(booked, date) else date.fromisoformat(booked))
        rows.append({"centre_code": centre, "group_letter": group, "valid_from": first, "hours": hours,
                     "slot_minutes": slot_minutes, "places": places, "set_at": changed, "set_by": updated_by})
    if rows:
        op.bulk_insert(versions, rows)


def downgrade() -> None:
    op.drop_table('appointment_rule_version')
