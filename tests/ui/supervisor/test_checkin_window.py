"""Issue 20 item 4's check-in window on the supervisor's «Centre settings» tab, driven from the
keyboard at 1366×768 in Arabic and English: the two fields hold only their bounds (0–120 minutes
early, 0–60 late), are saved with the other settings (a double press of Save and Ctrl+S in the
middle: once), and the next check-in at the kiosk's core uses them; the window closed while the save
runs loses nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from counter_app.core import booking
from counter_app.ui.shell.app import Shell
from tests.core.test_booking import pulled, store
from tests.core.test_queue import T0
from tests.helpers.bidi import plain
from tests.helpers.factories import Centre
from tests.ui.supervisor.test_settings_page import (
    audited,
    open_settings,
    save_then_log_out,
    save_twice,
    stored,
    type_number,
)
from tests.ui.test_screen_sizes import check_fits


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_check_in_window_is_set_from_the_keyboard_and_used_by_the_next_check_in(
        qtbot: QtBot, shell: Shell, site: Centre, lang: str, screenshot: Callable[[QWidget, str], Path]) -> None:
    store(site.db, pulled("ABCD2345", 60), pulled("EFGH2345", 60, nid="29001012345683"))
    with site.db.begin() as s:  # 45 minutes early: outside the default window of 30
        assert booking.check_in(s, "ABCD2345", at=T0 + timedelta(minutes=15)).reason == "early"

    window, page = open_settings(qtbot, shell, lang)
    early, late = page.numbers["appointments.early_minutes"], page.numbers["appointments.late_minutes"]
    assert (early.value(), late.value()) == (30, 15)
    assert (early.minimum(), early.maximum(), late.minimum(), late.maximum()) == (0, 120, 0, 60)
    assert page.checkin_labels["supervisor.settings_checkin_early"].buddy() is early
    # beyond the bounds: the field does not take it (a third digit of 999 is refused as typed)
    early.setFocus()
    qtbot.keyClick(early, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(early, "999")
    assert early.value() <= 120
    type_number(qtbot, early, 50)
    type_number(qtbot, late, 5)
    check_fits(qtbot, window, 1366, 768)
    screenshot(window, f"supervisorWindow-settings-checkin-1366x768-{lang}")

    # a double press of Save, with Ctrl+S in the middle: saved once
    save_twice(qtbot, shell, page)
    assert (stored(site, booking.EARLY_KEY), stored(site, booking.LATE_KEY)) == ("50", "5")
    assert audited(site, "settings.change") == 1
    assert (early.value(), late.value()) == (50, 5)

    # the next check-in follows: 45 minutes early is within 50 now
    with site.db.begin() as s:
        done = booking.check_in(s, "EFGH2345", at=T0 + timedelta(minutes=15))
    assert done.reason is None and done.issued.ticket.appointment_at is not None

    # the other language: the same values, the labels in it
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert plain(page.checkin_box.title()) == plain(shell.lang.text("supervisor.settings_checkin_title"))
    assert (early.value(), late.value()) == (50, 5)
    check_fits(qtbot, window, 1366, 768)


def test_the_window_closed_while_saving_the_check_in_window_saves_once(
        qtbot: QtBot, shell: Shell, site: Centre) -> None:
    window, page = open_settings(qtbot, shell, "ar")
    type_number(qtbot, page.numbers["appointments.late_minutes"], 0)
    save_then_log_out(qtbot, shell, window, page)
    assert stored(site, booking.LATE_KEY) == "0" and audited(site, "settings.change") == 1
    with site.db.read() as s:
        assert booking.window(s) == booking.Window(timedelta(minutes=30), timedelta(0))
