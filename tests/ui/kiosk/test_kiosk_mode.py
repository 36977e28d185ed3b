"""Kiosk mode (issue 15, item 12): full screen with no title bar, not closed by Alt+F4 or close();
a supervisor leaves it with Ctrl+Shift+K and their password; Arabic again after the idle time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from counter_app.services.config import AppConfig
from counter_app.ui.kiosk.kiosk import IDLE_MS, KioskWindow
from counter_app.ui.shell.app import Shell
from counter_app.ui.supervisor.supervisor import SupervisorWindow
from tests.helpers.bidi import plain
from tests.helpers.factories import PASSWORD
from tests.helpers.factories import Centre as Site
from tests.ui.conftest import WAIT_MS

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def open_kiosk(qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, lang: str) -> KioskWindow:
    config.lang = lang
    shell = make_shell(config, kiosk=True)
    kiosk = shell.window
    assert isinstance(kiosk, KioskWindow)
    qtbot.waitUntil(kiosk.isVisible, timeout=WAIT_MS)
    kiosk.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is kiosk, timeout=WAIT_MS)
    return kiosk


def answered(kiosk: KioskWindow) -> bool:
    text = plain(kiosk.exit_error.text())
    return text not in ("", plain(kiosk.ctx.lang.text("kiosk.exit_checking")))


def type_exit(qtbot: QtBot, kiosk: KioskWindow, username: str, password: str) -> None:
    """Ctrl+Shift+K, then the username, Enter, the password, Enter: all from the keyboard."""
    if not kiosk.exit_panel.isVisible():
        qtbot.keyClick(kiosk, Qt.Key.Key_K, CTRL_SHIFT)
    assert kiosk.exit_panel.isVisible() and kiosk.exit_username.hasFocus()
    qtbot.keyClicks(kiosk.exit_username, username)
    qtbot.keyClick(kiosk.exit_username, Qt.Key.Key_Return)
    assert kiosk.exit_password.hasFocus()
    qtbot.keyClicks(kiosk.exit_password, password)
    qtbot.keyClick(kiosk.exit_password, Qt.Key.Key_Return)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_kiosk_is_full_screen_and_cannot_be_closed(qtbot: QtBot, make_shell: Callable[..., Shell],
                                                    config: AppConfig, site: Site, lang: str,
                                                    screenshot: Callable[[QWidget, str], Path]) -> None:
    kiosk = open_kiosk(qtbot, make_shell, config, lang)
    assert kiosk.isFullScreen()
    assert kiosk.windowFlags() & Qt.WindowType.FramelessWindowHint
    qtbot.keyClick(kiosk, Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier)
    assert not kiosk.close()  # what Alt+F4 and the window manager's close ask for
    assert kiosk.isVisible()
    qtbot.keyClick(kiosk, Qt.Key.Key_Q, CTRL_SHIFT)  # the old exit key does nothing any more
    assert kiosk.isVisible() and not kiosk.exit_panel.isVisible()
    screenshot(kiosk, f"kioskWindow-fullscreen-{lang}")


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_supervisor_leaves_the_kiosk_with_key_and_password(qtbot: QtBot, make_shell: Callable[..., Shell],
                                                            config: AppConfig, site: Site, lang: str,
                                                            screenshot: Callable[[QWidget, str], Path]) -> None:
    kiosk = open_kiosk(qtbot, make_shell, config, lang)
    # a clerk's right password does not open it
    type_exit(qtbot, kiosk, "clerk1", PASSWORD)
    qtbot.waitUntil(lambda: answered(kiosk), timeout=WAIT_MS)
    refused = plain(kiosk.exit_error.text())
    assert refused == plain(kiosk.ctx.lang.text("kiosk.exit_refused"))
    assert ("مشرف" in refused) if lang == "ar" else ("supervisor" in refused)
    assert kiosk.isVisible() and not kiosk.close()
    screenshot(kiosk, f"kioskWindow-exit-refused-{lang}")
    # Esc puts the form away and forgets what was typed
    qtbot.keyClick(kiosk.exit_username, Qt.Key.Key_Escape)
    assert not kiosk.exit_panel.isVisible()
    # a supervisor's wrong password: refused, the password field emptied for another try
    kiosk.exit_username.clear()
    type_exit(qtbot, kiosk, "supervisor", "not the password")
    qtbot.waitUntil(lambda: answered(kiosk), timeout=WAIT_MS)
    assert plain(kiosk.exit_error.text()) == plain(kiosk.ctx.lang.text("error.bad_credentials"))

    assert kiosk.exit_password.text() == "" and kiosk.isVisible()
    # the right one: the kiosk closes and the supervisor window opens for them
    kiosk.exit_username.clear()
    qtbot.keyClicks(kiosk.exit_username, "supervisor")
    qtbot.keyClick(kiosk.exit_username, Qt.Key.Key_Return)
    qtbot.keyClicks(kiosk.exit_password, PASSWORD)
    with qtbot.wait_signal(kiosk.exit_requested, timeout=WAIT_MS):
        qtbot.keyClick(kiosk.exit_password, Qt.Key.Key_Return)
    window = kiosk.ctx  # the shell replaced the window
    qtbot.waitUntil(lambda: any(isinstance(w, SupervisorWindow) and w.isVisible()
                                for w in QApplication.topLevelWidgets()), timeout=WAIT_MS)
    assert window.user is not None and window.user.username == "supervisor"


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_kiosk_returns_to_arabic_when_idle(qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig,
                                           site: Site, lang: str) -> None:
    kiosk = open_kiosk(qtbot, make_shell, config, lang)
    assert kiosk.idle_timer.interval() == IDLE_MS == 30_000
    kiosk.idle_timer.setInterval(300)  # the same timer, a short period for the test
    if lang == "ar":  # a citizen switches to English (the kiosk's language button, from the keyboard)
        kiosk.language_button.setFocus()
        qtbot.keyClick(kiosk.language_button, Qt.Key.Key_Space)
    assert kiosk.ctx.lang.lang == "en" and kiosk.idle_timer.isActive()
    kiosk.priority.setFocus()
    qtbot.keyClick(kiosk.priority, Qt.Key.Key_Space)  # a half-made choice
    assert kiosk.priority.isChecked() and "Priority" in plain(kiosk.priority.text())
    qtbot.waitUntil(lambda: kiosk.ctx.lang.lang == "ar", timeout=WAIT_MS)
    assert not kiosk.priority.isChecked()
    assert "القوى العاملة" in plain(kiosk.buttons["A"].text())
    assert kiosk.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert not kiosk.idle_timer.isActive()  # in Arabic and untouched, nothing more to undo


def test_activity_restarts_the_idle_time(qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig,
                                         site: Site) -> None:
    kiosk = open_kiosk(qtbot, make_shell, config, "en")
    kiosk.idle_timer.setInterval(2_000)
    kiosk.idle_timer.start()
    qtbot.waitUntil(lambda: kiosk.idle_timer.remainingTime() < 1_500, timeout=WAIT_MS)
    qtbot.keyClick(kiosk, Qt.Key.Key_Tab)  # someone is still there
    assert kiosk.idle_timer.remainingTime() > 1_500 and kiosk.ctx.lang.lang == "en"
