"""The back office: what a reviewer sees of a file, and the supervisor's reassignments.

A reviewer works from :func:`review_queue` and :func:`review_file`. Both build plain frozen
records in which the applicant's name, national ID, phone and address are already masked, so no
personal field can reach the review window. Files are assigned by the system (round robin in
:mod:`counter_app.core.applications`); a reviewer can neither pick nor reassign a file. A
supervisor can move a file to another reviewer of its department (:func:`reassign`), or even out a
department's unstarted files (:func:`rebalance`), always with a reason, audited, and recorded as an
override on the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from counter_app.common.catalogue_data import FeeLine
from counter_app.common.i18n import N_
from counter_app.core import applications, audit
from counter_app.core.clock import as_utc, utcnow
from counter_app.core.errors import (
    IllegalTransition,
    PermissionDenied,
    SeparationOfDutiesViolation,
    ValidationFailed,
)
from counter_app.core.models import (
    Application,
    ApplicationOverride,
    ApplicationState,
    AuditEntry,
    Role,
    Service,
    User,
)

S = ApplicationState
OPEN_STATES = (S.SUBMITTED, S.IN_REVIEW)
SUPERVISOR_ROLES = (Role.SUPERVISOR, Role.ADMIN)
#: A file is "near" its due time this long before it.
NEAR_DUE = timedelta(hours=24)

#: Reasons a reviewer can pick when rejecting; "other" needs a text. The label of each is the
#: catalogue's ``reject_reason.<code>`` (:data:`REJECTION_REASON_IDS`).
REJECTION_REASONS: tuple[str, ...] = ("not_eligible", "invalid_document", "inconsistent_data", "regulation",
                                      "duplicate", "other")
#: The labels' ids, in the same order, marked for extraction.
REJECTION_REASON_IDS: tuple[str, ...] = (
    N_("reject_reason.not_eligible"), N_("reject_reason.invalid_document"), N_("reject_reason.inconsistent_data"),
    N_("reject_reason.regulation"), N_("reject_reason.duplicate"), N_("reject_reason.other"),
)

MASK = "•"


def mask_name(name: str) -> str:
    """One mask per word: the reviewer knows how many names there are, not what they are."""
    return " ".join(MASK * 4 for _ in name.split()) or MASK * 4


def mask_digits(value: str | None, keep: int) -> str:
    """All but the last ``keep`` digits masked (``keep`` = 0 masks everything)."""
    if not value:
        return ""
    digits = "".join(ch for ch in value if ch.isdigit())
    shown = digits[-keep:] if keep else ""
    return MASK * (len(digits) - len(shown)) + shown


def mask_address(value: str | None) -> str:
    return MASK * 6 if value else ""


@dataclass(frozen=True)
class QueueRow:
    application_id: int
    tracking_code: str
    service_code: str
    service_ar: str
    service_en: str
    state: ApplicationState
    submitted_at: datetime | None
    due_at: datetime | None
    overdue: bool
    near_due: bool


@dataclass(frozen=True)
class DocumentCheck:
    code: str
    name_ar: str
    name_en: str
    mandatory: bool
    received: bool


@dataclass(frozen=True)
class ReviewFile:
    """Everything the review window shows about one file; personal fields arrive masked."""

    application_id: int
    tracking_code: str
    service_code: str
    service_ar: str
    service_en: str
    state: ApplicationState
    submitted_at: datetime | None
    due_at: datetime | None
    overdue: bool
    applicant_name: str  # masked
    national_id: str  # masked but the last 3 digits
    phone: str  # masked but the last 2 digits
    address: str  # masked
    governorate_code: str
    documents: tuple[DocumentCheck, ...]
    fees: tuple[FeeLine, ...]
    fee_total_piastres: int
    paid_piastres: int
    payment_method: str | None
    counter_id: int | None
    resubmitted: bool


def _service_names(session: Session, code: str) -> tuple[str, str]:
    service = session.get_one(Service, code)
    return service.name_ar, service.name_en


def _due_flags(due: datetime | None, now: datetime) -> tuple[bool, bool]:
    if due is None:
        return False, False
    due = as_utc(due)
    return due < now, now <= due < now + NEAR_DUE


def review_queue(session: Session, reviewer: User, now: datetime | None = None) -> list[QueueRow]:
    """The reviewer's open files, the earliest due first, with overdue and near-due flags."""
    if not reviewer.active or reviewer.role != Role.REVIEWER:
        raise PermissionDenied()
    moment = as_utc(now or utcnow())
    rows = []
    for app in applications.reviewer_queue(session, reviewer):
        name_ar, name_en = _service_names(session, app.service_code)
        overdue, near = _due_flags(app.due_at, moment)
        rows.append(QueueRow(app.id, app.tracking_code, app.service_code, name_ar, name_en, app.state,
                             app.submitted_at, app.due_at, overdue, near))
    return rows


def review_file(session: Session, application_id: int, reviewer: User, now: datetime | None = None) -> ReviewFile:
    """One file as its assigned reviewer sees it. Anyone else is refused (and the attempt audited)."""
    app = applications.get_application(session, application_id)
    applications.check_reviewer(app, reviewer, "open")
    return _file(session, app, now)


def _file(session: Session, app: Application, now: datetime | None) -> ReviewFile:
    name_ar, name_en = _service_names(session, app.service_code)
    overdue, _near = _due_flags(app.due_at, as_utc(now or utcnow()))
    payment = app.payments[0] if app.payments else None
    resubmitted = session.scalar(
        select(func.count()).where(AuditEntry.entity_type == "application", AuditEntry.entity_id == str(app.id),
                                   AuditEntry.action == "application.resubmit")) or 0
    return ReviewFile(
        application_id=app.id, tracking_code=app.tracking_code, service_code=app.service_code,
        service_ar=name_ar, service_en=name_en, state=app.state, submitted_at=app.submitted_at, due_at=app.due_at,
        overdue=overdue, applicant_name=mask_name(app.applicant_name), national_id=mask_digits(app.national_id, 3),
        phone=mask_digits(app.phone, 2), address=mask_address(app.address), governorate_code=app.governorate_code,
        documents=tuple(DocumentCheck(d.code, d.name_ar, d.name_en, d.mandatory, d.received) for d in app.documents),
        fees=tuple(FeeLine(f.code, f.name_ar, f.name_en, f.amount_piastres) for f in app.fees),
        fee_total_piastres=app.fee_total_piastres, paid_piastres=applications.paid_total(app),
        payment_method=payment.method.value if payment else None, counter_id=app.counter_id,
        resubmitted=bool(resubmitted),
    )


def reject_with_reason(session: Session, application_id: int, *, reviewer: User, reason_code: str,
                       text: str = "", at: datetime | None = None) -> Application:
    """Reject with a reason from :data:`REJECTION_REASONS` plus free text ("other" needs text)."""
    if reason_code not in REJECTION_REASONS:
        raise ValidationFailed("reason_required")
    text = " ".join(text.split())
    if reason_code == "other" and not text:
        raise ValidationFailed("reason_required")
    reason = f"[{reason_code}] {text}".strip()
    return applications.reject(session, application_id, reviewer=reviewer, reason=reason, at=at)


# -- supervisor: reassignment and SLA ---------------------------------------------------------
def require_supervisor(user: User) -> None:
    if not user.active or user.role not in SUPERVISOR_ROLES:
        raise PermissionDenied().audited(user_id=user.id, action="review.reassign.refused",
                                         entity_type="user", entity_id=user.id)


def _reason(reason: str) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise ValidationFailed("reason_required")
    return text


def department_reviewers(session: Session, department: str) -> list[User]:
    return list(session.scalars(
        select(User).where(User.role == Role.REVIEWER, User.active.is_(True), User.department_code == department)
        .order_by(User.id)))


def reassign(session: Session, application_id: int, to_reviewer_id: int, *, by: User, reason: str,
             at: datetime | None = None) -> Application:
    """A supervisor moves an open file to another reviewer of its department, with a reason."""
    audit.lock_chain(session)
    require_supervisor(by)
    text = _reason(reason)
    app = applications.get_application(session, application_id, lock=True)
    if app.state not in OPEN_STATES:
        raise IllegalTransition(action="reassign", state=app.state)
    department = session.get_one(Service, app.service_code).department_code
    target = session.get(User, to_reviewer_id)
    if target is None or target not in department_reviewers(session, department):
        raise ValidationFailed("not_a_department_reviewer")
    if target.id == app.received_by:
        raise SeparationOfDutiesViolation().audited(
            user_id=by.id, action="sod.violation", entity_type="application", entity_id=app.id,
            detail={"attempted": "reassign", "rule": "receiver_cannot_review", "to": target.id})
    moment = at or utcnow()
    previous = app.reviewer_id
    app.reviewer_id = target.id
    if app.state == S.IN_REVIEW:  # the new reviewer starts the file again
        app.state = S.SUBMITTED
    session.add(ApplicationOverride(application_id=app.id, kind="reassign", by=by.id, at=moment, reason=text))
    applications.log_change(session, app, "reassign", by.id, moment,
                            {"from": previous, "to": target.id, "reason": text})
    return app


def rebalance(session: Session, department: str, *, by: User, reason: str,
              at: datetime | None = None) -> list[tuple[int, int | None, int]]:
    """Even out the department's files not yet started: moves one file at a time from the most to
    the least loaded reviewer until loads differ by at most one. Returns (file, from, to) moves."""
    audit.lock_chain(session)
    require_supervisor(by)
    text = _reason(reason)
    reviewers = department_reviewers(session, department)
    if len(reviewers) < 2:
        return []
    codes = [c for c in session.scalars(select(Service.code).where(Service.department_code == department))]
    files = list(session.scalars(select(Application).where(
        Application.service_code.in_(codes), Application.state.in_(OPEN_STATES)).order_by(Application.due_at.desc(),
                                                                                       Application.id.desc())))
    load = {r.id: 0 for r in reviewers}
    for f in files:
        if f.reviewer_id in load:
            load[f.reviewer_id] += 1
    orphans = [f for f in files if f.reviewer_id not in load and f.state == S.SUBMITTED]
    moves: list[tuple[int, int | None, int]] = []
    for f in orphans:  # files of a reviewer who left the department or was disabled
        target = min((r for r in load if r != f.received_by), key=lambda r: (load[r], r), default=None)
        if target is not None:
            moves.append((f.id, f.reviewer_id, target))
            load[target] += 1
    while True:
        high = max(load, key=lambda r: (load[r], -r))
        low = min(load, key=lambda r: (load[r], r))
        if load[high] - load[low] <= 1:
            break
        movable = next((f for f in files if f.reviewer_id == high and f.state == S.SUBMITTED
                        and f.received_by != low and all(m[0] != f.id for m in moves)), None)
        if movable is None:
            break
        moves.append((movable.id, high, low))
        load[high] -= 1
        load[low] += 1
    moment = at or utcnow()
    for file_id, _old, new in moves:
        reassign(session, file_id, new, by=by, reason=text, at=moment)
    return moves


@dataclass(frozen=True)
class SlaRow:
    application_id: int
    tracking_code: str
    service_code: str
    reviewer_id: int | None
    state: ApplicationState
    due_at: datetime
    overdue: bool


def sla_watch(session: Session, now: datetime | None = None, near: timedelta = NEAR_DUE) -> list[SlaRow]:
    """Open files past their due time or due within ``near``, the most late first."""
    moment = as_utc(now or utcnow())
    rows = session.scalars(select(Application).where(
        Application.state.in_(OPEN_STATES), Application.due_at.is_not(None), Application.due_at < moment + near)
        .order_by(Application.due_at, Application.id))
    return [SlaRow(a.id, a.tracking_code, a.service_code, a.reviewer_id, a.state, as_utc(a.due_at),
                   as_utc(a.due_at) < moment) for a in rows if a.due_at is not None]
