"""Issue 18 (PRINT): the printed QR codes are links to the centre's portal.

``shubbak print sample --portal https://portal.example`` prints a ticket whose QR code (read by
zbar from the ESC/POS bytes the printer receives) opens ``https://portal.example/t/<token>`` and a
receipt whose QR code opens ``https://portal.example/r/<signed payload>``; without a portal the
ticket has no QR code and the receipt's is the bare signed payload, as before. A real centre's
kiosk ticket links with the token the core made (never the uuid), and ``shubbak receipt verify``
checks the link offline."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from pyzbar.pyzbar import decode as zbar_decode

from counter_app.cli import build_parser
from counter_app.cli import main as shubbak
from counter_app.common.signing import payload_from_scan, save_private_key, save_public_key, verify_receipt
from counter_app.core.models import Ticket
from counter_app.services import kiosk
from counter_app.services.cashdesk import RefundView
from counter_app.services.views import CentreView, FeeView, ServiceView, SubmittedView
from counter_app.ui.shell.printing import (
    REFUND_MARK,
    receipt_document,
    refund_document,
    ticket_document,
    tracking_code_from_scan,
)
from printers.documents import render_document
from printers.escpos_out import build_escpos
from printers.samples import SAMPLE_TOKEN, sample_receipt
from tests.helpers.factories import Centre
from tests.printers.escpos_decode import decode as decode_escpos

PORTAL = "https://portal.example"


def qr_texts(image: Image.Image) -> list[str]:
    return [s.data.decode("utf-8") for s in zbar_decode(image.convert("L")) if s.type == "QRCODE"]


def print_sample(kind: str, out: Path, width: int, lang: str, *portal: str) -> list[str]:
    """``shubbak print sample`` on a virtual printer; the QR codes of the ESC/POS bytes it was sent."""
    args = build_parser().parse_args(["print", "sample", "--kind", kind, "--printer", f"virtual://{out}",
                                      "--width", str(width), "--lang", lang, *portal])
    assert args.func(args) == 0
    (escpos,) = out.glob("*.bin")
    texts = qr_texts(decode_escpos(escpos.read_bytes()).image())
    escpos.unlink()
    for png in out.glob("*.png"):
        png.unlink()
    return texts


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize("width", [384, 576])
def test_the_printed_sample_codes_open_the_portal(virtual_dir: Path, width: int, lang: str) -> None:
    assert print_sample("ticket", virtual_dir, width, lang, "--portal", PORTAL + "/") == [f"{PORTAL}/t/{SAMPLE_TOKEN}"]
    (receipt,) = print_sample("receipt", virtual_dir, width, lang, "--portal", PORTAL)
    assert receipt.startswith(f"{PORTAL}/r/SHB1%7CGZ01%7C6843-1812-1322%7C4000%7C"), receipt
    payload = payload_from_scan(receipt)
    assert payload.split("|")[:5] == ["SHB1", "GZ01", "6843-1812-1322", "4000", "2025-03-04T08:15:30Z"]


@pytest.mark.parametrize("width", [384, 576])
def test_without_a_portal_the_codes_are_as_before(virtual_dir: Path, width: int) -> None:
    assert print_sample("ticket", virtual_dir, width, "ar") == [], "no portal: no QR code on the ticket"
    (receipt,) = print_sample("receipt", virtual_dir, width, "ar")
    assert receipt.startswith("SHB1|GZ01|6843-1812-1322|4000|"), "the bare signed payload"


def test_a_wrong_portal_option_is_refused(virtual_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["print", "sample", "--printer", f"virtual://{virtual_dir}",
                                      "--portal", "https://portal.example/?x=1"])
    assert args.func(args) == 2
    assert "query" in capsys.readouterr().err
    assert not list(virtual_dir.iterdir()), "nothing printed"


@pytest.mark.parametrize("width", [384, 576])
def test_a_real_kiosk_ticket_links_with_its_public_token(site: Centre, width: int) -> None:
    issued = kiosk.issue_ticket(site.db, "A", False)
    with site.db.read() as s:
        token = s.query(Ticket.public_token).filter(Ticket.uuid == issued.uuid).scalar()
    assert token and issued.token == token and len(token) >= 22
    centre = CentreView("GIZ-01", "مركز", "Centre")
    data = ticket_document(centre, "مجموعة", "Group", issued, PORTAL)
    raster = render_document("ticket", data, width, "ar")
    assert qr_texts(decode_escpos(build_escpos(raster)).image()) == [f"{PORTAL}/t/{token}"]
    assert issued.uuid not in data.qr_url
    assert ticket_document(centre, "مجموعة", "Group", issued).qr_url == "", "no portal anywhere: no QR code"


def test_the_receipt_link_verifies_offline(tmp_path: Path, centre_key: Ed25519PrivateKey,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    receipt = sample_receipt(centre_key, portal=PORTAL)
    (url,) = qr_texts(decode_escpos(build_escpos(render_document("receipt", receipt, 576, "ar"))).image())
    assert url == receipt.qr_payload and url.startswith(f"{PORTAL}/r/")
    assert verify_receipt(payload_from_scan(url), centre_key.public_key()).total_piastres == 4000
    assert tracking_code_from_scan(url, centre_key.public_key()) == "6843-1812-1322", "the delivery desk's scan"
    assert tracking_code_from_scan(url, None) == "6843-1812-1322"
    private, public = tmp_path / "receipt-key.pem", tmp_path / "receipt-key.pub.pem"
    save_private_key(centre_key, private)
    save_public_key(centre_key, public)
    for key in (private, public):
        assert shubbak(["receipt", "verify", url, "--key", str(key)]) == 0
        assert "genuine: centre GZ01, tracking code 6843-1812-1322, 40.00 EGP" in capsys.readouterr().out
    assert shubbak(["receipt", "verify", payload_from_scan(url), "--key", str(public)]) == 0, "the bare form too"
    capsys.readouterr()
    assert shubbak(["receipt", "verify", url.replace("%7C4000%7C", "%7C9000%7C"), "--key", str(public)]) == 1
    assert "NOT genuine" in capsys.readouterr().out
    other = tmp_path / "other.pem"
    save_public_key(Ed25519PrivateKey.generate(), other)
    assert shubbak(["receipt", "verify", url, "--key", str(other)]) == 1


def test_the_counter_receipt_and_refund_slip_link_to_the_portal(centre_key: Ed25519PrivateKey) -> None:
    """What the counter window prints (``receipt_document``, ``refund_document``): the link with the
    PC's portal or else the centre's; the bare payload with neither."""
    paid = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    service = ServiceView("MP-REG-CERT", "شهادة قيد", "Registration certificate", "A", (), (FeeView("f", "رسم", "Fee", 2500),))
    done = SubmittedView(3, "3168-8504-8297", 2500, paid, "CAI-01", (), (FeeView("f", "رسم", "Fee", 2500),))
    refund = RefundView(7, 3, "3168-8504-8297", "CAI-01", "MP-REG-CERT", "مواطن", "29001010112355", 2500, "cash", paid)
    bare = CentreView("CAI-01", "مركز", "Centre")
    linked = CentreView("CAI-01", "مركز", "Centre", "https://centre-portal.example")
    for centre, pc, base in ((bare, PORTAL, PORTAL), (linked, "", "https://centre-portal.example"),
                             (linked, PORTAL, PORTAL), (bare, "", "")):
        receipt = receipt_document(centre_key, centre, "شباك 2", "0104", service, done, "cash", "", "ar", pc)
        slip = refund_document(centre_key, centre, "شباك 2", "0104", service, refund, pc)
        for code, tracking in ((receipt.qr_payload, done.tracking_code),
                               (slip.qr_payload, f"{REFUND_MARK}{refund.tracking_code}")):
            assert code.startswith(f"{base}/r/SHB1%7CCAI-01%7C") if base else code.startswith("SHB1|CAI-01|")
            assert verify_receipt(payload_from_scan(code), centre_key.public_key()).tracking_code == tracking
        (printed,) = qr_texts(decode_escpos(build_escpos(render_document("refund", slip, 576, "ar"))).image())
        assert printed == slip.qr_payload
