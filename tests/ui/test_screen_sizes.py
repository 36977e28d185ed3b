"""Every window is fully usable on the counter PCs' screens, in both languages.

The window gets the client area a maximised window has on that screen (the task bar and the title
bar take about 70 px); it must not need more, and every action button must be visible inside it
(buttons inside a scrolling form are reached by scrolling, so they are not counted).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QScrollArea, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from counter_app.core import queue, users
from counter_app.core.models import Role, Service
from counter_app.services.config import AppConfig
from counter_app.ui.kiosk.kiosk import KioskWindow
from counter_app.ui.shell.app import Shell
from counter_app.ui.supervisor.supervisor import SupervisorWindow
from tests.helpers.applications import submitted
from tests.helpers.factories import Centre
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


def too_wide(window: QWidget, width: int) -> list[str]:
    """The visible widgets that ask for more than the screen's width, innermost first (what to fix)."""
    out = []
    for child in window.findChildren(QWidget):
        if child.isVisible() and child.minimumSizeHint().width() > width:
            text = getattr(child, "text", None)
            label = text()[:60] if callable(text) and isinstance(text(), str) else ""
            out.append(f"{type(child).__name__} {child.objectName()!r} {label!r}: {child.minimumSizeHint().width()}")
    return out[::-1][:6]


def check_fits(qtbot: QtBot, window: QWidget, width: int, height: int) -> None:
    window.resize(width, height - CHROME)
    window.show()
    QApplication.processEvents()
    qtbot.waitUntil(lambda: window.isVisible(), timeout=WAIT_MS)
    assert window.width() <= width and window.height() <= height - CHROME, \
        f"{window.objectName()} needs {window.width()}x{window.height()} on a {width}x{height} screen: " \
        f"{too_wide(window, width)}"
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


def a_day(site: Centre) -> None:
    """A day of tickets on every service (the long English names end up in the dashboard's charts),
    served by the three clerks, with a file submitted for each service, and a long-named clerk."""
    with site.db.read() as s:
        services = [(sv.code, sv.group_letter) for sv in s.scalars(select(Service).order_by(Service.code))]
    with site.db.begin() as s:
        for n, (code, letter) in enumerate(services * 3):
            queue.issue_ticket(s, letter, service_code=code, priority=n % 7 == 0)
    with site.db.begin() as s:
        for round_ in range(6):
            for counter_id, clerk_id in zip(site.counter_ids, site.clerk_ids, strict=True):
                called = queue.call_next(s, counter_id, clerk_id)
                if called is not None and round_ % 3 != 2:
                    queue.finish(s, called.id, counter_id, clerk_id)
        users.create_user(s, username="long-named", full_name="عبد الرحمن محمد عبد العزيز عبد الستار الجيزاوي",
                          role=Role.REVIEWER, password="correct horse 9", department_code="MANPOWER",
                          created_by=site.supervisor_id)
    for code, _letter in services:
        submitted(site, service=code)


def switch_language(qtbot: QtBot, window: QWidget, shell: Shell) -> None:
    """Ctrl+L, as a supervisor switches the language."""
    before = shell.lang.lang
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: shell.lang.lang != before, timeout=WAIT_MS)
    QApplication.processEvents()


@pytest.mark.expect_log(r"^print job \w+ failed: The printer is offline\.", logger="printers.jobs")
@pytest.mark.parametrize("first", ["en", "ar"])
def test_supervisor_window_with_a_day_of_data_fits_after_switching_languages(
        qtbot: QtBot, shell: Shell, site: Centre, first: str, screenshot: Callable[[QWidget, str], Path]) -> None:
    """With a day of tickets, long service names and users, every tab of the supervisor window fits
    1366x768 and 1280x1024; switching the language there and back does not leave it too wide."""
    a_day(site)
    shell.lang.set(first)
    window = log_in(qtbot, shell, "supervisor")
    assert isinstance(window, SupervisorWindow)
    qtbot.waitUntil(lambda: window.dashboard.data is not None and window.dashboard.data.tickets_issued > 30,
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.data is not None and len(window.data.users) > 8, timeout=WAIT_MS)
    # what a real afternoon shows at the bottom: a print that failed (with its retry button), the
    # sync backlog, and a report saved under a long path
    with qtbot.wait_signal(shell.ctx.printing.job_failed, timeout=WAIT_MS):
        window.test_print("tcp://127.0.0.1:9")
    with qtbot.wait_signal(window.dashboard.changed, timeout=WAIT_MS):
        window.dashboard.export("pdf")
    for width, height in SCREENS:
        for round_ in range(3):  # as opened, after one switch and after switching back
            for index in range(window.tabs.count()):
                window.tabs.setCurrentIndex(index)
                check_fits(qtbot, window, width, height)
            if (width, height) == SCREENS[0]:
                window.tabs.setCurrentIndex(0)
                screenshot(window, f"supervisorWindow-data-{width}x{height}-{shell.lang.lang}-{round_}")
            if round_ < 2:
                switch_language(qtbot, window, shell)
                # the switch must not make the window grow past the screen (it is not resized again here)
                assert window.width() <= width, \
                    f"after switching to {shell.lang.lang} the supervisor window is {window.width()} px wide"
            assert window.minimumSizeHint().width() <= width, \
                f"the supervisor window needs {window.minimumSizeHint().width()} px in {shell.lang.lang}"


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_kiosk_fits_the_screens(qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, site: Centre,
                                lang: str, screenshot: Callable[[QWidget, str], Path]) -> None:
    """The kiosk is full screen with no title bar: it gets the whole screen (the offscreen test
    platform's own screen is smaller, so the window is given each screen's size), with the
    supervisor's exit form open too."""
    config.lang = lang
    shell = make_shell(config, kiosk=True)
    kiosk = shell.window
    assert isinstance(kiosk, KioskWindow) and kiosk.isFullScreen()
    kiosk.showNormal()  # leaving full screen restores the normal geometry: let it, then size the window
    qtbot.waitUntil(lambda: not kiosk.isFullScreen(), timeout=WAIT_MS)
    QApplication.processEvents()
    for width, height in SCREENS:
        for exit_form in (False, True):
            if exit_form:
                kiosk.ask_exit()
            else:
                kiosk.cancel_exit()
            check_fits(qtbot, kiosk, width, height + CHROME)
            if (width, height) == SCREENS[0]:
                screenshot(kiosk, f"kioskWindow-{width}x{height}-{lang}{'-exit' if exit_form else ''}")
