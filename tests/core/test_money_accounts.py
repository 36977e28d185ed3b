"""Issue 15, items 7-10 in the core: a cancellation's refund is paid out at the counter and is its
own reconciliation line; a reviewer needs a department; a locked account can be unlocked and a
password reset, audited; a result collected by someone else records the relation and the power of
attorney; a cash payment records the amount received and the change."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from counter_app.core import applications as apps
from counter_app.core import kpis, requests, users
from counter_app.core.clock import local_day, utcnow
from counter_app.core.db import Database
from counter_app.core.errors import (
    AuthenticationFailed,
    IllegalTransition,
    PermissionDenied,
    SeparationOfDutiesViolation,
    ValidationFailed,
)
from counter_app.core.models import (
    Application,
    ApplicationState,
    AuditEntry,
    Payment,
    Refund,
    Role,
    User,
)
from tests.helpers.factories import PASSWORD, Centre

NAME, NID, OTHER_NID = "محمد أحمد محمود حسن", "29001010112355", "28506150102346"
SERVICE = "MP-REG-CERT"


def submitted(site: Centre, cash_received: int | None = None) -> int:
    """A complete file paid in cash and submitted by the first clerk; its id."""
    with site.db.begin() as s:
        clerk = s.get_one(User, site.clerk_ids[0])
        app = apps.start_application(s, service_code=SERVICE, clerk=clerk, counter_id=site.counter_ids[0],
                                     applicant=apps.Applicant(NAME, NID, "01012345678"))
        apps.set_documents(s, app.id, [d.code for d in app.documents], clerk=clerk)
        apps.record_payment(s, app.id, "cash", clerk=clerk, cash_received=cash_received)
        apps.submit(s, app.id, clerk=clerk)
        return app.id


def audited(db: Database, action: str) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) or 0)


def cancelled_with_refund_due(db: Database, site: Centre) -> int:
    app_id = submitted(site)
    with db.begin() as s:
        req = requests.request(s, app_id, "cancel", by=s.get_one(User, site.clerk_ids[1]), reason="تراجع المواطن")
    with db.begin() as s:
        requests.decide(s, req.id, by=s.get_one(User, site.supervisor_id), approve=True)
    return app_id


# -- 7: refunds -----------------------------------------------------------------------------------
def test_approving_a_cancellation_moves_no_money_and_the_day_stays_reconciled(db: Database, site: Centre) -> None:
    app_id = cancelled_with_refund_due(db, site)
    today = local_day(utcnow())
    with db.read() as s:
        app = s.get_one(Application, app_id)
        assert app.state == ApplicationState.CANCELLED
        assert all(p.amount_piastres > 0 for p in app.payments)  # no negative payment any more
        due = requests.refund_view(s, app_id)
        assert due is not None and due.paid_at is None and due.amount_piastres == app.fee_total_piastres
        money = kpis.compute(s, today).money
    assert money.reconciled and money.refunds == 0


@pytest.mark.expect_log(r"^refused attempt audited: sod\.violation$", logger="counter_app.core.db")
def test_a_refund_is_paid_at_the_counter_once_to_the_applicant(db: Database, site: Centre) -> None:
    app_id = cancelled_with_refund_due(db, site)
    with db.read() as s:
        due = requests.refund_view(s, app_id)
        assert due is not None
        fee = s.get_one(Application, app_id).fee_total_piastres
    with pytest.raises(SeparationOfDutiesViolation) as refused, db.begin() as s:  # the approver never pays out
        requests.pay_refund(s, due.refund_id, by=s.get_one(User, site.supervisor_id), paid_to_name=NAME,
                            paid_to_national_id=NID)
    assert refused.value.code == "sod_approver_cannot_pay"
    with pytest.raises(ValidationFailed) as wrong, db.begin() as s:
        requests.pay_refund(s, due.refund_id, by=s.get_one(User, site.clerk_ids[2]), paid_to_name="شخص آخر تماما",
                            paid_to_national_id=OTHER_NID)
    assert wrong.value.code == "refund_not_applicant"
    with db.begin() as s:
        paid = requests.pay_refund(s, due.refund_id, by=s.get_one(User, site.clerk_ids[2]), paid_to_name=NAME,
                                   paid_to_national_id=NID, counter_id=site.counter_ids[1])
        assert paid.paid_at is not None and paid.counter_id == site.counter_ids[1]
    with pytest.raises(IllegalTransition) as twice, db.begin() as s:
        requests.pay_refund(s, due.refund_id, by=s.get_one(User, site.clerk_ids[2]), paid_to_name=NAME,
                            paid_to_national_id=NID)
    assert twice.value.code == "refund_already_paid"
    with db.read() as s:
        money = kpis.compute(s, local_day(utcnow())).money
    assert money.reconciled, money
    assert (money.total, money.refunds, money.refund_count, money.net) == (fee, fee, 1, 0)
    assert audited(db, "application.refund_paid") == 1 and audited(db, "sod.violation") == 1


def test_a_rejected_file_is_refunded_once(db: Database, site: Centre) -> None:
    app_id = submitted(site)
    with db.begin() as s:
        app = s.get_one(Application, app_id)
        reviewer = s.get_one(User, app.reviewer_id)
        apps.start_review(s, app_id, reviewer=reviewer)
        apps.reject(s, app_id, reviewer=reviewer, reason="غير مستحق")
    with db.begin() as s:
        req = requests.request(s, app_id, "refund", by=s.get_one(User, site.clerk_ids[1]), reason="رفض")
    with db.begin() as s:
        requests.decide(s, req.id, by=s.get_one(User, site.supervisor_id), approve=True)
    with pytest.raises(IllegalTransition), db.begin() as s:  # approved already: no second refund request
        requests.request(s, app_id, "refund", by=s.get_one(User, site.clerk_ids[1]), reason="مرة أخرى")
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Refund)) == 1


# -- 8: accounts ----------------------------------------------------------------------------------
def test_a_reviewer_needs_a_department(db: Database, site: Centre) -> None:
    with pytest.raises(ValidationFailed) as err, db.begin() as s:
        users.create_user(s, username="rev-x", full_name="مراجع جديد", role=Role.REVIEWER, password=PASSWORD,
                          created_by=site.supervisor_id)
    assert err.value.code == "department_required"
    assert "department" in err.value.message("en").lower()
    with db.begin() as s:
        user = users.create_user(s, username="rev-x", full_name="مراجع جديد", role=Role.REVIEWER,
                                 password=PASSWORD, department_code="MANPOWER", created_by=site.supervisor_id)
        assert user.department_code == "MANPOWER"


def lock_out(db: Database, username: str) -> None:
    for _ in range(users.MAX_FAILED_LOGINS):
        with pytest.raises(AuthenticationFailed), db.begin() as s:
            try:
                users.authenticate(s, username, "wrong password")
            finally:
                s.commit()


@pytest.mark.expect_log(r"^refused attempt audited: user\.unlock\.refused$", logger="counter_app.core.db")
@pytest.mark.expect_log(r"^refused attempt audited: user\.reset_password\.refused$", logger="counter_app.core.db")
def test_a_supervisor_unlocks_an_account_and_resets_a_password(db: Database, site: Centre) -> None:
    with db.read() as s:
        clerk = s.get_one(User, site.clerk_ids[0])
        username = clerk.username
    lock_out(db, username)
    with pytest.raises(AuthenticationFailed) as locked, db.begin() as s:
        users.authenticate(s, username, PASSWORD)
    assert locked.value.code == "account_locked"
    with db.begin() as s:
        target = s.get_one(User, site.clerk_ids[0])
        assert users.is_locked(target)
    with pytest.raises(PermissionDenied), db.begin() as s:  # a clerk cannot
        users.unlock(s, s.get_one(User, site.clerk_ids[0]), by=s.get_one(User, site.clerk_ids[1]))
    with db.begin() as s:
        users.unlock(s, s.get_one(User, site.clerk_ids[0]), by=s.get_one(User, site.supervisor_id))
    with db.begin() as s:
        assert users.authenticate(s, username, PASSWORD).id == site.clerk_ids[0]
    with pytest.raises(PermissionDenied), db.begin() as s:  # a supervisor never resets an administrator's
        users.reset_password(s, s.get_one(User, site.admin_id), "temporary-1", by=s.get_one(User, site.supervisor_id))
    lock_out(db, username)
    with db.begin() as s:
        users.reset_password(s, s.get_one(User, site.clerk_ids[0]), "temporary-1",
                             by=s.get_one(User, site.supervisor_id))
    with db.begin() as s:
        user = users.authenticate(s, username, "temporary-1")
        assert user.must_change_password
        users.change_password(s, user, "my own secret", by=user)
        assert not user.must_change_password
    assert audited(db, "user.unlock") == 1 and audited(db, "user.reset_password") == 1
    assert audited(db, "user.reset_password.refused") == 1 and audited(db, "user.unlock.refused") == 1
    with db.read() as s:
        details = " ".join(s.scalars(select(AuditEntry.detail).where(AuditEntry.action.like("user.%"))))
    assert "temporary-1" not in details


# -- 9: delivery to a representative --------------------------------------------------------------
def ready(db: Database, site: Centre) -> int:
    app_id = submitted(site)
    with db.begin() as s:
        app = s.get_one(Application, app_id)
        reviewer = s.get_one(User, app.reviewer_id)
        apps.start_review(s, app_id, reviewer=reviewer)
        apps.approve(s, app_id, reviewer=reviewer)
        apps.mark_ready(s, app_id, user=s.get_one(User, site.clerk_ids[0]))
    return app_id


def test_delivery_to_someone_else_needs_the_relation_and_power_of_attorney(db: Database, site: Centre) -> None:
    app_id = ready(db, site)
    clerk = site.clerk_ids[1]
    for relation, authority, code in ((None, None, "collector_relation_required"),
                                      ("cousin", None, "collector_relation_required"),
                                      ("attorney", " ", "power_of_attorney_required")):
        with pytest.raises(ValidationFailed) as err, db.begin() as s:
            apps.deliver(s, app_id, clerk=s.get_one(User, clerk), collected_by_name="سعيد محمود حسن",
                         collected_by_national_id=OTHER_NID, relation=relation, authority=authority)
        assert err.value.code == code
    with db.read() as s:
        assert s.get_one(Application, app_id).state == ApplicationState.READY  # nothing changed
    with db.begin() as s:
        apps.deliver(s, app_id, clerk=s.get_one(User, clerk), collected_by_name="سعيد محمود حسن",
                     collected_by_national_id=OTHER_NID, relation="attorney", authority="1234 / 2026 أ")
    with db.read() as s:
        app = s.get_one(Application, app_id)
        assert (app.state, app.collector_relation, app.collector_authority) == (
            ApplicationState.DELIVERED, "attorney", "1234 / 2026 أ")
        detail = s.scalar(select(AuditEntry.detail).where(AuditEntry.action == "application.deliver"))
    assert detail is not None and '"relation":"attorney"' in detail and "1234 / 2026" in detail


def test_delivery_to_the_applicant_asks_nothing_more(db: Database, site: Centre) -> None:
    app_id = ready(db, site)
    with db.begin() as s:
        app = apps.deliver(s, app_id, clerk=s.get_one(User, site.clerk_ids[1]), collected_by_name=NAME,
                           collected_by_national_id=NID, relation="spouse")
        assert app.collector_relation is None and not apps.is_representative(app, NID)
        assert apps.is_representative(app, OTHER_NID)


# -- 10: cash received and change -----------------------------------------------------------------
def test_cash_payment_records_the_amount_received_and_the_change(db: Database, site: Centre) -> None:
    with db.begin() as s:
        clerk = s.get_one(User, site.clerk_ids[0])
        app = apps.start_application(s, service_code=SERVICE, clerk=clerk,
                                     applicant=apps.Applicant(NAME, NID))
        fee = app.fee_total_piastres
        app_id = app.id
    for received, code in ((None, "cash_received_required"), (fee - 1, "cash_received_short")):
        with pytest.raises(ValidationFailed) as err, db.begin() as s:
            apps.cash_change(fee, received)
        assert err.value.code == code
    with pytest.raises(ValidationFailed), db.begin() as s:
        apps.record_payment(s, app_id, "cash", clerk=s.get_one(User, site.clerk_ids[0]), cash_received=fee - 50)
    with db.begin() as s:
        apps.record_payment(s, app_id, "cash", clerk=s.get_one(User, site.clerk_ids[0]), cash_received=fee + 2500)
    with db.read() as s:
        payment = s.scalars(select(Payment).where(Payment.application_id == app_id)).one()
        assert (payment.amount_piastres, payment.cash_received_piastres, payment.change_piastres) == (
            fee, fee + 2500, 2500)
        detail = s.scalar(select(AuditEntry.detail).where(AuditEntry.action == "application.payment"))
    assert detail is not None and '"change":2500' in detail


# -- migration 0008: refunds written as negative payments before it become paid refunds -------------
def test_migration_moves_negative_payments_into_refunds(db: Database, site: Centre) -> None:
    from alembic import command
    from sqlalchemy import text

    from counter_app.core.migrate import alembic_config, upgrade

    app_id = submitted(site)
    with db.begin() as s:
        fee = s.get_one(Application, app_id).fee_total_piastres
    command.downgrade(alembic_config(db.engine), "0007")  # the schema before refunds were a line
    with db.engine.begin() as conn:  # the old way: a negative payment at the approval
        paid_at = conn.execute(text("SELECT paid_at FROM payment WHERE application_id = :a"), {"a": app_id}).scalar()
        conn.execute(text("INSERT INTO payment (application_id, method, amount_piastres, paid_at, received_by) "
                          "VALUES (:a, 'cash', :m, :t, :u)"), {"a": app_id, "m": -fee, "t": paid_at,
                                                               "u": site.supervisor_id})
    upgrade(db.engine)
    with db.read() as s:
        amounts = list(s.scalars(select(Payment.amount_piastres).where(Payment.application_id == app_id)))
        refund = s.scalars(select(Refund).where(Refund.application_id == app_id)).one()
        assert amounts == [fee] and refund.amount_piastres == fee and refund.paid_at is not None
        assert refund.approved_by == refund.paid_by == site.supervisor_id
