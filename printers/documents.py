"""The printed documents: queue ticket, receipt, missing-documents slip, day-close report.

Each ``*_layout`` function turns plain data into a Layout for a paper width (384 or 576 dots) and
a language; ``render_*`` renders it to a 1-bit raster.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image

from counter_app.common.formatting import (
    code,
    format_date,
    format_datetime,
    format_time,
    money,
    name,
    national_id,
    number,
    ticket_label,
    tracking_code,
)
from counter_app.common.i18n import FSI, LRI, N_, PDI, RLI, Isolated, Lang, Msg, gettext, isolate, ngettext
from printers.data import (
    DayCloseData,
    HandoverSlipData,
    ReceiptData,
    RefundSlipData,
    SlipData,
    TestPageData,
    TicketData,
    payment_label,
    relation_label,
)
from printers.layout import Layout, Pair, QRAside, QRCode, Rule, Spacer, Table, Text
from printers.render import SUPPORTED_WIDTHS, render_layout

DocumentKind = Literal["ticket", "receipt", "slip", "dayclose", "test", "refund", "handover"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = ("ticket", "receipt", "slip", "dayclose", "test", "refund", "handover")

def minutes_triplet(values: tuple[float, float, float], lang: Lang, separator: str = " · ") -> Isolated:
    """Mean, median and 90th percentile in minutes, in the reading order of the label above them:
    the first value on the right in Arabic, on the left in English."""
    text = separator.join(number(value, decimals=1) for value in values)
    # Built by hand: isolate() would take the first value's LRI...PDI for an isolate of the whole.
    return Isolated(f"{RLI if lang == 'ar' else LRI}{text}{PDI}")


def minutes_table(wait: tuple[float, float, float], service: tuple[float, float, float], lang: Lang,
                  size: int) -> Table:
    """Waiting and service times as a table: a header row naming the mean, the median and the 90th
    percentile, then one row per measure, each value under its column's name (in Arabic the columns
    run from the right, so nothing depends on the direction of a run of numbers)."""
    return Table(
        header=("", gettext("print.dayclose.col.mean", lang), gettext("print.dayclose.col.median", lang),
                gettext("print.dayclose.col.p90", lang)),
        rows=tuple((gettext(label, lang), *(number(value, decimals=1) for value in values))
                   for label, values in ((N_("print.dayclose.wait"), wait), (N_("print.dayclose.service"), service))),
        size=size,
    )


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
        Text(ticket_label(data.ticket_number), s.huge, bold=True, align="center", fit=True),
    )
    if data.priority:
        layout.add(
            Text(gettext("print.ticket.priority", lang), s.large, bold=True, align="center", inverse=True),
            Spacer(6),
        )
    if data.appointment_at is not None:  # the booked time, in the centre's time
        layout.add(
            Text(gettext("print.ticket.appointment", lang, time=format_time(data.appointment_at, lang)), s.large,
                 bold=True, align="center"),
            Spacer(6),
        )
    layout.add(
        Text(ngettext("print.ticket.waiting_ahead", data.waiting_ahead, lang), s.body, align="center"),
        Text(ngettext("print.ticket.estimated_wait", data.estimated_wait_minutes, lang), s.body, align="center"),
        Text(gettext("print.common.issued", lang, datetime=format_datetime(data.issued_at, lang)), s.body,
             align="center"),
    )
    if data.sms:
        layout.add(Text(sms_line(data, lang), s.small, align="center"))
    layout.add(Rule(2, dashed=True))
    if data.qr_url:  # the live place in the queue, on the citizen's phone
        layout.add(QRCode(data.qr_url, max_fraction=0.3),
                   Text(gettext("print.ticket.follow", lang), s.small, align="center"))
    layout.add(Text(gettext("print.ticket.footer", lang), s.small, align="center"), Spacer(8))
    return layout


def sms_line(data: TicketData, lang: Lang) -> str:
    """The ticket's line about the SMS of the turn (see :attr:`TicketData.sms`)."""
    if data.sms == "ahead":
        return ngettext("sms.ticket_print_ahead", data.sms_ahead, lang)
    if data.sms == "called":
        return gettext("sms.ticket_print_called", lang)
    return gettext("kiosk.sms_print_offer", lang)


def receipt_layout(data: ReceiptData, width: int = 576, lang: Lang = "ar") -> Layout:
    layout, s = _start(width, lang)
    _header(layout, s, lang, data.centre_name_ar, data.centre_name_en)
    service, _ = _pick(lang, data.service_name_ar, data.service_name_en)
    identity = (
        Text(gettext("print.receipt.tracking", lang), s.small),
        Text(tracking_code(data.tracking_code), s.large, bold=True, fit=True),
        Text(gettext("print.common.centre_code", lang, code=code(data.centre_code)), s.small),
        Text(gettext("print.receipt.counter", lang, name=name(data.counter_name)), s.small),
        Text(gettext("print.receipt.clerk", lang, number=code(data.clerk_number)), s.small),
        Text(gettext("print.common.issued", lang, datetime=format_datetime(data.paid_at, lang)), s.small),
    )
    linked = data.qr_payload.startswith(("https://", "http://"))  # a link to the portal's check page
    verify = Text(gettext("portal_print.receipt_verify_phone", lang) if linked else gettext("print.receipt.verify", lang),
                  s.small, bold=True)
    layout.add(Text(gettext("print.receipt.title", lang), s.large, bold=True, align="center", inverse=True))
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
        Text(gettext("print.common.service", lang, name=name(service)), s.body, bold=True),
        Rule(1, dashed=True),
        Text(gettext("print.receipt.documents", lang), s.body, bold=True),
    )
    documents = data.documents_received or [gettext("print.receipt.no_documents", lang)]
    for index, document in enumerate(documents, start=1):
        layout.add(Text(gettext("print.list.item", lang, n=index, text=name(document)), s.body))
    layout.add(Rule(1, dashed=True), Text(gettext("print.receipt.fees", lang), s.body, bold=True))
    for line in data.fee_lines:
        label = line.label_ar if lang == "ar" else line.label_en
        layout.add(Pair(label, money(line.amount_piastres, lang), s.body))
    layout.add(
        Rule(2),
        Pair(gettext("print.receipt.total", lang), money(data.total_piastres, lang), s.large, bold=True),
        Rule(2),
        Text(gettext("print.receipt.payment", lang, method=payment_label(data.payment_method, lang)), s.body),
    )
    if data.payment_reference:
        layout.add(Text(gettext("print.receipt.payment_ref", lang, ref=code(data.payment_reference)), s.body))
    layout.add(Text(gettext("print.receipt.keep", lang), s.small, align="center"), Spacer(4))
    return layout


def slip_layout(data: SlipData, width: int = 576, lang: Lang = "ar") -> Layout:
    layout, s = _start(width, lang)
    _header(layout, s, lang, data.centre_name_ar, data.centre_name_en)
    service, _ = _pick(lang, data.service_name_ar, data.service_name_en)
    layout.add(
        Text(gettext("print.slip.title", lang), s.large, bold=True, align="center", inverse=True),
        Spacer(6),
        Text(gettext("print.common.reference", lang, ref=code(data.reference)), s.body, bold=True),
    )
    if data.applicant_name:
        layout.add(Text(gettext("print.slip.applicant", lang, name=name(data.applicant_name)), s.body, bold=True))
    layout.add(
        Text(gettext("print.common.service", lang, name=name(service)), s.body, bold=True),
        Text(gettext("print.common.issued", lang, datetime=format_datetime(data.issued_at, lang)), s.body),
        Spacer(6),
        Text(gettext("print.slip.intro", lang), s.body),
        Spacer(4),
    )
    for index, document in enumerate(data.missing_documents, start=1):
        layout.add(Text(gettext("print.list.item", lang, n=index, text=name(document)), s.large, bold=True))
    if data.note:
        layout.add(Spacer(4), Text(data.note, s.body))
    if data.return_by is not None:
        layout.add(Spacer(6), Text(gettext("print.slip.return_by", lang,
                                           weekday=format_date(data.return_by, lang, style="weekday"),
                                           date=format_date(data.return_by, lang)),
                                   s.large, bold=True, align="center"))
    layout.add(
        Rule(2, dashed=True),
        Text(gettext("print.slip.footer", lang), s.body, bold=True, align="center"),
        Spacer(8),
    )
    return layout


def dayclose_layout(data: DayCloseData, width: int = 576, lang: Lang = "ar") -> Layout:
    layout, s = _start(width, lang)
    _header(layout, s, lang, data.centre_name_ar, data.centre_name_en)
    layout.add(
        Text(gettext("print.common.centre_code", lang, code=code(data.centre_code)), s.small, align="center"),
        Spacer(4),
        Text(gettext("print.dayclose.title", lang), s.large, bold=True, align="center", inverse=True),
        Text(gettext("print.dayclose.date", lang, weekday=format_date(data.business_date, lang, style="weekday"),
                     date=format_date(data.business_date, lang)), s.body, bold=True, align="center"),
        Rule(2),
        Pair(gettext("print.dayclose.tickets_issued", lang), number(data.tickets_issued), s.body),
        Pair(gettext("print.dayclose.tickets_served", lang), number(data.tickets_served), s.body),
        Pair(gettext("print.dayclose.no_shows", lang), number(data.no_shows), s.body),
        Pair(gettext("print.dayclose.skipped", lang), number(data.skipped), s.body),
        Pair(gettext("print.dayclose.applications", lang), number(data.applications), s.body),
        Rule(1, dashed=True),
    )
    if data.wait_minutes is not None and data.service_minutes is not None:
        layout.add(
            Text(gettext("print.dayclose.times", lang), s.body, bold=True),
            minutes_table(data.wait_minutes, data.service_minutes, lang, s.body),
            Rule(1, dashed=True),
        )
    layout.add(Text(gettext("print.dayclose.by_method", lang), s.body, bold=True))
    for method, amount in data.totals_by_method.items():
        layout.add(Pair(payment_label(method, lang), money(amount, lang), s.body))
    layout.add(
        Rule(2),
        Pair(gettext("print.dayclose.grand_total", lang), money(data.grand_total_piastres, lang), s.large,
             bold=True),
        Rule(2),
    )
    if data.refunds_piastres:
        layout.add(
            Pair(gettext("print.dayclose.refunds", lang), money(-data.refunds_piastres, lang), s.body),
            Pair(gettext("print.dayclose.net", lang), money(data.grand_total_piastres - data.refunds_piastres, lang),
                 s.body, bold=True),
            Rule(1, dashed=True),
        )
    if data.expected_piastres is not None:
        layout.add(Pair(gettext("print.dayclose.expected", lang), money(data.expected_piastres, lang), s.body))
        if data.reconciled:
            layout.add(Text(gettext("print.dayclose.reconciled", lang), s.body, bold=True, align="center"))
        else:
            difference = money(data.expected_piastres - data.grand_total_piastres, lang)
            layout.add(
                Text(gettext("print.dayclose.not_reconciled", lang), s.body, bold=True, align="center",
                     inverse=True),
                Text(ngettext("report.money.mismatch", len(data.mismatched), lang, amount=difference), s.body,
                     align="center"),
            )
        for application in data.mismatched:
            layout.add(Text(gettext("print.dayclose.mismatched", lang, code=tracking_code(application)), s.small,
                            align="center"))
        layout.add(Rule(2))
    if data.services:
        layout.add(Text(gettext("print.dayclose.by_service", lang), s.body, bold=True))
        for row in data.services:
            service, _ = _pick(lang, row.service_name_ar, row.service_name_en)
            stats = gettext("print.dayclose.service_line", lang,
                            tickets=Msg("print.count.tickets", n=row.tickets),
                            applications=Msg("print.count.applications", n=row.applications))
            layout.add(Text(service, s.body, bold=True), Pair(stats, money(row.total_piastres, lang), s.small))
        layout.add(Rule(1, dashed=True))
    if data.closed_at is not None:
        closed = gettext("print.dayclose.closed", lang, datetime=format_datetime(data.closed_at, lang),
                         user=name(data.closed_by or "-"))
        layout.add(Text(closed, s.small, align="center"))
    layout.add(Spacer(8))
    return layout


def test_page_layout(data: TestPageData, width: int = 576, lang: Lang = "ar") -> Layout:
    """«تجربة / TEST» in large letters, in both languages whatever the page's language, so nobody
    takes it for a ticket; then the centre, which printer, its address, the date and a frame that
    shows the printable width."""
    layout, s = _start(width, lang)
    mark = gettext("print.test.banner", lang)
    layout.add(
        Text(mark, s.huge // 2, bold=True, align="center", inverse=True, fit=True),
        Spacer(6),
    )
    _header(layout, s, lang, data.centre_name_ar, data.centre_name_en)
    role = (gettext("print.test.ticket_printer", lang) if data.printer_role == "ticket"
            else gettext("print.test.receipt_printer", lang))
    layout.add(
        Text(gettext("print.common.centre_code", lang, code=code(data.centre_code)), s.small, align="center"),
        Rule(2),
        Text(role, s.large, bold=True, align="center"),
        Text(code(data.printer_url), s.small, align="center"),
        Text(gettext("print.common.issued", lang, datetime=format_datetime(data.printed_at, lang)), s.body,
             align="center"),
        Rule(2),
        Text(gettext("print.test.not_valid", lang), s.body, bold=True, align="center"),
        Text(mark, s.large, bold=True, align="center"),
        Spacer(8),
    )
    return layout


def _signatures(layout: Layout, s: Sizes, lang: Lang, *labels: str) -> None:
    """Signature lines, each with its label above a line to sign on."""
    for label in labels:
        layout.add(Spacer(10), Text(gettext(label, lang), s.body), Spacer(18), Rule(1))


def refund_layout(data: RefundSlipData, width: int = 576, lang: Lang = "ar") -> Layout:
    """The refund slip: what was paid back, to whom, for which file; its QR signed like a receipt's;
    the citizen signs for the money, the clerk beside."""
    layout, s = _start(width, lang)
    _header(layout, s, lang, data.centre_name_ar, data.centre_name_en)
    service, _ = _pick(lang, data.service_name_ar, data.service_name_en)
    identity = (
        Text(gettext("print.receipt.tracking", lang), s.small),
        Text(tracking_code(data.tracking_code), s.large, bold=True, fit=True),
        Text(gettext("print.common.centre_code", lang, code=code(data.centre_code)), s.small),
        Text(gettext("print.receipt.counter", lang, name=name(data.counter_name)), s.small),
        Text(gettext("print.receipt.clerk", lang, number=code(data.clerk_number)), s.small),
        Text(gettext("print.common.issued", lang, datetime=format_datetime(data.paid_at, lang)), s.small),
    )
    layout.add(Text(gettext("print.refund.title", lang), s.large, bold=True, align="center", inverse=True))
    if width >= 576:
        layout.add(QRAside(data.qr_payload, (Spacer(4), *identity), max_fraction=0.45))
    else:
        layout.add(Spacer(4), *identity, QRCode(data.qr_payload, max_fraction=0.7))
    layout.add(
        Text(gettext("print.common.service", lang, name=name(service)), s.body, bold=True),
        Text(gettext("print.refund.to", lang, name=name(data.applicant_name)), s.body),
        Text(gettext("print.refund.nid", lang, nid=national_id(data.national_id_masked)), s.body),
        Rule(2),
        Pair(gettext("print.refund.amount", lang), money(data.amount_piastres, lang), s.large, bold=True),
        Rule(2),
        Text(gettext("print.refund.method", lang, method=payment_label(data.payment_method, lang)), s.body),
    )
    _signatures(layout, s, lang, N_("print.sign.citizen"), N_("print.sign.clerk"))
    layout.add(Text(gettext("print.refund.keep", lang), s.small, align="center"), Spacer(4))
    return layout


def handover_layout(data: HandoverSlipData, width: int = 576, lang: Lang = "ar") -> Layout:
    """The handover slip: a result collected by someone other than the applicant (relation, power
    of attorney), signed by the collector; kept with the file."""
    layout, s = _start(width, lang)
    _header(layout, s, lang, data.centre_name_ar, data.centre_name_en)
    service, _ = _pick(lang, data.service_name_ar, data.service_name_en)
    layout.add(
        Text(gettext("print.handover.title", lang), s.large, bold=True, align="center", inverse=True),
        Spacer(4),
        Text(gettext("print.receipt.tracking", lang), s.small, align="center"),
        Text(tracking_code(data.tracking_code), s.large, bold=True, align="center", fit=True),
        Text(gettext("print.common.service", lang, name=name(service)), s.body, bold=True),
        Text(gettext("print.handover.applicant", lang, name=name(data.applicant_name)), s.body),
        Rule(1, dashed=True),
        Text(gettext("print.handover.collector", lang, name=name(data.collector_name)), s.body, bold=True),
        Text(gettext("print.refund.nid", lang, nid=national_id(data.collector_national_id)), s.body),
        Text(gettext("print.handover.relation", lang, relation=relation_label(data.relation, lang)), s.body),
    )
    if data.authority:
        layout.add(Text(gettext("print.handover.authority", lang, number=code(data.authority)), s.body))
    layout.add(
        Rule(1, dashed=True),
        Text(gettext("print.common.centre_code", lang, code=code(data.centre_code)), s.small),
        Text(gettext("print.receipt.counter", lang, name=name(data.counter_name)), s.small),
        Text(gettext("print.receipt.clerk", lang, number=code(data.clerk_number)), s.small),
        Text(gettext("print.common.issued", lang, datetime=format_datetime(data.delivered_at, lang)), s.small),
    )
    _signatures(layout, s, lang, N_("print.sign.collector"), N_("print.sign.clerk"))
    layout.add(Text(gettext("print.handover.note", lang), s.small, align="center"), Spacer(4))
    return layout


def render_refund(data: RefundSlipData, width: int = 576, lang: Lang = "ar") -> Image.Image:
    return render_layout(refund_layout(data, width, lang))


def render_handover(data: HandoverSlipData, width: int = 576, lang: Lang = "ar") -> Image.Image:
    return render_layout(handover_layout(data, width, lang))


def render_test_page(data: TestPageData, width: int = 576, lang: Lang = "ar") -> Image.Image:
    return render_layout(test_page_layout(data, width, lang))


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
    expected = {"ticket": TicketData, "receipt": ReceiptData, "slip": SlipData, "dayclose": DayCloseData,
                "test": TestPageData, "refund": RefundSlipData, "handover": HandoverSlipData}
    if kind not in expected:
        raise ValueError(f"unknown document kind {kind!r}")
    if not isinstance(data, expected[kind]):
        raise TypeError(f"{kind} needs {expected[kind].__name__}, got {type(data).__name__}")
    renderers = {
        "ticket": render_ticket,
        "receipt": render_receipt,
        "slip": render_slip,
        "dayclose": render_dayclose,
        "test": render_test_page,
        "refund": render_refund,
        "handover": render_handover,
    }
    return renderers[kind](data, width, lang)  # type: ignore[operator,no-any-return]
