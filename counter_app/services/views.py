"""The plain data the windows display: frozen dataclasses made from the core's records inside a
service's transaction, so a window never holds an ORM object (and never triggers SQL by touching
one). Also the core's value types a window names (roles, application states, the applicant's
details) and the pure helpers that go with them (masking and checking a national ID), so the
windows import ``services`` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from counter_app.core.applications import Applicant as Applicant
from counter_app.core.clock import as_utc, local_day, utcnow
from counter_app.core.models import Application, Centre, Counter, Service, Ticket, User
from counter_app.core.models import ApplicationState as ApplicationState
from counter_app.core.models import Role as Role
from counter_app.core.national_id import mask_national_id as mask_national_id
from counter_app.core.national_id import parse_national_id as parse_national_id
from counter_app.core.users import is_locked


@dataclass(frozen=True)
class CentreView:
    code: str
    name_ar: str
    name_en: str
    portal_url: str = ""  # the centre's portal (``shubbak centre enrol --portal``); "" for none


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
    appointment_at: datetime | None = None  # an appointment's ticket: its booked time (UTC)


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


@dataclass(frozen=True)
class IssuedView:
    number: str
    priority: bool
    waiting_ahead: int
    estimated_wait_minutes: int
    issued_at: datetime
    uuid: str
    group: str
    token: str = ""  # the public token of the portal's /t/<token> (never the uuid on paper)
    #: What the printed ticket says about the SMS of the turn (printers.data.TicketData.sms) and N.
    sms: Literal["", "offer", "ahead", "called"] = ""
    sms_ahead: int = 0
    appointment_at: datetime | None = None  # an appointment's ticket: the booked time it prints (UTC)


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


def today_local() -> date:
    """The centre's day now (Africa/Cairo)."""
    return local_day(utcnow())


# -- from the core's records (inside the service's transaction) --------------------------------
def ticket_number(ticket: Ticket) -> str:
    return f"{ticket.letter}-{ticket.number:03d}"


def ticket_view(ticket: Ticket | None) -> TicketView | None:
    if ticket is None:
        return None
    return TicketView(ticket.id, ticket_number(ticket), ticket.group_letter, ticket.priority,
                      as_utc(ticket.called_at) if ticket.called_at else None, ticket.recall_count,
                      ticket.service_code, as_utc(ticket.appointment_at) if ticket.appointment_at else None)


def user_view(user: User) -> UserView:
    return UserView(user.id, user.username, user.full_name, user.role, user.clerk_number, user.active,
                    user.department_code, is_locked(user))


def counter_view(c: Counter) -> CounterView:
    return CounterView(c.id, c.number, c.name_ar, c.name_en, c.groups)


def centre_view(c: Centre, portal_url: str = "") -> CentreView:
    return CentreView(c.code, c.name_ar, c.name_en, portal_url)


def service_view(svc: Service) -> ServiceView:
    return ServiceView(svc.code, svc.name_ar, svc.name_en, svc.group_letter,
                       tuple(DocView(d.code, d.name_ar, d.name_en, d.mandatory) for d in svc.documents),
                       tuple(FeeView(f.code, f.name_ar, f.name_en, f.amount_piastres) for f in svc.fees))


def application_view(a: Application) -> ApplicationView:
    return ApplicationView(a.id, a.tracking_code, a.service_code, a.state, a.applicant_name, a.national_id,
                           a.fee_total_piastres,
                           as_utc(a.submitted_at) if a.submitted_at else None,
                           as_utc(a.delivered_at) if a.delivered_at else None,
                           tuple(DocView(d.code, d.name_ar, d.name_en, d.mandatory) for d in a.documents),
                           frozenset(d.code for d in a.documents if d.received),
                           a.decision_reason or "")


def submitted_view(a: Application, created: bool) -> SubmittedView:
    paid = a.payments[0].paid_at if a.payments else a.submitted_at
    assert paid is not None  # a submitted application has its payment
    return SubmittedView(
        a.id, a.tracking_code, a.fee_total_piastres, as_utc(paid), a.centre_code,
        tuple((d.name_ar, d.name_en) for d in a.documents if d.received),
        tuple(FeeView(f.code, f.name_ar, f.name_en, f.amount_piastres) for f in a.fees),
        created,
    )
