from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from counter_app.common.i18n import strip_isolates
from counter_app.common.tracking import normalise_tracking_code
from counter_app.core import applications as apps
from counter_app.core import catalogue
from counter_app.core.db import Database
from counter_app.core.errors import (
    DomainError,
    IllegalTransition,
    PermissionDenied,
    SeparationOfDutiesViolation,
    ValidationFailed,
)
from counter_app.core.models import (
    Application,
    ApplicationState,
    AuditEntry,
    OutboxEvent,
    PaymentMethod,
    Role,
    User,
)
from counter_app.core.national_id import NationalIdError
from tests.helpers.factories import Centre

NID = "29001010112355"  # 1 Jan 1990, Cairo
S = ApplicationState


def service_code(db: Database, code: str = "MP-REG-CERT") -> str:
    with db.read() as s:
        return catalogue.get_service(s, code).code


def draft(db: Database, site: Centre, service: str = "MP-REG-CERT") -> int:
    with db.begin() as s:
        clerk = s.get_one(User, site.clerk_ids[0])
        app = apps.start_application(s, service_code=service, clerk=clerk, counter_id=site.counter_ids[0],
                                     applicant=apps.Applicant("محمد أحمد علي حسن", NID, "01012345678"))
        return app.id


def complete_and_submit(db: Database, site: Centre, app_id: int, method: str = "cash", ref: str | None = None) -> None:
    with db.begin() as s:
        clerk = s.get_one(User, site.clerk_ids[0])
        app = apps.get_application(s, app_id)
        apps.set_documents(s, app_id, [d.code for d in app.documents], clerk=clerk)
        apps.record_payment(s, app_id, method, clerk=clerk, reference=ref)
        apps.submit(s, app_id, clerk=clerk)


def test_fee_comes_from_catalogue_and_snapshot(db: Database, site: Centre) -> None:
    app_id = draft(db, site)
    with db.read() as s:
        app = s.get_one(Application, app_id)
        svc = catalogue.get_service(s, "MP-REG-CERT")
        assert app.fee_total_piastres == sum(f.amount_piastres for f in svc.fees) > 0
        assert [f.code for f in app.fees] == [f.code for f in svc.fees]
        assert [d.code for d in app.documents] == [d.code for d in svc.documents]
        assert app.state == S.DRAFT and app.birth_date.isoformat() == "1990-01-01"
        assert app.sex == "male" and app.governorate_code == "01"
        assert normalise_tracking_code(app.tracking_code) == app.tracking_code
        assert len(app.uuid) == 36


def test_missing_mandatory_document_blocks_submit(db: Database, site: Centre) -> None:
    app_id = draft(db, site)
    with db.begin() as s:
        clerk = s.get_one(User, site.clerk_ids[0])
        app = apps.get_application(s, app_id)
        mandatory = [d.code for d in app.documents if d.mandatory]
        apps.set_documents(s, app_id, mandatory[1:], clerk=clerk)
        assert [d.code for d in apps.missing_documents(app)] == mandatory[:1]
        apps.record_payment(s, app_id, "cash", clerk=clerk)
    with db.begin() as s, pytest.raises(DomainError) as err:
        apps.submit(s, app_id, clerk=s.get_one(User, site.clerk_ids[0]))
    assert err.value.code == "missing_documents"
    assert strip_isolates(err.value.message("ar")) == "لا يمكن تقديم الطلب: ينقصه مستند إلزامي واحد."
    assert strip_isolates(err.value.message("en")) == (
        "The application cannot be submitted: 1 mandatory document is missing.")
    with db.read() as s:
        assert s.get_one(Application, app_id).state == S.DRAFT


def test_payment_once_and_reference_rules(db: Database, site: Centre) -> None:
    app_id = draft(db, site)
    with db.begin() as s:
        clerk = s.get_one(User, site.clerk_ids[0])
        with pytest.raises(ValidationFailed):
            apps.record_payment(s, app_id, PaymentMethod.CARD, clerk=clerk)
    with db.begin() as s:
        clerk = s.get_one(User, site.clerk_ids[0])
        pay = apps.record_payment(s, app_id, PaymentMethod.EPAYMENT, clerk=clerk, reference="FWR-778812")
        assert pay.amount_piastres == apps.get_application(s, app_id).fee_total_piastres
    with db.begin() as s, pytest.raises(IllegalTransition) as err:
        apps.record_payment(s, app_id, "cash", clerk=s.get_one(User, site.clerk_ids[0]))
    assert strip_isolates(err.value.message("ar")) == "سبق تسجيل الدفع لهذا الطلب."


def test_submit_without_payment_refused(db: Database, site: Centre) -> None:
    app_id = draft(db, site)
    with db.begin() as s:
        clerk = s.get_one(User, site.clerk_ids[0])
        apps.set_documents(s, app_id, [d.code for d in apps.get_application(s, app_id).documents], clerk=clerk)
    with db.begin() as s, pytest.raises(DomainError) as err:
        apps.submit(s, app_id, clerk=s.get_one(User, site.clerk_ids[0]))
    assert err.value.code == "payment_required"


def test_full_lifecycle_with_return_and_delivery(db: Database, site: Centre) -> None:
    app_id = draft(db, site)
    complete_and_submit(db, site, app_id)
    with db.begin() as s:
        app = s.get_one(Application, app_id)
        assert app.state == S.SUBMITTED and app.due_at is not None
        reviewer = s.get_one(User, app.reviewer_id)
        assert reviewer.role == Role.REVIEWER and reviewer.id != app.received_by
        apps.start_review(s, app_id, reviewer=reviewer)
        first = app.documents[0].code
        apps.return_for_documents(s, app_id, reviewer=reviewer, missing=[first], note="صورة غير واضحة")
        assert app.state == S.RETURNED  # type: ignore[comparison-overlap]  # return_for_documents changed it
    with db.begin() as s:
        clerk = s.get_one(User, site.clerk_ids[1])
        app = s.get_one(Application, app_id)
        with pytest.raises(DomainError):
            apps.submit(s, app_id, clerk=clerk)  # the returned document is still missing
    with db.begin() as s:
        clerk = s.get_one(User, site.clerk_ids[1])
        app = s.get_one(Application, app_id)
        apps.set_documents(s, app_id, [d.code for d in app.documents], clerk=clerk)
        apps.submit(s, app_id, clerk=clerk)
        reviewer = s.get_one(User, app.reviewer_id)
        apps.start_review(s, app_id, reviewer=reviewer)
        apps.approve(s, app_id, reviewer=reviewer)
        apps.mark_ready(s, app_id, user=reviewer)
    with db.begin() as s:
        found = apps.find_by_tracking_code(s, s.get_one(Application, app_id).tracking_code.replace("-", " "))
        apps.deliver(s, found.id, clerk=s.get_one(User, site.clerk_ids[2]), collected_by_name="محمد أحمد علي حسن",
                     collected_by_national_id=NID)
    with db.read() as s:
        app = s.get_one(Application, app_id)
        assert app.state == S.DELIVERED and app.delivered_by == site.clerk_ids[2]
        kinds = [e.kind for e in s.scalars(select(OutboxEvent).where(OutboxEvent.aggregate_id == app.uuid)
                                           .order_by(OutboxEvent.id))]
        assert kinds == ["application.create", "application.documents", "application.payment",
                         "application.submit", "application.start_review", "application.return",
                         "application.documents", "application.resubmit", "application.start_review",
                         "application.approve", "application.ready", "application.deliver"]
        # Payloads carry no personal data.
        for event in s.scalars(select(OutboxEvent).where(OutboxEvent.aggregate_id == app.uuid)):
            assert NID not in event.payload and "محمد" not in event.payload
            json.loads(event.payload)


def test_receiver_can_never_review(db: Database, site: Centre) -> None:
    """Even when the receiving clerk later becomes a reviewer of the department."""
    app_id = draft(db, site)
    complete_and_submit(db, site, app_id)
    with db.begin() as s:
        receiver = s.get_one(User, site.clerk_ids[0])
        app = s.get_one(Application, app_id)
        receiver.role = Role.REVIEWER
        receiver.department_code = "MANPOWER"
        app.reviewer_id = receiver.id  # even if the assignment were tampered with
    with db.begin() as s:
        with pytest.raises(SeparationOfDutiesViolation) as err:
            apps.start_review(s, app_id, reviewer=s.get_one(User, site.clerk_ids[0]))
        assert "لا يجوز" in err.value.message("ar")
    with db.read() as s:
        assert s.get_one(Application, app_id).state == S.SUBMITTED


@pytest.mark.expect_log(r"^refused attempt audited: sod\.violation$", logger="counter_app.core.db")
def test_sod_attempt_is_audited(db: Database, site: Centre) -> None:
    app_id = draft(db, site)
    complete_and_submit(db, site, app_id)
    with db.begin() as s:
        receiver = s.get_one(User, site.clerk_ids[0])
        receiver.role = Role.REVIEWER
    with pytest.raises(SeparationOfDutiesViolation), db.begin() as s:
        apps.start_review(s, app_id, reviewer=s.get_one(User, site.clerk_ids[0]))
    # The refused action changed nothing; the attempt is in the audit log all the same.
    with db.read() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "sod.violation"))
        assert entry is not None and entry.user_id == site.clerk_ids[0]
        assert s.get_one(Application, app_id).state == S.SUBMITTED


def test_reviewer_cannot_pick_files(db: Database, site: Centre) -> None:
    app_id = draft(db, site)
    complete_and_submit(db, site, app_id)
    with db.begin() as s:
        app = s.get_one(Application, app_id)
        other = next(r for r in site.reviewer_ids["MANPOWER"] if r != app.reviewer_id)
        with pytest.raises(PermissionDenied):
            apps.start_review(s, app_id, reviewer=s.get_one(User, other))


def test_round_robin_assignment(db: Database, site: Centre) -> None:
    ids = [draft(db, site) for _ in range(4)]
    for app_id in ids:
        complete_and_submit(db, site, app_id)
    with db.read() as s:
        assigned = [s.get_one(Application, i).reviewer_id for i in ids]
    assert set(assigned) == set(site.reviewer_ids["MANPOWER"])
    assert assigned[0] != assigned[1] and assigned[0] == assigned[2]


def test_reject_needs_reason(db: Database, site: Centre) -> None:
    app_id = draft(db, site)
    complete_and_submit(db, site, app_id)
    with db.begin() as s:
        app = s.get_one(Application, app_id)
        reviewer = s.get_one(User, app.reviewer_id)
        apps.start_review(s, app_id, reviewer=reviewer)
        with pytest.raises(ValidationFailed):
            apps.reject(s, app_id, reviewer=reviewer, reason=" ")
        apps.reject(s, app_id, reviewer=reviewer, reason="الشهادة منتهية الصلاحية")
        assert app.state == S.REJECTED
        with pytest.raises(IllegalTransition):
            apps.approve(s, app_id, reviewer=reviewer)


def test_illegal_transitions(db: Database, site: Centre) -> None:
    app_id = draft(db, site)
    with db.begin() as s:
        reviewer = s.get_one(User, site.reviewer_ids["MANPOWER"][0])
        clerk = s.get_one(User, site.clerk_ids[0])
        with pytest.raises(IllegalTransition):
            apps.mark_ready(s, app_id, user=clerk)
        with pytest.raises(IllegalTransition):
            apps.deliver(s, app_id, clerk=clerk, collected_by_name="محمد أحمد", collected_by_national_id=NID)
        with pytest.raises((IllegalTransition, PermissionDenied)):
            apps.approve(s, app_id, reviewer=reviewer)


def test_bad_national_id_changes_nothing(db: Database, site: Centre) -> None:
    with db.begin() as s:
        clerk = s.get_one(User, site.clerk_ids[0])
        with pytest.raises(NationalIdError):
            apps.start_application(s, service_code="MP-REG-CERT", clerk=clerk,
                                   applicant=apps.Applicant("محمد أحمد علي حسن", "29013321234567"))
    with db.read() as s:
        assert s.scalar(select(Application.id)) is None


def test_only_clerks_take_applications(db: Database, site: Centre) -> None:
    with db.begin() as s:
        reviewer = s.get_one(User, site.reviewer_ids["MANPOWER"][0])
        with pytest.raises(PermissionDenied):
            apps.start_application(s, service_code="MP-REG-CERT", clerk=reviewer,
                                   applicant=apps.Applicant("محمد أحمد علي حسن", NID))


def test_due_time_skips_weekend() -> None:
    from datetime import UTC, datetime

    thursday = datetime(2026, 11, 19, 10, 0, tzinfo=UTC)
    assert apps.due_time(thursday, 1).date().isoformat() == "2026-11-22"  # Sunday
    assert apps.due_time(thursday, 3).date().isoformat() == "2026-11-24"
