"""Issue 18 (PRINT): the kiosk's printed ticket links to the portal with the ticket's public token.

The real kiosk window, the real core and print queue, a virtual printer: the QR code read by zbar
from the ESC/POS bytes opens ``<base_url>/t/<token>``, the token being the one the core stored
(never the uuid); the PC's ``[portal] base_url`` wins over the centre's, which serves when the PC
has none; with neither, the ticket has no QR code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from pyzbar.pyzbar import decode as zbar_decode
from sqlalchemy import select

from counter_app.core import centre_public
from counter_app.core.models import Ticket
from counter_app.services.config import AppConfig
from counter_app.ui.kiosk.kiosk import KioskWindow
from counter_app.ui.shell.app import Shell
from tests.helpers.factories import Centre as Site
from tests.printers.escpos_decode import decode
from tests.ui.conftest import WAIT_MS


def printed_ticket_codes(qtbot: QtBot, kiosk: KioskWindow, printer_dir: Path) -> list[str]:
    before = set(printer_dir.glob("*.bin"))
    assert kiosk.ctx.printing is not None
    with qtbot.waitSignal(kiosk.ctx.printing.job_done, timeout=WAIT_MS):  # the printer has all the bytes
        qtbot.mouseClick(kiosk.buttons["A"], Qt.MouseButton.LeftButton)
    (new,) = set(printer_dir.glob("*.bin")) - before
    image = decode(new.read_bytes()).image().convert("L")
    return [s.data.decode("utf-8") for s in zbar_decode(image) if s.type == "QRCODE"]


def last_ticket(site: Site) -> tuple[str, str]:
    with site.db.read() as s:
        row = s.scalars(select(Ticket).order_by(Ticket.id.desc()).limit(1)).one()
        return row.public_token or "", row.uuid


@pytest.mark.parametrize(("pc", "centre", "expected"), [
    ("https://portal.example", "", "https://portal.example"),
    ("https://pc-portal.example", "https://centre-portal.example", "https://pc-portal.example"),
    ("", "https://centre-portal.example/", "https://centre-portal.example"),
    ("", "", ""),
])
def test_the_kiosk_ticket_opens_the_live_place_on_the_portal(qtbot: QtBot, make_shell: Callable[..., Shell],
                                                             config: AppConfig, site: Site, printer_dir: Path,
                                                             pc: str, centre: str, expected: str) -> None:
    with site.db.begin() as s:
        centre_public.set_details(s, portal_url=centre)
    config.portal_base_url = pc
    shell = make_shell(config, kiosk=True)
    kiosk = shell.window
    assert isinstance(kiosk, KioskWindow)
    qtbot.waitUntil(kiosk.isVisible, timeout=WAIT_MS)
    codes = printed_ticket_codes(qtbot, kiosk, printer_dir)
    token, uuid = last_ticket(site)
    if not expected:
        assert codes == [], "no portal anywhere: no QR code, as before"
        return
    assert codes == [f"{expected}/t/{token}"]
    assert len(token) >= 22 and uuid not in codes[0]
