"""Slow work off the GUI thread: small typed operations with success and failure callbacks.

``ops.run(fn, on_done, on_error, owner=widget)`` runs ``fn()`` on a worker and calls
``on_done(result)`` or ``on_error(exception)`` on the GUI thread (a queued Qt signal carries them
back), with the type of ``fn``'s result checked against ``on_done`` by mypy (like Anki's
``QueryOp[T]``). A worker never touches a widget. When ``owner`` is deleted before the result
comes (its window was closed half-way), the callbacks are dropped: nothing calls into a deleted
widget. Unknown exceptions are logged (on this module's logger) before ``on_error`` sees them.

Two lanes:

* :attr:`Lane.READ` (``ops.run``): reads of the centre database and work that writes nothing to it
  (files, the print-job store, the network); several run at once on a small pool.
* :attr:`Lane.WRITE` (``ops.write``): everything that opens a write transaction. They run one at a
  time, in the order they were asked for, on one thread: SQLite has a single writer, and pool
  threads queued on its lock would leave none for the reads. A write transaction opened on the
  read lane is reported (see :mod:`counter_app.common.lanes`).
"""

from __future__ import annotations

import enum
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot
from shiboken6 import isValid

from counter_app.common import lanes

log = logging.getLogger(__name__)

T = TypeVar("T")
Failed = Callable[[BaseException], object]


class Lane(enum.Enum):
    READ = "read"
    WRITE = "write"


def expected(exc: BaseException) -> bool:
    """Errors that carry their own user message (core, national ID, printers, windows): not bugs."""
    return callable(getattr(exc, "message", None))


@dataclass
class _Waiting(Generic[T]):
    """The callbacks of one operation, kept on the GUI thread until its result comes back."""

    on_done: Callable[[T], object] | None
    on_error: Failed | None
    owner: QObject | None

    def deliver(self, ok: bool, result: Any) -> None:
        if self.owner is not None and not isValid(self.owner):
            return  # its window is gone: nobody to tell (an unexpected error is logged already)
        if ok:
            if self.on_done is not None:
                self.on_done(result)
        elif self.on_error is not None:
            self.on_error(result)
        else:
            log.warning("operation failed without a handler: %s", result)


class _Job(QRunnable):
    def __init__(self, ops: Operations, op_id: int, fn: Callable[[], object], lane: Lane) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._ops, self._id, self._fn, self._lane = ops, op_id, fn, lane

    def run(self) -> None:
        try:
            if self._lane is Lane.READ:
                with lanes.read_only("the counter app's read lane"):
                    result, ok = self._fn(), True
            else:
                result, ok = self._fn(), True
        except BaseException as exc:  # delivered to on_error on the GUI thread
            if not expected(exc):
                log.error("operation failed", exc_info=exc)
            result, ok = exc, False
        try:
            self._ops._finished.emit(self._id, ok, result)
        except RuntimeError:  # the app is gone (only after a shutdown that did not wait)
            log.debug("operation %d finished after the app", self._id)


class Operations(QObject):
    """The worker threads of one application (a read pool and one write lane), and the callbacks
    waiting for them."""

    _finished = Signal(int, bool, object)
    idle = Signal()

    def __init__(self, parent: QObject | None = None, threads: int = 3) -> None:
        super().__init__(parent)
        self._pools = {Lane.READ: QThreadPool(self), Lane.WRITE: QThreadPool(self)}
        self._pools[Lane.READ].setMaxThreadCount(threads)
        self._pools[Lane.WRITE].setMaxThreadCount(1)  # one write transaction at a time, in order
        self._ids = itertools.count(1)
        self._waiting: dict[int, _Waiting[Any]] = {}
        self._finished.connect(self._deliver)
        self._closed = False

    @property
    def busy(self) -> bool:
        return bool(self._waiting)

    def run(self, fn: Callable[[], T], on_done: Callable[[T], object] | None = None, on_error: Failed | None = None,
            *, owner: QObject | None = None, lane: Lane = Lane.READ) -> int:
        """Run ``fn`` on a worker of ``lane`` (reads by default); the callbacks run on the GUI
        thread, and are dropped if ``owner`` was deleted meanwhile. After ``close()`` (the app is
        shutting down) nothing new starts and 0 is returned."""
        pool = self._pools[lane]
        if self._closed or not isValid(pool):
            log.debug("operation not started: the app is shutting down")
            return 0
        op_id = next(self._ids)
        self._waiting[op_id] = _Waiting(on_done, on_error, owner)
        pool.start(_Job(self, op_id, fn, lane))
        return op_id

    def write(self, fn: Callable[[], T], on_done: Callable[[T], object] | None = None, on_error: Failed | None = None,
              *, owner: QObject | None = None) -> int:
        """``run`` on the write lane: for ``fn`` that opens a write transaction."""
        return self.run(fn, on_done, on_error, owner=owner, lane=Lane.WRITE)

    @Slot(int, bool, object)
    def _deliver(self, op_id: int, ok: bool, result: object) -> None:
        waiting = self._waiting.pop(op_id, None)
        try:
            if waiting is not None:
                waiting.deliver(ok, result)
        finally:
            if not self._waiting:
                self.idle.emit()

    def close(self, msecs: int = 30_000) -> bool:
        """Refuse new work and wait for the running operations (shutdown)."""
        self._closed = True
        return self.wait(msecs)

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until both lanes are empty (shutdown and tests only, never in a handler)."""
        done = True
        for pool in self._pools.values():
            done = bool(pool.waitForDone(msecs)) and done
        return done


class Reload(QObject, Generic[T]):
    """Keeps what a widget shows up to date with the database, one read at a time.

    ``request()`` (a change was announced) starts ``prepare()``'s work on the read lane
    ``delay_ms`` later: the requests made until then make one read, and a clerk pressing keys in
    quick succession is not slowed by reads after each of their own commits (their action brings
    its own state back). ``now()`` reads at once (a window opening).
    A request while a read runs makes one more read once it is done, so the last read always
    starts after the last change announced: nothing is missed and results never arrive out of
    order. ``hold()`` (an action of the widget's own is under way) keeps reads back and drops the
    result of one in flight; ``release()`` reads again if anything was asked for meanwhile.

    ``prepare`` runs on the GUI thread and returns the work for the worker (it captures what it
    needs from the widget there), or None when there is nothing to read now.
    """

    def __init__(self, ops: Operations, prepare: Callable[[], Callable[[], T] | None], apply: Callable[[T], object],
                 owner: QObject, delay_ms: int = 100, on_error: Failed | None = None) -> None:
        super().__init__(owner)
        self._ops, self._prepare, self._apply, self._owner = ops, prepare, apply, owner
        self._on_error: Failed = on_error or (lambda exc: log.debug("reload failed: %s", exc))
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.now)
        self._running = False
        self._wanted = False
        self._held = 0
        self._generation = 0
        self.reads = 0  # reads started (tests, benchmarks)

    @property
    def running(self) -> bool:
        """A read is under way."""
        return self._running

    @property
    def wanted(self) -> bool:
        """A read is asked for and not started yet."""
        return self._wanted or self._timer.isActive()

    def request(self) -> None:
        """Read again ``delay_ms`` from now (one read for the requests that come before it starts)."""
        self._wanted = True
        if not self._running and not self._held:
            self._timer.start()

    @Slot()
    def now(self) -> None:
        """Read again at once (or as soon as the read under way and any hold are over)."""
        self._wanted = True
        if self._running or self._held:
            return
        self._timer.stop()
        work = self._prepare()
        self._wanted = False
        if work is None:
            return
        self._running = True
        self.reads += 1
        generation = self._generation
        self._ops.run(work, lambda result: self._done(generation, True, result),
                      lambda exc: self._done(generation, False, exc), owner=self._owner)

    def _done(self, generation: int, ok: bool, result: Any) -> None:
        self._running = False
        if generation == self._generation:
            if ok:
                self._apply(result)
            else:
                self._on_error(result)
        if self._wanted and not self._held:
            self._timer.start()

    def hold(self) -> None:
        """The widget's own action runs: no read starts, and a read under way is not applied
        (it may be older than what the action brings back)."""
        self._held += 1
        self._generation += 1
        if self._running:
            self._wanted = True
        self._timer.stop()

    def release(self, *, reload: bool = False) -> None:
        """The action is done; read again if changes were announced meanwhile (or ``reload``)."""
        self._held = max(self._held - 1, 0)
        if reload:
            self._wanted = True
        if self._wanted and not self._held and not self._running:
            self._timer.start()
