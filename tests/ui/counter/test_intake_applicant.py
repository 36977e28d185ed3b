"""The applicant's rules at the counter (issue 15, item 19): a name of digits and a phone with
letters are refused with a message next to the field that says what is expected, everything
typed stays, nothing is stored; corrected, the file is submitted with the phone in E.164."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from counter_app.core import queue
from counter_app.core.models import Application
from counter_app.ui.counter.counter_window import CounterWindow
from counter_app.ui.shell.app import Shell
from tests.helpers.bidi import plain
from tests.helpers.factories import Centre
from tests.ui.conftest import WAIT_MS, log_in

SERVICE = "MP-REG-CERT"
NID = "29001010112334"
NAME_SAYS = {"ar": "بالحروف العربية", "en": "four names"}
PHONE_SAYS = {"ar": "محمول مصري", "en": "Egyptian mobile"}
CTRL = Qt.KeyboardModifier.ControlModifier


def _stored(site: Centre) -> int:
    with site.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(Application)) or 0)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_name_and_phone_refused_next_to_the_field_then_submitted(
        qtbot: QtBot, shell: Shell, site: Centre, lang: str, screenshot: Callable[[QWidget, str], Path]) -> None:
    with site.db.begin() as s:
        queue.issue_ticket(s, "A", service_code=SERVICE)
    window = log_in(qtbot, shell, "clerk1")
    assert isinstance(window, CounterWindow)
    if lang == "en":
        shell.lang.toggle()
    qtbot.keyClick(window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: window.queue.state.current is not None and not window.queue.busy, timeout=WAIT_MS)
    intake = window.intake
    service = intake.current_service()
    assert service is not None and service.code == SERVICE
    intake.set_checked({d.code for d in service.documents})
    name_error, phone_error = intake.field_errors["name"], intake.field_errors["phone"]

    qtbot.keyClicks(intake.name, "12345678901234")
    qtbot.keyClicks(intake.national_id, NID)
    qtbot.keyClicks(intake.phone, "01abc2345678")
    qtbot.keyClick(intake.phone, Qt.Key.Key_Return, CTRL)
    qtbot.keyClick(intake.phone, Qt.Key.Key_Return, CTRL)  # pressed twice
    qtbot.waitUntil(lambda: not name_error.isHidden() and not intake.busy, timeout=WAIT_MS)
    assert NAME_SAYS[lang] in plain(name_error.text()) and phone_error.isHidden()
    assert (intake.name.text(), intake.national_id.text(), intake.phone.text()) == (
        "12345678901234", NID, "01abc2345678")  # nothing typed is lost
    assert intake.name.hasFocus() and _stored(site) == 0

    intake.name.setText("محمد أحمد محمود حسن")  # QTest types ASCII only: an Arabic keyboard's result
    assert name_error.isHidden()  # the message goes with the edit
    qtbot.keyClick(intake.name, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: not phone_error.isHidden() and not intake.busy, timeout=WAIT_MS)
    assert PHONE_SAYS[lang] in plain(phone_error.text()) and "01012345678" in plain(phone_error.text())
    assert intake.phone.text() == "01abc2345678" and intake.phone.hasFocus() and _stored(site) == 0
    window.resize(1366, 768)
    screenshot(window, f"intake-phone-refused-{lang}")
    other = "en" if lang == "ar" else "ar"
    shell.lang.toggle()  # the message follows a language switch
    assert PHONE_SAYS[other] in plain(phone_error.text())
    shell.lang.toggle()

    intake.phone.selectAll()
    qtbot.keyClicks(intake.phone, "010 1234 5678")
    assert phone_error.isHidden()
    with qtbot.wait_signal(intake.submitted, timeout=WAIT_MS):
        qtbot.keyClick(intake.phone, Qt.Key.Key_Return, CTRL)
    with site.db.read() as s:
        app = s.scalars(select(Application)).one()
        assert (app.applicant_name, app.phone) == ("محمد أحمد محمود حسن", "+201012345678")
