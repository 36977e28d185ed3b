"""A4 PDFs (receipt, generic table report, day-close) with reportlab and an embedded Arabic font."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from counter_app.common.formatting import (
    code,
    format_date,
    format_datetime,
    money,
    name,
    number,
    tracking_code,
)
from counter_app.common.i18n import Lang, Msg, gettext
from printers.bidi_text import visual
from printers.data import DayCloseData, ReceiptData, payment_label
from printers.qt import FONTS_DIR

FONT, FONT_BOLD = "ShubbakSans", "ShubbakSans-Bold"


def _register_fonts() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONTS_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONTS_DIR / "DejaVuSans-Bold.ttf")))
        registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def _style(lang: Lang, size: float = 11, bold: bool = False, center: bool = False) -> ParagraphStyle:
    _register_fonts()
    align = TA_CENTER if center else (TA_RIGHT if lang == "ar" else TA_LEFT)
    return ParagraphStyle(
        f"s{size}{bold}{align}",
        fontName=FONT_BOLD if bold else FONT,
        fontSize=size,
        leading=size * 1.45,
        alignment=align,
    )


def _para(text: str, lang: Lang, size: float = 11, bold: bool = False, center: bool = False) -> Paragraph:
    """One logical line, shaped and reordered; reportlab only wraps it if it is too long."""
    return Paragraph(escape(visual(text, lang == "ar")), _style(lang, size, bold, center))


def _qr(payload: str, size: float = 40 * mm) -> Drawing:
    widget = QrCodeWidget(payload, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    drawing.hAlign = "CENTER"
    return drawing


def _table(columns: Sequence[str], rows: Sequence[Sequence[object]], lang: Lang, width: float,
           weights: Sequence[float] | None = None) -> Table:
    def cell(value: object) -> str:
        if isinstance(value, str):
            text = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            text = number(value)
        else:
            text = name(str(value))
        return visual(text, lang == "ar")

    data = [[cell(c) for c in columns]] + [[cell(v) for v in row] for row in rows]
    if lang == "ar":  # first column on the right
        data = [list(reversed(row)) for row in data]
    shares = list(weights) if weights else [1.0] * len(columns)
    widths = [width * w / sum(shares) for w in shares]
    if lang == "ar":
        widths.reverse()
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 10),
                ("FONT", (0, 0), (-1, 0), FONT_BOLD, 10),
                ("ALIGN", (0, 0), (-1, -1), "RIGHT" if lang == "ar" else "LEFT"),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _build(story: list[Flowable], target: str | Path | None, title: str, lang: Lang) -> bytes:
    _register_fonts()
    buffer = io.BytesIO()

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        page = visual(gettext("print.pdf.page", lang, page=doc.page), lang == "ar")
        canvas.drawCentredString(A4[0] / 2, 10 * mm, page)
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="Shubbak",
        lang=lang,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    pdf = buffer.getvalue()
    if target is not None:
        Path(target).write_bytes(pdf)
    return pdf


def table_report_pdf(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    target: str | Path | None = None,
    lang: Lang = "ar",
    subtitle: str = "",
) -> bytes:
    """A generic A4 table report; returns the PDF bytes (and writes ``target`` if given).

    Non-text cells (numbers) are isolated left-to-right; text cells are shaped as given.
    """
    width = A4[0] - 36 * mm
    story: list[Flowable] = [_para(title, lang, 16, bold=True, center=True)]
    if subtitle:
        story.append(_para(subtitle, lang, 11, center=True))
    story += [Spacer(1, 6 * mm), _table(columns, rows, lang, width)]
    return _build(story, target, title, lang)


def receipt_pdf(data: ReceiptData, target: str | Path | None = None, lang: Lang = "ar") -> bytes:
    """The receipt on A4, with the same signed QR payload as the thermal receipt."""
    centre = data.centre_name_ar if lang == "ar" else data.centre_name_en
    service = data.service_name_ar if lang == "ar" else data.service_name_en
    width = A4[0] - 36 * mm
    story: list[Flowable] = [
        _para(centre, lang, 16, bold=True, center=True),
        _para(gettext("print.common.centre_code", lang, code=code(data.centre_code)), lang, 10, center=True),
        Spacer(1, 4 * mm),
        _para(gettext("print.receipt.title", lang), lang, 15, bold=True, center=True),
        _para(gettext("print.receipt.tracking_line", lang, code=tracking_code(data.tracking_code)), lang, 13,
              bold=True, center=True),
        Spacer(1, 4 * mm),
        _para(gettext("print.common.service", lang, name=name(service)), lang),
        _para(gettext("print.receipt.counter", lang, name=name(data.counter_name)), lang),
        _para(gettext("print.receipt.clerk", lang, number=code(data.clerk_number)), lang),
        _para(gettext("print.common.issued", lang, datetime=format_datetime(data.paid_at, lang)), lang),
        _para(gettext("print.receipt.payment", lang, method=payment_label(data.payment_method, lang)), lang),
    ]
    if data.payment_reference:
        story.append(_para(gettext("print.receipt.payment_ref", lang, ref=code(data.payment_reference)), lang))
    story += [Spacer(1, 4 * mm), _para(gettext("print.receipt.documents", lang), lang, 12, bold=True)]
    for index, document in enumerate(data.documents_received, start=1):
        story.append(_para(gettext("print.list.item", lang, n=index, text=name(document)), lang))
    fee_rows: list[list[object]] = [
        [line.label_ar if lang == "ar" else name(line.label_en), money(line.amount_piastres, lang)]
        for line in data.fee_lines
    ]
    fee_rows.append([gettext("print.receipt.total", lang), money(data.total_piastres, lang)])
    story += [
        Spacer(1, 4 * mm),
        _table([gettext("print.col.item", lang), gettext("print.col.amount", lang)], fee_rows, lang, width),
        Spacer(1, 6 * mm),
        _qr(data.qr_payload),
        _para(gettext("print.receipt.verify", lang), lang, 9, center=True),
    ]
    return _build(story, target, gettext("print.receipt.title", lang), lang)


def dayclose_pdf(data: DayCloseData, target: str | Path | None = None, lang: Lang = "ar") -> bytes:
    """The day-close report on A4: a table per service, totals by payment method."""
    centre = data.centre_name_ar if lang == "ar" else data.centre_name_en
    rows: list[list[object]] = [
        [
            row.service_name_ar if lang == "ar" else name(row.service_name_en),
            row.tickets,
            row.applications,
            money(row.total_piastres, lang),
        ]
        for row in data.services
    ]
    for method, amount in data.totals_by_method.items():
        rows.append([payment_label(method, lang), "", "", money(amount, lang)])
    rows.append(
        [
            gettext("print.dayclose.grand_total", lang),
            data.tickets_issued,
            data.applications,
            money(data.grand_total_piastres, lang),
        ]
    )
    day = Msg("print.dayclose.date", weekday=format_date(data.business_date, lang, style="weekday"),
              date=format_date(data.business_date, lang))
    subtitle = gettext("print.centre_heading", lang, centre=name(centre), detail=day)
    columns = [gettext("print.col.service", lang), gettext("print.col.tickets", lang),
               gettext("print.col.applications", lang), gettext("print.col.amount", lang)]
    return table_report_pdf(gettext("print.dayclose.title", lang), columns, rows, target, lang, subtitle=subtitle)
