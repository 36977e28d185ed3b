"""A payment method the centre does not take is the domain's validation error (a message in the
clerk's language), never a bare ``ValueError`` that the windows would show as a crash."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from counter_app.common.i18n import strip_isolates
from counter_app.core import applications as apps
from counter_app.core.db import Database
from counter_app.core.errors import ValidationFailed
from counter_app.core.models import AuditEntry, OutboxEvent, Payment, User
from tests.helpers.factories import Centre

NID = "29001010112355"


def test_an_unknown_payment_method_is_a_validation_error_and_records_nothing(db: Database, site: Centre) -> None:
    with db.begin() as s:
        clerk = s.get_one(User, site.clerk_ids[0])
        app_id = apps.start_application(s, service_code="MP-REG-CERT", clerk=clerk, counter_id=site.counter_ids[0],
                                        applicant=apps.Applicant("محمد أحمد علي حسن", NID, "01012345678")).id
    with db.read() as s:
        before = (s.scalar(select(func.count()).select_from(OutboxEvent)),
                  s.scalar(select(func.count()).select_from(AuditEntry)))
    with pytest.raises(ValidationFailed) as refused, db.begin() as s:
        apps.record_payment(s, app_id, "bitcoin", clerk=s.get_one(User, site.clerk_ids[0]))
    error = refused.value
    assert error.code == "payment_method_unknown"
    english, arabic = strip_isolates(error.message("en")), strip_isolates(error.message("ar"))
    assert "bitcoin" in english and "payment method" in english
    assert "bitcoin" in arabic and "طريقة الدفع" in arabic
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 0
        assert (s.scalar(select(func.count()).select_from(OutboxEvent)),
                s.scalar(select(func.count()).select_from(AuditEntry))) == before
    # a known method still goes through
    with db.begin() as s:
        payment = apps.record_payment(s, app_id, "cash", clerk=s.get_one(User, site.clerk_ids[0]))
        assert payment.amount_piastres > 0
