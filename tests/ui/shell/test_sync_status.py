"""The sync agent inside the counter app, and what the status line says about it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from pytestqt.qtbot import QtBot

from counter_app.common.i18n import strip_isolates
from counter_app.core import outbox, queue
from counter_app.core.clock import to_local, utcnow
from counter_app.services.config import AppConfig
from counter_app.services.status import SyncStatus
from counter_app.ui.counter.counter_window import CounterWindow
from counter_app.ui.shell.app import Shell
from sync.server.models import StoredEvent
from tests.helpers.bidi import assert_reads_in_order, plain
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
        line = window.status_line  # the agent's record of its round is announced: no poll, no refresh
        qtbot.waitUntil(lambda: line.sync is not None and line.sync.online and line.sync.events_waiting == 0,
                        timeout=WAIT_MS)
        assert "متصل" in plain(line.sync_label.text()) and "غير متصل" not in plain(line.sync_label.text())
        assert line.sync_alert.isHidden()
        window.grab().save(str(tmp_path / "counter-sync-ar.png"))
        # Stopped while the server still runs: a round started after the server went (a kick, or the
        # bookings pull) would rightly warn that it is unreachable.
        shell.shutdown()
    assert shell.sync_runner is not None and not shell.sync_runner._thread.is_alive()  # type: ignore[union-attr]


def test_status_line_alerts_in_both_languages(qtbot: QtBot, shell: Shell, tmp_path: Path) -> None:
    window = log_in(qtbot, shell, "clerk1")
    line = window.status_line
    shell.changes.stop()  # no real refresh from here on (once the changes already queued are through)
    QCoreApplication.processEvents()
    qtbot.waitUntil(lambda: not line._sync.running and not line._sync.wanted, timeout=WAIT_MS)
    line._sync_done(SyncStatus(online=False, events_waiting=37, last_sync=utcnow() - timedelta(days=2),
                               oldest_waiting_age=timedelta(days=2, hours=3), stale=True, rejected=2,
                               clock_skew_s=-420.0, clock_flagged=True, error="central server unreachable"))
    text = strip_isolates(line.sync_label.text())
    # Arabic plural forms: 37 is "many" (حدثًا), 2 days is the dual (يومين), 7 minutes "few" (دقائق)
    assert "غير متصل" in text and "37 حدثًا في الانتظار" in text and "أقدمها منذ يومين" in text
    last_sync = to_local(utcnow() - timedelta(days=2)).strftime("%Y-%m-%d")
    assert_reads_in_order(line.sync_label.text(), last_sync)
    assert line.sync_label.toolTip() == "central server unreachable"
    alert = strip_isolates(line.sync_alert.text())
    assert not line.sync_alert.isHidden()
    assert "أكثر من يوم" in alert and "رفض الخادم المركزي حدثين" in alert and "متأخرة عن ساعة الخادم المركزي بنحو 7 دقائق" in alert
    window.grab().save(str(tmp_path / "counter-sync-alert-ar.png"))
    shell.lang.toggle()
    qtbot.waitUntil(lambda: window.layoutDirection() == Qt.LayoutDirection.LeftToRight, timeout=WAIT_MS)
    text = strip_isolates(line.sync_label.text())
    assert "offline" in text and "37 events waiting" in text and "oldest 2 days" in text
    alert = strip_isolates(line.sync_alert.text())
    assert "more than a day" in alert and "refused 2 events" in alert and "about 7 minutes behind the central server's" in alert
    line._sync_done(SyncStatus(online=False, events_waiting=4, configured=False,
                               oldest_waiting_age=timedelta(minutes=12)))
    text = strip_isolates(line.sync_label.text())
    assert "not enrolled" in text and "4 events waiting" in text and "oldest 12 minutes" in text
    line._sync_done(SyncStatus(online=True, events_waiting=1, last_sync=utcnow(), oldest_waiting_age=timedelta(hours=1)))
    assert "1 event waiting (oldest 1 hour)" in strip_isolates(line.sync_label.text())
    assert line.sync_alert.isHidden()
    qtbot.wait(50)
    window.grab().save(str(tmp_path / "counter-sync-alert-en.png"))
