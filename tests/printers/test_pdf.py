from __future__ import annotations

import subprocess
import unicodedata
from pathlib import Path

import pytest

from printers.bidi_text import visual
from printers.data import DayCloseData, ReceiptData
from printers.pdf import dayclose_pdf, receipt_pdf, table_report_pdf

_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def pdf_text(pdf: Path) -> str:
    """pdftotext output, presentation forms folded back to letters (NFKC), bidi marks removed."""
    raw = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return unicodedata.normalize("NFKC", raw).translate(_BIDI_CONTROLS)


def pdf_fonts(pdf: Path) -> str:
    return subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout


def test_arabic_receipt_pdf_gives_the_words_back(receipt: ReceiptData, tmp_path: Path) -> None:
    target = tmp_path / "receipt.pdf"
    data = receipt_pdf(receipt, target, "ar")
    assert data.startswith(b"%PDF") and target.read_bytes() == data
    text = pdf_text(target)
    for word in [
        "مركز خدمة المواطنين",
        "إيصال سداد",
        "رقم المتابعة",
        "6843-1812-1322",
        "استخراج شهادة ميلاد",
        "رسم الخدمة",
        "طابع الشهيد",
        "الإجمالي",
        "40.00",
        "25.00",
        "2025-03-04 10:15",
        "المستندات المستلمة",
    ]:
        assert word in text, word
    fonts = pdf_fonts(target)
    assert "DejaVuSans" in fonts and " yes " in fonts  # embedded


def test_english_receipt_pdf(receipt: ReceiptData, tmp_path: Path) -> None:
    target = tmp_path / "receipt-en.pdf"
    receipt_pdf(receipt, target, "en")
    text = pdf_text(target)
    for word in [
        "Payment receipt",
        "Tracking code: 6843-1812-1322",
        "Service fee",
        "EGP 40.00",
        "Payment: Cash",
        "Date: 2025-03-04 10:15",
    ]:
        assert word in text, word


def test_table_report_pdf(tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    rows = [["استخراج شهادة ميلاد", 96, "3,600.00"], ["تجديد رخصة قيادة", 61, "12,500.00"]]
    table_report_pdf(
        "تقرير الخدمات", ["الخدمة", "التذاكر", "المبلغ"], rows, target, "ar", subtitle="مركز الدقي"
    )
    text = pdf_text(target)
    for word in [
        "تقرير الخدمات",
        "مركز الدقي",
        "الخدمة",
        "التذاكر",
        "تجديد رخصة قيادة",
        "96",
        "12,500.00",
        "صفحة 1",
    ]:
        assert word in text, word


def test_long_table_report_spans_pages(tmp_path: Path) -> None:
    target = tmp_path / "long.pdf"
    rows = [[f"Service {i}", i, f"{i}.00"] for i in range(120)]
    table_report_pdf("Services", ["Service", "Tickets", "Amount"], rows, target, "en")
    text = pdf_text(target)
    assert "Service 119" in text and "Page 2" in text
    assert text.count("Tickets") >= 2  # header repeated on each page


def test_dayclose_pdf(dayclose: DayCloseData, tmp_path: Path) -> None:
    for lang, words in [
        ("ar", ["تقرير إغلاق اليوم", "إجمالي التحصيل", "17,685.50", "بدل فاقد بطاقة تموين"]),
        ("en", ["Day-close report", "Total collected", "17,685.50", "Replacement ration card"]),
    ]:
        target = tmp_path / f"dayclose-{lang}.pdf"
        dayclose_pdf(dayclose, target, lang)  # type: ignore[arg-type]
        text = pdf_text(target)
        for word in words:
            assert word in text, (lang, word)


@pytest.mark.parametrize(
    ("logical", "expected"),
    [
        ("abc (x) def", "abc (x) def"),
        ("\u2066abc (x)\u2069", "abc (x)"),
        ("\u2066A-042\u2069", "A-042"),
        ("\u20662025-03-04 10:15\u2069", "2025-03-04 10:15"),
    ],
)
def test_visual_keeps_latin_and_isolated_numbers(logical: str, expected: str) -> None:
    assert visual(logical, rtl=True) == expected


def test_visual_mirrors_brackets_and_keeps_date_order() -> None:
    shown = visual("التاريخ: \u20662025-03-04 10:15\u2069 (نسخة)", rtl=True)
    assert "2025-03-04 10:15" in shown  # without isolation bidi would swap date and time
    plain = unicodedata.normalize("NFKC", shown)
    assert plain.startswith("(") and plain.index(")") < plain.index("2025")  # mirrored: "(...)" on the left
