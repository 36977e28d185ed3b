"""The review list at 1366x768: the state column is never cut (issue 15, item 18c)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from counter_app.core.clock import utcnow
from counter_app.core.models import Application, User
from counter_app.ui.review.review_window import SERVICE_COLUMN, ReviewWindow
from counter_app.ui.shell.app import Shell
from tests.helpers.applications import submitted
from tests.helpers.bidi import plain
from tests.helpers.factories import Centre
from tests.ui.conftest import WAIT_MS, log_in
from tests.ui.test_screen_sizes import CHROME


def cut_cells(window: ReviewWindow) -> list[str]:
    """Cells of every column but the service's whose text is wider than the column shows."""
    table = window.queue_table
    out = []
    for c in range(table.columnCount()):
        if c == SERVICE_COLUMN:
            continue
        for r in range(table.rowCount()):
            item = table.item(r, c)
            assert item is not None
            # Qt's item delegate leaves the focus frame's margin plus one pixel on each side
            needed = table.fontMetrics().horizontalAdvance(item.text()) + 2 * (table.style().pixelMetric(
                table.style().PixelMetric.PM_FocusFrameHMargin) + 1)
            if needed > table.columnWidth(c):
                out.append(f"{plain(item.text())!r} needs {needed} px, column {c} is {table.columnWidth(c)}")
        header = table.horizontalHeaderItem(c)
        assert header is not None
    total = sum(table.columnWidth(c) for c in range(table.columnCount()))
    if total > table.viewport().width():
        out.append(f"the columns need {total} px ({[table.columnWidth(c) for c in range(table.columnCount())]}), "
                   f"the list shows {table.viewport().width()}")
    return out


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_review_list_state_column_is_not_cut(qtbot: QtBot, shell: Shell, site: Centre, lang: str,
                                             screenshot: Callable[[QWidget, str], Path]) -> None:
    services = ["MP-REG-CERT", "MP-FOREIGN-WP", "MP-PRACTICE-LIC", "MP-SKILL-CERT"]
    ids = [submitted(site, service=code) for code in services * 2]
    reviewer_id = site.reviewer_ids["MANPOWER"][0]
    with site.db.begin() as s:
        username = s.get_one(User, reviewer_id).username
        mine = [s.get_one(Application, i) for i in ids if s.get_one(Application, i).reviewer_id == reviewer_id]
        mine[0].due_at = utcnow() - timedelta(days=2)  # overdue
        mine[1].due_at = utcnow() + timedelta(hours=2)  # near its due time
    shell.lang.set(lang)
    window = log_in(qtbot, shell, username)
    assert isinstance(window, ReviewWindow)
    window.resize(1366, 768 - CHROME)
    window.show()
    qtbot.waitUntil(lambda: window.desk is not None and len(window.desk.queue) == len(mine), timeout=WAIT_MS)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)
    for _ in range(2):  # as opened, then in the other language (Ctrl+L), each after a refresh (F5)
        with qtbot.wait_signal(window.desk_loaded, timeout=WAIT_MS):
            qtbot.keyClick(window, Qt.Key.Key_F5)
        QApplication.processEvents()
        states = [plain(window.queue_table.item(r, 3).text()) for r in range(window.queue_table.rowCount())]  # type: ignore[union-attr]
        assert any("—" in s for s in states), states  # the flagged rows carry the longest texts
        assert not cut_cells(window), cut_cells(window)
        service = window.queue_table.item(0, SERVICE_COLUMN)
        assert service is not None and service.toolTip() == service.text()  # the full name, when elided
        screenshot(window, f"reviewWindow-list-1366x768-{window.ctx.lang.lang}")
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
