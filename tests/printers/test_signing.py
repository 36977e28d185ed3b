from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from pyzbar.pyzbar import decode as zbar_decode

from counter_app.common.signing import (
    InvalidReceiptPayload,
    generate_key,
    load_private_key,
    load_public_key,
    save_private_key,
    save_public_key,
    sign_receipt,
    verify_receipt,
)
from printers.data import ReceiptData, TicketData
from printers.documents import render_document
from printers.escpos_out import build_escpos
from tests.printers.escpos_decode import decode as decode_escpos

PAID = datetime(2025, 3, 4, 8, 15, 30, tzinfo=UTC)


def _qr_texts(image: Image.Image) -> list[str]:
    return [
        symbol.data.decode("utf-8") for symbol in zbar_decode(image.convert("L")) if symbol.type == "QRCODE"
    ]


@pytest.mark.parametrize("width", [384, 576])
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_receipt_qr_from_the_escpos_bytes_verifies(
    receipt: ReceiptData, centre_key: Ed25519PrivateKey, width: int, lang: str
) -> None:
    raster = render_document("receipt", receipt, width, lang)  # type: ignore[arg-type]
    printed = decode_escpos(build_escpos(raster)).image()  # what the printer would print
    assert _qr_texts(printed) == [receipt.qr_payload]
    claim = verify_receipt(_qr_texts(printed)[0], centre_key.public_key())
    assert claim.tracking_code == receipt.tracking_code
    assert claim.total_piastres == receipt.total_piastres == 4000
    assert claim.centre_code == "GZ01"
    assert claim.paid_at == receipt.paid_at


@pytest.mark.parametrize("width", [384, 576])
def test_ticket_qr_links_to_the_live_place_only_when_the_portal_is_known(ticket: TicketData, width: int) -> None:
    assert _qr_texts(render_document("ticket", ticket, width, "ar")) == []
    url = "https://portal.example/ticket/0f3a"
    with_portal = TicketData(**{**ticket.__dict__, "qr_url": url})
    assert _qr_texts(render_document("ticket", with_portal, width, "ar")) == [url]


def test_payload_is_compact_and_readable(centre_key: Ed25519PrivateKey) -> None:
    payload = sign_receipt(centre_key, "GZ01", "GZ01-25-000731", 4000, PAID)
    fields = payload.split("|")
    assert fields[:5] == ["SHB1", "GZ01", "GZ01-25-000731", "4000", "2025-03-04T08:15:30Z"]
    assert len(payload) < 160 and payload.isascii()


def test_time_is_normalised_to_utc(centre_key: Ed25519PrivateKey) -> None:
    cairo_time = PAID.astimezone(__import__("zoneinfo").ZoneInfo("Africa/Cairo"))
    assert sign_receipt(centre_key, "C", "T", 1, cairo_time) == sign_receipt(centre_key, "C", "T", 1, PAID)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: p.replace("|4000|", "|400|"),
        lambda p: p.replace("GZ01-25-000731", "GZ01-25-000732"),
        lambda p: p.replace("08:15:30", "08:15:31"),
        lambda p: p.replace("SHB1|GZ01", "SHB1|GZ02"),
        lambda p: p[:-2] + ("AA" if not p.endswith("AA") else "BB"),
        lambda p: p.rpartition("|")[0] + "|",
        lambda p: p.rpartition("|")[0],
        lambda p: "SHB2" + p[4:],
        lambda p: "not a payload",
        lambda p: p + "|extra",
    ],
)
def test_altered_payload_fails(centre_key: Ed25519PrivateKey, tamper: object) -> None:
    payload = sign_receipt(centre_key, "GZ01", "GZ01-25-000731", 4000, PAID)
    verify_receipt(payload, centre_key.public_key())  # the original is fine
    with pytest.raises(InvalidReceiptPayload):
        verify_receipt(tamper(payload), centre_key.public_key())  # type: ignore[operator]


def test_payload_signed_by_another_centre_fails(centre_key: Ed25519PrivateKey) -> None:
    forged = sign_receipt(generate_key(), "GZ01", "GZ01-25-000731", 4000, PAID)
    with pytest.raises(InvalidReceiptPayload):
        verify_receipt(forged, centre_key.public_key())


def test_bad_fields_are_refused(centre_key: Ed25519PrivateKey) -> None:
    for args in [
        ("GZ|01", "T", 1, PAID),
        ("C", "", 1, PAID),
        ("C", "T", -1, PAID),
        ("C", "T", 1, PAID.replace(tzinfo=None)),
    ]:
        with pytest.raises(ValueError):
            sign_receipt(centre_key, *args)


def test_key_files_round_trip(tmp_path: Path) -> None:
    key = generate_key()
    save_private_key(key, tmp_path / "keys" / "centre.pem")
    save_public_key(key, tmp_path / "keys" / "centre.pub.pem")
    assert stat.S_IMODE(os.stat(tmp_path / "keys" / "centre.pem").st_mode) == 0o600
    loaded = load_private_key(tmp_path / "keys" / "centre.pem")
    public = load_public_key(tmp_path / "keys" / "centre.pub.pem")
    payload = sign_receipt(loaded, "C1", "T1", 150, PAID + timedelta(hours=1))
    assert verify_receipt(payload, public).total_piastres == 150
    assert verify_receipt(payload, key.public_key()).tracking_code == "T1"


def test_encrypted_key_file(tmp_path: Path) -> None:
    key = generate_key()
    save_private_key(key, tmp_path / "k.pem", password=b"secret")
    assert b"ENCRYPTED" in (tmp_path / "k.pem").read_bytes()
    with pytest.raises((TypeError, ValueError)):
        load_private_key(tmp_path / "k.pem")
    assert load_private_key(tmp_path / "k.pem", b"secret").public_key() == key.public_key()


def test_loading_a_public_key_as_private_fails(tmp_path: Path) -> None:
    save_public_key(generate_key(), tmp_path / "pub.pem")
    with pytest.raises(ValueError):
        load_private_key(tmp_path / "pub.pem")
