"""Plain data handed to the layouts. No database, no Qt: the app fills these in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from counter_app.common.i18n import N_, Lang, gettext

PaymentMethod = Literal["cash", "card", "epayment"]
PAYMENT_METHODS: tuple[PaymentMethod, ...] = ("cash", "card", "epayment")
#: The windows' and the central page's ids: one name per payment method on every surface.
PAYMENT_LABELS: dict[str, str] = {
    "cash": N_("payment.cash"),
    "card": N_("payment.card"),
    "epayment": N_("payment.epayment"),
}


def _label(labels: dict[str, str], key: str, lang: Lang) -> str:
    """``key``'s name in ``lang`` from ``labels`` (an unknown key is shown as stored)."""
    msgid = labels.get(key)
    return gettext(msgid, lang) if msgid else key


def payment_label(method: str, lang: Lang) -> str:
    """The payment method's name in ``lang`` (an unknown method is shown as stored)."""
    return _label(PAYMENT_LABELS, method, lang)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime (UTC)")


@dataclass(frozen=True)
class TicketData:
    """A numbered queue ticket."""

    centre_name_ar: str
    centre_name_en: str
    service_name_ar: str
    service_name_en: str
    ticket_number: str  # "A-042"
    priority: bool
    waiting_ahead: int
    estimated_wait_minutes: int
    issued_at: datetime  # aware, UTC
    #: The ticket's live place on the citizens' portal, printed as a QR code; empty (no QR) when the
    #: centre knows no portal address. The ticket's internal id is never printed: it means nothing
    #: to a citizen.
    qr_url: str = ""
    #: The line about the SMS of the turn: "" none; "offer": a number may be given at the kiosk;
    #: "ahead": one was given, an SMS comes at ``sms_ahead`` ahead and at the call; "called": one
    #: was given, an SMS comes at the call (fewer were ahead already). The number is never printed.
    sms: Literal["", "offer", "ahead", "called"] = ""
    sms_ahead: int = 0
    #: An appointment's ticket: the booked time (aware, UTC), printed in the centre's time.
    appointment_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_aware(self.issued_at, "issued_at")
        if self.appointment_at is not None:
            _require_aware(self.appointment_at, "appointment_at")


@dataclass(frozen=True)
class TestPageData:
    """A test page: says in large letters that it is a test, not a ticket or a receipt, and names the
    centre, the printer it was sent to and when."""

    centre_name_ar: str
    centre_name_en: str
    centre_code: str
    printer_role: str  # "ticket" or "receipt": which of the centre's printers it tests
    printer_url: str
    printed_at: datetime  # aware, UTC

    def __post_init__(self) -> None:
        _require_aware(self.printed_at, "printed_at")
        if self.printer_role not in PRINTER_ROLES:
            raise ValueError(f"unknown printer role {self.printer_role!r}")


PRINTER_ROLES = ("ticket", "receipt")


@dataclass(frozen=True)
class FeeLine:
    label_ar: str
    label_en: str
    amount_piastres: int


@dataclass(frozen=True)
class ReceiptData:
    """The payment receipt of an application."""

    centre_name_ar: str
    centre_name_en: str
    centre_code: str
    counter_name: str
    clerk_number: str
    tracking_code: str
    service_name_ar: str
    service_name_en: str
    documents_received: list[str]
    fee_lines: list[FeeLine]
    total_piastres: int
    payment_method: PaymentMethod
    payment_reference: str
    paid_at: datetime  # aware, UTC
    #: The QR code: the signed verification payload (see counter_app.common.signing), or, when the
    #: centre knows its portal, that payload as a link to the portal's check page (``signing.receipt_url``).
    qr_payload: str

    def __post_init__(self) -> None:
        _require_aware(self.paid_at, "paid_at")
        if self.payment_method not in PAYMENT_METHODS:
            raise ValueError(f"unknown payment method {self.payment_method!r}")
        if sum(line.amount_piastres for line in self.fee_lines) != self.total_piastres:
            raise ValueError("total_piastres is not the sum of the fee lines")


@dataclass(frozen=True)
class SlipData:
    """Missing-documents slip: tells the citizen what to bring, so they come back once."""

    centre_name_ar: str
    centre_name_en: str
    service_name_ar: str
    service_name_en: str
    missing_documents: list[str]
    reference: str  # tracking code or ticket number
    issued_at: datetime  # aware, UTC
    note: str = ""
    applicant_name: str = ""  # as typed at the counter; the line is left out when empty
    return_by: date | None = None  # the last day to come back with the documents (centre's date)

    def __post_init__(self) -> None:
        _require_aware(self.issued_at, "issued_at")


@dataclass(frozen=True)
class ServiceRow:
    service_name_ar: str
    service_name_en: str
    tickets: int
    applications: int
    total_piastres: int


@dataclass(frozen=True)
class DayCloseData:
    """The supervisor's day-close report."""

    centre_name_ar: str
    centre_name_en: str
    centre_code: str
    business_date: date
    tickets_issued: int
    tickets_served: int
    no_shows: int
    applications: int
    totals_by_method: dict[str, int]  # payment method -> piastres
    services: list[ServiceRow] = field(default_factory=list)
    closed_at: datetime | None = None  # aware, UTC
    closed_by: str = ""
    skipped: int = 0
    wait_minutes: tuple[float, float, float] | None = None  # mean, median, 90th percentile
    service_minutes: tuple[float, float, float] | None = None
    expected_piastres: int | None = None  # the paid applications' fees; None: not reconciled
    mismatched: tuple[str, ...] = ()  # tracking codes paid more or less than their fee
    refunds_piastres: int = 0  # refunds paid out that day: their own line, after the reconciled total

    @property
    def reconciled(self) -> bool | None:
        if self.expected_piastres is None:
            return None
        return self.grand_total_piastres == self.expected_piastres and not self.mismatched

    @property
    def grand_total_piastres(self) -> int:
        return sum(self.totals_by_method.values())


@dataclass(frozen=True)
class RefundSlipData:
    """A fee refund paid out at the counter: signed like a receipt (its QR payload carries the
    negative amount), with lines for the citizen's and the clerk's signatures."""

    centre_name_ar: str
    centre_name_en: str
    centre_code: str
    counter_name: str
    clerk_number: str
    tracking_code: str
    service_name_ar: str
    service_name_en: str
    applicant_name: str
    national_id_masked: str
    amount_piastres: int
    payment_method: PaymentMethod
    paid_at: datetime  # aware, UTC
    qr_payload: str  # signed payload (see counter_app.common.signing), total = -amount; a portal link as a receipt's

    def __post_init__(self) -> None:
        _require_aware(self.paid_at, "paid_at")
        if self.amount_piastres <= 0:
            raise ValueError("a refund pays out a positive amount")


@dataclass(frozen=True)
class HandoverSlipData:
    """A result handed over to someone other than the applicant: who collected it, their relation
    and power of attorney; signed by the collector, kept with the file."""

    centre_name_ar: str
    centre_name_en: str
    centre_code: str
    counter_name: str
    clerk_number: str
    tracking_code: str
    service_name_ar: str
    service_name_en: str
    applicant_name: str
    collector_name: str
    collector_national_id: str
    relation: str  # a key of core.applications.COLLECTOR_RELATIONS
    authority: str  # the power-of-attorney number, or ""
    delivered_at: datetime  # aware, UTC

    def __post_init__(self) -> None:
        _require_aware(self.delivered_at, "delivered_at")


#: The relations of a collector to the applicant, as the slips and windows name them.
RELATION_LABELS: dict[str, str] = {
    "spouse": N_("relation.spouse"),
    "parent": N_("relation.parent"),
    "child": N_("relation.child"),
    "sibling": N_("relation.sibling"),
    "attorney": N_("relation.attorney"),
}


def relation_label(relation: str, lang: Lang) -> str:
    return _label(RELATION_LABELS, relation, lang)
