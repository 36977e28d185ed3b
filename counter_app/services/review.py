"""The review window's and the supervisor's back-office calls into the core (worker threads, no
Qt). The reviewer only ever receives ``core.review`` records, in which personal fields are masked."""

from __future__ import annotations

from dataclasses import dataclass

from counter_app.core import applications, audit, audit_view, requests, review
from counter_app.core.db import Database
from counter_app.core.models import ApplicationState, RequestKind, User
from counter_app.core.review import QueueRow, ReviewFile, SlaRow

S = ApplicationState


@dataclass(frozen=True)
class ReviewDesk:
    """The reviewer's queue and, when one is open, the file on the desk."""

    queue: tuple[QueueRow, ...]
    file: ReviewFile | None


def load_desk(db: Database, reviewer_id: int, open_id: int | None = None) -> ReviewDesk:
    """The queue; opening a submitted file starts its review (one transaction, audited)."""
    with db.begin() as s:
        reviewer = s.get_one(User, reviewer_id)
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
        applications.approve(s, application_id, reviewer=s.get_one(User, reviewer_id))


def reject(db: Database, reviewer_id: int, application_id: int, reason_code: str, text: str) -> None:
    with db.begin() as s:
        review.reject_with_reason(s, application_id, reviewer=s.get_one(User, reviewer_id),
                                  reason_code=reason_code, text=text)


def return_for_documents(db: Database, reviewer_id: int, application_id: int, codes: list[str], note: str) -> None:
    with db.begin() as s:
        applications.return_for_documents(s, application_id, reviewer=s.get_one(User, reviewer_id), missing=codes,
                                          note=note)


# -- supervisor -------------------------------------------------------------------------------
@dataclass(frozen=True)
class BackOffice:
    sla: tuple[SlaRow, ...]
    reviewers: tuple[tuple[int, str, str], ...]  # id, username, department
    requests: tuple[requests.PendingRequest, ...]
    departments: dict[str, str]  # service code -> department code
    usernames: dict[int, str]


def back_office(db: Database, supervisor_id: int) -> BackOffice:
    from sqlalchemy import select

    from counter_app.core.models import Role, Service

    with db.read() as s:
        review.require_supervisor(s.get_one(User, supervisor_id))
        reviewers = tuple((u.id, u.username, u.department_code or "") for u in s.scalars(
            select(User).where(User.role == Role.REVIEWER, User.active.is_(True)).order_by(User.username)))
        departments = {code: dept for code, dept in s.execute(select(Service.code, Service.department_code))}
        usernames = {uid: name for uid, name in s.execute(select(User.id, User.username))}
        return BackOffice(tuple(review.sla_watch(s)), reviewers, tuple(requests.pending_requests(s)), departments,
                          usernames)


def reassign(db: Database, supervisor_id: int, application_id: int, reviewer_id: int, reason: str) -> None:
    with db.begin() as s:
        review.reassign(s, application_id, reviewer_id, by=s.get_one(User, supervisor_id), reason=reason)


def decide_request(db: Database, supervisor_id: int, request_id: int, approve: bool, note: str) -> None:
    with db.begin() as s:
        requests.decide(s, request_id, by=s.get_one(User, supervisor_id), approve=approve, note=note)


def request_cancellation(db: Database, user_id: int, application_id: int, reason: str) -> None:
    with db.begin() as s:
        requests.request(s, application_id, RequestKind.CANCEL, by=s.get_one(User, user_id), reason=reason)


def search_audit(db: Database, supervisor_id: int, f: audit_view.AuditFilter) -> list[audit_view.AuditRow]:
    with db.read() as s:
        review.require_supervisor(s.get_one(User, supervisor_id))
        return audit_view.search(s, f)


def verify_audit(db: Database, supervisor_id: int) -> audit.ChainReport:
    with db.read() as s:
        review.require_supervisor(s.get_one(User, supervisor_id))
        return audit.verify_chain(s)
