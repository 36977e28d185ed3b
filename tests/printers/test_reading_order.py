"""Codes, dates and amounts keep their own order inside the Arabic sentences of every printed surface.

The thermal documents hand their lines to Qt's text engine: each line is laid out by Qt
(``tests.helpers.bidi``) and the code's characters must run left to right, in order. The A4 PDFs
are drawn by reportlab, which does not run the bidi algorithm: ``printers.bidi_text.visual`` turns
each logical line into visual order, so the code must appear as it is in that visual string, and
in the text poppler reads back from the PDF.

Each test also shows that the isolates put by the language mechanism are what keep the order: the
same sentence without them (as the old catalogues could produce it) reads the code backwards.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

import printers.pdf
from counter_app.common.i18n import strip_isolates
from printers.bidi_text import visual
from printers.data import DayCloseData, ReceiptData, SlipData, TicketData
from printers.devices import open_printer
from printers.documents import dayclose_layout, receipt_layout, render_document, slip_layout, ticket_layout
from printers.escpos_out import build_escpos
from printers.jobs import print_document
from printers.layout import Block, Layout, Pair, QRAside, Table, Text
from printers.pdf import dayclose_pdf, receipt_pdf
from printers.period_report import PeriodReportData, period_report_pdf
from printers.samples import sample_receipt
from tests.helpers.bidi import assert_reads_in_order, reads_in_order
from tests.printers.escpos_decode import decode
from tests.printers.test_pdf import pdf_text

TRACKING = "6843-1812-1322"  # the sample receipt's code: digits first, the case the old receipt got wrong
OTHER_TRACKING = "2750-3361-1846"
ISSUED = "2025-03-04 10:15"  # the samples' time, in Cairo


def lines(layout: Layout) -> list[str]:
    """Every string the layout hands to Qt's drawText, in order (a Pair gives label and value)."""
    found: list[str] = []

    def walk(blocks: tuple[Block, ...] | list[Block]) -> None:
        for block in blocks:
            if isinstance(block, Text):
                found.append(block.text)
            elif isinstance(block, Pair):
                found.extend((block.label, block.value))
            elif isinstance(block, QRAside):
                walk(block.lines)
            elif isinstance(block, Table):  # the Z report's times (tests/printers/test_dayclose_table.py)
                found.extend(cell for row in (block.header, *block.rows) for cell in row)

    walk(layout.blocks)
    return found


def line_with(layout: Layout, code: str) -> str:
    candidates = [line for line in lines(layout) if code in line]
    assert candidates, f"{code!r} is on no line of {[strip_isolates(line) for line in lines(layout)]}"
    return candidates[0]


def reads_in_order_only_when_isolated(line: str, code: str) -> None:
    """``line`` shows ``code`` in order, and would not without the mechanism's isolates."""
    assert_reads_in_order(line, code, rtl=True)
    assert not reads_in_order(strip_isolates(line), code, rtl=True), "the test would not catch a lost isolate"


WIDTHS = pytest.mark.parametrize("width", [384, 576])


# --- thermal documents, laid out by Qt --------------------------------------------------------

@WIDTHS
def test_ticket_number_and_time_read_in_order(ticket: TicketData, width: int) -> None:
    layout = ticket_layout(ticket, width, "ar")
    assert_reads_in_order(line_with(layout, "A-042"), "A-042")
    issued = line_with(layout, ISSUED)
    assert strip_isolates(issued) == f"التاريخ: {ISSUED}"
    reads_in_order_only_when_isolated(issued, ISSUED)


def test_ticket_counts_use_the_arabic_plural_forms(ticket: TicketData) -> None:
    def count_lines(ahead: int, minutes: int) -> tuple[str, str]:
        texts = [strip_isolates(line) for line in
                 lines(ticket_layout(dataclasses.replace(ticket, waiting_ahead=ahead,
                                                         estimated_wait_minutes=minutes), 576, "ar"))]
        return (next(t for t in texts if "قبلك" in t), next(t for t in texts if "الانتظار المتوقع" in t))

    assert count_lines(0, 0) == ("لا أحد ينتظر قبلك", "الانتظار المتوقع: أقل من دقيقة")
    assert count_lines(1, 1) == ("ينتظر قبلك شخص واحد", "الانتظار المتوقع: دقيقة واحدة")
    assert count_lines(2, 2) == ("ينتظر قبلك شخصان", "الانتظار المتوقع: دقيقتان")
    assert count_lines(7, 8) == ("ينتظر قبلك 7 أشخاص", "الانتظار المتوقع: 8 دقائق")
    assert count_lines(25, 45) == ("ينتظر قبلك 25 شخصًا", "الانتظار المتوقع: 45 دقيقة")
    assert count_lines(102, 100) == ("ينتظر قبلك 102 شخص", "الانتظار المتوقع: 100 دقيقة")
    english = [strip_isolates(line) for line in
               lines(ticket_layout(dataclasses.replace(ticket, waiting_ahead=1, estimated_wait_minutes=25),
                                   576, "en"))]
    assert "1 person is waiting ahead of you" in english and "Estimated wait: 25 minutes" in english


@WIDTHS
def test_receipt_tracking_code_time_and_amounts_read_in_order(receipt: ReceiptData, width: int) -> None:
    layout = receipt_layout(receipt, width, "ar")
    assert_reads_in_order(line_with(layout, TRACKING), TRACKING)  # its own line, under its label
    reads_in_order_only_when_isolated(line_with(layout, ISSUED), ISSUED)
    total = line_with(layout, "40.00")
    assert strip_isolates(total) == "40.00 ج.م"
    assert_reads_in_order(total, "40.00")


def test_card_receipt_payment_reference_reads_in_order(centre_key: object) -> None:
    card = dataclasses.replace(sample_receipt(centre_key, "card"), payment_reference="88213-04")  # type: ignore[arg-type]
    line = line_with(receipt_layout(card, 576, "ar"), "88213-04")
    assert strip_isolates(line) == "مرجع الدفع: 88213-04"
    reads_in_order_only_when_isolated(line, "88213-04")


@WIDTHS
def test_slip_reference_and_time_read_in_order(slip: SlipData, width: int) -> None:
    returned = dataclasses.replace(slip, reference=TRACKING)  # the delivery desk prints the tracking code
    layout = slip_layout(returned, width, "ar")
    reference = line_with(layout, TRACKING)
    assert strip_isolates(reference) == f"المرجع: {TRACKING}"
    reads_in_order_only_when_isolated(reference, TRACKING)
    reads_in_order_only_when_isolated(line_with(layout, ISSUED), ISSUED)


def _unreconciled(dayclose: DayCloseData) -> DayCloseData:
    return dataclasses.replace(dayclose, expected_piastres=1_770_800, mismatched=(TRACKING, OTHER_TRACKING))


@WIDTHS
def test_z_report_codes_amounts_and_times_read_in_order(dayclose: DayCloseData, width: int) -> None:
    layout = dayclose_layout(_unreconciled(dayclose), width, "ar")
    for code in (TRACKING, OTHER_TRACKING):
        line = line_with(layout, code)
        assert strip_isolates(line) == f"طلب: {code}"
        reads_in_order_only_when_isolated(line, code)
    reads_in_order_only_when_isolated(line_with(layout, "2025-03-04 17:02"), "2025-03-04 17:02")
    day = line_with(layout, "2025-03-04")
    assert strip_isolates(day) == "يوم العمل: الثلاثاء 2025-03-04"  # weekday from Babel, date as on every paper
    assert_reads_in_order(day, "2025-03-04")
    mismatch = line_with(layout, "22.50")
    assert strip_isolates(mismatch) == "غير مطابق: الفرق 22.50 ج.م في طلبين"
    assert_reads_in_order(mismatch, "22.50")
    assert_reads_in_order(line_with(layout, "17,685.50"), "17,685.50")


def test_z_report_counts_use_the_plural_forms(dayclose: DayCloseData) -> None:
    texts = [strip_isolates(line) for line in lines(dayclose_layout(dayclose, 576, "ar"))]
    assert "96 تذكرة · 90 طلبًا" in texts  # 11-99: the "many" form, singular accusative
    three = dataclasses.replace(dayclose, services=[dataclasses.replace(dayclose.services[0], tickets=3,
                                                                          applications=1)])
    assert "3 تذاكر · طلب واحد" in [strip_isolates(line) for line in lines(dayclose_layout(three, 576, "ar"))]
    one_off = dataclasses.replace(dayclose, expected_piastres=1_768_000, mismatched=(TRACKING,))
    assert "غير مطابق: الفرق -5.50 ج.م في طلب واحد" in [
        strip_isolates(line) for line in lines(dayclose_layout(one_off, 576, "ar"))]
    english = [strip_isolates(line) for line in lines(dayclose_layout(three, 576, "en"))]
    assert "3 tickets · 1 application" in english


@WIDTHS
def test_arabic_receipt_and_z_report_escpos_still_decode(
    receipt: ReceiptData, dayclose: DayCloseData, virtual_dir: Path, width: int
) -> None:
    """The documents go through the whole print path and the printer's bytes give back the raster
    Qt drew from the lines checked above."""
    sent = print_document(open_printer(f"virtual://{virtual_dir}?width={width}"), receipt, "ar", job_name="order")
    job = decode(sent)
    assert job.initialised and job.drawer_pulses == 0
    raster = render_document("receipt", receipt, width, "ar")
    assert job.image().size == raster.size and job.image().tobytes() == raster.tobytes()
    z_report = render_document("dayclose", _unreconciled(dayclose), width, "ar")
    assert decode(build_escpos(z_report)).image().tobytes() == z_report.tobytes()


# --- A4 PDFs, reordered by printers.bidi_text for reportlab ------------------------------------

@pytest.fixture
def visual_lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """(logical, visual) of every line the PDF builders hand to reportlab."""
    seen: list[tuple[str, str]] = []

    def recording(text: str, rtl: bool = True) -> str:
        shown = visual(text, rtl)
        seen.append((text, shown))
        return shown

    monkeypatch.setattr(printers.pdf, "visual", recording)
    yield seen


def shown_with(seen: list[tuple[str, str]], code: str) -> tuple[str, str]:
    found = [(logical, shown) for logical, shown in seen if code in logical]
    assert found, f"{code!r} was handed to no PDF line"
    return found[0]


def keeps_order_only_when_isolated(seen: list[tuple[str, str]], code: str) -> None:
    logical, shown = shown_with(seen, code)
    assert code in shown, f"{code!r} reversed in {shown!r}"
    assert code not in visual(strip_isolates(logical), True), "the test would not catch a lost isolate"


def test_receipt_pdf_keeps_the_tracking_code_and_time_in_order(
    receipt: ReceiptData, visual_lines: list[tuple[str, str]], tmp_path: Path
) -> None:
    receipt_pdf(receipt, tmp_path / "receipt.pdf", "ar")
    logical, _ = shown_with(visual_lines, TRACKING)
    assert strip_isolates(logical) == f"رقم المتابعة: {TRACKING}"
    keeps_order_only_when_isolated(visual_lines, TRACKING)
    keeps_order_only_when_isolated(visual_lines, ISSUED)
    text = pdf_text(tmp_path / "receipt.pdf")
    assert TRACKING in text and ISSUED in text and "40.00" in text


def _z_report_a4(mismatched: list[str], total: int, expected: int) -> PeriodReportData:
    return PeriodReportData(
        centre_name_ar="مركز خدمة المواطنين - حي الدقي", centre_name_en="Citizen Service Centre - Dokki",
        first=date(2025, 3, 4), last=date(2025, 3, 4), kind="day", tickets_issued=214, tickets_served=198,
        no_shows=16, applications=173, overdue=2, wait_min=(11.4, 9.0, 23.5), service_min=(6.2, 5.5, 12.0),
        wait_by_hour=[(9, 8.0, 40), (10, 12.5, 61)], money_by_method={"cash": total}, money_total=total,
        money_expected=expected, mismatched=mismatched)


def test_z_report_a4_keeps_codes_and_amounts_in_order(visual_lines: list[tuple[str, str]], tmp_path: Path) -> None:
    target = tmp_path / "z.pdf"
    period_report_pdf(_z_report_a4([TRACKING, OTHER_TRACKING], 1_770_800, 1_768_550), target, "ar")
    for code in (TRACKING, OTHER_TRACKING):
        logical, _ = shown_with(visual_lines, code)
        assert strip_isolates(logical) == f"طلب: {code}"
        keeps_order_only_when_isolated(visual_lines, code)
    mismatch, shown = shown_with(visual_lines, "-22.50")  # collected more than the fees: a negative gap
    assert strip_isolates(mismatch) == "غير مطابق: الفرق -22.50 ج.م في طلبين"
    assert "-22.50" in shown
    assert "-22.50" not in visual(strip_isolates(mismatch), True)
    assert "90" in strip_isolates(shown_with(visual_lines, "المئين")[0])  # Western digits on paper
    assert not any(ch in "٠١٢٣٤٥٦٧٨٩" for logical, _ in visual_lines for ch in logical)
    text = " ".join(pdf_text(target).split())
    assert TRACKING in text and OTHER_TRACKING in text and "في طلبين" in text


def test_day_close_a4_table_keeps_amounts_in_order(
    dayclose: DayCloseData, visual_lines: list[tuple[str, str]], tmp_path: Path
) -> None:
    dayclose_pdf(dayclose, tmp_path / "dayclose.pdf", "ar")
    for amount in ("17,685.50", "12,345.00", "1,585.50"):
        _, shown = shown_with(visual_lines, amount)
        assert amount in shown
    heading, _ = shown_with(visual_lines, "يوم العمل")
    assert strip_isolates(heading) == "مركز خدمة المواطنين - حي الدقي — يوم العمل: الثلاثاء 2025-03-04"
    keeps_order_only_when_isolated(visual_lines, "2025-03-04")
    assert "17,685.50" in pdf_text(tmp_path / "dayclose.pdf")
