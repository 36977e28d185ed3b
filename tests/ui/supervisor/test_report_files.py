"""Issue 15 (5): the day-close (Z) report's PDF is a record, written once; the dashboard's Save PDF
(and every other export) is a new file named with its time, pressed once or twice, in Arabic and
English. Driven from the keyboard."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from counter_app.core import queue
from counter_app.services import reports
from counter_app.services.config import AppConfig
from counter_app.services.views import today_local
from counter_app.ui.shell.app import Shell
from counter_app.ui.supervisor.supervisor import SupervisorWindow
from tests.helpers.bidi import plain
from tests.helpers.factories import Centre
from tests.ui.conftest import WAIT_MS, log_in


def files(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every report file: its inode, modification time and bytes."""
    return {p.name: (os.stat(p).st_ino, os.stat(p).st_mtime_ns, p.read_bytes())
            for p in sorted(folder.iterdir()) if not p.name.startswith(".")}


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_day_close_pdf_is_never_overwritten_by_an_export(qtbot: QtBot, make_shell: object, site: Centre,
                                                             config: AppConfig, lang: str) -> None:
    config.lang = lang
    shell: Shell = make_shell(config)  # type: ignore[operator]
    with site.db.begin() as s:
        queue.issue_ticket(s, "A")
    window = log_in(qtbot, shell, "supervisor")
    assert isinstance(window, SupervisorWindow)
    qtbot.waitUntil(lambda: window.data is not None, timeout=WAIT_MS)
    assert window.data is not None
    folder = config.reports_dir
    day = today_local()

    # the day was closed: its report prints and its A4 record is saved
    window.closed = window.data.day
    window.tabs.setCurrentIndex(1)
    window.report_button.setFocus()
    qtbot.keyClick(window.report_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: folder.exists() and any(folder.glob("*.pdf")), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: ".pdf" in plain(window.message.text()), timeout=WAIT_MS)
    record = files(folder)
    suffix = "-en" if lang == "en" else ""
    assert len(record) == 1

    # the dashboard's Save PDF, pressed twice in a row: two new files, the record untouched
    window.tabs.setCurrentIndex(0)
    button = window.dashboard.export_buttons["pdf"]
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)
    qtbot.keyClick(button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: len(files(folder)) == 3 and not window.dashboard.busy, timeout=WAIT_MS)
    after = files(folder)
    name = next(iter(record))
    assert after[name] == record[name]
    assert name == f"day-close-{day.isoformat()}{suffix}.pdf"
    exports = sorted(set(after) - set(record))
    assert all(n.startswith(f"day-{day.isoformat()}{suffix}-export-") and n.endswith(".pdf") for n in exports)
    assert any(n in plain(window.dashboard.message.text()) for n in exports)

    # a reprint of the closed day's report: the record is kept as it was, nothing new
    window.tabs.setCurrentIndex(1)
    window.report_button.setFocus()
    qtbot.keyClick(window.report_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: name in plain(window.message.text()), timeout=WAIT_MS)
    assert files(folder) == after


def test_exports_and_closes_each_get_their_own_file(site: Centre, tmp_path: Path) -> None:
    day, uid = today_local(), site.supervisor_id
    first = reports.save_day_close_report(site.db, uid, day, tmp_path, closing=True)
    again = reports.save_day_close_report(site.db, uid, day, tmp_path, closing=False)
    assert again == first and first.name == f"day-close-{day.isoformat()}.pdf"
    reopened = reports.save_day_close_report(site.db, uid, day, tmp_path, closing=True)
    assert reopened.name == f"day-close-{day.isoformat()}-2.pdf"
    assert reports.day_close_reports(tmp_path, day) == [first, reopened]
    csvs = {reports.export_report(site.db, uid, day, day, "csv", tmp_path) for _ in range(3)}
    assert len(csvs) == 3 and all(p.read_bytes().startswith(b"\xef\xbb\xbf") for p in csvs)
    assert not list(tmp_path.glob(".*.part"))
