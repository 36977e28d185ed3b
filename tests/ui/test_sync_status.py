"""The sync agent inside the counter app, and what the status line says about it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from counter_app.core import outbox, queue
from counter_app.core.clock import utcnow
from counter_app.ui.app import Shell
from counter_app.ui.config import AppConfig
from counter_app.ui.context import SyncStatus
from counter_app.ui.counter_window import CounterWindow
from sync.server_models import StoredEvent
from tests.helpers.central import enrol_site, running_central
from tests.helpers.factories import Centre
from tests.ui.conftest import WAIT_MS, log_in


def pending(site: Centre) -> int:
    with site.db.read() as s:
        return outbox.pending_count(s)


def test_in_app_agent_sends_at_start_and_after_each_transaction(
        qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, site: Centre, tmp_path: Path) -> None:
    with running_central(f"sqlite:///{tmp_path / 'central.sqlite3'}") as central:
        enrol_site(central, site.db)
        assert pending(site) > 0
        shell = make_shell(config)
        qtbot.waitUntil(lambda: pending(site) == 0, timeout=WAIT_MS)  # a round at start
        window = log_in(qtbot, shell, "clerk1")
        assert isinstance(window, CounterWindow)
        stored = central.count(StoredEvent)
        with site.db.begin() as s:  # a ticket from the kiosk: one transaction with outbox events
            queue.issue_ticket(s, "A")
        # sent at once (the agent's minute is far away): the commit kicked it
        qtbot.waitUntil(lambda: central.count(StoredEvent) > stored and pending(site) == 0, timeout=5_000)
        line = window.status_line
        line.refresh_sync()
        qtbot.waitUntil(lambda: line.sync is not None and line.sync.online and line.sync.events_waiting == 0,
                        timeout=WAIT_MS)
        assert "متصل" in line.sync_label.text() and "غير متصل" not in line.sync_label.text()
        assert line.sync_alert.isHidden()
        window.grab().save(str(tmp_path / "counter-sync-ar.png"))
    shell.shutdown()
    assert shell.sync_runner is not None and not shell.sync_runner._thread.is_alive()  # type: ignore[union-attr]


def test_status_line_alerts_in_both_languages(qtbot: QtBot, shell: Shell, tmp_path: Path) -> None:
    window = log_in(qtbot, shell, "clerk1")
    line = window.status_line
    line._timer.stop()
    qtbot.waitUntil(lambda: not line._sync_running, timeout=WAIT_MS)  # no real refresh in flight
    line._sync_done(SyncStatus(online=False, events_waiting=37, last_sync=utcnow() - timedelta(days=2),
                               oldest_waiting_age=timedelta(days=2, hours=3), stale=True, rejected=2,
                               clock_skew_s=-420.0, clock_flagged=True, error="central server unreachable"))
    text = line.sync_label.text()
    assert "غير متصل" in text and "37" in text and "2 يوم" in text
    assert line.sync_label.toolTip() == "central server unreachable"
    alert = line.sync_alert.text()
    assert not line.sync_alert.isHidden()
    assert "أكثر من يوم" in alert and "2" in alert and "7 دقيقة" in alert
    window.grab().save(str(tmp_path / "counter-sync-alert-ar.png"))
    shell.lang.toggle()
    qtbot.waitUntil(lambda: window.layoutDirection() == Qt.LayoutDirection.LeftToRight, timeout=WAIT_MS)
    assert "offline" in line.sync_label.text() and "oldest 2 days" in line.sync_label.text()
    assert "more than a day" in line.sync_alert.text() and "refused 2 event(s)" in line.sync_alert.text()
    assert "about 7 min off" in line.sync_alert.text()
    line._sync_done(SyncStatus(online=False, events_waiting=4, configured=False,
                               oldest_waiting_age=timedelta(minutes=12)))
    assert "not enrolled" in line.sync_label.text() and "oldest 12 min" in line.sync_label.text()
    assert line.sync_alert.isHidden()
    qtbot.wait(50)
    window.grab().save(str(tmp_path / "counter-sync-alert-en.png"))
