"""SQLAlchemy 2 typed models of the centre database.

Money is an integer number of piastres; every timestamp is stored in UTC. The schema is created
and changed only by the Alembic migrations in :mod:`counter_app.core.migrations`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from counter_app.common.engine import NAMING, UtcDateTime
from counter_app.common.ticket_events import TicketEventKind as TicketEventKind


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table(model: type[Base]) -> Table:
    """The Core table of a model, for hot paths that skip the ORM's unit of work."""
    return cast(Table, model.__table__)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        length=20,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


class Role(enum.StrEnum):
    CLERK = "clerk"
    REVIEWER = "reviewer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class TicketStatus(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    DONE = "done"
    NO_SHOW = "no_show"
    SKIPPED = "skipped"
    EXPIRED = "expired"  # still waiting or called when its centre day closed (a ticket lives one day)


class DayState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ApplicationState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    READY = "ready"
    DELIVERED = "delivered"
    RETURNED = "returned"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class PaymentMethod(enum.StrEnum):
    CASH = "cash"
    CARD = "card"
    EPAYMENT = "epayment"


class Setting(Base):
    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Centre(Base):
    __tablename__ = "centre"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_ar: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))


class CatalogueVersion(Base):
    __tablename__ = "catalogue_version"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    published_at: Mapped[str] = mapped_column(String(40))
    applied_at: Mapped[datetime] = mapped_column(UtcDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class ServiceGroup(Base):
    __tablename__ = "service_group"

    letter: Mapped[str] = mapped_column(String(1), primary_key=True)
    name_ar: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))


class Department(Base):
    __tablename__ = "department"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_ar: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))


class Service(Base):
    __tablename__ = "service"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_ar: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    group_letter: Mapped[str] = mapped_column(ForeignKey("service_group.letter"))
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"))
    processing_days: Mapped[int] = mapped_column(Integer)
    expected_service_minutes: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    catalogue_version: Mapped[int] = mapped_column(Integer)

    documents: Mapped[list[ServiceDocument]] = relationship(
        order_by="ServiceDocument.position", cascade="all, delete-orphan"
    )
    fees: Mapped[list[ServiceFee]] = relationship(order_by="ServiceFee.position", cascade="all, delete-orphan")


class ServiceDocument(Base):
    __tablename__ = "service_document"
    __table_args__ = (UniqueConstraint("service_code", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_code: Mapped[str] = mapped_column(ForeignKey("service.code", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name_ar: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    mandatory: Mapped[bool] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer)


class ServiceFee(Base):
    __tablename__ = "service_fee"
    __table_args__ = (UniqueConstraint("service_code", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_code: Mapped[str] = mapped_column(ForeignKey("service.code", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name_ar: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    amount_piastres: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(Integer)


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    password_hash: Mapped[str] = mapped_column(String(200))
    clerk_number: Mapped[str] = mapped_column(String(16), unique=True)
    department_code: Mapped[str | None] = mapped_column(ForeignKey("department.code"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set when a supervisor or administrator resets the password; cleared when the user sets their own.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class Counter(Base):
    __tablename__ = "counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    name_ar: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    groups: Mapped[str] = mapped_column(String(64))  # the group letters it serves, e.g. "AB"
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Fairness state: ordinary tickets called since this counter last called a priority ticket.
    ordinary_since_priority: Mapped[int] = mapped_column(Integer, default=0)
    # Appointments called in a row while a walk-in waited (:mod:`counter_app.core.call_order`).
    appointments_in_a_row: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class DaySequence(Base):
    """The last ticket number issued per centre, day and group letter."""

    __tablename__ = "day_sequence"

    centre_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    letter: Mapped[str] = mapped_column(String(1), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class CentreDay(Base):
    """A centre's business day: opened (by its first ticket or call, or by a supervisor), closed
    by a supervisor (every ticket still waiting or called then expires), reopened only by a
    supervisor with a reason. No row: the day has not started."""

    __tablename__ = "centre_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    state: Mapped[DayState] = mapped_column(_enum(DayState, "day_state"))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)  # None: automatic
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    reopened: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    __tablename__ = "ticket"
    __table_args__ = (
        UniqueConstraint("centre_code", "day", "letter", "number"),
        # Only waiting tickets are in this index, so call-next costs the same with any history;
        # the day comes first: only today's tickets wait (a ticket lives one centre day).
        Index(
            "ix_ticket_waiting",
            "day",
            "group_letter",
            "priority",
            "queued_at",
            "id",
            sqlite_where=text("status = 'waiting'"),
            postgresql_where=text("status = 'waiting'"),
        ),
        Index("ix_ticket_day", "day", "group_letter"),
        # The few appointment tickets waiting: read at every call (the others by ix_ticket_waiting's order).
        Index("ix_ticket_appointment", "day", "group_letter", "priority", "appointment_at", sqlite_where=text("status = 'waiting' AND appointment_at IS NOT NULL"),
              postgresql_where=text("status = 'waiting' AND appointment_at IS NOT NULL")),
        # The few tickets waiting that were transferred to one counter: read at every call of it.
        Index("ix_ticket_transferred", "target_counter_id",
              sqlite_where=text("status = 'waiting' AND target_counter_id IS NOT NULL"),
              postgresql_where=text("status = 'waiting' AND target_counter_id IS NOT NULL")),
        Index("ix_ticket_finished", "group_letter", "finished_at"),
        # The few tickets with a number for the SMS of their turn: what each queue change checks.
        Index("ix_ticket_sms", "day", sqlite_where=text("sms_phone IS NOT NULL"),
              postgresql_where=text("sms_phone IS NOT NULL")),
        # The ticket each counter is serving now.
        Index(
            "ix_ticket_called",
            "counter_id",
            sqlite_where=text("status = 'called'"),
            postgresql_where=text("status = 'called'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    centre_code: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    letter: Mapped[str] = mapped_column(String(1))  # the letter of the number printed on it
    number: Mapped[int] = mapped_column(Integer)
    group_letter: Mapped[str] = mapped_column(String(1))  # the group it waits in now
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    priority_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    service_code: Mapped[str | None] = mapped_column(ForeignKey("service.code"), nullable=True)
    status: Mapped[TicketStatus] = mapped_column(_enum(TicketStatus, "ticket_status"))
    target_counter_id: Mapped[int | None] = mapped_column(ForeignKey("counter.id"), nullable=True)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counter.id"), nullable=True)
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # What the ticket's QR code links to on the citizens' portal (``/t/<token>``): 128 random bits,
    # sent to the central server in the ``ticket.issued`` event; valid on the ticket's day only.
    public_token: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True,
                                                     index=True)
    called_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    recall_count: Mapped[int] = mapped_column(Integer, default=0)
    # The mobile number a citizen typed at the kiosk for the SMS of their turn (E.164), cleared
    # when the ticket's day ends (:mod:`counter_app.core.ticket_sms`); never shown, logged or synced.
    sms_phone: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # True while the "N tickets ahead" SMS is still to come (set at issue when more than N were ahead).
    sms_ahead_due: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # An appointment's ticket: the booked time (called around it, :mod:`counter_app.core.call_order`).
    appointment_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    @property
    def display_number(self) -> str:
        return f"{self.letter}-{self.number:03d}"


class TicketEvent(Base):
    __tablename__ = "ticket_event"
    __table_args__ = (Index("ix_ticket_event_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    kind: Mapped[TicketEventKind] = mapped_column(_enum(TicketEventKind, "ticket_event_kind"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counter.id"), nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


class Application(Base):
    __tablename__ = "application"
    __table_args__ = (
        Index("ix_application_state", "state", "reviewer_id"),
        Index("ix_application_created_at", "created_at"),  # reports by period
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    centre_code: Mapped[str] = mapped_column(String(16))
    service_code: Mapped[str] = mapped_column(ForeignKey("service.code"))
    catalogue_version: Mapped[int] = mapped_column(Integer)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True)
    # One intake at the counter gives one application: the form's key, unique, so a second submit
    # of the same intake (a double click, a retry) finds the first application instead of a new one.
    intake_key: Mapped[str | None] = mapped_column(String(36), unique=True, nullable=True)
    state: Mapped[ApplicationState] = mapped_column(_enum(ApplicationState, "application_state"))
    received_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counter.id"), nullable=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    applicant_name: Mapped[str] = mapped_column(String(200))
    national_id: Mapped[str] = mapped_column(String(14), index=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(6))
    governorate_code: Mapped[str] = mapped_column(String(2))
    fee_total_piastres: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    delivered_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    collected_by_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    collected_by_national_id: Mapped[str | None] = mapped_column(String(14), nullable=True)
    # A collector other than the applicant: their relation and the power-of-attorney number (if any).
    collector_relation: Mapped[str | None] = mapped_column(String(32), nullable=True)
    collector_authority: Mapped[str | None] = mapped_column(String(64), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # The citizen asked for no SMS or email about this application.
    notify_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    documents: Mapped[list[ApplicationDocument]] = relationship(
        order_by="ApplicationDocument.position", cascade="all, delete-orphan"
    )
    fees: Mapped[list[ApplicationFee]] = relationship(
        order_by="ApplicationFee.position", cascade="all, delete-orphan"
    )
    payments: Mapped[list[Payment]] = relationship(order_by="Payment.id", cascade="all, delete-orphan")


class ApplicationDocument(Base):
    __tablename__ = "application_document"
    __table_args__ = (UniqueConstraint("application_id", "code"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name_ar: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    mandatory: Mapped[bool] = mapped_column(Boolean)
    received: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer)


class ApplicationFee(Base):
    __tablename__ = "application_fee"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name_ar: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    amount_piastres: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(Integer)


class Payment(Base):
    __tablename__ = "payment"
    __table_args__ = (Index("ix_payment_paid_at", "paid_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"))
    method: Mapped[PaymentMethod] = mapped_column(_enum(PaymentMethod, "payment_method"))
    reference: Mapped[str | None] = mapped_column(String(64), nullable=True)
    amount_piastres: Mapped[int] = mapped_column(BigInteger)
    paid_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    # Cash only: what the citizen handed over and the change given back (piastres).
    cash_received_piastres: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    change_piastres: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Refund(Base):
    """A fee refund approved by a supervisor (four eyes) and paid out at a counter, later, when
    the citizen comes: ``paid_at`` is empty until then. Refunds are their own line in the money
    reconciliation, never a negative payment."""

    __tablename__ = "refund"
    __table_args__ = (Index("ix_refund_paid_at", "paid_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("application_request.id"), nullable=True, unique=True)
    method: Mapped[PaymentMethod] = mapped_column(_enum(PaymentMethod, "payment_method"))
    amount_piastres: Mapped[int] = mapped_column(BigInteger)
    approved_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    paid_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counter.id"), nullable=True)
    paid_to_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    paid_to_national_id: Mapped[str | None] = mapped_column(String(14), nullable=True)


class RequestKind(enum.StrEnum):
    CANCEL = "cancel"  # cancel the application (and refund its fee when paid)
    REFUND = "refund"  # refund the fee of a rejected application


class RequestState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class ApplicationRequest(Base):
    """A cancellation or fee refund asked by one user and decided by another (four eyes)."""

    __tablename__ = "application_request"
    __table_args__ = (Index("ix_application_request_state", "state"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RequestKind] = mapped_column(_enum(RequestKind, "request_kind"))
    state: Mapped[RequestState] = mapped_column(_enum(RequestState, "request_state"))
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)


class ApplicationOverride(Base):
    """A supervisor's override on a file (a waived document, a reassignment): whoever overrode
    a file never approves a request on it."""

    __tablename__ = "application_override"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(Text)


class AuditEntry(Base):
    """Append-only, hash-chained: ``hash = sha256(prev_hash + canonical entry)``."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_at", "at"),
        Index("ix_audit_entry_entity", "entity_type", "entity_id"),
        Index("ix_audit_entry_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The newest entry of the chain, so that removing entries from the end is detected too."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(BigInteger)


class OutboxEvent(Base):
    __tablename__ = "outbox_event"
    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "id",
            sqlite_where=text("sent_at IS NULL"),
            postgresql_where=text("sent_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    aggregate_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The central server refused it for good (e.g. the same UUID with another payload, kept there in
    # quarantine for a supervisor): never sent again, shown as an alert.
    rejected_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    reject_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class SyncLease(Base):
    """Only the holder of an unexpired lease sends a centre's outbox (one agent per centre)."""

    __tablename__ = "sync_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class NotificationState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"


class Notification(Base):
    """A message to a citizen about an application, in its own outbox: retried for a day."""

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_due", "state", "next_attempt_at"),
        UniqueConstraint("application_id", "event", "channel"),
        UniqueConstraint("ticket_id", "event", "channel"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # About an application, or (the SMS of a queue ticket's turn) about a ticket: one of the two.
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"),
                                                       nullable=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), nullable=True,
                                                  index=True)
    event: Mapped[str] = mapped_column(String(48))  # e.g. "ready:3" (the state and the event's sequence)
    channel: Mapped[str] = mapped_column(String(8))  # "sms" or "email"
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[NotificationState] = mapped_column(_enum(NotificationState, "notification_state"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    provider_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class Booking(Base):
    """The centre's copy of one of its appointments, pulled from the central server by the sync agent
    (:mod:`counter_app.core.booking`): found at the kiosk by its code or the citizen's national ID, so
    check-in works while the network is down. ``version``: the server's version of the booking's
    last change (the agent asks for the changes after the newest one it holds)."""

    __tablename__ = "booking"
    __table_args__ = (Index("ix_booking_national_id_day", "national_id", "day"),)

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    national_id: Mapped[str] = mapped_column(String(14))
    service_code: Mapped[str] = mapped_column(String(32))
    group_letter: Mapped[str] = mapped_column(String(4))
    booked_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the slot's start (UTC)
    day: Mapped[date] = mapped_column(Date)  # the slot's Cairo day
    state: Mapped[str] = mapped_column(String(12))  # booked, cancelled, checked_in, no_show, closed
    version: Mapped[int] = mapped_column(BigInteger)
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    ticket_uuid: Mapped[str | None] = mapped_column(String(36), nullable=True)
