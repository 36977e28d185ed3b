"""Time helpers of every program: everything is stored in UTC and shown in the centre's zone
(Africa/Cairo); a centre day is a day of that zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

CENTRE_TZ = ZoneInfo("Africa/Cairo")

#: Added to the system clock by ``utcnow``; zero in every program. The test suite sets it (and its
#: child processes inherit it, ``tests/helpers/clock.py``) so that a run that crosses Cairo's
#: midnight does not see its tickets of "today" expire half-way.
_shift = timedelta(0)


def utcnow() -> datetime:
    """The current time, aware, in UTC: the one clock of every program's domain (tickets, days,
    deadlines, reports)."""
    return datetime.now(UTC) + _shift


def as_utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime (naive values are taken to be UTC).

    SQLite gives naive datetimes back even for ``DateTime(timezone=True)`` columns.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def local_day(moment: datetime) -> date:
    """The centre's calendar day (Africa/Cairo) that ``moment`` falls on."""
    return as_utc(moment).astimezone(CENTRE_TZ).date()


def to_local(moment: datetime) -> datetime:
    return as_utc(moment).astimezone(CENTRE_TZ)
