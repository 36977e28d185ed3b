"""The counter app's view of the centre database's change notification: one per app, shared by
its windows.

:class:`DatabaseChanges` runs the core's :class:`~counter_app.core.changes.ChangeWatcher` (its own
thread: PostgreSQL ``LISTEN``, SQLite ``PRAGMA data_version``) and re-emits what it reports as
``changed(Change)`` on the GUI thread, through a queued signal. Changes that arrive while the GUI
thread is busy are merged into one: a window gets one signal per burst, never a backlog. A window
connects a slot of its own (Qt disconnects it when the window is deleted) and reloads what it shows
(:class:`~counter_app.ui.shell.operations.Reload`): the queue panel, the kiosk and the status line poll
no table on a timer.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot

if TYPE_CHECKING:  # SQLAlchemy loads with the watcher, after the login is shown
    from counter_app.core.changes import Change, ChangeWatcher, WatchStatus

log = logging.getLogger(__name__)


class DatabaseChanges(QObject):
    """``changed(Change)`` on the GUI thread after other commits (any process, any PC of the
    centre), at each (re)connection and every 30 s (``Change.full``), and ``queue_changed`` /
    ``sync_changed`` when the change concerns them; ``status_changed(WatchStatus)`` when the
    watcher loses or regains the database."""

    changed = Signal(object)
    #: The queue changed (ticket events): queue panels, kiosks.
    queue_changed = Signal()
    #: The outbox or the sync agent's record changed: the status line.
    sync_changed = Signal()
    status_changed = Signal(object)
    _wake = Signal()
    _status = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._watcher: ChangeWatcher | None = None
        self._lock = threading.Lock()
        self._pending: Change | None = None
        self.emitted = 0  # changes emitted on the GUI thread (tests, benchmarks)
        self.status: WatchStatus | None = None
        self._wake.connect(self._flush, Qt.ConnectionType.QueuedConnection)
        self._status.connect(self._status_on_gui, Qt.ConnectionType.QueuedConnection)

    @property
    def running(self) -> bool:
        return self._watcher is not None

    def start(self, url: str) -> None:
        """Watch the database at ``url`` (once; an in-memory database has nothing to watch)."""
        from counter_app.common.engine import sqlite_path
        from counter_app.core.changes import ChangeWatcher

        if self._watcher is not None:
            return
        if url.startswith("sqlite") and sqlite_path(url) is None:
            log.info("an in-memory database: no change notification")
            return
        self._watcher = ChangeWatcher(url, self._on_change, self._status.emit, name="counter-changes")
        self._watcher.start()

    def stop(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()

    # -- watcher thread ----------------------------------------------------------------------
    def _on_change(self, change: Change) -> None:
        with self._lock:
            pending, self._pending = self._pending, change if self._pending is None else _merge(self._pending, change)
        if pending is None:  # nothing queued for the GUI thread yet: wake it once
            self._wake.emit()

    # -- GUI thread --------------------------------------------------------------------------
    @Slot()
    def _flush(self) -> None:
        with self._lock:
            change, self._pending = self._pending, None
        if change is None:
            return
        from counter_app.core.changes import OUTBOX, QUEUE, SYNC

        self.emitted += 1
        self.changed.emit(change)
        if change.about(QUEUE):
            self.queue_changed.emit()
        if change.about(OUTBOX, SYNC):
            self.sync_changed.emit()

    @Slot(object)
    def _status_on_gui(self, status: WatchStatus) -> None:
        self.status = status
        self.status_changed.emit(status)


def _merge(a: Change, b: Change) -> Change:
    from counter_app.core.changes import Change

    return Change(a.channels | b.channels, full=a.full or b.full)
