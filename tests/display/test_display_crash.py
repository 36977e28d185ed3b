"""The waiting-hall display and an error nobody caught: logged with its traceback, said on the
banner for a while, and the display goes on (counter_app/ui/shell/crash.py, DisplayWindow.show_error)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from counter_app.common.i18n import gettext, strip_isolates
from counter_app.common.logs import LOG_DIR_ENV, configure_logging, reset_logging
from counter_app.ui.shell.crash import CrashHandler
from queue_display.watcher import WatchStatus
from queue_display.window import DisplayWindow
from tests.helpers.logfail import Expectations


def test_an_uncaught_error_is_logged_and_shown_on_the_banner(qtbot: QtBot, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              expect_log: Expectations) -> None:
    monkeypatch.delenv(LOG_DIR_ENV, raising=False)
    path = configure_logging("queue-display", data_dir=tmp_path)
    assert path is not None
    window = DisplayWindow("ar")
    qtbot.addWidget(window)
    window.show()
    handler = CrashHandler(window.show_error)

    def tick() -> None:
        raise KeyError("counter 7")

    handler.install()
    try:
        with expect_log("unexpected error", logger="counter_app.ui.shell.crash", level=logging.ERROR):
            QTimer.singleShot(0, tick)
            qtbot.waitUntil(window.banner.isVisible, timeout=5_000)
    finally:
        handler.uninstall()
        reset_logging()
    assert strip_isolates(window.banner.text()) == strip_isolates(gettext("error.unexpected", "ar"))
    assert window.isVisible()
    text = path.read_text(encoding="utf-8")
    assert "in tick\n" in text and "KeyError: 'counter 7'" in text
    window._error_timer.timeout.emit()  # the banner's time is up: back to the connection state
    assert not window.banner.isVisible()
    window.set_status(WatchStatus(False, "gone", 2))
    assert window.banner.isVisible() and strip_isolates(window.banner.text()) == gettext("display.reconnecting", "ar")
