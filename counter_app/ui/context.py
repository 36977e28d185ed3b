"""What every window of one running app shares (built by the composition root in ``app.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # kept light: the login window must show before SQLAlchemy and printers load
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from counter_app.core.db import Database
    from counter_app.ui.backend import Catalogue, CounterView, UserView
    from counter_app.ui.changes import DatabaseChanges
    from counter_app.ui.config import AppConfig
    from counter_app.ui.i18n import Language
    from counter_app.ui.operations import Operations
    from counter_app.ui.printing import PrintService


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
    """From what the sync agent records in the centre database (``sync.state``)."""
    from sync.state import snapshot

    with db.read() as s:
        snap = snapshot(s)
    return SyncStatus(online=snap.online, events_waiting=snap.waiting, last_sync=snap.last_success,
                      error=snap.last_error, configured=snap.configured, oldest_waiting_age=snap.oldest_age,
                      stale=snap.stale, rejected=snap.rejected, clock_skew_s=snap.clock_skew_s,
                      clock_flagged=snap.clock_flagged)


class AppContext:
    """The shared state of one running app. ``db`` and ``printing`` exist once start-up is done."""

    def __init__(self, ops: Operations, lang: Language, config: AppConfig,
                 sync_status: SyncStatusProvider = outbox_sync_status, *, changes: DatabaseChanges) -> None:
        self.ops, self.lang, self.config, self.sync_status = ops, lang, config, sync_status
        #: The database's change notification, shared by the windows (they reload on ``changed``).
        self.changes = changes
        self._db: Database | None = None
        self._printing: PrintService | None = None
        self.key: Ed25519PrivateKey | None = None
        self.catalogue: Catalogue | None = None
        self.user: UserView | None = None
        self.counter: CounterView | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            raise RuntimeError("the database is not open yet")
        return self._db

    @db.setter
    def db(self, value: Database) -> None:
        self._db = value

    @property
    def has_db(self) -> bool:
        return self._db is not None

    @property
    def ready(self) -> bool:
        return self._db is not None and self._printing is not None

    @property
    def printing(self) -> PrintService:
        if self._printing is None:
            raise RuntimeError("the print service is not started yet")
        return self._printing

    @printing.setter
    def printing(self, value: PrintService) -> None:
        self._printing = value
