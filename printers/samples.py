"""Sample documents for demos, the CLI and tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counter_app.common.portal import ticket_url
from counter_app.common.signing import generate_key, receipt_url, sign_receipt
from printers.data import DayCloseData, FeeLine, ReceiptData, ServiceRow, SlipData, TestPageData, TicketData

SAMPLE_TIME = datetime(2025, 3, 4, 8, 15, 30, tzinfo=UTC)  # 10:15 in Cairo
CENTRE_AR = "مركز خدمة المواطنين - حي الدقي"
CENTRE_EN = "Citizen Service Centre - Dokki"
#: The sample ticket's public token (22 characters of ``secrets.token_urlsafe(16)``, as the queue makes them).
SAMPLE_TOKEN = "Xq3vJ8kLm2Np5Rt7Wy9zAb"


def sample_ticket(priority: bool = True, portal: str = "") -> TicketData:
    """``portal``: the portal's base URL, for a QR code linking to the ticket's live page."""
    return TicketData(
        centre_name_ar=CENTRE_AR,
        centre_name_en=CENTRE_EN,
        service_name_ar="استخراج شهادة ميلاد (مميكنة)",
        service_name_en="Birth certificate (computerised)",
        ticket_number="A-042",
        priority=priority,
        waiting_ahead=7,
        estimated_wait_minutes=25,
        issued_at=SAMPLE_TIME,
        qr_url=ticket_url(portal, SAMPLE_TOKEN),
    )


def sample_receipt(key: Ed25519PrivateKey | None = None, payment_method: str = "cash",
                   portal: str = "") -> ReceiptData:
    """``portal``: the portal's base URL, for a QR code linking to the receipt's check page."""
    fee_lines = [
        FeeLine("رسم الخدمة", "Service fee", 2500),
        FeeLine("رسم تنمية موارد", "Resource development fee", 1000),
        FeeLine("طابع الشهيد", "Martyr stamp", 500),
    ]
    total = sum(line.amount_piastres for line in fee_lines)
    tracking = "6843-1812-1322"  # NNNN-NNNN-NNNN with its check digits, as counter_app.common.tracking makes them
    payload = sign_receipt(key or generate_key(), "GZ01", tracking, total, SAMPLE_TIME)
    return ReceiptData(
        centre_name_ar=CENTRE_AR,
        centre_name_en=CENTRE_EN,
        centre_code="GZ01",
        counter_name="3",
        clerk_number="1207",
        tracking_code=tracking,
        service_name_ar="استخراج شهادة ميلاد (مميكنة)",
        service_name_en="Birth certificate (computerised)",
        documents_received=["صورة بطاقة الرقم القومي لمقدم الطلب", "إيصال مرافق حديث"],
        fee_lines=fee_lines,
        total_piastres=total,
        payment_method=payment_method,  # type: ignore[arg-type]
        payment_reference="POS-88213" if payment_method != "cash" else "",
        paid_at=SAMPLE_TIME,
        qr_payload=receipt_url(portal, payload) if portal else payload,
    )


def sample_slip() -> SlipData:
    return SlipData(
        centre_name_ar=CENTRE_AR,
        centre_name_en=CENTRE_EN,
        service_name_ar="تجديد رخصة قيادة خاصة",
        service_name_en="Private driving licence renewal",
        missing_documents=["شهادة الفحص الطبي (كشف نظر)", "شهادة تحركات المخالفات", "صورتان شخصيتان حديثتان"],
        reference="A-042",
        issued_at=SAMPLE_TIME,
        applicant_name="محمد أحمد محمود حسن",
        return_by=date(2025, 4, 3),
    )


def sample_test_page(printed_at: datetime | None = None) -> TestPageData:
    return TestPageData(
        centre_name_ar=CENTRE_AR,
        centre_name_en=CENTRE_EN,
        centre_code="GZ01",
        printer_role="receipt",
        printer_url="tcp://192.168.1.50:9100",
        printed_at=printed_at or SAMPLE_TIME,
    )


def sample_dayclose() -> DayCloseData:
    return DayCloseData(
        centre_name_ar=CENTRE_AR,
        centre_name_en=CENTRE_EN,
        centre_code="GZ01",
        business_date=date(2025, 3, 4),
        tickets_issued=214,
        tickets_served=198,
        no_shows=16,
        applications=173,
        totals_by_method={"cash": 1_234_500, "card": 456_000, "epayment": 78_050},
        services=[
            ServiceRow("استخراج شهادة ميلاد", "Birth certificate", 96, 90, 360_000),
            ServiceRow("تجديد رخصة قيادة", "Driving licence renewal", 61, 50, 1_250_000),
            ServiceRow("بدل فاقد بطاقة تموين", "Replacement ration card", 57, 33, 158_550),
        ],
        closed_at=datetime(2025, 3, 4, 15, 2, tzinfo=UTC),
        closed_by="supervisor1",
        skipped=3,
        wait_minutes=(11.4, 9.0, 23.5),
        service_minutes=(6.2, 5.5, 12.0),
        expected_piastres=1_768_550,
    )
