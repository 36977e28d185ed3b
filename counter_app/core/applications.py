"""The application (the transaction a citizen asks for) and its life cycle.

::

    DRAFT -> SUBMITTED -> IN_REVIEW -> APPROVED -> READY -> DELIVERED
                                   \\-> RETURNED (missing document) -> SUBMITTED
                                   \\-> REJECTED (reason required)

The fee is copied from the catalogue when the application is started, never typed. Submitting
needs every mandatory document ticked and the fee paid in full, once. The system assigns a
reviewer of the service's department by round robin; the user who received an application can
never review or decide it. Each change writes the change, an audit entry and an outbox event in
the caller's one transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from counter_app.common import formatting
from counter_app.common.i18n import Msg
from counter_app.common.tracking import new_tracking_code, normalise_tracking_code
from counter_app.core import applicant as applicant_rules
from counter_app.core import audit, notifications, outbox
from counter_app.core.centre import centre_code
from counter_app.core.clock import as_utc, to_local, utcnow
from counter_app.core.errors import (
    DomainError,
    IllegalTransition,
    Name,
    NotFound,
    PermissionDenied,
    SeparationOfDutiesViolation,
    ValidationFailed,
)
from counter_app.core.models import (
    Application,
    ApplicationDocument,
    ApplicationFee,
    ApplicationState,
    Payment,
    PaymentMethod,
    Role,
    Service,
    Setting,
    Ticket,
    TicketStatus,
    User,
)
from counter_app.core.national_id import NationalIdError, parse_national_id

log = logging.getLogger(__name__)

S = ApplicationState
TRANSITIONS: dict[str, tuple[frozenset[ApplicationState], ApplicationState]] = {
    "submit": (frozenset({S.DRAFT, S.RETURNED}), S.SUBMITTED),
    "start_review": (frozenset({S.SUBMITTED}), S.IN_REVIEW),
    "approve": (frozenset({S.IN_REVIEW}), S.APPROVED),
    "reject": (frozenset({S.IN_REVIEW}), S.REJECTED),
    "return": (frozenset({S.IN_REVIEW}), S.RETURNED),
    "mark_ready": (frozenset({S.APPROVED}), S.READY),
    "deliver": (frozenset({S.READY}), S.DELIVERED),
}
EDITABLE = frozenset({S.DRAFT, S.RETURNED})
CLERK_ROLES = (Role.CLERK, Role.SUPERVISOR)
REVIEWER_ROLES = (Role.REVIEWER,)
WEEKEND = (4, 5)  # Friday and Saturday


@dataclass(frozen=True)
class Applicant:
    name: str
    national_id: str
    phone: str | None = None
    address: str | None = None
    email: str | None = None
    notify_opt_out: bool = False  # no SMS or email about this application


def _require(user: User, roles: Iterable[Role]) -> None:
    if not user.active or user.role not in tuple(roles):
        raise PermissionDenied()


def _transition(app: Application, action: str) -> ApplicationState:
    sources, target = TRANSITIONS[action]
    if app.state not in sources:
        raise IllegalTransition(action=action, state=app.state)
    return target


def _payload(app: Application, **extra: object) -> dict[str, object]:
    """What the central server needs about an application, and no personal data."""
    body: dict[str, object] = {
        "application": app.uuid, "tracking_code": app.tracking_code, "centre": app.centre_code,
        "service": app.service_code, "state": app.state.value, "fee_total": app.fee_total_piastres,
        "received_by": app.received_by, "reviewer_id": app.reviewer_id,
        "governorate": app.governorate_code, "catalogue_version": app.catalogue_version,
    }
    body.update(extra)
    return body


def log_change(session: Session, app: Application, action: str, user_id: int | None, at: datetime,
                detail: dict[str, object] | None = None) -> None:
    audit.record(session, user_id=user_id, action=f"application.{action}", entity_type="application",
                 entity_id=app.id, detail={"state": app.state.value, "tracking": app.tracking_code, **(detail or {})},
                 at=at)
    outbox.emit(session, f"application.{action}", app.uuid, _payload(app, at=as_utc(at).isoformat(), **(detail or {})),
                at=at)


def get_application(session: Session, application_id: int, *, lock: bool = False) -> Application:
    app = session.get(Application, application_id,
                      with_for_update=lock and session.get_bind().dialect.name == "postgresql")
    if app is None:
        raise NotFound(what=Msg("what.application", id=application_id))
    return app


def find_by_tracking_code(session: Session, code: str) -> Application:
    canonical = normalise_tracking_code(code)
    if canonical is None:
        raise ValidationFailed("tracking_code_invalid")
    app = session.scalar(select(Application).where(Application.tracking_code == canonical))
    if app is None:
        raise NotFound(what=Msg("what.tracking_code", code=formatting.tracking_code(canonical)))
    return app


def start_application(session: Session, *, service_code: str, clerk: User, applicant: Applicant,
                      counter_id: int | None = None, ticket_id: int | None = None,
                      at: datetime | None = None, intake_key: str | None = None) -> Application:
    """Open a DRAFT for ``service_code`` with its documents and fees copied from the catalogue
    (the counter's intake goes through :func:`receive_intake`, which binds it to its ticket)."""
    audit.lock_chain(session)
    _require(clerk, CLERK_ROLES)
    moment = at or utcnow()
    service = session.get(Service, service_code)
    if service is None:
        raise NotFound(what=Msg("what.service", code=formatting.code(service_code)))
    if not service.active:
        raise DomainError("service_inactive", service=Name(service.name_ar, service.name_en))
    name = applicant_rules.full_name(applicant.name)  # the rules: counter_app.core.applicant
    info = parse_national_id(applicant.national_id)  # raises NationalIdError with its own message
    phone = applicant_rules.phone_e164(applicant.phone)
    try:
        email = notifications.normalise_email(applicant.email)
    except notifications.InvalidEmail as exc:
        raise DomainError("email_invalid", email=formatting.code(str(exc))) from exc
    app = Application(
        uuid=str(uuid.uuid4()), tracking_code=_unique_tracking_code(session), centre_code=centre_code(session),
        service_code=service.code, catalogue_version=service.catalogue_version, ticket_id=ticket_id,
        intake_key=intake_key,
        state=S.DRAFT, received_by=clerk.id, counter_id=counter_id, applicant_name=name,
        national_id=info.national_id, phone=phone,
        address=(applicant.address or "").strip() or None, email=email, notify_opt_out=applicant.notify_opt_out,
        birth_date=info.birth_date, sex=info.sex,
        governorate_code=info.governorate_code,
        fee_total_piastres=sum(f.amount_piastres for f in service.fees), created_at=moment,
    )
    if ticket_id is not None:  # a kiosk ticket names a group; the file it became names its service
        session.execute(update(Ticket).where(Ticket.id == ticket_id, Ticket.service_code.is_(None))
                        .values(service_code=service.code))
    app.documents = [
        ApplicationDocument(code=d.code, name_ar=d.name_ar, name_en=d.name_en, mandatory=d.mandatory,
                            received=False, position=d.position)
        for d in service.documents
    ]
    app.fees = [
        ApplicationFee(code=f.code, name_ar=f.name_ar, name_en=f.name_en, amount_piastres=f.amount_piastres,
                       position=f.position)
        for f in service.fees
    ]
    session.add(app)
    session.flush()
    log_change(session, app, "create", clerk.id, moment)
    return app


def _unique_tracking_code(session: Session) -> str:
    for _ in range(20):
        code = new_tracking_code()
        if session.scalar(select(Application.id).where(Application.tracking_code == code)) is None:
            return code
    raise IntegrityError("tracking code space exhausted", None, ValueError())  # pragma: no cover


def set_documents(session: Session, application_id: int, received: Iterable[str], *, clerk: User,
                  at: datetime | None = None) -> Application:
    """Record which of the service's documents the clerk has checked and received."""
    audit.lock_chain(session)
    _require(clerk, CLERK_ROLES)
    app = get_application(session, application_id, lock=True)
    if app.state not in EDITABLE:
        raise IllegalTransition(action="set_documents", state=app.state)
    codes = set(received)
    known = {d.code for d in app.documents}
    if codes - known:
        unknown = sorted(codes - known)
        raise ValidationFailed("unknown_documents", n=len(unknown), codes=formatting.code(", ".join(unknown)))
    for doc in app.documents:
        doc.received = doc.code in codes
    log_change(session, app, "documents", clerk.id, at or utcnow(), {"received": sorted(codes)})
    return app


def missing_documents(app: Application) -> list[ApplicationDocument]:
    """Mandatory documents not yet received."""
    return [d for d in app.documents if d.mandatory and not d.received]


def paid_total(app: Application) -> int:
    return sum(p.amount_piastres for p in app.payments)


def cash_change(fee_piastres: int, received_piastres: int | None) -> int:
    """The change to give back on ``received_piastres`` handed over in cash for a fee; refused
    (nothing recorded) when the amount received is missing or less than the fee."""
    if received_piastres is None:
        raise ValidationFailed("cash_received_required")
    if received_piastres < fee_piastres:
        raise ValidationFailed("cash_received_short",
                               fee=Msg("money.amount", amount=formatting.amount(fee_piastres)),
                               received=Msg("money.amount", amount=formatting.amount(received_piastres)))
    return received_piastres - fee_piastres


def record_payment(session: Session, application_id: int, method: PaymentMethod | str, *, clerk: User,
                   reference: str | None = None, cash_received: int | None = None,
                   at: datetime | None = None) -> Payment:
    """Collect the fee the system computed, once; card and e-payment need their reference.

    Cash records the amount the citizen handed over (``cash_received``, piastres, at least the
    fee) and the change computed from it; a caller that omits it (the simulator, the command
    line) records the exact amount."""
    audit.lock_chain(session)
    _require(clerk, CLERK_ROLES)
    try:
        method = PaymentMethod(method)
    except ValueError:  # a method the centre does not take: the clerk's message, nothing stored
        raise ValidationFailed("payment_method_unknown", method=formatting.code(str(method)[:32])) from None
    app = get_application(session, application_id, lock=True)
    if app.state != S.DRAFT:
        raise IllegalTransition(action="pay", state=app.state)
    if app.payments:
        raise IllegalTransition("already_paid")
    reference = (reference or "").strip() or None
    if method != PaymentMethod.CASH and not reference:
        raise ValidationFailed("payment_reference_required")
    received = change = None
    if method == PaymentMethod.CASH:
        received = app.fee_total_piastres if cash_received is None else cash_received
        change = cash_change(app.fee_total_piastres, received)
    moment = at or utcnow()
    payment = Payment(method=method, reference=reference, amount_piastres=app.fee_total_piastres, paid_at=moment,
                      received_by=clerk.id, cash_received_piastres=received, change_piastres=change)
    app.payments.append(payment)
    session.flush()
    detail: dict[str, object] = {"method": method.value, "amount": payment.amount_piastres, "reference": reference}
    if received is not None:
        detail.update(cash_received=received, change=change)
    log_change(session, app, "payment", clerk.id, moment, detail)
    return payment


def _next_reviewer(session: Session, department: str, exclude: set[int]) -> User | None:
    reviewers = [u for u in session.scalars(
        select(User).where(User.role == Role.REVIEWER, User.active.is_(True), User.department_code == department)
        .order_by(User.id)
    ) if u.id not in exclude]
    if not reviewers:
        return None
    key = f"review.rr.{department}"
    row_value = session.get(Setting, key)
    last = int(row_value.value) if row_value else 0
    chosen = next((u for u in reviewers if u.id > last), reviewers[0])
    if row_value is None:
        session.add(Setting(key=key, value=str(chosen.id)))
    else:
        row_value.value = str(chosen.id)
    return chosen


def due_time(submitted: datetime, processing_days: int) -> datetime:
    """``processing_days`` working days (Friday and Saturday off) after ``submitted``."""
    local = to_local(submitted)
    days = 0
    while days < processing_days:
        local += timedelta(days=1)
        if local.weekday() not in WEEKEND:
            days += 1
    return as_utc(local)


def assign_reviewer(session: Session, app: Application) -> User | None:
    service = session.get_one(Service, app.service_code)
    reviewer = _next_reviewer(session, service.department_code, {app.received_by})
    app.reviewer_id = reviewer.id if reviewer else None
    return reviewer


def submit(session: Session, application_id: int, *, clerk: User, at: datetime | None = None) -> Application:
    """Hand the application over to the back office (also a returned one, once completed)."""
    audit.lock_chain(session)
    _require(clerk, CLERK_ROLES)
    app = get_application(session, application_id, lock=True)
    target = _transition(app, "submit")
    missing = missing_documents(app)
    if missing:
        raise DomainError("missing_documents", n=len(missing))
    if paid_total(app) != app.fee_total_piastres:
        raise DomainError("payment_required")
    moment = at or utcnow()
    resubmission = app.state == S.RETURNED
    app.state = target
    app.submitted_at = moment
    service = session.get_one(Service, app.service_code)
    app.due_at = due_time(moment, service.processing_days)
    if app.reviewer_id is None or app.reviewer_id == clerk.id:
        assign_reviewer(session, app)
    log_change(session, app, "resubmit" if resubmission else "submit", clerk.id, moment,
                {"due_at": as_utc(app.due_at).isoformat()})
    return app


def check_reviewer(app: Application, reviewer: User, action: str) -> None:
    """Only the reviewer the system assigned may act on a file, and never the one who received
    it; a refusal is audited as an attempt."""
    if reviewer.id == app.received_by:
        raise SeparationOfDutiesViolation().audited(
            user_id=reviewer.id, action="sod.violation", entity_type="application", entity_id=app.id,
            detail={"attempted": action, "rule": "receiver_cannot_review"})
    if not reviewer.active or reviewer.role not in REVIEWER_ROLES:
        raise PermissionDenied().audited(
            user_id=reviewer.id, action="review.refused", entity_type="application", entity_id=app.id,
            detail={"attempted": action, "role": reviewer.role.value})
    if app.reviewer_id != reviewer.id:
        raise PermissionDenied().audited(
            user_id=reviewer.id, action="review.not_assigned", entity_type="application", entity_id=app.id,
            detail={"attempted": action})


def start_review(session: Session, application_id: int, *, reviewer: User, at: datetime | None = None) -> Application:
    audit.lock_chain(session)
    app = get_application(session, application_id, lock=True)
    check_reviewer(app, reviewer, "start_review")
    app.state = _transition(app, "start_review")
    log_change(session, app, "start_review", reviewer.id, at or utcnow())
    return app


def approve(session: Session, application_id: int, *, reviewer: User, at: datetime | None = None) -> Application:
    audit.lock_chain(session)
    app = get_application(session, application_id, lock=True)
    check_reviewer(app, reviewer, "approve")
    target = _transition(app, "approve")
    moment = at or utcnow()
    app.state, app.decided_at, app.decision_reason = target, moment, None
    log_change(session, app, "approve", reviewer.id, moment)
    return app


def reject(session: Session, application_id: int, *, reviewer: User, reason: str,
           at: datetime | None = None) -> Application:
    audit.lock_chain(session)
    app = get_application(session, application_id, lock=True)
    check_reviewer(app, reviewer, "reject")
    target = _transition(app, "reject")
    if not reason or not reason.strip():
        raise ValidationFailed("reason_required")
    moment = at or utcnow()
    app.state, app.decided_at, app.decision_reason = target, moment, reason.strip()
    log_change(session, app, "reject", reviewer.id, moment, {"reason": reason.strip()})
    notifications.queue_for(session, app, moment)
    return app


def return_for_documents(session: Session, application_id: int, *, reviewer: User, missing: Iterable[str],
                         note: str | None = None, at: datetime | None = None) -> Application:
    """Send the file back to the counter: the named documents are needed again."""
    audit.lock_chain(session)
    app = get_application(session, application_id, lock=True)
    check_reviewer(app, reviewer, "return")
    target = _transition(app, "return")
    codes = set(missing)
    known = {d.code for d in app.documents}
    if not codes or codes - known:
        raise ValidationFailed(detail=Msg("field.documents_to_return"))
    for doc in app.documents:
        if doc.code in codes:
            doc.received = False
            doc.mandatory = True
    moment = at or utcnow()
    app.state, app.decision_reason = target, (note or "").strip() or None
    log_change(session, app, "return", reviewer.id, moment, {"missing": sorted(codes)})
    notifications.queue_for(session, app, moment)
    return app


def mark_ready(session: Session, application_id: int, *, user: User, at: datetime | None = None) -> Application:
    """The approved result is issued and waits at the counter for collection."""
    audit.lock_chain(session)
    _require(user, (Role.REVIEWER, Role.CLERK, Role.SUPERVISOR))
    app = get_application(session, application_id, lock=True)
    app.state = _transition(app, "mark_ready")
    moment = at or utcnow()
    log_change(session, app, "ready", user.id, moment)
    notifications.queue_for(session, app, moment)
    return app


#: Who may collect a result for the applicant, and whether a power-of-attorney number is required.
COLLECTOR_RELATIONS: dict[str, bool] = {"spouse": False, "parent": False, "child": False, "sibling": False,
                                        "attorney": True}


def is_representative(app: Application, collector_national_id: str) -> bool:
    """Whether ``collector_national_id`` (as typed) is someone other than the applicant."""
    try:
        return parse_national_id(collector_national_id).national_id != app.national_id
    except NationalIdError:
        return False


def deliver(session: Session, application_id: int, *, clerk: User, collected_by_name: str,
            collected_by_national_id: str, relation: str | None = None, authority: str | None = None,
            at: datetime | None = None) -> Application:
    """Hand the result over; records who collected it. Someone other than the applicant (another
    national ID) must state their relation (:data:`COLLECTOR_RELATIONS`) and, for an attorney,
    the power-of-attorney number; both are recorded and audited."""
    audit.lock_chain(session)
    _require(clerk, CLERK_ROLES)
    app = get_application(session, application_id, lock=True)
    target = _transition(app, "deliver")
    name = " ".join(collected_by_name.split())
    if len(name) < 3:
        raise ValidationFailed(detail=Msg("field.collector_name"))
    nid = parse_national_id(collected_by_national_id).national_id
    by_applicant = nid == app.national_id
    relation = (relation or "").strip() or None
    authority = " ".join((authority or "").split()) or None
    if by_applicant:
        relation = authority = None
    else:
        if relation not in COLLECTOR_RELATIONS:
            raise ValidationFailed("collector_relation_required")
        if COLLECTOR_RELATIONS[relation] and not authority:
            raise ValidationFailed("power_of_attorney_required")
        if authority is not None and len(authority) > 64:
            raise ValidationFailed(detail=Msg("field.power_of_attorney"))
    moment = at or utcnow()
    app.state, app.delivered_at, app.delivered_by = target, moment, clerk.id
    app.collected_by_name, app.collected_by_national_id = name, nid
    app.collector_relation, app.collector_authority = relation, authority
    detail: dict[str, object] = {"by_applicant": by_applicant}
    if not by_applicant:
        detail.update(relation=relation, authority=authority)
    log_change(session, app, "deliver", clerk.id, moment, detail)
    return app


def reviewer_queue(session: Session, reviewer: User) -> list[Application]:
    """Files assigned to ``reviewer`` and not yet decided, the earliest due first."""
    return list(session.scalars(
        select(Application)
        .where(Application.reviewer_id == reviewer.id, Application.state.in_([S.SUBMITTED, S.IN_REVIEW]))
        .order_by(Application.due_at, Application.id)
    ))


@dataclass(frozen=True)
class Intake:
    """What the counter's intake form holds when the clerk submits it.

    ``key`` is made by the form when it is bound to a called ticket (a UUID): one intake, one
    application, however many times it is submitted.
    """

    key: str
    ticket_id: int | None
    counter_id: int | None
    service_code: str
    applicant: Applicant
    received: tuple[str, ...]
    payment_method: str
    payment_reference: str | None = None
    cash_received: int | None = None  # piastres the citizen handed over, for cash


def find_by_intake_key(session: Session, key: str) -> Application | None:
    return session.scalar(select(Application).where(Application.intake_key == key))


def receive_intake(session: Session, intake: Intake, *, clerk: User,
                   at: datetime | None = None) -> tuple[Application, bool]:
    """The counter's intake as one action: start, documents, payment, submit. Returns the
    application and whether it was created now.

    An intake belongs to the ticket the counter is serving: without a ticket, or with a ticket
    that is no longer called at this counter (finished, transferred, a no-show), nothing is
    stored. There is no walk-in path without a ticket: a walk-in takes a ticket at the kiosk.
    The same intake submitted again (same key) returns the first application and pays nothing.
    """
    audit.lock_chain(session)  # serialises submits of one key (SQLite: BEGIN IMMEDIATE already)
    if not intake.key or len(intake.key) > 36:  # made by the form, never typed
        raise ValueError("an intake key is a UUID")
    first = find_by_intake_key(session, intake.key)
    if first is not None:
        log.info("intake %s submitted again: application %s returned", intake.key, first.tracking_code)
        return first, False
    if intake.ticket_id is None:
        raise DomainError("intake_needs_ticket", key=formatting.code("F2"))
    ticket = session.get(Ticket, intake.ticket_id)
    if ticket is None or ticket.status != TicketStatus.CALLED or ticket.counter_id != intake.counter_id:
        raise DomainError("intake_ticket_not_called")
    app = start_application(session, service_code=intake.service_code, clerk=clerk, applicant=intake.applicant,
                            counter_id=intake.counter_id, ticket_id=intake.ticket_id, at=at,
                            intake_key=intake.key)
    set_documents(session, app.id, intake.received, clerk=clerk, at=at)
    record_payment(session, app.id, intake.payment_method, clerk=clerk, reference=intake.payment_reference,
                   cash_received=intake.cash_received, at=at)
    submit(session, app.id, clerk=clerk, at=at)
    return app, True
