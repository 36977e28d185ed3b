"""The counter's money and handover calls into the core (worker threads, no Qt), and the slips
they print: a refund due on a file is paid out at the counter (refund slip, signed like a receipt);
a result collected by someone other than the applicant is recorded with the relation and the power
of attorney (handover slip)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counter_app.common.signing import sign_receipt
from counter_app.core import applications, requests
from counter_app.core.clock import as_utc
from counter_app.core.db import Database
from counter_app.core.models import Application, Refund, User
from counter_app.core.national_id import mask_national_id
from counter_app.ui.backend import ApplicationView, CentreView, ServiceView, _app_view
from printers.data import HandoverSlipData, RefundSlipData

#: The refund slip's QR code is signed like a receipt, for the file's tracking code so marked.
REFUND_MARK = "R:"


@dataclass(frozen=True)
class RefundView:
    refund_id: int
    application_id: int
    tracking_code: str
    centre_code: str
    service_code: str
    applicant_name: str
    national_id: str
    amount_piastres: int
    method: str
    paid_at: datetime | None


def _refund_view(app: Application, due: Refund) -> RefundView:
    return RefundView(due.id, app.id, app.tracking_code, app.centre_code, app.service_code, app.applicant_name,
                      app.national_id, due.amount_piastres, due.method.value,
                      as_utc(due.paid_at) if due.paid_at else None)


def refund_of(db: Database, application_id: int) -> RefundView | None:
    """The refund approved on a file (due or paid), if any."""
    with db.read() as s:
        due = requests.refund_of(s, application_id)
        return _refund_view(applications.get_application(s, application_id), due) if due else None


def pay_refund(db: Database, refund_id: int, clerk_id: int, counter_id: int | None, name: str,
               national_id: str) -> RefundView:
    with db.begin() as s:
        due = requests.pay_refund(s, refund_id, by=s.get_one(User, clerk_id), paid_to_name=name,
                                  paid_to_national_id=national_id, counter_id=counter_id)
        return _refund_view(applications.get_application(s, due.application_id), due)


@dataclass(frozen=True)
class Delivered:
    app: ApplicationView
    collector_name: str
    collector_national_id: str
    relation: str | None
    authority: str | None
    delivered_at: datetime


def deliver(db: Database, application_id: int, clerk_id: int, name: str, national_id: str,
            relation: str | None, authority: str | None) -> Delivered:
    with db.begin() as s:
        app = applications.deliver(s, application_id, clerk=s.get_one(User, clerk_id), collected_by_name=name,
                                   collected_by_national_id=national_id, relation=relation, authority=authority)
        assert app.delivered_at is not None and app.collected_by_name and app.collected_by_national_id
        return Delivered(_app_view(app), app.collected_by_name, app.collected_by_national_id,
                         app.collector_relation, app.collector_authority, as_utc(app.delivered_at))


def refund_document(key: Ed25519PrivateKey, centre: CentreView, counter_name: str, clerk_number: str,
                    service: ServiceView | None, refund: RefundView) -> RefundSlipData:
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
        paid_at=refund.paid_at, qr_payload=payload,
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
