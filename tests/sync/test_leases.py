"""A server process that stops gives its alerts' lease back: after a restart (or in another process)
the rounds go on at once instead of after the lease's time to live (three intervals). Both
databases, two runners on their own engines as two processes would be."""

from __future__ import annotations

from sync.server.alerts import LEASE, AlertRunner, AlertSettings
from sync.server.db import ServerDatabase
from sync.server.leases import release_lease, take_lease
from sync.server.models import ServerLease
from tests.helpers.central import Central


def test_a_stopping_process_gives_the_alerts_lease_back(central: Central, central_url: str) -> None:
    other_db = ServerDatabase(central_url, migrate=False)
    try:
        first, second = AlertRunner(central.db, AlertSettings()), AlertRunner(other_db, AlertSettings())
        assert first.run_once() and not second.run_once()
        first.stop()  # never started: the stop still gives the lease back
        with central.db.sessions() as s:
            assert s.get(ServerLease, LEASE) is None
        assert second.run_once() and not first.run_once()
        second.stop()
    finally:
        other_db.dispose()


def test_only_the_holder_gives_a_lease_back(central: Central) -> None:
    from counter_app.common.clock import utcnow

    with central.db.sessions.begin() as s:
        assert take_lease(s, "a", utcnow(), 60, "job")
        assert not release_lease(s, "b", "job")
        assert not take_lease(s, "b", utcnow(), 60, "job")
        assert release_lease(s, "a", "job")
        assert take_lease(s, "b", utcnow(), 60, "job")
