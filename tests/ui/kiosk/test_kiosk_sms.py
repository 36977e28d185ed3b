"""Issue 18, item 3: the kiosk's optional mobile number, driven by the keyboard on the real window.

A wrong number is refused with a message in the kiosk's language and nothing typed or chosen is
lost; the fixed number issues one ticket (a double press issues once), is emptied from the field and
shown nowhere; the printed ticket (its ESC/POS decoded) carries the SMS line; the core keeps the
number on the ticket only."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from counter_app.common.i18n import Lang
from counter_app.core import queue
from counter_app.core.models import OutboxEvent, Ticket
from counter_app.services.config import AppConfig
from counter_app.ui.kiosk.kiosk import KioskWindow
from counter_app.ui.shell.app import Shell
from counter_app.ui.shell.printing import ticket_document
from printers.documents import render_document, sms_line
from tests.helpers.bidi import plain
from tests.helpers.factories import Centre as Site
from tests.printers.escpos_decode import decode
from tests.ui.conftest import WAIT_MS
from tests.ui.kiosk.test_kiosk_mode import open_kiosk
from tests.ui.test_screen_sizes import check_fits

WRONG = "0101234567"  # a digit short
DIGITS = "1012345678"  # what must appear nowhere


def shown_texts(window: QWidget) -> list[str]:
    """Every text the kiosk shows now: labels, buttons, fields (and their placeholders)."""
    texts = [plain(w.text()) for w in window.findChildren(QLabel) + window.findChildren(QPushButton)]
    texts += [t for w in window.findChildren(QLineEdit) for t in (w.text(), w.placeholderText())]
    return [t for t in texts if t]


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_kiosk_takes_a_mobile_number_for_the_sms(
        qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, site: Site, lang: Lang,
        printer_dir: Path, caplog: pytest.LogCaptureFixture,
        screenshot: Callable[[QWidget, str], Path]) -> None:
    caplog.set_level(logging.DEBUG)
    with site.db.begin() as s:  # four citizens already wait in group A: the SMS will come at 3 ahead
        for _ in range(4):
            queue.issue_ticket(s, "A")
    kiosk = open_kiosk(qtbot, make_shell, config, lang)
    kiosk.showNormal()
    qtbot.waitUntil(lambda: not kiosk.isFullScreen(), timeout=WAIT_MS)
    check_fits(qtbot, kiosk, 1366, 768 + 70)  # the kiosk with its new field still fits a 1366x768 screen
    kiosk.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is kiosk, timeout=WAIT_MS)
    kiosk.mobile.setFocus()
    assert kiosk.mobile.hasFocus()

    # a wrong number: refused, with a message in the kiosk's language; the number and the choice stay
    qtbot.keyClicks(kiosk.mobile, WRONG)
    kiosk.priority.setFocus()
    qtbot.keyClick(kiosk.priority, Qt.Key.Key_Space)
    assert kiosk.priority.isChecked()
    kiosk.buttons["A"].setFocus()
    qtbot.keyClick(kiosk.buttons["A"], Qt.Key.Key_Space)
    said = plain(kiosk.result.text())
    assert said == plain(kiosk.ctx.lang.text("kiosk.sms_invalid"))
    assert ("غير صحيح" in said) if lang == "ar" else ("not valid" in said)
    assert kiosk.mobile.text() == WRONG and kiosk.priority.isChecked() and kiosk.mobile.hasFocus()
    with site.db.read() as s:
        assert len(s.scalars(select(Ticket)).all()) == 4  # nothing issued
    check_fits(qtbot, kiosk, 1366, 768 + 70)
    screenshot(kiosk, f"kioskWindow-sms-wrong-{lang}")

    # fixed (the cursor is still in the field): one more digit; no priority after all (it would
    # be called next); then a double press of the group
    qtbot.keyClick(kiosk.mobile, Qt.Key.Key_End)
    qtbot.keyClicks(kiosk.mobile, "8")
    kiosk.priority.setFocus()
    qtbot.keyClick(kiosk.priority, Qt.Key.Key_Space)
    assert not kiosk.priority.isChecked()
    kiosk.buttons["A"].setFocus()
    with qtbot.wait_signal(kiosk.issued, timeout=WAIT_MS) as got, \
            qtbot.wait_signal(kiosk.ctx.printing.job_done, timeout=WAIT_MS):
        qtbot.keyClick(kiosk.buttons["A"], Qt.Key.Key_Space)
        qtbot.keyClick(kiosk.buttons["A"], Qt.Key.Key_Space)  # the second press while the first issues
    issued = got.args[0]
    assert issued.number == "A-005" and not issued.priority and issued.sms == "ahead" and issued.sms_ahead == 3
    qtbot.waitUntil(lambda: not kiosk.ctx.ops.busy, timeout=WAIT_MS)
    with site.db.read() as s:
        tickets = s.scalars(select(Ticket).order_by(Ticket.id)).all()
        payloads = [e.payload for e in s.scalars(select(OutboxEvent))]
    assert len(tickets) == 5, "a double press issued two tickets"
    assert tickets[-1].sms_phone == "+20" + DIGITS and tickets[-1].sms_ahead_due
    assert all(DIGITS not in p for p in payloads)

    # the number is gone from the screen: emptied, in no label, no button, no field
    assert kiosk.mobile.text() == ""
    assert "A-005" in plain(kiosk.result.text())
    assert not [t for t in shown_texts(kiosk) if DIGITS in t.replace(" ", "")]
    kiosk.ctx.lang.toggle()  # nor in the other language
    assert not [t for t in shown_texts(kiosk) if DIGITS in t.replace(" ", "")]
    kiosk.ctx.lang.toggle()
    if lang == "ar":
        screenshot(kiosk, "kioskWindow-sms-issued-ar")
    # nor in any log line
    assert not [r.getMessage() for r in caplog.records if DIGITS in r.getMessage()]

    # the printed ticket carries the SMS line: its ESC/POS decodes to the ticket rendered with it
    (job,) = sorted(printer_dir.glob("*.bin"))
    printed = decode(job.read_bytes()).image()
    cat = kiosk.ctx.catalogue
    assert cat is not None
    group = next(g for g in cat.groups if g.letter == "A")
    data = ticket_document(cat.centre, group.name_ar, group.name_en, issued)
    assert data.sms == "ahead"
    line = plain(sms_line(data, lang))
    assert (("رسالة نصية" in line and "3 أشخاص" in line) if lang == "ar"
            else ("SMS when 3 people are ahead" in line))
    with_line = render_document("ticket", data, 576, lang).convert("1")
    assert printed.size == with_line.size and printed.tobytes() == with_line.tobytes()
    without = render_document("ticket", type(data)(**{**data.__dict__, "sms": ""}), 576, lang).convert("1")
    assert without.size != printed.size or without.tobytes() != printed.tobytes()
    assert DIGITS not in line


def test_an_empty_field_issues_as_before_and_the_ticket_offers_the_sms(
        qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, site: Site) -> None:
    kiosk = open_kiosk(qtbot, make_shell, config, "ar")
    kiosk.buttons["B"].setFocus()
    with qtbot.wait_signal(kiosk.issued, timeout=WAIT_MS) as got:
        qtbot.keyClick(kiosk.buttons["B"], Qt.Key.Key_Space)
    assert got.args[0].sms == "offer"
    with site.db.read() as s:
        assert s.scalars(select(Ticket.sms_phone)).one() is None
    data = ticket_document(kiosk.ctx.catalogue.centre, "", "", got.args[0])  # type: ignore[union-attr]
    assert "جهاز التذاكر" in plain(sms_line(data, "ar"))


def test_idle_forgets_a_typed_number(qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig,
                                     site: Site) -> None:
    kiosk: KioskWindow = open_kiosk(qtbot, make_shell, config, "ar")
    kiosk.idle_timer.setInterval(300)
    kiosk.mobile.setFocus()
    qtbot.keyClicks(kiosk.mobile, "01012")
    assert kiosk.idle_timer.isActive()
    qtbot.waitUntil(lambda: kiosk.mobile.text() == "", timeout=WAIT_MS)
