"""The review window's and the supervisor's back-office calls into the core (worker threads, no
Qt). The reviewer only ever receives ``core.review`` records, in which personal fields are masked.

The records and helpers these windows show (review files, queue and SLA rows, audit rows and
their sentences) are named here too, so the windows import ``services`` only.
"""

from __future__ import annotations

from dataclasses import dataclass

from counter_app.core import applications, audit, audit_view, catalogue, requests, review, users
from counter_app.core.audit import ChainReport as ChainReport
from counter_app.core.audit_view import AuditFilter as AuditFilter
from counter_app.core.audit_view import AuditRow as AuditRow
from counter_app.core.audit_view import describe as describe
from counter_app.core.audit_view import detail_of as detail_of
from counter_app.core.audit_view import to_csv as to_csv
from counter_app.core.db import Database
from counter_app.core.models import ApplicationState, RequestKind
from counter_app.core.requests import PendingRequest as PendingRequest
from counter_app.core.review import REJECTION_REASONS as REJECTION_REASONS
from counter_app.core.review import QueueRow as QueueRow
from counter_app.core.review import ReviewFile as ReviewFile
from counter_app.core.review import SlaRow as SlaRow

S = ApplicationState


@dataclass(frozen=True)
class ReviewDesk:
    """The reviewer's queue and, when one is open, the file on the desk."""

    queue: tuple[QueueRow, ...]
    file: ReviewFile | None


def load_desk(db: Database, reviewer_id: int, open_id: int | None = None) -> ReviewDesk:
    """The queue; opening a submitted file starts its review (one transaction, audited)."""
    with db.begin() as s:
        reviewer = users.get_user(s, reviewer_id)
        file = None
        if open_id is not None:
            file = review.review_file(s, open_id, reviewer)
            if file.state == S.SUBMITTED:
                applications.start_review(s, open_id, reviewer=reviewer)
                s.flush()
                file = review.review_file(s, open_id, reviewer)
        return ReviewDesk(tuple(review.review_queue(s, reviewer)), file)


def approve(db: Database, reviewer_id: int, application_id: int) -> None:
    with db.begin() as s:
        applications.approve(s, application_id, reviewer=users.get_user(s, reviewer_id))


def reject(db: Database, reviewer_id: int, application_id: int, reason_code: str, text: str) -> None:
    with db.begin() as s:
        review.reject_with_reason(s, application_id, reviewer=users.get_user(s, reviewer_id),
                                  reason_code=reason_code, text=text)


def return_for_documents(db: Database, reviewer_id: int, application_id: int, codes: list[str], note: str) -> None:
    with db.begin() as s:
        applications.return_for_documents(s, application_id, reviewer=users.get_user(s, reviewer_id), missing=codes,
                                          note=note)


# -- supervisor -------------------------------------------------------------------------------
@dataclass(frozen=True)
class BackOffice:
    sla: tuple[SlaRow, ...]
    reviewers: tuple[tuple[int, str, str], ...]  # id, username, department
    requests: tuple[PendingRequest, ...]
    departments: dict[str, str]  # service code -> department code
    usernames: dict[int, str]


def back_office(db: Database, supervisor_id: int) -> BackOffice:
    with db.read() as s:
        review.require_supervisor(users.get_user(s, supervisor_id))
        reviewers = tuple((u.id, u.username, u.department_code or "") for u in users.active_reviewers(s))
        return BackOffice(tuple(review.sla_watch(s)), reviewers, tuple(requests.pending_requests(s)),
                          catalogue.service_departments(s), users.usernames(s))


def reassign(db: Database, supervisor_id: int, application_id: int, reviewer_id: int, reason: str) -> None:
    with db.begin() as s:
        review.reassign(s, application_id, reviewer_id, by=users.get_user(s, supervisor_id), reason=reason)


def decide_request(db: Database, supervisor_id: int, request_id: int, approve: bool, note: str) -> None:
    with db.begin() as s:
        requests.decide(s, request_id, by=users.get_user(s, supervisor_id), approve=approve, note=note)


def request_cancellation(db: Database, user_id: int, application_id: int, reason: str) -> None:
    with db.begin() as s:
        requests.request(s, application_id, RequestKind.CANCEL, by=users.get_user(s, user_id), reason=reason)


def search_audit(db: Database, supervisor_id: int, f: audit_view.AuditFilter) -> list[audit_view.AuditRow]:
    with db.read() as s:
        review.require_supervisor(users.get_user(s, supervisor_id))
        return audit_view.search(s, f)


def verify_audit(db: Database, supervisor_id: int) -> audit.ChainReport:
    with db.read() as s:
        review.require_supervisor(users.get_user(s, supervisor_id))
        return audit.verify_chain(s)
