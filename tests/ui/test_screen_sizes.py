"""Every window is fully usable on the counter PCs' screens, in both languages.

The window gets the client area a maximised window has on that screen (the task bar and the title
bar take about 70 px); it must not need more, and every action button must be visible inside it
(buttons inside a scrolling form are reached by scrolling, so they are not counted).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractButton, QApplication, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from counter_app.ui.app import Shell
from tests.ui.conftest import WAIT_MS, log_in

SCREENS = [(1366, 768), (1280, 1024)]
CHROME = 70  # title bar and task bar


def inside_scroll_area(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def hidden_buttons(window: QWidget) -> list[str]:
    out = []
    area = window.rect()
    for button in window.findChildren(QAbstractButton):
        if not button.isVisibleTo(window) or inside_scroll_area(button):
            continue
        if not button.isVisible():  # on a tab that is not shown
            continue
        top_left = button.mapTo(window, QPoint(0, 0))
        rect = QRect(top_left, button.size())
        if not area.contains(rect) or button.visibleRegion().isEmpty() or button.width() < 20:
            out.append(f"{button.objectName() or button.text()!r} at {rect.getRect()}")
    return out


def check_fits(qtbot: QtBot, window: QWidget, width: int, height: int) -> None:
    window.resize(width, height - CHROME)
    window.show()
    QApplication.processEvents()
    qtbot.waitUntil(lambda: window.isVisible(), timeout=WAIT_MS)
    assert window.width() <= width and window.height() <= height - CHROME, \
        f"{window.objectName()} needs {window.width()}x{window.height()} on a {width}x{height} screen"
    assert not hidden_buttons(window), hidden_buttons(window)


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize(("username", "tabs"), [("clerk1", 2), ("rev-manpower-1", 2), ("supervisor", 0)])
def test_windows_fit_the_screens(qtbot: QtBot, shell: Shell, lang: str, username: str, tabs: int,
                                 screenshot: Callable[[QWidget, str], Path]) -> None:
    shell.lang.set(lang)
    window = log_in(qtbot, shell, username)
    for width, height in SCREENS:
        tab_widget = getattr(window, "tabs", None)
        count = tab_widget.count() if tab_widget is not None else 1
        for index in range(count):
            if tab_widget is not None:
                tab_widget.setCurrentIndex(index)
            check_fits(qtbot, window, width, height)
        if (width, height) == SCREENS[0]:
            if tab_widget is not None:
                tab_widget.setCurrentIndex(0)
            screenshot(window, f"{window.objectName()}-{width}x{height}-{lang}")
