"""The supervisor's back-office and audit tabs, driven through their widgets."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from counter_app.common.i18n import strip_isolates
from counter_app.core import requests
from counter_app.core.clock import utcnow
from counter_app.core.models import Application, ApplicationState, RequestKind, User
from counter_app.ui.shell.app import Shell
from counter_app.ui.supervisor.supervisor import SupervisorWindow
from tests.helpers.bidi import assert_reads_in_order, plain
from tests.helpers.factories import Centre
from tests.ui.conftest import WAIT_MS, log_in
from tests.ui.review.test_review_window import submit_files


def cell(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    assert item is not None, (row, column)
    return item.text()


def click(qtbot: QtBot, widget: object) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


@pytest.mark.expect_log(r"^refused attempt audited: sod\.violation$", logger="counter_app.core.db")
def test_overdue_file_reassigned_and_request_four_eyes(qtbot: QtBot, shell: Shell, site: Centre) -> None:
    late, own = submit_files(site, 2)
    with site.db.begin() as s:
        s.get_one(Application, late).due_at = utcnow() - timedelta(hours=3)
        s.get_one(Application, own).due_at = utcnow() + timedelta(days=9)
        requests.request(s, own, RequestKind.CANCEL, by=s.get_one(User, site.supervisor_id), reason="طلب المواطن")
        before = s.get_one(Application, late).reviewer_id
    window = log_in(qtbot, shell, "supervisor")
    assert isinstance(window, SupervisorWindow)
    tab = window.backoffice
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.data is not None and tab.sla_table.rowCount() == 1, timeout=WAIT_MS)
    assert "متأخر" in cell(tab.sla_table, 0, 4)
    tab.sla_table.setCurrentCell(0, 0)  # as a click does
    other = next(r for r in site.reviewer_ids["MANPOWER"] if r != before)
    tab.reviewer.setCurrentIndex(tab.reviewer.findData(other))
    click(qtbot, tab.reassign_button)  # no reason: refused
    qtbot.waitUntil(lambda: plain(tab.message.text()) != "", timeout=WAIT_MS)
    assert plain(tab.message.text()) == "يجب ذكر السبب."
    tab.reassign_reason.setText("المراجع في إجازة")
    click(qtbot, tab.reassign_button)
    qtbot.waitUntil(lambda: plain(tab.message.text()).startswith("أُعيد إسناد الملف"), timeout=WAIT_MS)
    with site.db.read() as s:
        assert s.get_one(Application, late).reviewer_id == other
        late_code = s.get_one(Application, late).tracking_code
    assert_reads_in_order(tab.message.text(), late_code)

    qtbot.waitUntil(lambda: tab.requests_table.rowCount() == 1 and not tab.busy, timeout=WAIT_MS)
    tab.requests_table.setCurrentCell(0, 0)
    click(qtbot, tab.approve_button)  # the supervisor asked for it: four eyes refuse
    qtbot.waitUntil(lambda: plain(tab.message.text()) == "لا يجوز لأحد أن يوافق على طلب قدّمه بنفسه.", timeout=WAIT_MS)
    with site.db.read() as s:
        assert s.get_one(Application, own).state == ApplicationState.SUBMITTED


def test_audit_tab_search_export_and_tamper_detection(qtbot: QtBot, shell: Shell, site: Centre,
                                                      tmp_path: Path) -> None:
    (app_id,) = submit_files(site, 1)
    with site.db.read() as s:
        tracking = s.get_one(Application, app_id).tracking_code
    window = log_in(qtbot, shell, "supervisor")
    assert isinstance(window, SupervisorWindow)
    tab = window.audit
    window.tabs.setCurrentWidget(tab)
    tab.tracking.setText(tracking)
    click(qtbot, tab.search_button)
    qtbot.waitUntil(lambda: len(tab.rows) == 4 and not tab.busy, timeout=WAIT_MS)
    assert tab.rows[0].action == "application.submit" and tab.rows[0].username == "clerk1"
    assert plain(cell(tab.table, 0, 2)).startswith("قدّم موظف الشباك 1 الطلب") and plain(cell(tab.table, 0, 1)) == "موظف الشباك 1"
    target = tmp_path / "audit.csv"
    tab.export(target)
    qtbot.waitUntil(lambda: target.exists() and not tab.busy, timeout=WAIT_MS)
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8").lstrip("\ufeff"))))
    assert len(rows) == 5 and rows[1][4] == "application.submit"

    click(qtbot, tab.verify_button)
    qtbot.waitUntil(lambda: tab.report is not None and not tab.busy, timeout=WAIT_MS)
    assert tab.report is not None and tab.report.ok and plain(tab.chain.text()).startswith("السجل سليم")
    victim = tab.rows[-1].id  # the file's first entry, edited behind the application's back
    with site.db.begin() as s:
        s.execute(text("UPDATE audit_entry SET detail = :d WHERE id = :i"), {"d": '{"state": "approved"}', "i": victim})
    tab.report = None
    click(qtbot, tab.verify_button)
    qtbot.waitUntil(lambda: tab.report is not None and not tab.busy, timeout=WAIT_MS)
    assert tab.report is not None and not tab.report.ok and tab.report.broken_id == victim
    assert strip_isolates(tab.chain.text()) == f"السجل تم العبث به عند القيد رقم {victim}: محتوى القيد عُدّل"
    window.ctx.lang.toggle()
    assert strip_isolates(tab.chain.text()) == f"The chain is broken at entry {victim}: its content was changed"
    window.ctx.lang.toggle()
