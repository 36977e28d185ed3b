"""The app's print service: the persistent print-job queue bridged to the GUI thread.

Jobs are stored (``PrintQueue.submit``) by the operation that made the document, on a worker
thread; the queue prints on its own thread and its callbacks are turned into Qt signals here, so
the windows hear about a finished or failed job on the GUI thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from PySide6.QtCore import QObject, Signal, Slot

from counter_app.common.clock import to_local
from counter_app.common.portal import ticket_url
from counter_app.common.signing import (
    generate_key,
    load_private_key,
    payload_from_scan,
    receipt_url,
    save_private_key,
    sign_receipt,
)
from counter_app.services.views import CentreView, IssuedView, ServiceView, SubmittedView, mask_national_id
from printers.data import (
    FeeLine,
    HandoverSlipData,
    ReceiptData,
    RefundSlipData,
    SlipData,
    TestPageData,
    TicketData,
)
from printers.jobs import PrintJob, PrintQueue, SQLiteJobStore

if TYPE_CHECKING:
    from counter_app.services.cashdesk import Delivered, RefundView

log = logging.getLogger(__name__)


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The centre's receipt-signing key; created on first use (worker thread: file IO)."""
    if path.exists():
        return load_private_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    save_private_key(key, path)
    log.info("created the centre's receipt key at %s", path)
    return key


@dataclass(frozen=True)
class JobFailure:
    job_id: str
    kind: str
    message_ar: str
    message_en: str

    def message(self, lang: str) -> str:
        return self.message_ar if lang == "ar" and self.message_ar else self.message_en


class PrintFailed(Exception):
    """A failed print job as an error a window shows (in its language)."""

    def __init__(self, failure: JobFailure) -> None:
        self.failure = failure
        super().__init__(failure.message_en)

    def message(self, lang: str = "ar") -> str:
        return self.failure.message(lang)


class PrinterUrls(Protocol):
    """Where the centre's two printers are now (the app's configuration, edited in the Printers tab)."""

    ticket_printer: str
    receipt_printer: str


def printer_role(job: PrintJob) -> str:
    """Which of the centre's printers a job is for: tickets on the ticket printer, a test page on the
    printer it tests, everything else (receipts, slips, the Z report) on the receipt printer."""
    if job.kind == "ticket":
        return "ticket"
    if job.kind == "test":
        try:
            return str(job.document().printer_role)
        except Exception:
            return "receipt"
    return "receipt"


class PrintService(QObject):
    """Owns the print queue; ``job_done(job_id, kind)`` and ``job_failed(JobFailure)`` on the GUI thread.

    A retried job goes to its printer's address as configured now (``urls``), not to the address it
    was first sent to; a failed job can be discarded."""

    job_done = Signal(str, str)
    job_failed = Signal(object)
    _raw_done = Signal(str, str)
    _raw_failed = Signal(object)

    def __init__(self, jobs_dir: Path, parent: QObject | None = None, urls: PrinterUrls | None = None) -> None:
        super().__init__(parent)
        jobs_dir.mkdir(parents=True, exist_ok=True)
        self.urls = urls
        self.queue = PrintQueue(SQLiteJobStore(jobs_dir), on_success=self._on_success, on_failure=self._on_failure,
                                current_url=self.current_url)
        self.failed: dict[str, JobFailure] = {}
        self._raw_done.connect(self._done)
        self._raw_failed.connect(self._fail)

    def start(self) -> None:
        self.queue.start()

    def stop(self) -> None:
        self.queue.stop()

    # -- worker thread ----------------------------------------------------------------------
    def _on_success(self, job: PrintJob) -> None:
        self._raw_done.emit(job.id, job.kind)

    def _on_failure(self, job: PrintJob, exc: BaseException) -> None:
        self._raw_failed.emit(JobFailure(job.id, job.kind, job.error_ar, job.error_en or str(exc)))

    def submit(self, document: Any, printer_url: str, lang: str) -> str:
        """Store a job (call from a worker: it writes the job store)."""
        return self.queue.submit(document, printer_url, "en" if lang == "en" else "ar")

    def retry_failed(self) -> int:
        """Queue every failed job again, each on its printer's current address (worker thread)."""
        return self.queue.retry_failed()

    def current_url(self, job: PrintJob) -> str:
        """The address of ``job``'s printer as configured now (its own address without a configuration)."""
        if self.urls is None:
            return job.printer_url
        current = self.urls.ticket_printer if printer_role(job) == "ticket" else self.urls.receipt_printer
        return current.strip() or job.printer_url

    def failed_jobs(self) -> list[PrintJob]:
        """Failed jobs, oldest first (worker thread: reads the job store)."""
        return self.queue.failed()

    # -- GUI thread -------------------------------------------------------------------------
    @Slot(str, str)
    def _done(self, job_id: str, kind: str) -> None:
        self.failed.pop(job_id, None)
        self.job_done.emit(job_id, kind)

    @Slot(object)
    def _fail(self, failure: JobFailure) -> None:
        self.failed[failure.job_id] = failure
        self.job_failed.emit(failure)

    def forget(self, job_id: str) -> None:
        """A failed job was discarded (GUI thread)."""
        self.failed.pop(job_id, None)


# -- documents ------------------------------------------------------------------------------

def portal_of(centre: CentreView, portal_url: str = "") -> str:
    """The portal the printed codes link to: this PC's ``[portal] base_url``, else the centre's."""
    return portal_url or centre.portal_url


def ticket_document(centre: CentreView, group_ar: str, group_en: str, issued: IssuedView,
                    portal_url: str = "") -> TicketData:
    """What the citizen needs: the centre, the service group, the number, who is ahead, the estimated
    wait and the time; a QR code to follow the queue (``{portal}/t/{public token}``, never the
    ticket's uuid) only when the portal's address is known."""
    return TicketData(
        centre_name_ar=centre.name_ar, centre_name_en=centre.name_en,
        service_name_ar=group_ar, service_name_en=group_en, ticket_number=issued.number,
        priority=issued.priority, waiting_ahead=issued.waiting_ahead,
        estimated_wait_minutes=issued.estimated_wait_minutes, issued_at=issued.issued_at,
        qr_url=ticket_url(portal_of(centre, portal_url), issued.token),
        sms=issued.sms, sms_ahead=issued.sms_ahead, appointment_at=issued.appointment_at,
    )


def receipt_code(payload: str, portal_url: str) -> str:
    """A receipt's QR code: a link to the portal's check page, or the bare signed payload without one."""
    return receipt_url(portal_url, payload) if portal_url else payload


def test_page_document(centre: CentreView, role: str, printer_url: str, now: datetime) -> TestPageData:
    """A test page of this centre, dated now, marked «تجربة / TEST»."""
    return TestPageData(centre_name_ar=centre.name_ar, centre_name_en=centre.name_en, centre_code=centre.code,
                        printer_role=role, printer_url=printer_url, printed_at=now)


def receipt_document(key: Ed25519PrivateKey, centre: CentreView, counter_name: str, clerk_number: str,
                     service: ServiceView, submitted: SubmittedView, method: str, reference: str,
                     lang: str, portal_url: str = "") -> ReceiptData:
    payload = sign_receipt(key, submitted.centre_code, submitted.tracking_code, submitted.total_piastres,
                           submitted.paid_at)
    return ReceiptData(
        centre_name_ar=centre.name_ar, centre_name_en=centre.name_en, centre_code=submitted.centre_code,
        counter_name=counter_name, clerk_number=clerk_number, tracking_code=submitted.tracking_code,
        service_name_ar=service.name_ar, service_name_en=service.name_en,
        documents_received=[ar if lang == "ar" else en for ar, en in submitted.documents],
        fee_lines=[FeeLine(f.name_ar, f.name_en, f.amount_piastres) for f in submitted.fees],
        total_piastres=submitted.total_piastres, payment_method=method,  # type: ignore[arg-type]
        payment_reference=reference, paid_at=submitted.paid_at,
        qr_payload=receipt_code(payload, portal_of(centre, portal_url)),
    )


#: The missing-documents slip asks the citizen to come back within this many days of the slip's
#: date (the centre's calendar): one month, a fixed rule, since the catalogue holds no per-service
#: deadline for completing a file.
SLIP_RETURN_DAYS = 30


def slip_return_by(issued_at: datetime) -> date:
    """The last day to come back with the missing documents."""
    return to_local(issued_at).date() + timedelta(days=SLIP_RETURN_DAYS)


def slip_document(centre: CentreView, service: ServiceView, missing: list[str], reference: str,
                  issued_at: datetime, note: str = "", applicant: str = "") -> SlipData:
    return SlipData(
        centre_name_ar=centre.name_ar, centre_name_en=centre.name_en, service_name_ar=service.name_ar,
        service_name_en=service.name_en, missing_documents=missing, reference=reference, issued_at=issued_at,
        note=note, applicant_name=applicant.strip(), return_by=slip_return_by(issued_at),
    )


def tracking_code_from_scan(text: str, public_key: Ed25519PublicKey | None) -> str:
    """A typed tracking code, or the one inside a scanned receipt QR code, a bare payload or a portal
    link (checked when a key is known)."""
    text = payload_from_scan(text)
    if "|" not in text:
        return text
    if public_key is not None:
        from counter_app.common.signing import verify_receipt

        return verify_receipt(text, public_key).tracking_code
    parts = text.split("|")
    return parts[2] if len(parts) >= 3 else text


#: The refund slip's QR code is signed like a receipt, for the file's tracking code so marked.
REFUND_MARK = "R:"


def refund_document(key: Ed25519PrivateKey, centre: CentreView, counter_name: str, clerk_number: str,
                    service: ServiceView | None, refund: RefundView, portal_url: str = "") -> RefundSlipData:
    assert refund.paid_at is not None
    payload = sign_receipt(key, refund.centre_code, f"{REFUND_MARK}{refund.tracking_code}", refund.amount_piastres,
                           refund.paid_at)
    return RefundSlipData(
        centre_name_ar=centre.name_ar, centre_name_en=centre.name_en, centre_code=refund.centre_code,
        counter_name=counter_name, clerk_number=clerk_number, tracking_code=refund.tracking_code,
        service_name_ar=service.name_ar if service else refund.service_code,
        service_name_en=service.name_en if service else refund.service_code,
        applicant_name=refund.applicant_name, national_id_masked=mask_national_id(refund.national_id),
        amount_piastres=refund.amount_piastres, payment_method=refund.method,  # type: ignore[arg-type]
        paid_at=refund.paid_at, qr_payload=receipt_code(payload, portal_of(centre, portal_url)),
    )


def handover_document(centre: CentreView, counter_name: str, clerk_number: str, service: ServiceView | None,
                      done: Delivered) -> HandoverSlipData:
    app = done.app
    return HandoverSlipData(
        centre_name_ar=centre.name_ar, centre_name_en=centre.name_en, centre_code=centre.code,
        counter_name=counter_name, clerk_number=clerk_number, tracking_code=app.tracking_code,
        service_name_ar=service.name_ar if service else app.service_code,
        service_name_en=service.name_en if service else app.service_code,
        applicant_name=app.applicant_name, collector_name=done.collector_name,
        collector_national_id=mask_national_id(done.collector_national_id), relation=done.relation or "",
        authority=done.authority or "", delivered_at=done.delivered_at,
    )
