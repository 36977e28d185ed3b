"""Issue 20 item 4 on the real kiosk window, by the keyboard (the QR scanner types too): Escape
mid-entry empties the field; a code not in the centre's copy while the server cannot be reached
says to take an ordinary ticket; a double Enter checks in once and prints the appointment ticket
with the booked time (its ESC/POS decoded); a second attempt by national ID is refused; a close of
the window half-way through a check-in leaves it open and the ticket issued once; 1366x768, both
languages, an Arabic screenshot."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from counter_app.common.i18n import Lang
from counter_app.core import booking
from counter_app.core.clock import as_utc, local_day, to_local, utcnow
from counter_app.core.models import Booking, Ticket
from counter_app.services.config import AppConfig
from counter_app.ui.kiosk.kiosk import KioskWindow
from counter_app.ui.shell.app import Shell
from counter_app.ui.shell.printing import ticket_document
from printers.documents import render_document
from tests.helpers.bidi import plain
from tests.helpers.factories import Centre as Site
from tests.printers.escpos_decode import decode
from tests.ui.conftest import WAIT_MS
from tests.ui.kiosk.test_kiosk_mode import open_kiosk
from tests.ui.test_screen_sizes import check_fits

NID = "29001012345675"


def add_bookings(site: Site) -> None:
    """Two bookings of today in the centre's copy (as the agent pulls them), due in 10 minutes."""
    start = (utcnow() + timedelta(minutes=10)).replace(second=0, microsecond=0)
    with site.db.begin() as s:
        booking.apply_pulled(s, [
            booking.PulledBooking("ABCD2345", NID, "MP-REG-CERT", "A", start, local_day(start), "booked", 1),
            booking.PulledBooking("WXYZ6789", "29001012345683", "MP-REG-CERT", "A", start, local_day(start),
                                  "booked", 2)])


def tickets(site: Site) -> list[Ticket]:
    with site.db.read() as s:
        return list(s.scalars(select(Ticket).order_by(Ticket.id)))


def enter(qtbot: QtBot, kiosk: KioskWindow, text: str) -> None:
    kiosk.booking.setFocus()
    qtbot.keyClicks(kiosk.booking, text)
    qtbot.keyClick(kiosk.booking, Qt.Key.Key_Return)


def said(kiosk: KioskWindow, qtbot: QtBot) -> str:
    qtbot.waitUntil(lambda: not kiosk.busy and not kiosk.ctx.ops.busy, timeout=WAIT_MS)
    return plain(kiosk.result.text())


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_check_in_at_the_kiosk_by_keyboard(qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig,
                                           site: Site, lang: Lang, printer_dir: Path,
                                           screenshot: Callable[[QWidget, str], Path]) -> None:
    add_bookings(site)
    kiosk = open_kiosk(qtbot, make_shell, config, lang)
    kiosk.showNormal()
    qtbot.waitUntil(lambda: not kiosk.isFullScreen(), timeout=WAIT_MS)
    check_fits(qtbot, kiosk, 1366, 768 + 70)
    kiosk.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is kiosk, timeout=WAIT_MS)

    # Escape mid-entry: the field is emptied, nothing issued
    kiosk.booking.setFocus()
    qtbot.keyClicks(kiosk.booking, "ABCD23")
    qtbot.keyClick(kiosk.booking, Qt.Key.Key_Escape)
    assert kiosk.booking.text() == "" and tickets(site) == []

    # a code the centre does not hold, and no central server to ask: take an ordinary ticket
    enter(qtbot, kiosk, "ZZZZ2345")
    message = said(kiosk, qtbot)
    assert ("تذكرة عادية" in message) if lang == "ar" else ("ordinary ticket" in message)
    assert kiosk.booking.text() == "ZZZZ2345" and tickets(site) == []  # kept, to be corrected
    qtbot.keyClick(kiosk.booking, Qt.Key.Key_Escape)

    # the scanner types the manage link and Enter, and the citizen presses Enter again
    with qtbot.wait_signal(kiosk.issued, timeout=WAIT_MS) as got, \
            qtbot.wait_signal(kiosk.ctx.printing.job_done, timeout=WAIT_MS):
        enter(qtbot, kiosk, "https://portal.example/appointments/ABCD2345?secret=abc")
        qtbot.keyClick(kiosk.booking, Qt.Key.Key_Return)
    issued = got.args[0]
    message = said(kiosk, qtbot)
    (ticket,) = tickets(site)
    assert ticket.appointment_at is not None and issued.appointment_at == as_utc(ticket.appointment_at)
    booked = to_local(issued.appointment_at).strftime("%H:%M")
    assert booked in message and issued.number in message
    assert ("موعد" in message) if lang == "ar" else ("checked in" in message)
    assert kiosk.booking.text() == ""
    if lang == "ar":
        screenshot(kiosk, "kioskWindow-check-in-ar")
    # the printed ticket: its ESC/POS decodes to the appointment ticket rendered (with the booked time)
    (job,) = sorted(printer_dir.glob("*.bin"))
    cat = kiosk.ctx.catalogue
    assert cat is not None
    group = next(g for g in cat.groups if g.letter == "A")
    data = ticket_document(cat.centre, group.name_ar, group.name_en, issued)
    rendered = render_document("ticket", data, 576, lang).convert("1")
    printed = decode(job.read_bytes()).image()
    assert printed.size == rendered.size and printed.tobytes() == rendered.tobytes()

    # the same booking again, by national ID: refused, clearly
    enter(qtbot, kiosk, NID)
    message = said(kiosk, qtbot)
    assert "ABCD2345" in message and (("مرة واحدة" in message) if lang == "ar" else ("only once" in message))
    assert len(tickets(site)) == 1

    # the window closed half-way through the other citizen's check-in: it stays open, one ticket
    qtbot.keyClick(kiosk.booking, Qt.Key.Key_Escape)
    with qtbot.wait_signal(kiosk.issued, timeout=WAIT_MS):
        enter(qtbot, kiosk, "wxyz 6789")
        kiosk.close()
    said(kiosk, qtbot)
    assert kiosk.isVisible() and len(tickets(site)) == 2
    with site.db.read() as s:
        assert {b.state for b in s.scalars(select(Booking))} == {"checked_in"}
    check_fits(qtbot, kiosk, 1366, 768 + 70)
