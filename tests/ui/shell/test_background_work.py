"""Background work of the counter app (issue 16, item 7): typed operations delivered on the GUI
thread, one lane for the database's writes, and windows that follow the database's change
notification instead of polling it."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QThread, QTimer
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from shiboken6 import isValid

from counter_app.common import lanes
from counter_app.core import queue
from counter_app.core.changes import OUTBOX, QUEUE, SYNC, Change
from counter_app.core.models import Ticket, TicketStatus
from counter_app.core.sync_state import record_attempt
from counter_app.services import kiosk as kiosk_service
from counter_app.services.config import AppConfig
from counter_app.ui.counter.counter_window import CounterWindow
from counter_app.ui.kiosk.kiosk import KioskWindow
from counter_app.ui.login.login import LoginWindow
from counter_app.ui.shell.app import Shell
from counter_app.ui.shell.changes import DatabaseChanges
from counter_app.ui.shell.operations import Lane, Operations, Reload
from tests.helpers.bidi import plain
from tests.helpers.factories import Centre
from tests.ui.conftest import WAIT_MS, log_in

ROOT = Path(__file__).resolve().parents[3]
#: Well below the watcher's 30 s safety net: what shows up within this came by notification.
NOTIFIED_MS = 10_000
ISSUE = """
import sys
from counter_app.core.db import Database
from counter_app.core import queue
db = Database(sys.argv[1], migrate=False)
with db.begin() as s:
    t = queue.issue_ticket(s, sys.argv[2]).ticket
    print(f"{t.letter}-{t.number:03d}")
db.dispose()
"""


def issue_in_other_process(url: str, group: str) -> str:
    result = subprocess.run([sys.executable, "-c", ISSUE, url, group], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return result.stdout.strip()


class Refused(Exception):
    """An error with its own user message (not a bug: nothing is logged)."""

    def message(self, lang: str) -> str:
        return str(self)


@pytest.fixture
def ops(qtbot: QtBot) -> Iterator[Operations]:
    QApplication.instance() or QApplication([])
    operations = Operations()
    yield operations
    assert operations.close()
    operations.deleteLater()


def gui_thread() -> QThread:
    app = QCoreApplication.instance()
    assert app is not None
    return app.thread()


def wait_idle(qtbot: QtBot, ops: Operations) -> None:
    qtbot.waitUntil(lambda: not ops.busy, timeout=WAIT_MS)


# -- typed operations ------------------------------------------------------------------------

@pytest.mark.parametrize("lane", list(Lane))
def test_success_and_failure_come_back_on_the_gui_thread(qtbot: QtBot, ops: Operations, lane: Lane) -> None:
    worker: list[QThread] = []
    seen: list[tuple[str, object, bool]] = []

    def work() -> int:
        worker.append(QThread.currentThread())
        return 41

    def broken() -> int:
        raise Refused("no")

    def done(value: int) -> None:  # typed: mypy checks it against work's result
        seen.append(("done", value + 1, QThread.currentThread() is gui_thread()))

    def failed(exc: BaseException) -> None:
        seen.append(("failed", str(exc), QThread.currentThread() is gui_thread()))

    ops.run(work, done, failed, lane=lane)
    ops.run(broken, done, failed, lane=lane)
    wait_idle(qtbot, ops)
    assert sorted(seen) == [("done", 42, True), ("failed", "no", True)]
    assert worker and worker[0] is not gui_thread()


def test_a_window_closed_while_its_operation_runs_gets_no_call(qtbot: QtBot, ops: Operations) -> None:
    gate = threading.Event()
    called: list[object] = []
    window = QWidget()
    window.show()
    started = threading.Event()

    def work() -> str:
        started.set()
        assert gate.wait(WAIT_MS / 1000)
        return "late"

    ops.write(work, called.append, called.append, owner=window)
    ops.run(work, called.append, called.append, owner=window)
    assert started.wait(WAIT_MS / 1000)
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not isValid(window)
    gate.set()
    wait_idle(qtbot, ops)
    assert called == []  # neither the result nor an error reached the deleted window (and no Qt warning)


def test_a_counter_window_closed_during_call_next_is_left_alone(
        qtbot: QtBot, shell: Shell, site: Centre, monkeypatch: pytest.MonkeyPatch) -> None:
    with site.db.begin() as s:
        queue.issue_ticket(s, "A")
    window = log_in(qtbot, shell, "clerk1")
    assert isinstance(window, CounterWindow)
    panel = window.queue
    gate = threading.Event()
    shell.ops.write(lambda: gate.wait(WAIT_MS / 1000))  # the write lane is busy: call next waits behind it
    calls: list[object] = []
    monkeypatch.setattr(panel, "_finish", lambda *args: calls.append(args))
    monkeypatch.setattr(panel, "_failed", calls.append)
    panel.call_next()
    assert panel.busy
    with qtbot.wait_signal(shell.window_changed, timeout=WAIT_MS):
        window.logout_requested.emit()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not isValid(panel) and isinstance(shell.window, LoginWindow)
    gate.set()
    wait_idle(qtbot, shell.ops)
    assert calls == []
    with site.db.read() as s:  # the write itself went through: the ticket is called
        assert s.query(Ticket).filter(Ticket.status == TicketStatus.CALLED).count() == 1


# -- lanes -----------------------------------------------------------------------------------

def test_writes_run_one_at_a_time_in_order_reads_side_by_side(qtbot: QtBot, ops: Operations, site: Centre) -> None:
    lock = threading.Lock()
    active, most, order = [0], [0], []

    def write(i: int) -> str:
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        try:
            return kiosk_service.issue_ticket(site.db, "AB"[i % 2], False).number
        finally:
            with lock:
                active[0] -= 1
                order.append(i)

    for i in range(40):
        ops.write(functools.partial(write, i))
    # three reads meet at a barrier: they can only pass it running at the same time, beside the writes
    barrier = threading.Barrier(3, timeout=WAIT_MS / 1000)
    met: list[int] = []
    for _ in range(3):
        ops.run(lambda: barrier.wait() + len(kiosk_service.waiting_counts(site.db)), met.append)
    wait_idle(qtbot, ops)
    assert most[0] == 1 and order == list(range(40))
    assert len(met) == 3
    assert sum(kiosk_service.waiting_counts(site.db).values()) == 40


def test_a_write_on_the_read_lane_is_reported(qtbot: QtBot, ops: Operations, site: Centre,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    reported: list[str] = []
    monkeypatch.setattr(lanes, "on_misuse", reported.append)
    ops.run(lambda: kiosk_service.issue_ticket(site.db, "A", False))
    ops.run(lambda: kiosk_service.waiting_counts(site.db))
    ops.write(lambda: kiosk_service.issue_ticket(site.db, "A", False))
    wait_idle(qtbot, ops)
    assert len(reported) == 1 and "ops.write" in reported[0]


# -- reloading what a widget shows -------------------------------------------------------------

def test_reload_reads_again_after_a_change_during_a_read(qtbot: QtBot, ops: Operations) -> None:
    """The change that comes while a read runs is never lost, and an older read never wins."""
    owner = QWidget()
    source = {"value": 1}
    gates: list[threading.Event] = []
    shown: list[int] = []

    def prepare() -> Callable[[], int]:
        gate = threading.Event()
        gates.append(gate)
        value = source["value"]

        def read() -> int:
            assert gate.wait(WAIT_MS / 1000)
            return value

        return read

    reload: Reload[int] = Reload(ops, prepare, shown.append, owner, delay_ms=0)
    reload.request()
    qtbot.waitUntil(lambda: len(gates) == 1 and reload.running, timeout=WAIT_MS)
    source["value"] = 2  # committed elsewhere while the first read runs
    reload.request()
    reload.request()
    assert len(gates) == 1  # no second read beside the first
    gates[0].set()
    qtbot.waitUntil(lambda: len(gates) == 2, timeout=WAIT_MS)
    gates[1].set()
    qtbot.waitUntil(lambda: not reload.running and not reload.wanted and shown == [1, 2], timeout=WAIT_MS)
    # a hold (the widget's own action) drops the read under way and reads again on release
    source["value"] = 3
    reload.request()
    qtbot.waitUntil(lambda: len(gates) == 3, timeout=WAIT_MS)
    reload.hold()
    gates[2].set()
    qtbot.waitUntil(lambda: not reload.running, timeout=WAIT_MS)
    assert shown == [1, 2] and len(gates) == 3
    reload.release()
    qtbot.waitUntil(lambda: len(gates) == 4, timeout=WAIT_MS)
    gates[3].set()
    qtbot.waitUntil(lambda: shown == [1, 2, 3], timeout=WAIT_MS)
    owner.deleteLater()


def test_changes_reach_the_gui_thread_once_per_burst(qtbot: QtBot) -> None:
    QApplication.instance() or QApplication([])
    changes = DatabaseChanges()
    seen: list[tuple[Change, bool]] = []
    queue_signals, sync_signals = [], []
    changes.changed.connect(lambda c: seen.append((c, QThread.currentThread() is gui_thread())))
    changes.queue_changed.connect(lambda: queue_signals.append(1))
    changes.sync_changed.connect(lambda: sync_signals.append(1))

    def burst() -> None:  # the watcher's thread, while the GUI thread is busy elsewhere
        for i in range(100):
            changes._on_change(Change(frozenset({QUEUE if i % 2 else SYNC})))

    thread = threading.Thread(target=burst)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: seen != [], timeout=WAIT_MS)
    QCoreApplication.processEvents()
    assert seen == [(Change(frozenset({QUEUE, SYNC})), True)] and changes.emitted == 1
    assert queue_signals == [1] and sync_signals == [1]
    changes._on_change(Change(frozenset({OUTBOX})))  # the outbox concerns the status line only
    qtbot.waitUntil(lambda: changes.emitted == 2, timeout=WAIT_MS)
    assert queue_signals == [1] and sync_signals == [1, 1]
    changes.deleteLater()


# -- end to end: no poll timers ----------------------------------------------------------------

def polling_timers(window: QWidget) -> list[QTimer]:
    """Repeating timers slower than a second (the service timer ticks each second and reads nothing)."""
    return [t for t in window.findChildren(QTimer) if t.isActive() and not t.isSingleShot() and t.interval() > 1000]


def test_a_ticket_from_another_process_shows_in_the_queue_panel(
        qtbot: QtBot, shell: Shell, site: Centre, db_url: str) -> None:
    window = log_in(qtbot, shell, "clerk1")
    assert isinstance(window, CounterWindow)
    panel = window.queue
    qtbot.waitUntil(lambda: shell.changes.status is not None and shell.changes.status.connected, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: panel._reload.reads > 0 and not panel._reload.running, timeout=WAIT_MS)
    assert polling_timers(window) == []
    before = panel.waiting_here()
    emitted = shell.changes.emitted
    issue_in_other_process(db_url, "A")
    qtbot.waitUntil(lambda: panel.waiting_here() == before + 1, timeout=NOTIFIED_MS)
    assert shell.changes.emitted > emitted
    assert str(before + 1) in plain(panel.waiting_label.text())


def test_a_ticket_from_another_process_shows_on_the_kiosk(
        qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, site: Centre, db_url: str) -> None:
    shell = make_shell(config, kiosk=True)
    kiosk = shell.window
    assert isinstance(kiosk, KioskWindow)
    qtbot.waitUntil(lambda: shell.changes.status is not None and shell.changes.status.connected, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: kiosk._reload.reads > 0 and not kiosk._reload.running, timeout=WAIT_MS)
    assert polling_timers(kiosk) == []
    before = kiosk.waiting.get("B", 0)
    issue_in_other_process(db_url, "B")
    qtbot.waitUntil(lambda: kiosk.waiting.get("B", 0) == before + 1, timeout=NOTIFIED_MS)
    kiosk.unlock()


def test_the_status_line_follows_what_the_agent_records(qtbot: QtBot, shell: Shell, site: Centre) -> None:
    """The agent (another connection; on PostgreSQL often another PC) records its round: the status
    line reads it again on the announcement, with no timer."""
    window = log_in(qtbot, shell, "clerk1")
    line = window.status_line
    qtbot.waitUntil(lambda: line.sync is not None, timeout=WAIT_MS)
    assert line.sync is not None and not line.sync.online
    assert polling_timers(window) == []
    with site.db.begin() as s:
        record_attempt(s, ok=True, skew_s=1.0)
    qtbot.waitUntil(lambda: line.sync is not None and line.sync.online, timeout=NOTIFIED_MS)
