"""The audit tab reads as sentences for an Arabic-speaking supervisor (issue 15, item 18b): user
names, formatted codes and amounts, Cairo time, today's entries on opening, the raw record one
click away."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from counter_app.common.clock import CENTRE_TZ, local_day
from counter_app.common.formatting import format_datetime
from counter_app.core import applications as apps
from counter_app.core.models import Application, User
from counter_app.ui.shell.app import Shell
from counter_app.ui.supervisor.supervisor import SupervisorWindow
from tests.helpers.applications import submitted
from tests.helpers.bidi import assert_reads_in_order, plain
from tests.helpers.clock import clock_at
from tests.helpers.factories import Centre
from tests.ui.conftest import WAIT_MS, log_in

REASON = "المستندات غير واضحة"


def a_rejected_file(site: Centre) -> tuple[str, str, int]:
    """A file submitted and paid, then rejected with a reason; its tracking code, reviewer's name, fee."""
    app_id = submitted(site)
    with site.db.begin() as s:
        app = s.get_one(Application, app_id)
        reviewer = s.get_one(User, app.reviewer_id)
        apps.start_review(s, app_id, reviewer=reviewer)
        apps.reject(s, app_id, reviewer=reviewer, reason=REASON)
        return app.tracking_code, reviewer.full_name, app.fee_total_piastres


def row_with(window: SupervisorWindow, action: str) -> int:
    return next(r for r, row in enumerate(window.audit.rows) if row.action == action)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_audit_entries_read_as_sentences(qtbot: QtBot, shell: Shell, site: Centre, lang: str,
                                         screenshot: Callable[[QWidget, str], Path]) -> None:
    tracking, reviewer, fee = a_rejected_file(site)
    shell.lang.set(lang)
    window = log_in(qtbot, shell, "supervisor")
    assert isinstance(window, SupervisorWindow)
    window.resize(1366, 698)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)
    window.tabs.setFocus()
    while window.tabs.currentWidget() is not window.audit:  # Ctrl+Tab to the audit tab, as from the keyboard
        qtbot.keyClick(window.tabs, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    tab = window.audit
    # filled on opening: today's entries, without pressing Search
    qtbot.waitUntil(lambda: tab.table.rowCount() > 5, timeout=WAIT_MS)
    cells = [[plain(tab.table.item(r, c).text()) for c in range(tab.table.columnCount())]  # type: ignore[union-attr]
             for r in range(tab.table.rowCount())]
    flat = " ".join(" ".join(row) for row in cells)
    assert "application.reject" not in flat and "user " not in flat and "#" not in flat and "{" not in flat
    r = row_with(window, "application.reject")
    sentence = tab.table.item(r, 2).text()  # type: ignore[union-attr]
    if lang == "ar":
        assert plain(sentence).startswith(f"رفض {reviewer} الطلب") and plain(sentence).endswith(REASON)
        assert_reads_in_order(sentence, tracking)
    else:
        assert plain(sentence).startswith(f"{reviewer} rejected application") and plain(sentence).endswith(REASON)
        assert_reads_in_order(sentence, tracking, rtl=False)
    assert plain(tab.table.item(r, 1).text()) == reviewer  # type: ignore[union-attr]
    entry = tab.rows[r]
    assert plain(tab.table.item(r, 0).text()) == plain(format_datetime(entry.at, shell.lang.lang))  # type: ignore[union-attr] # Cairo time
    pay = plain(tab.table.item(row_with(window, "application.payment"), 2).text())  # type: ignore[union-attr]
    money = f"{fee // 100:,}.{fee % 100:02d}"
    assert money in pay and ("ج.م" in pay if lang == "ar" else "EGP" in pay)
    login = plain(tab.table.item(row_with(window, "login"), 2).text())  # type: ignore[union-attr]
    assert ("دخل" in login) if lang == "ar" else ("logged in" in login)
    # the raw record, one click (here: keys) away
    tab.table.setFocus()
    tab.table.setCurrentCell(0, 0)
    while tab.table.currentRow() != r:
        qtbot.keyClick(tab.table, Qt.Key.Key_Down)
    details = tab.details.toPlainText()
    assert '"action": "application.reject"' in details and REASON in details and tracking in details
    screenshot(window, f"supervisorWindow-audit-1366x768-{lang}")
    # the other language: the same entries say the same thing in it
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    other = plain(tab.table.item(r, 2).text())  # type: ignore[union-attr]
    assert other != plain(sentence) and REASON in other
    assert ("rejected application" in other) if lang == "ar" else other.startswith("رفض")


def test_audit_opens_on_the_centres_day_after_cairo_midnight(qtbot: QtBot, shell: Shell, site: Centre) -> None:
    """At 00:20 in Cairo the PC (on UTC) still says yesterday: the tab opens on the centre's day,
    the day its entries are of (it took the PC's date and showed nothing of the new day)."""
    moment = datetime(2031, 3, 13, 0, 20, tzinfo=CENTRE_TZ)  # 2031-03-12 22:20 UTC
    with clock_at(moment):
        a_rejected_file(site)
        window = log_in(qtbot, shell, "supervisor")
        assert isinstance(window, SupervisorWindow)
        window.tabs.setCurrentWidget(window.audit)
        tab = window.audit
        assert (tab.since.date().toString("yyyy-MM-dd"), tab.until.date().toString("yyyy-MM-dd")) == \
            ("2031-03-13", "2031-03-13")
        qtbot.waitUntil(lambda: any(row.action == "application.reject" for row in tab.rows), timeout=WAIT_MS)
        assert all(local_day(row.at) == date(2031, 3, 13) for row in tab.rows)
