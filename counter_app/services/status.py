"""What the status line shows about the sync with the central server, read from what the sync
agent records in the centre database (worker thread, no Qt). Light: nothing heavy is imported
until a status is read, so the login window can name these types before SQLAlchemy loads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from counter_app.core.db import Database
    from counter_app.core.notifications import Store


@dataclass(frozen=True)
class SyncStatus:
    """What the status line shows about the sync with the central server."""

    online: bool
    events_waiting: int
    last_sync: datetime | None = None  # aware, UTC
    error: str = ""  # the agent's last error (technical; shown as a tooltip)
    configured: bool = True  # enrolled with a central server
    oldest_waiting_age: timedelta | None = None
    stale: bool = False  # something has waited longer than a day
    rejected: int = 0  # events the server refused (quarantine): a supervisor must look
    clock_skew_s: float | None = None
    clock_flagged: bool = False  # this PC's clock is more than five minutes off the server's

    @property
    def alert(self) -> bool:
        return self.stale or self.rejected > 0 or self.clock_flagged


#: Called on a worker thread with the database; returns the current sync status.
SyncStatusProvider = Callable[["Database"], SyncStatus]


def outbox_sync_status(db: Database) -> SyncStatus:
    """From what the sync agent records in the centre database (``counter_app.core.sync_state``)."""
    from counter_app.core.sync_state import snapshot

    with db.read() as s:
        snap = snapshot(s)
    return SyncStatus(online=snap.online, events_waiting=snap.waiting, last_sync=snap.last_success,
                      error=snap.last_error, configured=snap.configured, oldest_waiting_age=snap.oldest_age,
                      stale=snap.stale, rejected=snap.rejected, clock_skew_s=snap.clock_skew_s,
                      clock_flagged=snap.clock_flagged)


def enrolled(db: Database) -> bool:
    """The centre has enrolled with a central server (``shubbak centre enrol``): the agent can run."""
    from counter_app.core import settings

    with db.read() as s:
        return bool(settings.get(s, "sync.server"))


def notification_store(db: Database) -> Store:
    """The queue of citizens' notifications the in-app sender works through (``counter_app.notify``)."""
    from counter_app.core.notifications import Store

    return Store(db)
