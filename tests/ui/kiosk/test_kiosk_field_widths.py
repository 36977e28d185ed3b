"""The kiosk's booking-code / national-ID field and its mobile field show their whole placeholder and a
whole national ID or mobile number, in Arabic (whose placeholders are the longer) and English, at
1366×768 and 1920×1080; from the keyboard: the language switched in the middle of typing (and back,
a double press) refits both and keeps what was typed; the window closed half-way stays open, its
fields still wide enough. Arabic screenshots."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QStyle, QStyleOptionFrame, QWidget
from pytestqt.qtbot import QtBot

from counter_app.common.i18n import Lang
from counter_app.services.config import AppConfig
from counter_app.ui.kiosk.kiosk import KioskWindow
from counter_app.ui.shell.app import Shell
from tests.ui.conftest import WAIT_MS
from tests.ui.kiosk.test_kiosk_mode import open_kiosk
from tests.ui.test_screen_sizes import check_fits

NID = "29001012345675"
SCREENS = ((1366, 768), (1920, 1080))


def room(field: QLineEdit) -> int:
    """The width the field draws its text in (its contents less the line edit's own margins)."""
    option = QStyleOptionFrame()
    field.initStyleOption(option)
    rect = field.style().subElementRect(QStyle.SubElement.SE_LineEditContents, option, field)
    margins = field.textMargins()
    return rect.width() - margins.left() - margins.right() - 4  # QLineEdit's own 2 px each side


def assert_whole(field: QLineEdit, *texts: str) -> None:
    metrics = field.fontMetrics()
    for text in (field.placeholderText(), *texts):
        assert metrics.horizontalAdvance(text) <= room(field), \
            f"{field.objectName()}: {text!r} needs {metrics.horizontalAdvance(text)} px, has {room(field)}"


def fits(qtbot: QtBot, kiosk: KioskWindow) -> None:
    for width, height in SCREENS:
        check_fits(qtbot, kiosk, width, height + 70)  # the kiosk has no window frame: the whole screen
        assert kiosk.width() == width
        assert_whole(kiosk.booking, NID)
        assert_whole(kiosk.mobile, "+201012345678")


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_kiosk_fields_show_their_whole_placeholder(qtbot: QtBot, make_shell: Callable[..., Shell],
                                                       config: AppConfig, lang: Lang,
                                                       screenshot: Callable[[QWidget, str], Path]) -> None:
    kiosk = open_kiosk(qtbot, make_shell, config, lang)
    kiosk.showNormal()
    qtbot.waitUntil(lambda: not kiosk.isFullScreen(), timeout=WAIT_MS)
    fits(qtbot, kiosk)
    if lang == "ar":
        for width, height in SCREENS:
            check_fits(qtbot, kiosk, width, height + 70)
            screenshot(kiosk, f"kioskWindow-fields-{width}x{height}-ar")
    kiosk.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is kiosk, timeout=WAIT_MS)

    # typing a national ID, the language switched half-way (the button, from the keyboard): refitted,
    # the typed digits kept; switched back (a double press): as before
    kiosk.booking.setFocus()
    qtbot.keyClicks(kiosk.booking, NID[:7])
    before = kiosk.ctx.lang.lang
    kiosk.language_button.setFocus()
    qtbot.keyClick(kiosk.language_button, Qt.Key.Key_Space)
    assert kiosk.ctx.lang.lang != before and kiosk.booking.text() == NID[:7]
    fits(qtbot, kiosk)
    qtbot.keyClick(kiosk.language_button, Qt.Key.Key_Space)
    assert kiosk.ctx.lang.lang == before
    fits(qtbot, kiosk)
    kiosk.booking.setFocus()
    qtbot.keyClick(kiosk.booking, Qt.Key.Key_End)
    qtbot.keyClicks(kiosk.booking, NID[7:])
    assert kiosk.booking.text() == NID
    assert_whole(kiosk.booking, NID)

    # the window closed half-way: a kiosk stays open, its fields as wide
    qtbot.keyClick(kiosk.booking, Qt.Key.Key_Escape)
    kiosk.close()
    assert kiosk.isVisible()
    fits(qtbot, kiosk)
