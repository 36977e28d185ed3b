"""The back office in core: assignment, masking, reassignment, four-eyes requests, SLA and the
audit viewer's queries."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from counter_app.core import applications as apps
from counter_app.core import audit_view, requests, review
from counter_app.core.clock import utcnow
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
    RequestKind,
    RequestState,
    Role,
    User,
)
from counter_app.core.users import create_user
from tests.helpers.applications import NAME, NID
from tests.helpers.applications import submitted as submit_application
from tests.helpers.factories import Centre

S = ApplicationState
PHONE = "01012345678"
ADDRESS = "١٢ شارع الهرم، الجيزة"
SERVICE = "MP-REG-CERT"


def submitted(db: Database, site: Centre, clerk_id: int | None = None, service: str = SERVICE) -> int:
    assert db is site.db
    return submit_application(site, clerk_id=clerk_id, service=service, phone=PHONE, address=ADDRESS, mail=None)


def reviewer_of(db: Database, app_id: int) -> int:
    with db.read() as s:
        reviewer = s.get_one(Application, app_id).reviewer_id
        assert reviewer is not None
        return reviewer


def audited(db: Database, action: str) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) or 0)


# -- assignment ---------------------------------------------------------------------------------
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(clerks=st.lists(st.integers(min_value=0, max_value=2), min_size=1, max_size=14))
def test_assignment_is_balanced_within_one(db: Database, site: Centre, clerks: list[int]) -> None:
    """Whatever the clerks submit, the department's reviewers' open loads differ by at most one."""
    with db.read() as s:
        before = Counter(s.scalars(select(Application.reviewer_id).where(Application.state == S.SUBMITTED)))
    ids = [submitted(db, site, site.clerk_ids[i]) for i in clerks]
    loads = before + Counter(reviewer_of(db, i) for i in ids)
    department = site.reviewer_ids["MANPOWER"]
    assert set(loads) <= set(department)
    counts = [loads.get(r, 0) for r in department]
    assert max(counts) - min(counts) <= 1


@pytest.mark.expect_log(r"^refused attempt audited: sod\.violation$", logger="counter_app.core.db")
def test_receiving_clerk_never_assigned_even_when_made_reviewer(db: Database, site: Centre) -> None:
    with db.begin() as s:
        former = create_user(s, username="clerk-turned-reviewer", full_name="موظف سابق", role=Role.CLERK,
                             password="a long password")
        former_id = former.id
    app_ids = [submitted(db, site, former_id) for _ in range(4)]
    with db.begin() as s:
        user = s.get_one(User, former_id)
        user.role, user.department_code = Role.REVIEWER, "MANPOWER"
    for _ in range(3):  # resubmissions and new files keep excluding the receiver
        app_ids.append(submitted(db, site, site.clerk_ids[0]))
    with db.read() as s:
        for app_id in app_ids[:4]:
            assert s.get_one(Application, app_id).reviewer_id != former_id
    with pytest.raises(SeparationOfDutiesViolation), db.begin() as s:
        review.review_file(s, app_ids[0], s.get_one(User, former_id))
    assert audited(db, "sod.violation") == 1


# -- masking ------------------------------------------------------------------------------------
def test_review_file_carries_no_personal_field(db: Database, site: Centre) -> None:
    app_id = submitted(db, site)
    with db.begin() as s:
        reviewer = s.get_one(User, reviewer_of(db, app_id))
        file = review.review_file(s, app_id, reviewer)
        rows = review.review_queue(s, reviewer)
    values = [str(v) for v in dataclasses.astuple(file)] + [str(v) for r in rows for v in dataclasses.astuple(r)]
    text = " ".join(values)
    for secret in (NID, PHONE, ADDRESS, *NAME.split(), NID[:11], PHONE[:9]):
        assert secret not in text, secret
    assert file.national_id.endswith(NID[-3:]) and file.national_id.count(review.MASK) == 11
    assert file.phone.endswith(PHONE[-2:]) and file.applicant_name == "•••• •••• •••• ••••"
    assert all(d.received for d in file.documents) and file.paid_piastres == file.fee_total_piastres
    assert [r.application_id for r in rows] == [app_id]


@pytest.mark.expect_log(r"^refused attempt audited: review\.not_assigned$", logger="counter_app.core.db")
@pytest.mark.expect_log(r"^refused attempt audited: review\.refused$", logger="counter_app.core.db")
def test_only_the_assigned_reviewer_opens_a_file(db: Database, site: Centre) -> None:
    app_id = submitted(db, site)
    other = next(r for r in site.reviewer_ids["MANPOWER"] if r != reviewer_of(db, app_id))
    with pytest.raises(PermissionDenied), db.begin() as s:
        review.review_file(s, app_id, s.get_one(User, other))
    with pytest.raises(PermissionDenied), db.begin() as s:
        review.review_file(s, app_id, s.get_one(User, site.supervisor_id))
    assert audited(db, "review.not_assigned") == 1 and audited(db, "review.refused") == 1


def test_reject_needs_a_listed_reason_and_text_for_other(db: Database, site: Centre) -> None:
    app_id = submitted(db, site)
    with db.begin() as s:
        reviewer = s.get_one(User, reviewer_of(db, app_id))
        apps.start_review(s, app_id, reviewer=reviewer)
    for code, text in (("made-up", "x"), ("other", "  ")):
        with pytest.raises(ValidationFailed), db.begin() as s:
            review.reject_with_reason(s, app_id, reviewer=s.get_one(User, reviewer.id), reason_code=code, text=text)
    with db.begin() as s:
        app = review.reject_with_reason(s, app_id, reviewer=s.get_one(User, reviewer.id),
                                        reason_code="invalid_document", text="شهادة منتهية")
        assert app.state == S.REJECTED and app.decision_reason == "[invalid_document] شهادة منتهية"


# -- reassignment -------------------------------------------------------------------------------
@pytest.mark.expect_log(r"^refused attempt audited: review\.reassign\.refused$", logger="counter_app.core.db")
def test_supervisor_reassigns_with_reason_reviewer_cannot(db: Database, site: Centre) -> None:
    app_id = submitted(db, site)
    current = reviewer_of(db, app_id)
    other = next(r for r in site.reviewer_ids["MANPOWER"] if r != current)
    with pytest.raises(PermissionDenied), db.begin() as s:
        review.reassign(s, app_id, other, by=s.get_one(User, current), reason="أريد غيره")
    assert audited(db, "review.reassign.refused") == 1
    with pytest.raises(ValidationFailed), db.begin() as s:
        review.reassign(s, app_id, other, by=s.get_one(User, site.supervisor_id), reason=" ")
    with pytest.raises(ValidationFailed), db.begin() as s:  # not a reviewer of the department
        review.reassign(s, app_id, site.reviewer_ids["LICENCES"][0], by=s.get_one(User, site.supervisor_id),
                        reason="إجازة")
    with db.begin() as s:
        review.reassign(s, app_id, other, by=s.get_one(User, site.supervisor_id), reason="المراجع في إجازة")
    assert reviewer_of(db, app_id) == other
    assert audited(db, "application.reassign") == 1
    with db.read() as s:
        assert requests.overriders(s, app_id) == {site.supervisor_id}


def test_rebalance_evens_out_unstarted_files(db: Database, site: Centre) -> None:
    first, second = site.reviewer_ids["MANPOWER"]
    ids = [submitted(db, site) for _ in range(6)]
    with db.begin() as s:  # pile everything on the first reviewer (as if the second had been away)
        for app_id in ids:
            s.get_one(Application, app_id).reviewer_id = first
    with db.begin() as s:
        moves = review.rebalance(s, "MANPOWER", by=s.get_one(User, site.supervisor_id), reason="توزيع الأحمال")
    assert len(moves) == 3 and all(old == first and new == second for _f, old, new in moves)
    loads = Counter(reviewer_of(db, i) for i in ids)
    assert loads[first] == loads[second] == 3


# -- four eyes ------------------------------------------------------------------------------------
@pytest.mark.expect_log(r"^refused attempt audited: request\.decide\.refused$", logger="counter_app.core.db")
@pytest.mark.expect_log(r"^refused attempt audited: sod\.violation$", logger="counter_app.core.db")
def test_nobody_approves_their_own_cancellation(db: Database, site: Centre) -> None:
    app_id = submitted(db, site)
    with db.begin() as s:
        req = requests.request(s, app_id, RequestKind.CANCEL, by=s.get_one(User, site.supervisor_id),
                               reason="طلب المواطن الإلغاء")
        req_id = req.id
    with pytest.raises(DomainError), db.begin() as s:  # one pending request at a time
        requests.request(s, app_id, RequestKind.CANCEL, by=s.get_one(User, site.clerk_ids[1]), reason="مكرر")
    with pytest.raises(SeparationOfDutiesViolation) as err, db.begin() as s:
        requests.decide(s, req_id, by=s.get_one(User, site.supervisor_id), approve=True)
    assert err.value.code == "sod_own_request"
    with pytest.raises(PermissionDenied), db.begin() as s:  # a clerk does not decide
        requests.decide(s, req_id, by=s.get_one(User, site.clerk_ids[1]), approve=True)
    with db.begin() as s:
        requests.decide(s, req_id, by=s.get_one(User, site.admin_id), approve=True, note="موافقة")
    with db.read() as s:
        app = s.get_one(Application, app_id)
        assert app.state == S.CANCELLED  # the refund is due, paid out later at the counter (issue 15)
        assert [p.amount_piastres for p in app.payments] == [app.fee_total_piastres]
        due = requests.refund_view(s, app_id)
        assert due is not None and due.amount_piastres == app.fee_total_piastres and due.paid_at is None
    assert audited(db, "application.cancel_approved") == 1 and audited(db, "sod.violation") == 1


@pytest.mark.expect_log(r"^refused attempt audited: sod\.violation$", logger="counter_app.core.db")
def test_receiver_and_overrider_never_approve(db: Database, site: Centre) -> None:
    with db.begin() as s:
        second_supervisor = create_user(s, username="supervisor2", full_name="مشرف ثان", role=Role.SUPERVISOR,
                                        password="a long password").id
    received_by_supervisor = submitted(db, site, site.supervisor_id)
    with db.begin() as s:
        req = requests.request(s, received_by_supervisor, "cancel", by=s.get_one(User, site.clerk_ids[0]),
                               reason="خطأ في الخدمة")
        req_id = req.id
    with pytest.raises(SeparationOfDutiesViolation) as err, db.begin() as s:
        requests.decide(s, req_id, by=s.get_one(User, site.supervisor_id), approve=True)
    assert err.value.code == "sod_receiver_cannot_approve"

    with db.begin() as s:  # a supervisor waives a document on a draft, then cannot approve its cancellation
        clerk = s.get_one(User, site.clerk_ids[0])
        app = apps.start_application(s, service_code=SERVICE, clerk=clerk, applicant=apps.Applicant(NAME, NID))
        code = next(d.code for d in app.documents if d.mandatory)
        draft_id = app.id
    with db.begin() as s:
        requests.waive_document(s, draft_id, code, by=s.get_one(User, second_supervisor), reason="بدل فاقد")
        req_id = requests.request(s, draft_id, "cancel", by=s.get_one(User, site.clerk_ids[0]), reason="تراجع").id
    with pytest.raises(SeparationOfDutiesViolation) as err, db.begin() as s:
        requests.decide(s, req_id, by=s.get_one(User, second_supervisor), approve=True)
    assert err.value.code == "sod_override_and_approve"
    with db.begin() as s:
        requests.decide(s, req_id, by=s.get_one(User, site.supervisor_id), approve=False, note="يكمل الطلب")
        assert s.get_one(Application, draft_id).state == S.DRAFT
    assert audited(db, "sod.violation") == 2


def test_refund_of_a_rejected_file(db: Database, site: Centre) -> None:
    app_id = submitted(db, site)
    with pytest.raises(IllegalTransition), db.begin() as s:  # not rejected
        requests.request(s, app_id, "refund", by=s.get_one(User, site.clerk_ids[0]), reason="x")
    with db.begin() as s:
        reviewer = s.get_one(User, reviewer_of(db, app_id))
        apps.start_review(s, app_id, reviewer=reviewer)
        review.reject_with_reason(s, app_id, reviewer=reviewer, reason_code="not_eligible")
    with db.begin() as s:
        req_id = requests.request(s, app_id, "refund", by=s.get_one(User, site.clerk_ids[1]), reason="رفض").id
        assert [p.request_id for p in requests.pending_requests(s)] == [req_id]
    with db.begin() as s:
        req = requests.decide(s, req_id, by=s.get_one(User, site.supervisor_id), approve=True)
        assert req.state == RequestState.APPROVED
        app = s.get_one(Application, app_id)
        due = requests.refund_view(s, app_id)
        assert app.state == S.REJECTED and due is not None and due.amount_piastres == apps.paid_total(app)


# -- SLA and the audit viewer ---------------------------------------------------------------------
def test_sla_watch_lists_overdue_and_near_due(db: Database, site: Centre) -> None:
    late, soon, later = (submitted(db, site) for _ in range(3))
    now = utcnow()
    with db.begin() as s:
        s.get_one(Application, late).due_at = now - timedelta(hours=2)
        s.get_one(Application, soon).due_at = now + timedelta(hours=5)
        s.get_one(Application, later).due_at = now + timedelta(days=5)
    with db.read() as s:
        rows = review.sla_watch(s, now)
    assert [(r.application_id, r.overdue) for r in rows] == [(late, True), (soon, False)]
    with db.begin() as s:
        queue = review.review_queue(s, s.get_one(User, reviewer_of(db, late)), now)
    flags = {r.application_id: (r.overdue, r.near_due) for r in queue}
    assert flags[late] == (True, False)


def test_audit_search_filters_and_csv(db: Database, site: Centre) -> None:
    app_id = submitted(db, site)
    with db.read() as s:
        tracking = s.get_one(Application, app_id).tracking_code
        mine = audit_view.search(s, audit_view.AuditFilter(tracking_code=tracking))
        by_clerk = audit_view.search(s, audit_view.AuditFilter(username="clerk1", action="application.sub"))
        none = audit_view.search(s, audit_view.AuditFilter(since=utcnow() + timedelta(hours=1)))
    assert [r.action for r in reversed(mine)] == ["application.create", "application.documents",
                                                 "application.payment", "application.submit"]
    assert [r.action for r in by_clerk] == ["application.submit"] and by_clerk[0].username == "clerk1"
    assert none == []
    rows = list(csv.reader(io.StringIO(audit_view.to_csv(mine).lstrip("\ufeff"))))
    assert rows[0][:5] == ["id", "time_utc", "time_local", "user", "action"] and len(rows) == 5
    assert rows[1][4] == "application.submit"
