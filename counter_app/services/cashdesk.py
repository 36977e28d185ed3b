"""The counter's money and handover calls into the core (worker threads, no Qt): a refund due on
a file is paid out at the counter; a result collected by someone other than the applicant is
recorded with the relation and the power of attorney. The slips they print are made from these
views by the window's print service (``ui.printing.refund_document``, ``handover_document``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from counter_app.core import applications, requests, users
from counter_app.core.clock import as_utc
from counter_app.core.db import Database
from counter_app.core.models import Application, Refund
from counter_app.services.views import ApplicationView, application_view


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
        due = requests.pay_refund(s, refund_id, by=users.get_user(s, clerk_id), paid_to_name=name,
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
        app = applications.deliver(s, application_id, clerk=users.get_user(s, clerk_id), collected_by_name=name,
                                   collected_by_national_id=national_id, relation=relation, authority=authority)
        assert app.delivered_at is not None and app.collected_by_name and app.collected_by_national_id
        return Delivered(application_view(app), app.collected_by_name, app.collected_by_national_id,
                         app.collector_relation, app.collector_authority, as_utc(app.delivered_at))
