"""Issue 15 (7, 9): the refund slip (signed like a receipt, signed for by the citizen) and the
handover slip (a result collected by a representative), printed through the real ESC/POS path on
the virtual printer, decoded back to the raster, in Arabic and English."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from counter_app.common.i18n import Lang
from counter_app.common.signing import generate_key, verify_receipt
from counter_app.core.national_id import mask_national_id
from counter_app.services.cashdesk import Delivered, RefundView
from counter_app.services.views import ApplicationView, CentreView
from counter_app.ui.shell.printing import REFUND_MARK, handover_document, refund_document
from printers.codec import document_from_json, document_to_json, kind_of
from printers.devices import open_printer
from printers.documents import handover_layout, refund_layout, render_document
from printers.jobs import print_document
from tests.helpers.bidi import plain
from tests.printers.escpos_decode import decode
from tests.printers.test_reading_order import lines

CENTRE = CentreView("CAI-01", "مركز خدمة المواطنين بمدينة نصر", "Nasr City Citizen Service Centre")
PAID = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)
REFUND = RefundView(7, 3, "3168-8504-8297", "CAI-01", "MP-REG-CERT", "محمد أحمد محمود حسن", "29001010112355",
                    312000, "cash", PAID)
APP = ApplicationView(3, "3168-8504-8297", "MP-REG-CERT", "delivered", "محمد أحمد محمود حسن",  # type: ignore[arg-type]
                      "29001010112355", 2500, PAID, PAID)
HANDED = Delivered(APP, "سعيد محمود حسن علي", "28506150102346", "attorney", "1234 / 2026 أ", PAID)


def _text(lang: Lang, layout_lines: list[str]) -> str:
    return " ".join(plain(line) for line in layout_lines)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_refund_slip_is_signed_and_signed_for(lang: Lang, tmp_path: Path) -> None:
    key = generate_key()
    slip = refund_document(key, CENTRE, "شباك 2", "0104", None, REFUND)
    claim = verify_receipt(slip.qr_payload, key.public_key())
    assert (claim.tracking_code, claim.total_piastres) == (f"{REFUND_MARK}{REFUND.tracking_code}", 312000)
    text = _text(lang, lines(refund_layout(slip, 576, lang)))
    expected = (["إيصال رد الرسوم", "3168-8504-8297", "3,120.00", "محمد أحمد محمود حسن", mask_national_id(REFUND.national_id),
                 "توقيع المواطن", "توقيع موظف الشباك"] if lang == "ar" else
                ["FEE REFUND", "3168-8504-8297", "3,120.00", "Paid to:", "Citizen's signature",
                 "Counter clerk's signature"])
    for word in expected:
        assert word in text, word
    assert document_from_json("refund", document_to_json(slip)) == slip and kind_of(slip) == "refund"
    _print_and_compare("refund", slip, lang, tmp_path)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_handover_slip_names_the_representative(lang: Lang, tmp_path: Path) -> None:
    slip = handover_document(CENTRE, "شباك 2", "0104", None, HANDED)
    text = _text(lang, lines(handover_layout(slip, 576, lang)))
    expected = (["إقرار تسليم لغير مقدم الطلب", "سعيد محمود حسن علي", "وكيل بتوكيل رسمي", "1234 / 2026 أ",
                 "توقيع المستلم", "مقدم الطلب: محمد أحمد محمود حسن"] if lang == "ar" else
                ["HANDOVER TO A REPRESENTATIVE", "Representative with a power of attorney", "1234 / 2026",
                 "Collector's signature"])
    for word in expected:
        assert word in text, word
    assert "28506150102346" not in text  # the collector's national ID is masked on paper
    assert document_from_json("handover", document_to_json(slip)) == slip
    _print_and_compare("handover", slip, lang, tmp_path)


def _print_and_compare(kind: str, slip: object, lang: Lang, folder: Path) -> None:
    """Through the real ESC/POS output: the bytes decode to exactly the rendered raster."""
    print_document(open_printer(f"virtual://{folder}"), slip, lang)
    (binary,) = folder.glob("*.bin")
    decoded = decode(binary.read_bytes()).image()
    raster = render_document(kind, slip, 576, lang)  # type: ignore[arg-type]
    assert decoded.size == raster.size and decoded.tobytes() == raster.convert("1").tobytes()
    keep = os.environ.get("SHUBBAK_SCREENSHOTS")
    if keep:
        decoded.save(Path(keep) / f"{kind}-slip-{lang}.png")
