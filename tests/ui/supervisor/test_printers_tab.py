"""Issue 15, item 22: the supervisor's Printers tab.

A test print is a «تجربة / TEST» page of this centre dated today, and the tab says it failed (in red,
in the user's language) when it failed and "printed" only after the printer took it. A failed job is
retried on the printer's address as configured now (the address it failed on may have been wrong),
and a supervisor can discard it (audited)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from counter_app.common.i18n import Lang, gettext
from counter_app.core.clock import to_local
from counter_app.core.models import AuditEntry
from counter_app.services.views import today_local
from counter_app.ui.shell.app import Shell
from counter_app.ui.supervisor.supervisor import SupervisorWindow
from tests.helpers.bidi import plain
from tests.helpers.factories import Centre
from tests.printers.conftest import free_port
from tests.printers.escpos_decode import decode
from tests.ui.conftest import WAIT_MS, log_in, wait_idle


def supervisor_on_printers_tab(qtbot: QtBot, shell: Shell, lang: str) -> SupervisorWindow:
    window = log_in(qtbot, shell, "supervisor")
    assert isinstance(window, SupervisorWindow)
    if lang == "en":
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: shell.lang.lang == "en", timeout=WAIT_MS)
    window.tabs.setCurrentIndex(4)
    wait_idle(qtbot, shell)
    return window


def type_url(qtbot: QtBot, window: SupervisorWindow, url: str) -> None:
    field = window.receipt_url
    field.setFocus()
    field.selectAll()
    qtbot.keyClick(field, Qt.Key.Key_Delete)
    qtbot.keyClicks(field, url)


def press(qtbot: QtBot, button: QPushButton) -> None:
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)


@pytest.mark.expect_log(r"^print job \w+ failed: The printer is offline\.", logger="printers.jobs")
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_failed_test_print_says_so_in_red(qtbot: QtBot, shell: Shell, lang: Lang) -> None:
    window = supervisor_on_printers_tab(qtbot, shell, lang)
    type_url(qtbot, window, f"tcp://127.0.0.1:{free_port()}?timeout=1")
    with qtbot.wait_signal(shell.ctx.printing.job_failed, timeout=WAIT_MS):
        press(qtbot, window.test_receipt_button)
    qtbot.waitUntil(lambda: window.message.state == "error", timeout=WAIT_MS)  # red, by the style sheet
    text = plain(window.message.text())
    failed = plain(gettext("sup.test_failed", lang, error="")).strip()  # the sentence without its reason
    assert failed.rstrip(":") in text and gettext("print.err.offline", lang) in text, text
    assert plain(gettext("sup.test_printed", lang)) not in text


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_test_print_is_a_test_page_of_this_centre_dated_today(
    qtbot: QtBot, shell: Shell, site: Centre, printer_dir: Path, lang: Lang
) -> None:
    window = supervisor_on_printers_tab(qtbot, shell, lang)
    with qtbot.wait_signal(shell.ctx.printing.job_done, timeout=WAIT_MS) as done:
        press(qtbot, window.test_receipt_button)
    assert done.args is not None and done.args[1] == "test"
    qtbot.waitUntil(lambda: window.message.state == "success"
                    and plain(gettext("sup.test_printed", lang)) in plain(window.message.text()), timeout=WAIT_MS)
    page = shell.ctx.printing.queue.get(done.args[0]).document()
    centre = shell.ctx.catalogue.centre if shell.ctx.catalogue else None
    assert centre is not None and (page.centre_name_ar, page.centre_code) == (centre.name_ar, centre.code)
    assert to_local(page.printed_at).date() == today_local() and page.printer_role == "receipt"
    (printed,) = printer_dir.glob("*-test-*.bin")
    assert decode(printed.read_bytes()).image().height > 200  # what the printer got is a raster page


@pytest.mark.expect_log(r"^print job \w+ failed: The printer is offline\.", logger="printers.jobs")
def test_a_failed_job_is_retried_on_the_corrected_address_or_discarded(
    qtbot: QtBot, shell: Shell, site: Centre, printer_dir: Path
) -> None:
    window = supervisor_on_printers_tab(qtbot, shell, "ar")
    good = window.receipt_url.text()
    printing = shell.ctx.printing
    # the receipt printer's address is wrong: the test print and a second job fail
    type_url(qtbot, window, f"tcp://127.0.0.1:{free_port()}?timeout=1")
    press(qtbot, window.save_printers_button)
    for _ in range(2):
        with qtbot.wait_signal(printing.job_failed, timeout=WAIT_MS):
            press(qtbot, window.test_receipt_button)
    qtbot.waitUntil(lambda: window.failed_jobs.rowCount() == 2, timeout=WAIT_MS)
    first, second = (job.id for job in window.failed_print_jobs)
    # the address is corrected and saved; the status line's retry prints on it, not on the old one
    type_url(qtbot, window, good)
    press(qtbot, window.save_printers_button)
    wait_idle(qtbot, shell)
    window.failed_jobs.setCurrentCell(0, 0)
    with qtbot.wait_signal(printing.job_done, timeout=WAIT_MS) as done:
        press(qtbot, window.retry_job_button)
    assert done.args is not None and done.args[0] == first
    assert printing.queue.get(first).printer_url == good and printing.queue.get(first).status == "done"
    qtbot.waitUntil(lambda: window.failed_jobs.rowCount() == 1, timeout=WAIT_MS)
    # the other one is discarded by the supervisor (a double click discards it once), and audited
    window.failed_jobs.setCurrentCell(0, 0)
    for _ in range(2):  # a double click: the second click meets a disabled button
        qtbot.mouseClick(window.discard_job_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.failed_jobs.rowCount() == 0, timeout=WAIT_MS)
    assert printing.queue.get(second).status == "discarded" and second not in printing.failed
    assert plain(gettext("sup.job_discarded", "ar")) in plain(window.message.text())
    with site.db.read() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "print_job.discard")).all()
    assert [(e.entity_id, e.user_id) for e in entries] == [(second, site.supervisor_id)]
    assert not window.discard_job_button.isEnabled() and not window.retry_job_button.isEnabled()


@pytest.mark.expect_log(r"^print job \w+ failed: The printer is offline\.", logger="printers.jobs")
def test_the_status_line_retry_uses_the_current_address(qtbot: QtBot, shell: Shell, printer_dir: Path) -> None:
    window = supervisor_on_printers_tab(qtbot, shell, "en")
    good = window.receipt_url.text()
    type_url(qtbot, window, f"tcp://127.0.0.1:{free_port()}?timeout=1")
    press(qtbot, window.save_printers_button)
    with qtbot.wait_signal(shell.ctx.printing.job_failed, timeout=WAIT_MS) as failed:
        press(qtbot, window.test_receipt_button)
    job_id = failed.args[0].job_id if failed.args else ""
    type_url(qtbot, window, good)
    press(qtbot, window.save_printers_button)
    wait_idle(qtbot, shell)
    qtbot.waitUntil(lambda: window.status_line.retry_button.isVisible(), timeout=WAIT_MS)
    with qtbot.wait_signal(shell.ctx.printing.job_done, timeout=WAIT_MS) as done:
        press(qtbot, window.status_line.retry_button)
    assert done.args is not None and done.args[0] == job_id
    assert len(list(printer_dir.glob("*-test-*.png"))) == 1
