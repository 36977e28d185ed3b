"""The printed documents: queue ticket, receipt, missing-documents slip, day-close report.

Each ``*_layout`` function turns plain data into a Layout for a paper width (384 or 576 dots) and
a language; ``render_*`` renders it to a 1-bit raster.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image

from printers.data import DayCloseData, ReceiptData, SlipData, TicketData
from printers.i18n import FSI, LRI, Lang, format_date, format_datetime, format_money, isolate, tr
from printers.layout import Layout, Pair, QRAside, QRCode, Rule, Spacer, Text
from printers.render import SUPPORTED_WIDTHS, render_layout

DocumentKind = Literal["ticket", "receipt", "slip", "dayclose"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = ("ticket", "receipt", "slip", "dayclose")


@dataclass(frozen=True)
class Sizes:
    small: int
    body: int
    large: int
    title: int
    huge: int
    margin: int


SIZES = {
    576: Sizes(small=20, body=23, large=30, title=32, huge=136, margin=12),
    384: Sizes(small=16, body=18, large=23, title=24, huge=100, margin=8),
}


def _start(width: int, lang: Lang) -> tuple[Layout, Sizes]:
    if width not in SUPPORTED_WIDTHS:
        raise ValueError(f"unsupported paper width {width}; use one of {SUPPORTED_WIDTHS}")
    if lang not in ("ar", "en"):
        raise ValueError(f"unsupported language {lang!r}")
    sizes = SIZES[width]
    return Layout(width=width, rtl=lang == "ar", margin=sizes.margin), sizes


def _pick(lang: Lang, ar: str, en: str) -> tuple[str, str]:
    """(primary, secondary) text; the secondary one isolated so it keeps its own direction."""
    if lang == "ar":
        return ar, isolate(en, LRI)
    return en, isolate(ar, FSI)


def _header(layout: Layout, sizes: Sizes, lang: Lang, name_ar: str, name_en: str) -> None:
    primary, secondary = _pick(lang, name_ar, name_en)
    layout.add(
        Text(primary, sizes.title, bold=True, align="center"),
        Text(secondary, sizes.small, align="center"),
        Spacer(4),
    )


def ticket_layout(data: TicketData, width: int = 576, lang: Lang = "ar") -> Layout:
    layout, s = _start(width, lang)
    _header(layout, s, lang, data.centre_name_ar, data.centre_name_en)
    service, service_other = _pick(lang, data.service_name_ar, data.service_name_en)
    layout.add(
        Rule(2),
        Text(service, s.large, bold=True, align="center"),
        Text(service_other, s.body, align="center"),
        Text(isolate(data.ticket_number), s.huge, bold=True, align="center", fit=True),
    )
    if data.priority:
        layout.add(
            Text(tr("ticket.priority", lang), s.large, bold=True, align="center", inverse=True), Spacer(6)
        )
    layout.add(
        Text(tr("ticket.waiting_ahead", lang, count=data.waiting_ahead), s.body, align="center"),
        Text(tr("ticket.estimated_wait", lang, minutes=data.estimated_wait_minutes), s.body, align="center"),
        Text(tr("common.issued", lang, datetime=format_datetime(data.issued_at)), s.body, align="center"),
        Rule(2, dashed=True),
        QRCode(data.reference, max_fraction=0.3),
        Text(tr("common.reference", lang, ref=isolate(data.reference)), s.small, align="center"),
        Text(tr("ticket.footer", lang), s.small, align="center"),
        Spacer(8),
    )
    return layout


def receipt_layout(data: ReceiptData, width: int = 576, lang: Lang = "ar") -> Layout:
    layout, s = _start(width, lang)
    _header(layout, s, lang, data.centre_name_ar, data.centre_name_en)
    service, _ = _pick(lang, data.service_name_ar, data.service_name_en)
    paid_at = format_datetime(data.paid_at)
    identity = (
        Text(tr("receipt.tracking", lang), s.small),
        Text(isolate(data.tracking_code), s.large, bold=True, fit=True),
        Text(tr("common.centre_code", lang, code=isolate(data.centre_code)), s.small),
        Text(tr("receipt.counter", lang, name=data.counter_name), s.small),
        Text(tr("receipt.clerk", lang, number=isolate(data.clerk_number)), s.small),
        Text(tr("common.issued", lang, datetime=paid_at), s.small),
    )
    verify = Text(tr("receipt.verify", lang), s.small, bold=True)
    layout.add(Text(tr("receipt.title", lang), s.large, bold=True, align="center", inverse=True))
    if width >= 576:  # QR beside the identity lines: keeps the raster (and the bytes) short
        layout.add(QRAside(data.qr_payload, (Spacer(4), *identity, verify), max_fraction=0.45))
    else:  # too narrow for two columns: a QR large enough to scan, centred below
        layout.add(
            Spacer(4),
            *identity,
            QRCode(data.qr_payload, max_fraction=0.7),
            dataclasses.replace(verify, align="center"),
        )
    layout.add(
        Text(tr("common.service", lang, name=service), s.body, bold=True),
        Rule(1, dashed=True),
        Text(tr("receipt.documents", lang), s.body, bold=True),
    )
    documents = data.documents_received or [tr("receipt.no_documents", lang)]
    for number, document in enumerate(documents, start=1):
        layout.add(Text(tr("list.item", lang, n=number, text=document), s.body))
    layout.add(Rule(1, dashed=True), Text(tr("receipt.fees", lang), s.body, bold=True))
    for line in data.fee_lines:
        label = line.label_ar if lang == "ar" else line.label_en
        layout.add(Pair(label, format_money(line.amount_piastres, lang), s.body))
    layout.add(
        Rule(2),
        Pair(tr("receipt.total", lang), format_money(data.total_piastres, lang), s.large, bold=True),
        Rule(2),
        Text(tr("receipt.payment", lang, method=tr(f"pay.{data.payment_method}", lang)), s.body),
    )
    if data.payment_reference:
        layout.add(Text(tr("receipt.payment_ref", lang, ref=isolate(data.payment_reference)), s.body))
    layout.add(Text(tr("receipt.keep", lang), s.small, align="center"), Spacer(4))
    return layout


def slip_layout(data: SlipData, width: int = 576, lang: Lang = "ar") -> Layout:
    layout, s = _start(width, lang)
    _header(layout, s, lang, data.centre_name_ar, data.centre_name_en)
    service, _ = _pick(lang, data.service_name_ar, data.service_name_en)
    layout.add(
        Text(tr("slip.title", lang), s.large, bold=True, align="center", inverse=True),
        Spacer(6),
        Text(tr("common.reference", lang, ref=isolate(data.reference)), s.body, bold=True),
        Text(tr("common.issued", lang, datetime=format_datetime(data.issued_at)), s.body),
        Spacer(6),
        Text(tr("slip.intro", lang, service=service), s.body),
        Spacer(4),
    )
    for number, document in enumerate(data.missing_documents, start=1):
        layout.add(Text(tr("list.item", lang, n=number, text=document), s.large, bold=True))
    if data.note:
        layout.add(Spacer(4), Text(data.note, s.body))
    layout.add(
        Rule(2, dashed=True), Text(tr("slip.footer", lang), s.body, bold=True, align="center"), Spacer(8)
    )
    return layout


def dayclose_layout(data: DayCloseData, width: int = 576, lang: Lang = "ar") -> Layout:
    layout, s = _start(width, lang)
    _header(layout, s, lang, data.centre_name_ar, data.centre_name_en)

    def count(value: int) -> str:
        return isolate(f"{value:,}")

    layout.add(
        Text(tr("common.centre_code", lang, code=isolate(data.centre_code)), s.small, align="center"),
        Spacer(4),
        Text(tr("dayclose.title", lang), s.large, bold=True, align="center", inverse=True),
        Text(
            tr("dayclose.date", lang, date=format_date(data.business_date)), s.body, bold=True, align="center"
        ),
        Rule(2),
        Pair(tr("dayclose.tickets_issued", lang), count(data.tickets_issued), s.body),
        Pair(tr("dayclose.tickets_served", lang), count(data.tickets_served), s.body),
        Pair(tr("dayclose.no_shows", lang), count(data.no_shows), s.body),
        Pair(tr("dayclose.skipped", lang), count(data.skipped), s.body),
        Pair(tr("dayclose.applications", lang), count(data.applications), s.body),
        Rule(1, dashed=True),
    )
    if data.wait_minutes is not None and data.service_minutes is not None:
        layout.add(Text(tr("dayclose.times", lang), s.body, bold=True))
        for key, (mean, median, p90) in (("dayclose.wait", data.wait_minutes),
                                         ("dayclose.service", data.service_minutes)):
            layout.add(Pair(tr(key, lang), isolate(f"{mean:.1f} · {median:.1f} · {p90:.1f}"), s.body))
        layout.add(Rule(1, dashed=True))
    layout.add(Text(tr("dayclose.by_method", lang), s.body, bold=True))
    for method, amount in data.totals_by_method.items():
        layout.add(Pair(tr(f"pay.{method}", lang), format_money(amount, lang), s.body))
    layout.add(
        Rule(2),
        Pair(
            tr("dayclose.grand_total", lang),
            format_money(data.grand_total_piastres, lang),
            s.large,
            bold=True,
        ),
        Rule(2),
    )
    if data.expected_piastres is not None:
        layout.add(Pair(tr("dayclose.expected", lang), format_money(data.expected_piastres, lang), s.body))
        layout.add(Text(tr("dayclose.reconciled" if data.reconciled else "dayclose.not_reconciled", lang),
                        s.body, bold=True, align="center", inverse=not data.reconciled))
        for code in data.mismatched:
            layout.add(Text(tr("dayclose.mismatched", lang, code=code), s.small, align="center"))
        layout.add(Rule(2))
    if data.services:
        layout.add(Text(tr("dayclose.by_service", lang), s.body, bold=True))
        for row in data.services:
            name, _ = _pick(lang, row.service_name_ar, row.service_name_en)
            stats = tr("dayclose.service_line", lang, tickets=row.tickets, applications=row.applications)
            layout.add(
                Text(name, s.body, bold=True), Pair(stats, format_money(row.total_piastres, lang), s.small)
            )
        layout.add(Rule(1, dashed=True))
    if data.closed_at is not None:
        closed = tr(
            "dayclose.closed", lang, datetime=format_datetime(data.closed_at), user=data.closed_by or "-"
        )
        layout.add(Text(closed, s.small, align="center"))
    layout.add(Spacer(8))
    return layout


def render_ticket(data: TicketData, width: int = 576, lang: Lang = "ar") -> Image.Image:
    return render_layout(ticket_layout(data, width, lang))


def render_receipt(data: ReceiptData, width: int = 576, lang: Lang = "ar") -> Image.Image:
    return render_layout(receipt_layout(data, width, lang))


def render_slip(data: SlipData, width: int = 576, lang: Lang = "ar") -> Image.Image:
    return render_layout(slip_layout(data, width, lang))


def render_dayclose(data: DayCloseData, width: int = 576, lang: Lang = "ar") -> Image.Image:
    return render_layout(dayclose_layout(data, width, lang))


def render_document(kind: DocumentKind, data: Any, width: int = 576, lang: Lang = "ar") -> Image.Image:
    """Render any document kind; ``data`` must be the matching dataclass."""
    expected = {"ticket": TicketData, "receipt": ReceiptData, "slip": SlipData, "dayclose": DayCloseData}
    if kind not in expected:
        raise ValueError(f"unknown document kind {kind!r}")
    if not isinstance(data, expected[kind]):
        raise TypeError(f"{kind} needs {expected[kind].__name__}, got {type(data).__name__}")
    renderers = {
        "ticket": render_ticket,
        "receipt": render_receipt,
        "slip": render_slip,
        "dayclose": render_dayclose,
    }
    return renderers[kind](data, width, lang)  # type: ignore[operator]
