"""Four-eyes requests on a file: cancellation (with a refund when paid), fee refund of a rejected
file, and the supervisor's document waiver (an override).

Approving a cancellation or a refund of a paid file records a refund *due*: no money moves then.
The refund is paid out at a counter when the citizen comes (:func:`pay_refund`, to the applicant,
against their national ID, by someone other than the approver), and a refund slip is printed. The
money reconciliation counts refunds paid as their own line (``core.kpis``).

Rules, enforced here and audited when broken:

* nobody approves their own request (cancellation or refund);
* the user who received the file never approves a request on it;
* a supervisor who overrode something on a file (waived a document, reassigned it) never approves
  a request on it: nobody both overrides and approves.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from counter_app.common import formatting
from counter_app.common.i18n import Msg
from counter_app.core import applications, audit
from counter_app.core.clock import utcnow
from counter_app.core.errors import (
    DomainError,
    IllegalTransition,
    NotFound,
    PermissionDenied,
    SeparationOfDutiesViolation,
    ValidationFailed,
)
from counter_app.core.models import (
    Application,
    ApplicationOverride,
    ApplicationRequest,
    ApplicationState,
    Refund,
    RequestKind,
    RequestState,
    Role,
    User,
)
from counter_app.core.national_id import parse_national_id

S = ApplicationState
CANCELLABLE = frozenset({S.DRAFT, S.SUBMITTED, S.IN_REVIEW, S.RETURNED})
REQUESTER_ROLES = (Role.CLERK, Role.SUPERVISOR, Role.ADMIN)
APPROVER_ROLES = (Role.SUPERVISOR, Role.ADMIN)
PAYER_ROLES = (Role.CLERK, Role.SUPERVISOR, Role.ADMIN)


def _reason(text: str) -> str:
    value = " ".join((text or "").split())
    if not value:
        raise ValidationFailed("reason_required")
    return value


def _require(user: User, roles: tuple[Role, ...], app: Application, action: str) -> None:
    if not user.active or user.role not in roles:
        raise PermissionDenied().audited(user_id=user.id, action=f"{action}.refused", entity_type="application",
                                         entity_id=app.id, detail={"role": user.role.value})


def request(session: Session, application_id: int, kind: RequestKind | str, *, by: User, reason: str,
            at: datetime | None = None) -> ApplicationRequest:
    """Ask for a cancellation (a file not yet decided) or a refund (a rejected, paid file)."""
    audit.lock_chain(session)
    kind = RequestKind(kind)
    app = applications.get_application(session, application_id, lock=True)
    _require(by, REQUESTER_ROLES, app, f"request.{kind.value}")
    text = _reason(reason)
    if kind == RequestKind.CANCEL and app.state not in CANCELLABLE:
        raise IllegalTransition(action="cancel", state=app.state)
    if kind == RequestKind.REFUND and (app.state != S.REJECTED or applications.paid_total(app) <= 0
                                       or refund_of(session, app.id) is not None):
        raise IllegalTransition(action="refund", state=app.state)
    pending = session.scalar(select(ApplicationRequest.id).where(
        ApplicationRequest.application_id == app.id, ApplicationRequest.state == RequestState.PENDING))
    if pending is not None:
        raise DomainError("request_pending")
    moment = at or utcnow()
    req = ApplicationRequest(application_id=app.id, kind=kind, state=RequestState.PENDING, reason=text,
                             requested_by=by.id, requested_at=moment)
    session.add(req)
    session.flush()
    applications.log_change(session, app, f"request_{kind.value}", by.id, moment, {"request": req.id, "reason": text})
    return req


def overriders(session: Session, application_id: int) -> set[int]:
    return set(session.scalars(select(ApplicationOverride.by).where(
        ApplicationOverride.application_id == application_id)))


def decide(session: Session, request_id: int, *, by: User, approve: bool, note: str = "",
           at: datetime | None = None) -> ApplicationRequest:
    """A supervisor approves or declines a pending request, under the four-eyes rules."""
    audit.lock_chain(session)
    req = session.get(ApplicationRequest, request_id)
    if req is None:
        raise NotFound(what=Msg("what.request", id=request_id))
    app = applications.get_application(session, req.application_id, lock=True)
    _require(by, APPROVER_ROLES, app, "request.decide")
    if req.state != RequestState.PENDING:
        raise IllegalTransition("request_decided", state=Msg(f"state.request.{req.state.value}"))
    refusal = (SeparationOfDutiesViolation("sod_own_request") if by.id == req.requested_by
               else SeparationOfDutiesViolation("sod_receiver_cannot_approve") if by.id == app.received_by
               else SeparationOfDutiesViolation("sod_override_and_approve") if by.id in overriders(session, app.id)
               else None)
    if refusal is not None:
        raise refusal.audited(
            user_id=by.id, action="sod.violation", entity_type="application", entity_id=app.id,
            detail={"attempted": f"decide_{req.kind.value}", "rule": refusal.code.removeprefix("sod_"),
                    "request": req.id})
    moment = at or utcnow()
    req.state = RequestState.APPROVED if approve else RequestState.DECLINED
    req.decided_by, req.decided_at, req.decision_note = by.id, moment, " ".join(note.split()) or None
    detail: dict[str, object] = {"request": req.id, "kind": req.kind.value, "approved": approve}
    if approve:
        refund = applications.paid_total(app)
        if req.kind == RequestKind.CANCEL:
            if app.state not in CANCELLABLE:
                raise IllegalTransition(action="cancel", state=app.state)
            app.state = S.CANCELLED
            app.decided_at = moment
        if refund > 0 and refund_of(session, app.id) is None:
            due = Refund(uuid=str(uuid.uuid4()), application_id=app.id, request_id=req.id,
                         method=app.payments[0].method, amount_piastres=refund, approved_by=by.id,
                         approved_at=moment)
            session.add(due)
            session.flush()
            detail.update(refund=refund, refund_id=due.id)
    session.flush()
    action = f"{req.kind.value}_{'approved' if approve else 'declined'}"
    applications.log_change(session, app, action, by.id, moment, detail)
    return req


def waive_document(session: Session, application_id: int, code: str, *, by: User, reason: str,
                   at: datetime | None = None) -> Application:
    """A supervisor's override: a mandatory document is no longer required for this file."""
    audit.lock_chain(session)
    app = applications.get_application(session, application_id, lock=True)
    _require(by, APPROVER_ROLES, app, "override.waive")
    text = _reason(reason)
    if app.state not in applications.EDITABLE:
        raise IllegalTransition(action="waive", state=app.state)
    doc = next((d for d in app.documents if d.code == code), None)
    if doc is None:
        raise NotFound(what=Msg("what.document", code=formatting.code(code)))
    moment = at or utcnow()
    doc.mandatory = False
    session.add(ApplicationOverride(application_id=app.id, kind="waive_document", by=by.id, at=moment, reason=text))
    applications.log_change(session, app, "waive_document", by.id, moment, {"document": code, "reason": text})
    return app


def refund_of(session: Session, application_id: int) -> Refund | None:
    """The refund approved on a file (paid out or still due), if any."""
    return session.scalar(select(Refund).where(Refund.application_id == application_id).order_by(Refund.id).limit(1))


def pay_refund(session: Session, refund_id: int, *, by: User, paid_to_name: str, paid_to_national_id: str,
               counter_id: int | None = None, at: datetime | None = None) -> Refund:
    """Pay a refund due out at the counter, to the applicant (their national ID is checked).

    Refused when it is already paid, when the national ID is not the applicant's, or when the
    payer approved it (four eyes: whoever approved a refund never hands out its money)."""
    audit.lock_chain(session)
    due = session.get(Refund, refund_id)
    if due is None:
        raise NotFound(what=Msg("what.refund", id=refund_id))
    app = applications.get_application(session, due.application_id, lock=True)
    _require(by, PAYER_ROLES, app, "refund.pay")
    if due.paid_at is not None:
        raise IllegalTransition("refund_already_paid")
    if by.id == due.approved_by:
        raise SeparationOfDutiesViolation("sod_approver_cannot_pay").audited(
            user_id=by.id, action="sod.violation", entity_type="application", entity_id=app.id,
            detail={"attempted": "pay_refund", "rule": "approver_cannot_pay", "refund": due.id})
    name = " ".join((paid_to_name or "").split())
    if len(name) < 3:
        raise ValidationFailed(detail=Msg("field.collector_name"))
    nid = parse_national_id(paid_to_national_id).national_id
    if nid != app.national_id:
        raise ValidationFailed("refund_not_applicant")
    moment = at or utcnow()
    due.paid_at, due.paid_by, due.counter_id = moment, by.id, counter_id
    due.paid_to_name, due.paid_to_national_id = name, nid
    session.flush()
    applications.log_change(session, app, "refund_paid", by.id, moment,
                            {"refund": due.id, "amount": due.amount_piastres, "method": due.method.value,
                             "counter": counter_id})
    return due


@dataclass(frozen=True)
class RefundDue:
    refund_id: int
    application_id: int
    tracking_code: str
    amount_piastres: int
    method: str
    approved_at: datetime
    paid_at: datetime | None


def refund_view(session: Session, application_id: int) -> RefundDue | None:
    """The refund of a file for the counter: due or paid, with its amount."""
    due = refund_of(session, application_id)
    if due is None:
        return None
    app = applications.get_application(session, application_id)
    return RefundDue(due.id, app.id, app.tracking_code, due.amount_piastres, due.method.value, due.approved_at,
                     due.paid_at)


@dataclass(frozen=True)
class PendingRequest:
    request_id: int
    application_id: int
    tracking_code: str
    kind: RequestKind
    reason: str
    requested_by: int
    requested_at: datetime
    amount_piastres: int


def pending_requests(session: Session) -> list[PendingRequest]:
    rows = session.execute(select(ApplicationRequest, Application).join(
        Application, Application.id == ApplicationRequest.application_id).where(
        ApplicationRequest.state == RequestState.PENDING).order_by(ApplicationRequest.requested_at))
    return [PendingRequest(r.id, a.id, a.tracking_code, r.kind, r.reason, r.requested_by, r.requested_at,
                           applications.paid_total(a)) for r, a in rows]
