"""The designed look, in real windows: the UI font, the primary actions, the current-ticket card
with its service timer, and the windows as a clerk sees them at 1366×768 and 1920×1080 in both
languages (``SHUBBAK_SCREENSHOTS=folder`` keeps the pictures to look at)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QFont, QFontInfo, QTextLayout
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from counter_app.common.palette import PALETTE
from counter_app.core import queue
from counter_app.core.db import Database
from counter_app.core.models import Application, User
from counter_app.services.config import AppConfig
from counter_app.ui.counter.counter_window import CounterWindow
from counter_app.ui.login.first_start import FirstStartWizard
from counter_app.ui.login.login import LoginWindow
from counter_app.ui.review.review_window import ReviewWindow
from counter_app.ui.shell.app import Shell, make_application
from counter_app.ui.widgets.fonts import FONTS_DIR, UI_FAMILIES
from printers.qt import RASTER_FAMILY
from tests.helpers.applications import submitted
from tests.helpers.bidi import plain
from tests.helpers.factories import Centre
from tests.ui.conftest import WAIT_MS, log_in
from tests.ui.test_screen_sizes import CHROME, check_fits

SCREENS = [(1366, 768), (1920, 1080)]


def families_drawn(text: str, widget: QWidget) -> list[str]:
    """The font family of each run of glyphs Qt draws ``text`` with, in ``widget``'s font."""
    layout = QTextLayout(text, widget.font())
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    return [run.rawFont().familyName() for run in layout.glyphRuns()]


def issue(site: Centre, letter: str = "A", priority: bool = False) -> str:
    with site.db.begin() as s:
        t = queue.issue_ticket(s, letter, priority=priority).ticket
        return f"{t.letter}-{t.number:03d}"


def call_next(qtbot: QtBot, window: CounterWindow) -> None:
    qtbot.keyClick(window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: window.queue.state.current is not None and not window.queue.busy, timeout=WAIT_MS)


def background(button: QPushButton) -> QColor:
    """The colour of the button's face beside its text (its leading edge, clear of the border)."""
    image = button.grab().toImage()
    return image.pixelColor(QPoint(8, image.height() // 2))


def test_the_windows_speak_in_the_shipped_ui_font(qtbot: QtBot, shell: Shell) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert QFontInfo(app.font()).family() == "Noto Sans Arabic UI"
    login = shell.window
    assert isinstance(login, LoginWindow)
    # Arabic from Noto Sans Arabic UI, Latin letters from Noto Sans, in a real label of the window
    assert set(families_drawn("تسجيل الدخول", login.title)) == {"Noto Sans Arabic UI"}
    assert set(families_drawn("Login", login.title)) == {"Noto Sans"}
    assert set(families_drawn("الطابور A-001", login.username)) == set(UI_FAMILIES)
    # ... loaded from the files shipped with their licence, not from the system
    assert all((FONTS_DIR / name).is_file() for name in ("NotoSansArabicUI-Regular.ttf", "NotoSans-Regular.ttf",
                                                         "LICENSE-Noto-OFL.txt"))
    # the printers keep theirs
    assert QFontInfo(QFont(RASTER_FAMILY)).family() == "DejaVu Sans"


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_current_ticket_card_shows_the_call_and_its_service_timer_runs(
        qtbot: QtBot, shell: Shell, site: Centre, lang: str, screenshot: Callable[[QWidget, str], Path]) -> None:
    shell.lang.set(lang)
    number = issue(site, priority=True)
    window = log_in(qtbot, shell, "clerk1")
    assert isinstance(window, CounterWindow)
    card = window.queue.card
    assert card.property("state") == "" and plain(card.number.text()) == "—" and not card.ticker.isActive()
    call_next(qtbot, window)
    assert plain(card.number.text()) == number and card.property("state") == "called"
    assert card.number.font().pointSizeF() > 3 * QApplication.font().pointSizeF()  # large, from the type scale
    assert card.ticker.isActive()
    # The card's own one-second timer advances the service timer: a clock 2 min 5 s after the call
    # shows on the next tick, with nothing else redrawn.
    called_at = card.called_at
    assert called_at is not None
    card.clock = lambda: called_at + timedelta(minutes=2, seconds=5)
    qtbot.waitUntil(lambda: "02:05" in plain(card.timer_label.text()), timeout=3 * card.ticker.interval())
    card.clock = lambda: called_at + timedelta(minutes=61, seconds=9)
    qtbot.waitUntil(lambda: "61:09" in plain(card.timer_label.text()), timeout=3 * card.ticker.interval())
    window.resize(1366, 768 - CHROME)
    screenshot(window, f"look-counter-called-1366x768-{lang}")
    # finishing the ticket: the card goes quiet and its timer stops
    qtbot.keyClick(window, Qt.Key.Key_F4)
    qtbot.waitUntil(lambda: window.queue.state.current is None and not window.queue.busy, timeout=WAIT_MS)
    assert card.property("state") == "" and card.timer_label.text() == "" and not card.ticker.isActive()


def test_each_panel_has_one_primary_action_drawn_as_such(qtbot: QtBot, shell: Shell, site: Centre) -> None:
    login = shell.window
    assert isinstance(login, LoginWindow)
    assert login.login_button.isDefault() and login.login_button.property("primary") is True
    issue(site)
    window = log_in(qtbot, shell, "clerk1")
    assert isinstance(window, CounterWindow)
    window.resize(1366, 768 - CHROME)
    call_next(qtbot, window)
    primary = [window.queue.buttons["call_next"], window.intake.submit_button]
    for button in primary:
        assert button.property("primary") is True and button.isDefault()
    plain_buttons = [b for b in window.queue.buttons.values() if b not in primary]
    assert all(b.property("primary") is not True for b in plain_buttons)
    # the palette's primary colour fills the primary buttons, not the others
    qtbot.waitUntil(lambda: window.queue.buttons["recall"].isEnabled(), timeout=WAIT_MS)
    assert background(window.intake.submit_button) == QColor(PALETTE.primary)
    assert background(window.queue.buttons["recall"]) == QColor(PALETTE.surface)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_windows_as_a_clerk_sees_them(qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig,
                                          site: Centre, lang: str, screenshot: Callable[[QWidget, str], Path]) -> None:
    """The login, the counter with a ticket called and a form half filled, and the review window
    with a file open: each fits 1366×768 and 1920×1080 with every button in view."""
    config.lang = lang
    shell = make_shell(config)
    login = shell.window
    assert isinstance(login, LoginWindow)
    screenshot(login, f"look-login-{lang}")
    issue(site)
    counter = log_in(qtbot, shell, "clerk1")
    assert isinstance(counter, CounterWindow)
    call_next(qtbot, counter)
    counter.intake.name.setText("محمد أحمد علي حسن")
    counter.intake.national_id.setText("2900101011233")  # one digit short: the hint says so in red
    for width, height in SCREENS:
        check_fits(qtbot, counter, width, height)
        screenshot(counter, f"look-counter-{width}x{height}-{lang}")

    file_id = submitted(site)
    counter.logout_requested.emit()
    qtbot.waitUntil(lambda: isinstance(shell.window, LoginWindow), timeout=WAIT_MS)
    with site.db.read() as s:
        reviewer_id = s.get_one(Application, file_id).reviewer_id
        reviewer = s.get_one(User, reviewer_id).username
    review = log_in(qtbot, shell, reviewer)
    assert isinstance(review, ReviewWindow)
    qtbot.waitUntil(lambda: review.desk is not None and len(review.desk.queue) > 0, timeout=WAIT_MS)
    with qtbot.wait_signal(review.desk_loaded, timeout=WAIT_MS):
        review.open_row(0)
    for width, height in SCREENS:
        check_fits(qtbot, review, width, height)
        screenshot(review, f"look-review-{width}x{height}-{lang}")


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_first_start_fits_the_screen(qtbot: QtBot, tmp_path: Path, config: AppConfig, lang: str,
                                         screenshot: Callable[[QWidget, str], Path]) -> None:
    """An administrator setting a centre up on a 1366×768 PC sees the whole form and its button."""
    make_application()
    config.lang = lang
    db = Database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    shell = Shell(config, db=db)
    try:
        with qtbot.wait_signal(shell.ready, timeout=WAIT_MS):
            shell.start()
        wizard = shell.window
        assert isinstance(wizard, FirstStartWizard)
        qtbot.mouseClick(wizard.save_button, Qt.MouseButton.LeftButton)  # nothing filled in: the reason shows
        assert wizard.error.state == "error" and wizard.error.text()
        check_fits(qtbot, wizard, 1366, 768)
        screenshot(wizard, f"look-first-start-{lang}")
    finally:
        shell.shutdown()
        db.dispose()
