"""Issue 18 follow-up: the supervisor's «Centre settings» tab, driven from the keyboard at 1366×768 in
Arabic and English: a bad value (a line of opening hours that closes before it opens, a portal
address that is not one) gets a message in the user's language and every field keeps what was
typed; a double press of Save (and Ctrl+S in the middle) saves once; the window closed while a save
runs loses nothing and saves once; Undo brings back what is stored."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QSpinBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from counter_app.common.i18n import Msg
from counter_app.common.portal import opening_hours_text
from counter_app.core import settings
from counter_app.core.errors import ValidationFailed
from counter_app.core.models import AuditEntry
from counter_app.ui.shell.app import Shell
from counter_app.ui.supervisor.settings_page import CentreSettingsTab
from counter_app.ui.supervisor.supervisor import SupervisorWindow
from tests.helpers.bidi import plain
from tests.helpers.factories import Centre
from tests.ui.conftest import WAIT_MS, log_in, wait_idle
from tests.ui.test_screen_sizes import CHROME, check_fits


def stored(site: Centre, key: str) -> str:
    with site.db.read() as s:
        return settings.get(s, key)


def audited(site: Centre, action: str) -> int:
    with site.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) or 0)


def open_settings(qtbot: QtBot, shell: Shell, lang: str) -> tuple[SupervisorWindow, CentreSettingsTab]:
    shell.lang.set(lang)
    window = log_in(qtbot, shell, "supervisor")
    assert isinstance(window, SupervisorWindow)
    window.resize(1366, 768 - CHROME)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)
    window.tabs.setFocus()
    while window.tabs.currentWidget() is not window.settings_page:  # Ctrl+Tab, as from the keyboard
        qtbot.keyClick(window.tabs, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    page = window.settings_page
    qtbot.waitUntil(lambda: page.loaded is not None and page.save_button.isEnabled(), timeout=WAIT_MS)
    return window, page


def type_number(qtbot: QtBot, spin: QSpinBox, value: int) -> None:
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(spin, str(value))
    assert spin.value() == value


def type_time(qtbot: QtBot, combo: QComboBox, hhmm: str) -> None:
    """Walk the list of times with the arrow keys to ``hhmm``."""
    combo.setFocus()
    step = Qt.Key.Key_Down if combo.findData(hhmm) > combo.currentIndex() else Qt.Key.Key_Up
    for _ in range(combo.count()):
        if combo.currentData() == hhmm:
            break
        qtbot.keyClick(combo, step)
    assert combo.currentData() == hhmm, combo.currentData()


def type_text(qtbot: QtBot, field: QWidget, text: str) -> None:
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(field, Qt.Key.Key_Delete)
    qtbot.keyClicks(field, text)


def press(qtbot: QtBot, button: QWidget) -> None:
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)


def save_then_log_out(qtbot: QtBot, shell: Shell, window: QWidget, page: CentreSettingsTab) -> None:
    """Save pressed, then Ctrl+Shift+Q before the save is done: logged out half-way; wait till it settles."""
    press(qtbot, page.save_button)
    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: shell.window is not window, timeout=WAIT_MS)  # logged out half-way
    wait_idle(qtbot, shell)


def save_twice(qtbot: QtBot, shell: Shell, page: CentreSettingsTab) -> None:
    """A double press of Save with Ctrl+S in the middle of it, then wait for the saved message."""
    page.save_button.setFocus()
    qtbot.keyClick(page.save_button, Qt.Key.Key_Space)
    qtbot.keyClick(page.save_button, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(page.save_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: plain(page.message.text()) == plain(shell.lang.text("supervisor.settings_saved")),
                    timeout=WAIT_MS)
    wait_idle(qtbot, shell)


def refusal(lang: str, detail: Msg) -> str:
    return plain(ValidationFailed(detail=detail).message(lang))


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_settings_from_the_keyboard_bad_value_then_one_save(
        qtbot: QtBot, shell: Shell, site: Centre, lang: str, screenshot: Callable[[QWidget, str], Path]) -> None:
    window, page = open_settings(qtbot, shell, lang)
    check_fits(qtbot, window, 1366, 768)
    assert [line.row().first for line in page.lines] == ["sun", "sat"]  # the demo centre's hours, as lines
    assert page.numbers["queue.max_recalls"].value() == 3 and page.fairness.currentIndex() == 0
    assert not page.ratio.isEnabled()

    # the queue: one priority ticket after every 3 ordinary ones, 2 recalls, SMS at 5 ahead
    page.fairness.setFocus()
    qtbot.keyClick(page.fairness, Qt.Key.Key_Down)
    assert page.fairness.currentIndex() == 1 and page.ratio.isEnabled()
    type_number(qtbot, page.ratio, 3)
    type_number(qtbot, page.numbers["queue.max_recalls"], 2)
    type_number(qtbot, page.numbers["queue.sms_ahead"], 5)
    type_text(qtbot, page.address_en, "12 Haram Street, Giza")
    # Saturday's line now closes at 08:00, before it opens at 09:00: refused, nothing lost
    type_time(qtbot, page.lines[1].closes, "08:00")
    press(qtbot, page.save_button)
    expected = refusal(lang, Msg("supervisor.settings_hours_order", row=2))
    qtbot.waitUntil(lambda: plain(page.message.text()) == expected, timeout=WAIT_MS)
    assert page.message.state == "error"
    assert (page.ratio.value(), page.numbers["queue.max_recalls"].value(), page.numbers["queue.sms_ahead"].value()) \
        == (3, 2, 5)
    assert page.address_en.text() == "12 Haram Street, Giza" and page.lines[1].closes.currentData() == "08:00"
    assert stored(site, "queue.max_recalls") == "3" and audited(site, "settings.change") == 0
    screenshot(window, f"supervisorWindow-settings-refused-1366x768-{lang}")

    # corrected; a double press of Save, and Ctrl+S in the middle of it: saved once
    type_time(qtbot, page.lines[1].closes, "13:30")
    save_twice(qtbot, shell, page)
    assert audited(site, "settings.change") == 1
    assert (stored(site, "queue.fairness"), stored(site, "queue.max_recalls"), stored(site, "queue.sms_ahead")) \
        == ("ratio:3", "2", "5")
    assert stored(site, "centre.opening_hours") == "sun-thu 08:00-15:00; sat 09:00-13:30"
    assert stored(site, "centre.address_en") == "12 Haram Street, Giza"
    assert plain(page.hours_note.text()).endswith(plain(opening_hours_text("sun-thu 08:00-15:00; sat 09:00-13:30", lang)))
    check_fits(qtbot, window, 1366, 768)
    screenshot(window, f"supervisorWindow-settings-1366x768-{lang}")

    # pressing Save again with nothing changed writes nothing
    press(qtbot, page.save_button)
    qtbot.waitUntil(lambda: plain(page.message.text()) == plain(shell.lang.text("supervisor.settings_unchanged")),
                    timeout=WAIT_MS)
    assert audited(site, "settings.change") == 1

    # the other language: the same page, its day names and messages in it
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    other = shell.lang.lang
    assert other != lang and page.lines[0].first.currentText() == ("Sunday" if other == "en" else "الأحد")
    check_fits(qtbot, window, 1366, 768)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_bad_portal_address_is_refused_and_undo_brings_back_what_is_stored(
        qtbot: QtBot, shell: Shell, site: Centre, lang: str) -> None:
    _window, page = open_settings(qtbot, shell, lang)
    type_text(qtbot, page.portal, "ftp://portal.example")
    page.lines[0].remove.setFocus()
    qtbot.keyClick(page.lines[0].remove, Qt.Key.Key_Space)  # Sunday to Thursday's line removed
    assert len(page.lines) == 1
    qtbot.keyClick(page, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    expected = refusal(lang, Msg("supervisor.settings_portal_form"))
    qtbot.waitUntil(lambda: plain(page.message.text()) == expected, timeout=WAIT_MS)
    assert page.portal.text() == "ftp://portal.example" and len(page.lines) == 1
    assert stored(site, "portal.base_url") == "" and audited(site, "centre.public_details") == 1  # the demo's own

    press(qtbot, page.undo_button)
    assert page.portal.text() == "" and [line.row().first for line in page.lines] == ["sun", "sat"]
    assert page.message.text() == ""

    # a line added from the keyboard, the address corrected: saved, and the next QR codes use it
    press(qtbot, page.add_line_button)
    assert len(page.lines) == 3
    type_text(qtbot, page.portal, "https://portal.example/eg/")
    press(qtbot, page.save_button)
    qtbot.waitUntil(lambda: plain(page.message.text()) == plain(shell.lang.text("supervisor.settings_saved")),
                    timeout=WAIT_MS)
    assert stored(site, "portal.base_url") == "https://portal.example/eg"
    assert page.portal.text() == "https://portal.example/eg"
    qtbot.waitUntil(lambda: shell.ctx.catalogue is not None
                    and shell.ctx.catalogue.centre.portal_url == "https://portal.example/eg", timeout=WAIT_MS)


def test_the_window_closed_while_saving_saves_once(qtbot: QtBot, shell: Shell, site: Centre) -> None:
    window, page = open_settings(qtbot, shell, "ar")
    type_number(qtbot, page.numbers["queue.estimate_window"], 40)
    save_then_log_out(qtbot, shell, window, page)
    assert stored(site, "queue.estimate_window") == "40" and audited(site, "settings.change") == 1


def test_the_tab_shown_again_shows_a_change_made_elsewhere_but_keeps_unsaved_edits(
        qtbot: QtBot, shell: Shell, site: Centre) -> None:
    window, page = open_settings(qtbot, shell, "en")
    with site.db.begin() as s:  # another supervisor's PC, or `shubbak centre details`
        settings.put(s, "queue.sms_ahead", "7")
    window.tabs.setCurrentIndex(0)
    window.tabs.setCurrentWidget(page)
    qtbot.waitUntil(lambda: page.numbers["queue.sms_ahead"].value() == 7, timeout=WAIT_MS)
    type_number(qtbot, page.numbers["queue.max_recalls"], 5)  # not saved yet
    with site.db.begin() as s:
        settings.put(s, "queue.sms_ahead", "8")
    window.tabs.setCurrentIndex(0)
    window.tabs.setCurrentWidget(page)
    wait_idle(qtbot, shell)
    assert page.numbers["queue.max_recalls"].value() == 5 and page.numbers["queue.sms_ahead"].value() == 7
