"""The review window and the supervisor's back office through their services, without Qt: the
reviewer sees only their own files, masked; each decision reaches the counter."""

from __future__ import annotations

import pytest

from counter_app.services import counter, review
from counter_app.services.errors import PermissionDenied, ShubbakError, ValidationFailed
from counter_app.services.views import ApplicationState
from tests.helpers.factories import Centre
from tests.helpers.logfail import Expectations
from tests.services.conftest import APPLICANT, error_text, said, service, submitted


def holder(site: Centre, application_id: int) -> int:
    """The MANPOWER reviewer the system gave the file to (never chosen by hand)."""
    owners = [r for r in site.reviewer_ids["MANPOWER"]
              if application_id in {row.application_id for row in review.load_desk(site.db, r).queue}]
    assert len(owners) == 1
    return owners[0]


def test_the_reviewer_opens_the_file_masked_and_approves_it(site: Centre) -> None:
    done = submitted(site)
    reviewer = holder(site, done.application_id)
    other = next(r for r in site.reviewer_ids["MANPOWER"] if r != reviewer)
    assert done.application_id not in {row.application_id for row in review.load_desk(site.db, other).queue}

    desk = review.load_desk(site.db, reviewer, done.application_id)
    assert desk.file is not None
    assert desk.file.state == ApplicationState.IN_REVIEW  # opening the file starts its review
    assert desk.file.tracking_code == done.tracking_code
    assert APPLICANT.name not in desk.file.applicant_name
    assert desk.file.national_id != APPLICANT.national_id
    assert desk.file.national_id.endswith(APPLICANT.national_id[-3:])
    assert counter.find_application(site.db, done.tracking_code).state == ApplicationState.IN_REVIEW

    review.approve(site.db, reviewer, done.application_id)
    assert done.application_id not in {row.application_id for row in review.load_desk(site.db, reviewer).queue}
    assert counter.find_application(site.db, done.tracking_code).state == ApplicationState.APPROVED


def test_someone_else_cannot_open_the_file(site: Centre, expect_log: Expectations) -> None:
    done = submitted(site)
    other = next(r for r in site.reviewer_ids["MANPOWER"] if r != holder(site, done.application_id))
    # the refusal is audited, and the operator's log says so
    with pytest.raises(PermissionDenied) as refused, expect_log("refused attempt audited: review.not_assigned"):
        review.load_desk(site.db, other, done.application_id)
    assert said(refused.value)
    assert counter.find_application(site.db, done.tracking_code).state == ApplicationState.SUBMITTED


def test_a_rejection_carries_its_reason_to_the_counter(site: Centre) -> None:
    done = submitted(site)
    reviewer = holder(site, done.application_id)
    review.load_desk(site.db, reviewer, done.application_id)
    with pytest.raises(ValidationFailed) as no_reason:
        review.reject(site.db, reviewer, done.application_id, "no such reason", "")
    assert said(no_reason.value) == error_text("reason_required")
    review.reject(site.db, reviewer, done.application_id, "invalid_document", "صورة البطاقة غير واضحة")
    seen = counter.find_application(site.db, done.tracking_code)
    assert seen.state == ApplicationState.REJECTED and "صورة البطاقة غير واضحة" in seen.note


def test_a_returned_file_comes_back_when_the_document_is_brought(site: Centre) -> None:
    done = submitted(site)
    reviewer = holder(site, done.application_id)
    review.load_desk(site.db, reviewer, done.application_id)
    review.return_for_documents(site.db, reviewer, done.application_id, ["PHOTOS"], "الصور غير مطابقة")
    returned = counter.find_application(site.db, done.tracking_code)
    assert returned.state == ApplicationState.RETURNED and "PHOTOS" not in returned.received
    assert returned.note == "الصور غير مطابقة"

    everything = [d.code for d in service(site).documents]
    without_photos = [code for code in everything if code != "PHOTOS"]
    with pytest.raises(ShubbakError) as still_missing:  # refused, nothing changed
        counter.resubmit(site.db, done.application_id, site.clerk_ids[0], without_photos)
    assert said(still_missing.value) == error_text("missing_documents", n=1)
    assert counter.find_application(site.db, done.tracking_code).state == ApplicationState.RETURNED
    back = counter.resubmit(site.db, done.application_id, site.clerk_ids[0], everything)
    assert back.state == ApplicationState.SUBMITTED and "PHOTOS" in back.received


def test_the_back_office_lists_reviewers_and_reassigns_with_a_reason(site: Centre) -> None:
    done = submitted(site)
    office = review.back_office(site.db, site.supervisor_id)
    assert {rid for rid, _name, dept in office.reviewers if dept == "MANPOWER"} == set(site.reviewer_ids["MANPOWER"])
    assert office.departments[service(site).code] == "MANPOWER"
    assert office.usernames[site.supervisor_id] == "supervisor"
    reviewer = holder(site, done.application_id)
    other = next(r for r in site.reviewer_ids["MANPOWER"] if r != reviewer)
    review.reassign(site.db, site.supervisor_id, done.application_id, other, "إجازة")
    assert holder(site, done.application_id) == other


def test_a_clerk_cannot_use_the_back_office(site: Centre) -> None:
    with pytest.raises(PermissionDenied) as refused:
        review.back_office(site.db, site.clerk_ids[0])
    assert said(refused.value) == error_text("permission_denied")


def test_a_cancellation_asked_at_the_counter_is_decided_by_the_supervisor(site: Centre) -> None:
    done = submitted(site)
    counter.request_cancellation(site.db, done.application_id, site.clerk_ids[0], "طلب المواطن")
    pending = review.back_office(site.db, site.supervisor_id).requests
    assert [p.application_id for p in pending] == [done.application_id]
    review.decide_request(site.db, site.supervisor_id, pending[0].request_id, True, "موافق")
    assert counter.find_application(site.db, done.tracking_code).state == ApplicationState.CANCELLED
    assert review.back_office(site.db, site.supervisor_id).requests == ()


def test_the_audit_trail_names_the_decisions_and_its_chain_holds(site: Centre) -> None:
    done = submitted(site)
    reviewer = holder(site, done.application_id)
    review.load_desk(site.db, reviewer, done.application_id)
    review.approve(site.db, reviewer, done.application_id)
    rows = review.search_audit(site.db, site.supervisor_id, review.AuditFilter(tracking_code=done.tracking_code))
    approvals = [row for row in rows if row.action == "application.approve"]
    assert [row.entity_id for row in approvals] == [str(done.application_id)]
    assert all(review.describe(row, "ar") for row in rows)
    assert review.verify_audit(site.db, site.supervisor_id).ok
