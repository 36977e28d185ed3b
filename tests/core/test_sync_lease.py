"""The sending lease's queries (``counter_app.core.sync_lease``), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from counter_app.core import sync_lease
from counter_app.core.clock import utcnow
from counter_app.core.db import Database


def test_one_holder_at_a_time_until_the_lease_expires(db: Database) -> None:
    now = utcnow()
    with db.begin() as s:
        assert sync_lease.holder(s) is None
        assert sync_lease.take(s, "pc-1:10", until=now + timedelta(seconds=90), now=now)
    with db.begin() as s:  # another agent, while the lease runs: refused, the first keeps it
        assert not sync_lease.take(s, "pc-2:20", until=now + timedelta(seconds=120), now=now + timedelta(seconds=30))
        assert sync_lease.holder(s) == "pc-1:10"
    with db.begin() as s:  # the holder renews, even before expiry
        assert sync_lease.take(s, "pc-1:10", until=now + timedelta(seconds=150), now=now + timedelta(seconds=60))
    with db.begin() as s:  # the renewed lease still runs at 120 s
        assert not sync_lease.take(s, "pc-2:20", until=now + timedelta(seconds=210), now=now + timedelta(seconds=120))
    with db.begin() as s:  # expired: taken over
        assert sync_lease.take(s, "pc-2:20", until=now + timedelta(seconds=250), now=now + timedelta(seconds=160))
        assert sync_lease.holder(s) == "pc-2:20"


def test_only_the_holder_releases(db: Database) -> None:
    now = utcnow()
    with db.begin() as s:
        assert sync_lease.take(s, "pc-1:10", until=now + timedelta(seconds=90), now=now)
        sync_lease.release(s, "pc-2:20")
        assert sync_lease.holder(s) == "pc-1:10"
        sync_lease.release(s, "pc-1:10")
        assert sync_lease.holder(s) is None
    with db.begin() as s:  # free again: anyone takes it at once
        assert sync_lease.take(s, "pc-2:20", until=now + timedelta(seconds=90), now=now)
