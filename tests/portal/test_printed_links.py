"""What a citizen's phone camera does with the paper (issue 18): the QR code of a ticket printed at a
real centre and of a receipt printed at its counter, read by zbar from the ESC/POS bytes, are links
on the configured portal (here the real central server on loopback), and the pages they open in
Chromium at phone size say the ticket's number and place, and that the receipt is genuine; the
same link with a changed amount says it is not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from counter_app.common.signing import generate_key, save_private_key
from counter_app.services import kiosk
from counter_app.services.views import CentreView, FeeView, ServiceView, SubmittedView
from counter_app.ui.shell.printing import receipt_document, ticket_document
from printers.documents import DocumentKind, render_document
from printers.escpos_out import build_escpos
from sync.agent.agent import Agent
from tests.helpers.browser import ON_SQLITE, PHONE, assert_public_page, browser_page
from tests.helpers.central import Central, enrol_site
from tests.helpers.factories import Centre
from tests.printers.escpos_decode import decode as decode_escpos
from tests.printers.test_portal_codes import qr_texts

SHOTS = Path("/tmp/portal-shots")


def printed_codes(kind: DocumentKind, data: object) -> list[str]:
    """The QR codes zbar reads off the bytes a 80 mm printer receives for this document."""
    return qr_texts(decode_escpos(build_escpos(render_document(kind, data, 576, "ar"))).image())


@ON_SQLITE
def test_a_printed_ticket_opens_its_live_page(site: Centre, portal: Central) -> None:
    code = enrol_site(portal, site.db)
    first = kiosk.issue_ticket(site.db, "A", False)
    mine = kiosk.issue_ticket(site.db, "A", False)
    Agent(site.db).sync_once()
    (link,) = printed_codes("ticket", ticket_document(CentreView(code, "مركز", "Centre"), "مجموعة", "Group", mine,
                                                        portal.url))
    assert link.startswith(f"{portal.url}/t/") and mine.uuid not in link
    with browser_page(PHONE, "ar") as (page, requests_made):
        answer = page.goto(link)
        assert answer is not None and answer.status == 200
        assert page.inner_text("#ticket-number") == mine.number != first.number
        assert page.inner_text("#ticket-ahead") == "أمامك شخص واحد"  # the first ticket, as the core says
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "printed-ticket-ar-phone.png"), full_page=True)
        assert_public_page(page, requests_made, portal.url, lang="ar")


@ON_SQLITE
def test_a_printed_receipt_opens_genuine_and_a_changed_amount_does_not(site: Centre, portal: Central,
                                                                     tmp_path: Path) -> None:
    key = generate_key()
    save_private_key(key, tmp_path / "receipt.pem")
    code = enrol_site(portal, site.db, receipt_key=tmp_path / "receipt.pem")
    paid = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    fees = (FeeView("f", "رسم القيد", "Registration fee", 2500),)
    service = ServiceView("MP-REG-CERT", "شهادة قيد", "Registration certificate", "A", (), fees)
    done = SubmittedView(3, "3168-8504-8297", 2500, paid, code, (), fees)
    receipt = receipt_document(key, CentreView(code, "مركز الجيزة", "Giza centre"), "شباك 2", "0104", service, done,
                               "cash", "", "ar", portal.url)
    (link,) = printed_codes("receipt", receipt)
    assert urlsplit(link).path.startswith("/r/SHB1%7C") and link.startswith(portal.url)
    with browser_page(PHONE, "ar") as (page, requests_made):
        page.goto(link)
        body = page.inner_text("body")
        assert "إيصال أصلي" in body and "3168-8504-8297" in body and "25.00" in body
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "printed-receipt-ar-phone.png"), full_page=True)
        assert_public_page(page, requests_made, portal.url, lang="ar")
        page.goto(link.replace("%7C2500%7C", "%7C250%7C"))
        changed = page.inner_text("body")
        assert "هذا الإيصال غير أصلي" in changed and "3168-8504-8297" not in changed
