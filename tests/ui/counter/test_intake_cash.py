"""Issue 15 (10): a cash payment takes the amount received and shows the change, from the keyboard,
in Arabic and English; less than the fee is refused with nothing stored; received and change are
stored with the payment."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from counter_app.core.models import Payment
from counter_app.services.config import AppConfig
from counter_app.ui.shell.app import Shell
from tests.helpers.bidi import plain
from tests.helpers.factories import Centre
from tests.ui.counter.test_intake_binding import (
    call,
    counts,
    idle,
    issue,
    open_counter,
    press,
    type_applicant,
)

SHORT = {"ar": "أقل من الرسوم", "en": "less than the fee"}


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_cash_received_and_change(qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, site: Centre,
                                  lang: str, printer_dir: Path, screenshot: Callable[[QWidget, str], Path]) -> None:
    number = issue(site, "A", "MP-REG-CERT")
    window = open_counter(qtbot, make_shell, config, lang)
    intake = window.intake
    call(qtbot, window, number)
    type_applicant(qtbot, window)
    intake.set_checked(None)
    service = intake.current_service()
    assert service is not None and intake.method.currentData() == "cash"
    fee = service.total_piastres
    assert intake.cash_received.isVisible() and intake.change.isVisible()

    intake.cash_received.setFocus()
    qtbot.keyClicks(intake.cash_received, "1")  # less than the fee: said at once, and refused on submit
    assert SHORT[lang] in plain(intake.change.text()).lower()
    press(qtbot, window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    idle(qtbot, window)
    assert SHORT[lang] in plain(intake.result.text()).lower()
    assert counts(site) == (0, 0) and intake.name.text()  # nothing stored, nothing lost

    intake.cash_received.selectAll()
    received = fee + 3750
    qtbot.keyClicks(intake.cash_received, f"{received // 100}.{received % 100:02d}")
    change = f"{3750 // 100}.{3750 % 100:02d}"
    assert change in plain(intake.change.text())
    window.resize(1366, 768)
    screenshot(window, f"intake-cash-1366x768-{lang}")
    press(qtbot, window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: intake.submitted_tracking is not None, timeout=20_000)
    idle(qtbot, window)
    with site.db.read() as s:
        payment = s.scalars(select(Payment)).one()
        assert (payment.amount_piastres, payment.cash_received_piastres, payment.change_piastres) == (
            fee, received, 3750)
    assert intake.cash_received.text() == ""  # cleared with the form

    # card: no cash fields
    intake.method.setFocus()
    qtbot.keyClick(intake.method, Qt.Key.Key_Down)
    assert intake.method.currentData() == "card" and not intake.cash_received.isVisible()
