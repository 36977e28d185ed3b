"""What every window of one running app shares (built by the composition root in ``app.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from counter_app.services.status import SyncStatus as SyncStatus  # re-exported: the status line's data
from counter_app.services.status import SyncStatusProvider, outbox_sync_status

if TYPE_CHECKING:  # kept light: the login window must show before SQLAlchemy and printers load
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from counter_app.services.config import AppConfig
    from counter_app.services.shell import Database
    from counter_app.services.views import Catalogue, CounterView, UserView
    from counter_app.ui.shell.changes import DatabaseChanges
    from counter_app.ui.shell.i18n import Language
    from counter_app.ui.shell.operations import Operations
    from counter_app.ui.shell.printing import PrintService


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
