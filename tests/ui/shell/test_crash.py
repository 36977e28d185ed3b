"""An error nobody caught, in a real counter window: it is in the log file with its traceback, the
window shows the translated "unexpected error" message and goes on working; Qt's own warnings
reach the log too (counter_app/ui/shell/crash.py)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import QMessageLogContext, QtMsgType, qInfo, qWarning
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from counter_app.common.i18n import gettext, strip_isolates
from counter_app.common.logs import LOG_DIR_ENV, configure_logging, reset_logging
from counter_app.ui.counter.counter_window import CounterWindow
from counter_app.ui.shell.app import Shell
from counter_app.ui.shell.crash import CrashHandler, qt_logger_name, qt_message_handler
from tests.helpers.factories import Centre
from tests.helpers.logfail import Expectations
from tests.ui.conftest import WAIT_MS, log_in
from tests.ui.counter.test_counter_flow import call_next, issue

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv(LOG_DIR_ENV, raising=False)
    path = configure_logging("counter-app", data_dir=tmp_path / "data")
    assert path == tmp_path / "data" / "logs" / "counter-app.log"
    yield path
    reset_logging()


@contextmanager
def installed(handler: CrashHandler) -> Iterator[CrashHandler]:
    """Inside the test itself: pytest-qt puts its own hooks back after each phase."""
    handler.install()
    try:
        yield handler
    finally:
        handler.uninstall()


def shown(window: CounterWindow) -> str:
    return strip_isolates(window.status_line.message_label.text())


@SQLITE_ONLY
def test_a_slot_that_raises_is_logged_shown_and_the_window_goes_on(qtbot: QtBot, shell: Shell, site: Centre,
                                                                   log_file: Path, expect_log: Expectations) -> None:
    window = log_in(qtbot, shell, "clerk1")
    assert isinstance(window, CounterWindow)

    def broken_slot() -> None:
        fees = {"MP-REG-CERT": 0}
        raise ZeroDivisionError(f"fee per page: {100 / fees['MP-REG-CERT']}")

    button = QPushButton(window)
    button.clicked.connect(broken_slot)
    with installed(CrashHandler(shell._show_error)), \
            expect_log("unexpected error", logger="counter_app.ui.shell.crash", level=logging.ERROR):
        button.click()  # Qt calls the slot; the exception ends in sys.excepthook
        assert shown(window) == strip_isolates(gettext("error.unexpected", "ar"))
        assert window.isVisible() and shell.window is window

        text = log_file.read_text(encoding="utf-8")
        assert " ERROR counter_app.ui.shell.crash [MainThread] unexpected error (thread MainThread, window " in text
        assert "Traceback (most recent call last):" in text
        assert "in broken_slot\n" in text and "ZeroDivisionError: division by zero" in text

        # the window still works: the next ticket is called through its button
        number = issue(site)
        call_next(qtbot, window)
        assert strip_isolates(window.queue.ticket_label.text()) == number
        shell.lang.toggle()  # and the message follows the language, as every message does
        assert shown(window) == gettext("error.unexpected", "en")
        assert "logged for support" in shown(window)


@SQLITE_ONLY
def test_an_exception_that_ends_a_thread_is_shown_on_the_gui_thread(qtbot: QtBot, shell: Shell, log_file: Path,
                                                                    expect_log: Expectations) -> None:
    window = log_in(qtbot, shell, "clerk1")
    assert isinstance(window, CounterWindow)
    gui_thread: list[bool] = []

    def show(exc: BaseException) -> None:
        gui_thread.append(threading.current_thread() is threading.main_thread())
        shell._show_error(exc)

    handler = CrashHandler(show)

    def poll_printer() -> None:
        raise ConnectionResetError("the printer hung up")

    with installed(handler), expect_log("unexpected error ended thread printer-poll", level=logging.ERROR):
        thread = threading.Thread(target=poll_printer, name="printer-poll")
        thread.start()
        thread.join()
        qtbot.waitUntil(lambda: shown(window) == strip_isolates(gettext("error.unexpected", "ar")), timeout=WAIT_MS)
    assert gui_thread == [True]
    text = log_file.read_text(encoding="utf-8")
    assert "in poll_printer\n" in text and "ConnectionResetError: the printer hung up" in text


def test_qt_messages_go_to_the_log_at_their_level(qtbot: QtBot, log_file: Path, expect_log: Expectations) -> None:
    with installed(CrashHandler(lambda exc: None)), \
            expect_log("^QPainter is not active, said Qt$", logger="qt"):
        qWarning("QPainter is not active, said Qt")
        qInfo("the screen is 1366x768")
    text = log_file.read_text(encoding="utf-8")
    assert " WARNING qt [MainThread] QPainter is not active, said Qt\n" in text
    assert " INFO qt [MainThread] the screen is 1366x768\n" in text
    qInfo("after uninstall")  # back to the handler before (pytest-qt's): not in the file
    assert "after uninstall" not in log_file.read_text(encoding="utf-8")


def test_qt_levels_categories_and_the_offscreen_noise(log_file: Path, expect_log: Expectations) -> None:
    context = QMessageLogContext()
    assert qt_logger_name(None) == qt_logger_name("default") == "qt"
    assert qt_logger_name("qt.qpa.fonts") == "qt.qpa.fonts" and qt_logger_name("shubbak") == "qt.shubbak"
    with expect_log("^it broke$", logger="qt", level=logging.ERROR):
        qt_message_handler(QtMsgType.QtCriticalMsg, context, "it broke")
    qt_message_handler(QtMsgType.QtWarningMsg, context, "This plugin does not support propagateSizeHints()")
    qt_message_handler(QtMsgType.QtDebugMsg, context, "debug chatter")  # below the file's level
    text = log_file.read_text(encoding="utf-8")
    assert " ERROR qt [MainThread] it broke\n" in text
    assert "propagateSizeHints" not in text and "debug chatter" not in text
