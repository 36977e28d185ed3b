"""Slow work off the GUI thread: small operations with success and failure callbacks.

``ops.run(fn, on_done, on_error)`` runs ``fn()`` on a pool thread; the result (or the exception)
comes back through a queued Qt signal and the callbacks run on the GUI thread. A worker never
touches a widget. Unknown exceptions are logged (with their traceback) before ``on_error`` sees them.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot
from shiboken6 import isValid

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]



def expected(exc: BaseException) -> bool:
    """Errors that carry their own user message (core, national ID, printers, windows): not bugs."""
    return callable(getattr(exc, "message", None))


class _Job(QRunnable):
    def __init__(self, ops: Operations, op_id: int, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._ops, self._id, self._fn = ops, op_id, fn

    def run(self) -> None:
        try:
            result, ok = self._fn(), True
        except BaseException as exc:  # delivered to on_error on the GUI thread
            if not expected(exc):
                log.error("operation failed", exc_info=exc)
            result, ok = exc, False
        self._ops._finished.emit(self._id, ok, result)


class Operations(QObject):
    """The pool of worker threads of one application, and the callbacks waiting for them."""

    _finished = Signal(int, bool, object)
    idle = Signal()

    def __init__(self, parent: QObject | None = None, threads: int = 3) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._ids = itertools.count(1)
        self._waiting: dict[int, tuple[Done | None, Failed | None, QObject | None]] = {}
        self._finished.connect(self._deliver)
        self._closed = False

    @property
    def busy(self) -> bool:
        return bool(self._waiting)

    def run(self, fn: Callable[[], Any], on_done: Done | None = None, on_error: Failed | None = None,
            owner: QObject | None = None) -> int:
        """Run ``fn`` on a worker; the callbacks are dropped if ``owner`` was deleted meanwhile.
        After ``close()`` (the app is shutting down) nothing new starts and 0 is returned."""
        if self._closed or not isValid(self._pool):
            log.debug("operation not started: the app is shutting down")
            return 0
        op_id = next(self._ids)
        self._waiting[op_id] = (on_done, on_error, owner)
        self._pool.start(_Job(self, op_id, fn))
        return op_id

    @Slot(int, bool, object)
    def _deliver(self, op_id: int, ok: bool, result: object) -> None:
        on_done, on_error, owner = self._waiting.pop(op_id, (None, None, None))
        if owner is not None and not isValid(owner):
            on_done = on_error = None
        try:
            if ok and on_done is not None:
                on_done(result)
            elif not ok and (owner is None or isValid(owner)):
                if on_error is not None:
                    on_error(result)  # type: ignore[arg-type]
                elif isinstance(result, BaseException):
                    log.warning("operation failed without a handler: %s", result)
        finally:
            if not self._waiting:
                self.idle.emit()

    def close(self, msecs: int = 30_000) -> bool:
        """Refuse new work and wait for the running operations (shutdown)."""
        self._closed = True
        return self.wait(msecs)

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the pool is empty (shutdown and tests only, never in a handler)."""
        return bool(self._pool.waitForDone(msecs))


class Coalescer(QObject):
    """Runs ``fn`` once, ``delay_ms`` after the last of a burst of ``request()`` calls."""

    def __init__(self, fn: Callable[[], None], delay_ms: int = 50, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._fire)

    def request(self) -> None:
        self._timer.start()

    @Slot()
    def _fire(self) -> None:
        self._fn()
