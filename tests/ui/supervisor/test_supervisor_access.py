"""F10 (supervisor functions) exists only for the roles that can use it (issue 15, item 14)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from counter_app.ui.counter.counter_window import CounterWindow
from counter_app.ui.shell.app import Shell
from counter_app.ui.supervisor.supervisor import SupervisorWindow
from tests.helpers.bidi import plain
from tests.helpers.factories import Centre
from tests.ui.conftest import WAIT_MS, log_in


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_clerk_has_no_f10(qtbot: QtBot, shell: Shell, site: Centre, lang: str) -> None:
    shell.lang.set(lang)
    window = log_in(qtbot, shell, "clerk1")
    assert isinstance(window, CounterWindow)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)
    assert not window.supervisor_button.isVisible()
    assert all("F10" not in plain(b.text()) for b in window.findChildren(type(window.supervisor_button))
               if b.isVisible())
    qtbot.keyClick(window, Qt.Key.Key_F10)
    assert shell.window is window
    assert plain(window.status_line.message_label.text()) == ""  # no "not allowed" answer: nothing was offered
    window.ctx.lang.toggle()  # the switch does not bring it back
    assert not window.supervisor_button.isVisible()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_supervisor_at_the_counter_goes_back_with_f10(qtbot: QtBot, shell: Shell, site: Centre, lang: str) -> None:
    shell.lang.set(lang)
    window = log_in(qtbot, shell, "supervisor")
    assert isinstance(window, SupervisorWindow)
    with qtbot.wait_signal(shell.window_changed, timeout=WAIT_MS):
        qtbot.mouseClick(window.header_buttons["counter"], Qt.MouseButton.LeftButton)
    counter = shell.window
    assert isinstance(counter, CounterWindow)
    assert counter.supervisor_button.isVisible() and "F10" in plain(counter.supervisor_button.text())
    counter.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is counter, timeout=WAIT_MS)
    with qtbot.wait_signal(shell.window_changed, timeout=WAIT_MS):
        qtbot.keyClick(counter, Qt.Key.Key_F10)
    assert isinstance(shell.window, SupervisorWindow)
