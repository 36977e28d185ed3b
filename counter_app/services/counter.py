"""What the windows ask of the core, as plain functions run on worker threads (no Qt here).

Each function opens one transaction for one user action and returns frozen dataclasses, so a
window never holds an ORM object (and never triggers SQL by touching one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from counter_app.core import applications, catalogue, centre, queue, settings, users
from counter_app.core.applications import Applicant
from counter_app.core.clock import as_utc
from counter_app.core.db import Database
from counter_app.core.errors import NotFound
from counter_app.core.models import ApplicationState, Role, Ticket, User


@dataclass(frozen=True)
class CentreView:
    code: str
    name_ar: str
    name_en: str


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    full_name: str
    role: Role
    clerk_number: str
    active: bool = True
    department_code: str | None = None
    locked: bool = False  # locked out after too many wrong passwords, until it expires or is unlocked

    @property
    def supervises(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.ADMIN)


@dataclass(frozen=True)
class CounterView:
    id: int
    number: int
    name_ar: str
    name_en: str
    groups: str


@dataclass(frozen=True)
class GroupView:
    letter: str
    name_ar: str
    name_en: str


@dataclass(frozen=True)
class DocView:
    code: str
    name_ar: str
    name_en: str
    mandatory: bool


@dataclass(frozen=True)
class FeeView:
    code: str
    name_ar: str
    name_en: str
    amount_piastres: int


@dataclass(frozen=True)
class ServiceView:
    code: str
    name_ar: str
    name_en: str
    group: str
    documents: tuple[DocView, ...]
    fees: tuple[FeeView, ...]

    @property
    def total_piastres(self) -> int:
        return sum(f.amount_piastres for f in self.fees)


@dataclass(frozen=True)
class TicketView:
    id: int
    number: str
    group: str
    priority: bool
    called_at: datetime | None
    recall_count: int
    service_code: str | None


@dataclass(frozen=True)
class QueueState:
    current: TicketView | None
    waiting: dict[str, int] = field(default_factory=dict)
    max_recalls: int = 0  # recalls before a no-show is allowed (the centre's setting)

    @property
    def recalls_left(self) -> int:
        """Recalls still needed before the current ticket may be marked a no-show."""
        return max(0, self.max_recalls - self.current.recall_count) if self.current else 0


@dataclass(frozen=True)
class Catalogue:
    centre: CentreView
    groups: tuple[GroupView, ...]
    services: tuple[ServiceView, ...]
    counters: tuple[CounterView, ...]
    version: int | None


@dataclass(frozen=True)
class ApplicationView:
    id: int
    tracking_code: str
    service_code: str
    state: ApplicationState
    applicant_name: str
    national_id: str
    fee_total_piastres: int
    submitted_at: datetime | None
    delivered_at: datetime | None
    documents: tuple[DocView, ...] = ()
    received: frozenset[str] = frozenset()  # codes of the documents received so far
    note: str = ""  # the reviewer's note on a returned file, or the reason of a rejection


def ticket_number(ticket: Ticket) -> str:
    return f"{ticket.letter}-{ticket.number:03d}"


def ticket_view(ticket: Ticket | None) -> TicketView | None:
    if ticket is None:
        return None
    return TicketView(ticket.id, ticket_number(ticket), ticket.group_letter, ticket.priority,
                      as_utc(ticket.called_at) if ticket.called_at else None, ticket.recall_count,
                      ticket.service_code)


def user_view(user: User) -> UserView:
    from counter_app.core.users import is_locked

    return UserView(user.id, user.username, user.full_name, user.role, user.clerk_number, user.active,
                    user.department_code, is_locked(user))


def counter_view(c: object) -> CounterView:
    return CounterView(c.id, c.number, c.name_ar, c.name_en, c.groups)  # type: ignore[attr-defined]


def load_centre(db: Database) -> CentreView | None:
    with db.read() as s:
        found = centre.get_centre(s)
        return CentreView(found.code, found.name_ar, found.name_en) if found else None


def load_catalogue(db: Database) -> Catalogue:
    with db.read() as s:
        found = centre.get_centre(s)
        if found is None:
            raise NotFound(what="centre")
        services = tuple(
            ServiceView(svc.code, svc.name_ar, svc.name_en, svc.group_letter,
                        tuple(DocView(d.code, d.name_ar, d.name_en, d.mandatory) for d in svc.documents),
                        tuple(FeeView(f.code, f.name_ar, f.name_en, f.amount_piastres) for f in svc.fees))
            for svc in catalogue.services(s)
        )
        return Catalogue(
            CentreView(found.code, found.name_ar, found.name_en),
            tuple(GroupView(g.letter, g.name_ar, g.name_en) for g in catalogue.groups(s)),
            services,
            tuple(counter_view(c) for c in centre.counters(s)),
            catalogue.active_version(s),
        )


def login(db: Database, username: str, password: str) -> UserView:
    """Offline login against the local hash; a failure is committed (count and audit) then raised."""
    error: Exception | None = None
    with db.begin() as s:
        try:
            user = user_view(users.authenticate(s, username, password))
        except Exception as exc:  # committed below; raised after the block
            error = exc
    if error is not None:
        raise error
    return user


def list_counters(db: Database) -> list[CounterView]:
    with db.read() as s:
        return [counter_view(c) for c in centre.counters(s)]


def _state(s: Session, counter_id: int) -> QueueState:
    return QueueState(ticket_view(queue.current_ticket(s, counter_id)), queue.waiting_counts(s),
                      settings.max_recalls(s))


def queue_state(db: Database, counter_id: int) -> QueueState:
    with db.read() as s:
        return _state(s, counter_id)


def waiting_counts(db: Database) -> dict[str, int]:
    with db.read() as s:
        return queue.waiting_counts(s)


def call_next(db: Database, counter_id: int, clerk_id: int) -> QueueState:
    with db.begin() as s:
        ticket = ticket_view(queue.call_next(s, counter_id, clerk_id))
        return QueueState(ticket, queue.waiting_counts(s), settings.max_recalls(s))


TicketAction = Callable[[Session, int, int, int], object]


def ticket_action(db: Database, action: str, ticket_id: int, counter_id: int, clerk_id: int, *,
                  reason: str = "", to_group: str | None = None, to_counter_id: int | None = None) -> QueueState:
    """recall, no_show, finish, skip (with a reason) or transfer the counter's current ticket."""
    with db.begin() as s:
        if action == "recall":
            queue.recall(s, ticket_id, counter_id, clerk_id)
        elif action == "no_show":
            queue.no_show(s, ticket_id, counter_id, clerk_id)
        elif action == "finish":
            queue.finish(s, ticket_id, counter_id, clerk_id)
        elif action == "skip":
            queue.skip(s, ticket_id, counter_id, clerk_id, reason)
        elif action == "transfer":
            queue.transfer(s, ticket_id, counter_id, clerk_id, to_group=to_group, to_counter_id=to_counter_id,
                           reason=reason or None)
        else:  # pragma: no cover - a programming error
            raise ValueError(action)
        return _state(s, counter_id)


@dataclass(frozen=True)
class IssuedView:
    number: str
    priority: bool
    waiting_ahead: int
    estimated_wait_minutes: int
    issued_at: datetime
    uuid: str
    group: str


def issue_ticket(db: Database, group: str, priority: bool) -> IssuedView:
    with db.begin() as s:
        issued = queue.issue_ticket(s, group, priority=priority)
        t = issued.ticket
        return IssuedView(ticket_number(t), t.priority, issued.waiting_ahead, issued.estimated_wait_minutes,
                          as_utc(t.issued_at), t.uuid, t.group_letter)


@dataclass(frozen=True)
class IntakeRequest:
    service_code: str
    applicant: Applicant
    received_documents: tuple[str, ...]
    payment_method: str
    payment_reference: str
    counter_id: int | None
    ticket_id: int | None
    intake_key: str  # made by the form when it was bound to its ticket: one intake, one application
    cash_received: int | None = None  # piastres handed over, for cash (the change is computed)


@dataclass(frozen=True)
class SubmittedView:
    application_id: int
    tracking_code: str
    total_piastres: int
    paid_at: datetime
    centre_code: str
    documents: tuple[tuple[str, str], ...]  # (ar, en) of the received documents
    fees: tuple[FeeView, ...]
    created: bool = True  # False: this intake had been submitted already, this is its application


def _submitted_view(app: object, created: bool) -> SubmittedView:
    a = app
    paid = a.payments[0].paid_at if a.payments else a.submitted_at  # type: ignore[attr-defined]
    return SubmittedView(
        a.id, a.tracking_code, a.fee_total_piastres, as_utc(paid), a.centre_code,  # type: ignore[attr-defined]
        tuple((d.name_ar, d.name_en) for d in a.documents if d.received),  # type: ignore[attr-defined]
        tuple(FeeView(f.code, f.name_ar, f.name_en, f.amount_piastres) for f in a.fees),  # type: ignore[attr-defined]
        created,
    )


def submit_application(db: Database, clerk_id: int, req: IntakeRequest) -> SubmittedView:
    """Start, check documents, take the payment and submit: one transaction, one user action,
    bound to the called ticket; the same intake submitted twice gives its first application."""
    intake = applications.Intake(req.intake_key, req.ticket_id, req.counter_id, req.service_code, req.applicant,
                                 tuple(req.received_documents), req.payment_method, req.payment_reference,
                                 req.cash_received)
    try:
        with db.begin() as s:
            app, created = applications.receive_intake(s, intake, clerk=s.get_one(User, clerk_id))
            return _submitted_view(app, created)
    except IntegrityError:  # a concurrent submit of the same intake won the unique key
        with db.read() as s:
            first = applications.find_by_intake_key(s, req.intake_key)
            if first is None:
                raise
            return _submitted_view(first, False)


def _app_view(app: object) -> ApplicationView:
    a = app
    return ApplicationView(a.id, a.tracking_code, a.service_code, a.state, a.applicant_name,  # type: ignore[attr-defined]
                           a.national_id, a.fee_total_piastres,  # type: ignore[attr-defined]
                           as_utc(a.submitted_at) if a.submitted_at else None,  # type: ignore[attr-defined]
                           as_utc(a.delivered_at) if a.delivered_at else None,  # type: ignore[attr-defined]
                           tuple(DocView(d.code, d.name_ar, d.name_en, d.mandatory)  # type: ignore[attr-defined]
                                 for d in a.documents),  # type: ignore[attr-defined]
                           frozenset(d.code for d in a.documents if d.received),  # type: ignore[attr-defined]
                           a.decision_reason or "")  # type: ignore[attr-defined]


def find_application(db: Database, tracking_code: str) -> ApplicationView:
    with db.read() as s:
        return _app_view(applications.find_by_tracking_code(s, tracking_code))


def mark_ready(db: Database, application_id: int, user_id: int) -> ApplicationView:
    with db.begin() as s:
        return _app_view(applications.mark_ready(s, application_id, user=s.get_one(User, user_id)))


def deliver(db: Database, application_id: int, clerk_id: int, name: str, national_id: str) -> ApplicationView:
    with db.begin() as s:
        return _app_view(applications.deliver(s, application_id, clerk=s.get_one(User, clerk_id),
                                               collected_by_name=name, collected_by_national_id=national_id))


def resubmit(db: Database, application_id: int, clerk_id: int, received: list[str]) -> ApplicationView:
    """A returned file at the citizen's next visit: the documents now in hand, then back to review
    (one transaction; refused, with nothing changed, while a mandatory document is still missing)."""
    with db.begin() as s:
        clerk = s.get_one(User, clerk_id)
        applications.set_documents(s, application_id, received, clerk=clerk)
        return _app_view(applications.submit(s, application_id, clerk=clerk))


def request_cancellation(db: Database, application_id: int, user_id: int, reason: str) -> ApplicationView:
    from counter_app.core import requests
    from counter_app.core.models import RequestKind

    with db.begin() as s:
        requests.request(s, application_id, RequestKind.CANCEL, by=s.get_one(User, user_id), reason=reason)
        return _app_view(applications.get_application(s, application_id))


def today_local() -> date:
    from counter_app.core.clock import local_day, utcnow

    return local_day(utcnow())
