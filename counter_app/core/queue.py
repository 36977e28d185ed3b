"""The queue engine: tickets, call next, recall, no-show, transfer, finish and skip.

Rules (DESIGN.md, "The queue"):

* numbers restart every day (Africa/Cairo) per centre and group letter: ``A-001``;
* priority tickets come before ordinary ones of the same group, or one priority ticket per N
  ordinary ones when the fairness setting says ``ratio:N``; within a class, first come first served;
* a ticket transferred to a counter is called by that counter before its general queue; a
  ticket transferred to another group keeps its place (its original queue time);
* **call next is atomic**: on SQLite the write transaction holds the database's write lock from
  ``BEGIN IMMEDIATE``; on PostgreSQL every queue write first takes the centre's transaction lock
  (the same advisory lock that orders the audit chain), and the ticket row is taken with
  ``FOR UPDATE SKIP LOCKED``; the update re-checks ``status = 'waiting'``. Two counters never
  get the same ticket and no waiting ticket is passed over;
* **every state change reads its clock after it holds the write lock** (:func:`locked_now`), so the
  stored times follow the order of commits: no call is stored before its ticket was queued;
* **a ticket lives one centre day** (:mod:`counter_app.core.centre_day`): only today's tickets are
  waiting (:func:`waiting_clause`, the one definition the counter, the kiosk and the display use);
  closing the day, or failing that the first ticket or call of the next, expires the rest.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    and_,
    bindparam,
    false,
    func,
    insert,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from counter_app.common import formatting
from counter_app.common.i18n import Msg
from counter_app.core import audit, call_order, centre_day, outbox, settings, ticket_sms
from counter_app.core.call_order import Waiting
from counter_app.core.centre import centre_code as _centre_code
from counter_app.core.centre import get_counter
from counter_app.core.clock import as_utc, local_day, utcnow
from counter_app.core.errors import DomainError, IllegalTicketAction, Name, NotFound, ValidationFailed
from counter_app.core.models import (
    Counter,
    DaySequence,
    Service,
    ServiceGroup,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    table,
)

log = logging.getLogger(__name__)

PRIORITY_REASONS = ("elderly", "disability", "pregnancy")
# A literal, not a bound parameter: only then can SQLite and PostgreSQL (generic plans) prove
# that the partial index of waiting tickets applies, so call-next never reads the history.
IS_WAITING = text("ticket.status = 'waiting'")
DEFAULT_SERVICE_SECONDS = 8 * 60
_INSERT_EVENT = insert(table(TicketEvent))
_T = table(Ticket)
_C = table(Counter)
_SELECT_COUNTER = select(_C.c.id, _C.c.number, _C.c.groups, _C.c.ordinary_since_priority,
                         _C.c.appointments_in_a_row).where(_C.c.id == bindparam("cid"))
_SELECT_CURRENT = (
    select(_T.c.id, _T.c.uuid, _T.c.letter, _T.c.number, _T.c.day, _T.c.group_letter, _T.c.priority,
           _T.c.service_code)
    .where(_T.c.counter_id == bindparam("cid"), text("ticket.status = 'called'"))
    .order_by(_T.c.called_at.desc()).limit(1)
)
_FINISH = update(_T).where(_T.c.id == bindparam("tid")).values(status="done", finished_at=bindparam("finished"))
#: Call a ticket still waiting, and return it (the ORM object, as written).
_TAKE = (update(Ticket).where(Ticket.id == bindparam("tid"), IS_WAITING)
         .values(status=TicketStatus.CALLED, counter_id=bindparam("cid"), clerk_id=bindparam("kid"),
                 called_at=bindparam("at"), recall_count=0)
         .returning(Ticket))
_SET_FAIRNESS = update(_C).where(_C.c.id == bindparam("cid")).values(
    ordinary_since_priority=bindparam("n"), appointments_in_a_row=bindparam("row"))


class _TicketLike(Protocol):
    """What an event needs of a ticket: an ORM ticket or a row of the ticket table."""

    id: int
    uuid: str
    letter: str
    number: int
    day: date
    group_letter: str
    priority: bool
    service_code: str | None


class _CounterLike(Protocol):
    id: int
    groups: str


def _display(ticket: _TicketLike) -> str:
    return f"{ticket.letter}-{ticket.number:03d}"


@dataclass(frozen=True)
class IssuedTicket:
    ticket: Ticket
    waiting_ahead: int
    estimated_wait_minutes: int


#: The PostgreSQL channel on which every queue change is announced (delivered at commit), so the
#: waiting-hall displays refresh without polling the tables.
QUEUE_CHANNEL = "shubbak_queue"
_NOTIFY = text(f"SELECT pg_notify('{QUEUE_CHANNEL}', :kind)")


def locked_now(session: Session, at: datetime | None = None) -> datetime:
    """Take the write lock of this transaction, then read the clock (or use ``at``).

    On SQLite the transaction's first statement is ``BEGIN IMMEDIATE`` (see ``core.db``), so
    asking for the connection waits for the database's write lock; on PostgreSQL the centre's
    advisory lock is taken. A time read before the lock could be older than a commit that got the
    lock first: a call stored before its ticket was issued.
    """
    audit.lock_chain(session)
    session.connection()
    return at or utcnow()


def waiting_clause(day: date) -> ColumnElement[bool]:
    """**The** definition of a waiting ticket: status waiting, of the centre day ``day``."""
    return and_(IS_WAITING, Ticket.day == day)


def _event(session: Session, ticket: _TicketLike, kind: TicketEventKind, at: datetime, *,
           counter_id: int | None = None, user_id: int | None = None, detail: dict[str, object] | None = None,
           counter_number: int | None = None, appointment: bool = False) -> None:
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(_NOTIFY, {"kind": kind.value})
    conn.execute(_INSERT_EVENT, {
        "ticket_id": ticket.id, "kind": kind.value, "at": at, "counter_id": counter_id, "user_id": user_id,
        "detail": json.dumps(detail, ensure_ascii=False) if detail else None})
    payload: dict[str, object] = {
        "ticket": ticket.uuid, "number": _display(ticket), "day": ticket.day.isoformat(),
        "group": ticket.group_letter, "priority": ticket.priority, "event": kind.value,
        "at": as_utc(at).isoformat(), "counter_id": counter_id, "user_id": user_id,
        "service": ticket.service_code,
    }
    token = getattr(ticket, "public_token", None) if kind is TicketEventKind.ISSUED else None
    if token:
        payload["token"] = token  # the portal's /t/<token> (DESIGN: no personal data)
    if counter_number is not None:  # called/recalled: the portal's "go to counter N"
        payload["counter_number"] = counter_number
    if appointment:  # the call of an appointment ticket: the server records it on the booking
        payload["appointment"] = True
    if detail:
        payload["detail"] = detail
    outbox.emit(session, f"ticket.{kind.value}", ticket.uuid, payload, at=at)
    audit.record(session, user_id=user_id, action=f"ticket.{kind.value}", entity_type="ticket",
                 entity_id=ticket.id, detail={"number": _display(ticket), "counter": counter_id,
                                              **(detail or {})}, at=at)


def _next_number(session: Session, centre: str, day: object, letter: str) -> int:
    """Atomically take the next number of the day for ``letter`` (an upsert with RETURNING)."""
    dialect = session.get_bind().dialect.name
    ins = pg_insert(DaySequence) if dialect == "postgresql" else sqlite_insert(DaySequence)
    stmt = (
        ins.values(centre_code=centre, day=day, letter=letter, last_number=1)
        .on_conflict_do_update(
            index_elements=["centre_code", "day", "letter"],
            set_={"last_number": DaySequence.last_number + 1},
        )
        .returning(DaySequence.last_number)
    )
    return int(session.execute(stmt).scalar_one())


def issue_ticket(session: Session, group_letter: str, *, service_code: str | None = None,
                 priority: bool = False, priority_reason: str | None = None,
                 at: datetime | None = None, sms_phone: str | None = None,
                 appointment_at: datetime | None = None) -> IssuedTicket:
    """Give a citizen the next number of ``group_letter`` (or of the service's group).

    ``appointment_at``: the booked time of a citizen checking in for an appointment (called around
    it, :mod:`counter_app.core.call_order`).

    ``sms_phone``: a mobile number typed at the kiosk for the SMS of this ticket's turn
    (:mod:`counter_app.core.ticket_sms`); kept on the ticket only, never in its events."""
    try:
        phone = ticket_sms.mobile_e164(sms_phone)
    except ticket_sms.InvalidMobile:
        raise ValidationFailed(detail=Msg(ticket_sms.PHONE_FIELD)) from None
    moment = locked_now(session, at)
    if service_code is not None:
        service = session.get(Service, service_code)
        if service is None:
            raise NotFound(what=Msg("what.service", code=formatting.code(service_code)))
        if not service.active:
            raise DomainError("service_inactive", service=Name(service.name_ar, service.name_en))
        group_letter = service.group_letter
    group_letter = group_letter.upper()
    if session.get(ServiceGroup, group_letter) is None:
        raise DomainError("counter_group_unknown", letter=formatting.code(group_letter))
    if priority and priority_reason is not None and priority_reason not in PRIORITY_REASONS:
        raise ValidationFailed(detail=Msg("field.priority_reason"))
    day = centre_day.require_open(session, moment)
    centre = _centre_code(session)
    number = _next_number(session, centre, day, group_letter)
    ticket_id = session.execute(
        insert(Ticket).values(
            uuid=str(uuid.uuid4()), centre_code=centre, day=day, letter=group_letter, number=number,
            group_letter=group_letter, priority=priority, priority_reason=priority_reason if priority else None,
            service_code=service_code, status=TicketStatus.WAITING, issued_at=moment, queued_at=moment,
            recall_count=0, public_token=secrets.token_urlsafe(16),
            appointment_at=as_utc(appointment_at) if appointment_at is not None else None,
        ).returning(Ticket.id)
    ).scalar_one()
    ticket = session.get_one(Ticket, ticket_id)
    _event(session, ticket, TicketEventKind.ISSUED, moment,
           detail={"priority_reason": priority_reason} if priority else None)
    ahead = waiting_ahead(session, ticket)
    ticket_sms.on_issue(session, ticket, phone, ahead)
    return IssuedTicket(ticket, ahead, estimate_wait_minutes(session, group_letter, ahead))


_WAITING_COLUMNS = (_T.c.id, _T.c.queued_at, _T.c.priority, _T.c.target_counter_id, _T.c.appointment_at)


def _heads_statement(as_of: bool) -> CompoundSelect[Any]:
    """The tickets :func:`_waiting_for` reads, in one statement (one round trip), built once: each
    part is a short read of a partial index of the waiting tickets, whatever the history."""
    waiting = and_(IS_WAITING, _T.c.day == bindparam("day"))
    if as_of:
        waiting = and_(waiting, _T.c.queued_at <= bindparam("as_of"))
    mine = and_(waiting, _T.c.group_letter.in_(bindparam("groups", expanding=True)), _T.c.target_counter_id.is_(None))
    fifo = (_T.c.queued_at, _T.c.id)
    parts = [
        # transferred to this counter (few: ix_ticket_transferred), every one of them
        select(*_WAITING_COLUMNS).where(waiting, _T.c.target_counter_id == bindparam("cid")),
        # the longest-waiting priority citizen and walk-in of the counter's groups (ix_ticket_waiting)
        # (``= true``, not ``IS TRUE``: PostgreSQL reads an index only for the former)
        select(*_WAITING_COLUMNS).where(mine, _T.c.priority == true()).order_by(*fifo).limit(1),
        select(*_WAITING_COLUMNS).where(mine, _T.c.priority == false(), _T.c.appointment_at.is_(None))
        .order_by(*fifo).limit(1),
        # the appointments waiting (few: ix_ticket_appointment)
        select(*_WAITING_COLUMNS).where(mine, _T.c.priority == false(), _T.c.appointment_at.is_not(None)),
    ]
    return union_all(*(select(*part.subquery().c) for part in parts))


_HEADS = {False: _heads_statement(False), True: _heads_statement(True)}


def _waiting_for(session: Session, counter: _CounterLike, day: date, as_of: datetime | None) -> list[Waiting]:
    """What the rule needs of the tickets waiting for ``counter`` (its groups, or transferred to
    it): those transferred to it, the longest-waiting priority citizen and walk-in of its groups,
    and its groups' appointments, so a call reads a few rows however long the queue. A superset of
    :func:`counter_app.core.call_order.heads`, among which the rule chooses as among all."""
    params: dict[str, object] = {"day": day, "groups": list(counter.groups), "cid": counter.id}
    if as_of is not None:
        params["as_of"] = as_of
    return [Waiting(r.id, as_utc(r.queued_at), bool(r.priority), r.target_counter_id is not None,
                    as_utc(r.appointment_at) if r.appointment_at is not None else None)
            for r in session.connection().execute(_HEADS[as_of is not None], params)]


def _current_ticket(session: Session, counter_id: int) -> Ticket | None:
    return session.scalars(
        select(Ticket).where(Ticket.counter_id == counter_id, Ticket.status == TicketStatus.CALLED)
        .order_by(Ticket.called_at.desc()).limit(1)
    ).first()


def current_ticket(session: Session, counter_id: int) -> Ticket | None:
    """The ticket the counter is serving now, if any."""
    return _current_ticket(session, counter_id)


def call_next(session: Session, counter_id: int, clerk_id: int | None, *, at: datetime | None = None) -> Ticket | None:
    """Finish the counter's current ticket (if any) and call the next one; None when nobody waits.

    With ``at`` given (replays and the simulator), only tickets issued by then are considered.
    """
    moment = locked_now(session, at)
    conn = session.connection()
    postgres = conn.dialect.name == "postgresql"
    counter = conn.execute(_SELECT_COUNTER.with_for_update() if postgres else _SELECT_COUNTER,
                           {"cid": counter_id}).first()
    if counter is None:
        raise NotFound(what=Msg("what.counter", id=counter_id))
    day = centre_day.require_open(session, moment)
    current = conn.execute(_SELECT_CURRENT, {"cid": counter_id}).first()
    if current is not None:
        conn.execute(_FINISH, {"tid": current.id, "finished": moment})
        _event(session, current, TicketEventKind.FINISHED, moment, counter_id=counter_id, user_id=clerk_id)
    rule = call_order.Rule(settings.fairness(session))
    counts = call_order.CounterState(counter.ordinary_since_priority, counter.appointments_in_a_row)
    for _attempt in range(50):
        choice = call_order.next_ticket(_waiting_for(session, counter, day, at), moment, rule, counts)
        if choice is None:
            return None
        # Take it and read it back in one statement (UPDATE ... RETURNING): None when another
        # counter took it meanwhile, then choose again.
        ticket = session.scalars(_TAKE, {"tid": choice.ticket.id, "cid": counter_id, "kid": clerk_id, "at": moment},
                                 execution_options={"synchronize_session": False, "populate_existing": True}).first()
        if ticket is not None:
            break
    else:  # pragma: no cover - only reachable if the database breaks its own isolation
        raise RuntimeError("call_next could not take a ticket after 50 attempts")
    conn.execute(_SET_FAIRNESS, {"cid": counter_id, "n": choice.state.ordinary_since_priority,
                                 "row": choice.state.appointments_in_a_row})
    _event(session, ticket, TicketEventKind.CALLED, moment, counter_id=counter_id, user_id=clerk_id,
           counter_number=counter.number, appointment=ticket.appointment_at is not None)
    ticket_sms.on_called(session, ticket, counter_id, moment)
    sms_check(session, day, moment, ticket.group_letter)
    return ticket


def sms_check(session: Session, day: date, at: datetime, group: str | None = None) -> int:
    """After a queue change in ``group``'s line: the "N ahead" SMS now due
    (:mod:`counter_app.core.ticket_sms`). Only a call takes a ticket out of a line (a transfer
    puts one back in); both check."""
    return ticket_sms.after_change(session, day, at, group)


def _get_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id, with_for_update=session.get_bind().dialect.name == "postgresql")
    if ticket is None:
        raise NotFound(what=Msg("what.ticket", id=ticket_id))
    return ticket


def _require_called_at(ticket: Ticket, counter_id: int, action: str) -> None:
    if ticket.status != TicketStatus.CALLED or ticket.counter_id != counter_id:
        raise IllegalTicketAction(action=action, status=ticket.status)


def _finish(session: Session, ticket: Ticket, counter_id: int, clerk_id: int | None, moment: datetime) -> None:
    ticket.status = TicketStatus.DONE
    ticket.finished_at = moment
    _event(session, ticket, TicketEventKind.FINISHED, moment, counter_id=counter_id, user_id=clerk_id)


def finish(session: Session, ticket_id: int, counter_id: int, clerk_id: int | None, *, at: datetime | None = None) -> Ticket:
    moment = locked_now(session, at)
    ticket = _get_ticket(session, ticket_id)
    _require_called_at(ticket, counter_id, "finish")
    _finish(session, ticket, counter_id, clerk_id, moment)
    return ticket


def recall(session: Session, ticket_id: int, counter_id: int, clerk_id: int | None, *, at: datetime | None = None) -> Ticket:
    """Call the same ticket again; allowed up to the configured number of recalls."""
    moment = locked_now(session, at)
    ticket = _get_ticket(session, ticket_id)
    _require_called_at(ticket, counter_id, "recall")
    limit = settings.max_recalls(session)
    if ticket.recall_count >= limit:
        raise DomainError("recall_limit", n=limit)
    ticket.recall_count += 1
    _event(session, ticket, TicketEventKind.RECALLED, moment, counter_id=counter_id, user_id=clerk_id,
           detail={"recall": ticket.recall_count}, counter_number=get_counter(session, counter_id).number)
    return ticket


def no_show(session: Session, ticket_id: int, counter_id: int, clerk_id: int | None, *, at: datetime | None = None) -> Ticket:
    """Close a ticket whose citizen did not come after the configured number of recalls."""
    moment = locked_now(session, at)
    ticket = _get_ticket(session, ticket_id)
    _require_called_at(ticket, counter_id, "no_show")
    limit = settings.max_recalls(session)
    if ticket.recall_count < limit:
        raise DomainError("recalls_pending", n=limit - ticket.recall_count)
    ticket.status = TicketStatus.NO_SHOW
    ticket.finished_at = moment
    _event(session, ticket, TicketEventKind.NO_SHOW, moment, counter_id=counter_id, user_id=clerk_id,
           detail={"recalls": ticket.recall_count})
    return ticket


def skip(session: Session, ticket_id: int, counter_id: int, clerk_id: int | None, reason: str, *,
         at: datetime | None = None) -> Ticket:
    """Set the called ticket aside without serving it; a reason is required and audited."""
    moment = locked_now(session, at)
    if not reason or not reason.strip():
        raise ValidationFailed("reason_required")
    ticket = _get_ticket(session, ticket_id)
    _require_called_at(ticket, counter_id, "skip")
    ticket.status = TicketStatus.SKIPPED
    ticket.finished_at = moment
    _event(session, ticket, TicketEventKind.SKIPPED, moment, counter_id=counter_id, user_id=clerk_id,
           detail={"reason": reason.strip()})
    return ticket


def transfer(session: Session, ticket_id: int, counter_id: int, clerk_id: int | None, *,
             to_group: str | None = None, to_counter_id: int | None = None, reason: str | None = None,
             at: datetime | None = None) -> Ticket:
    """Send the called ticket to another group or counter; it keeps its place in the queue."""
    moment = locked_now(session, at)
    if (to_group is None) == (to_counter_id is None):
        raise ValidationFailed("transfer_target")
    ticket = _get_ticket(session, ticket_id)
    _require_called_at(ticket, counter_id, "transfer")
    detail: dict[str, object] = {"from_counter": counter_id, "from_group": ticket.group_letter}
    if to_group is not None:
        to_group = to_group.upper()
        if session.get(ServiceGroup, to_group) is None:
            raise DomainError("counter_group_unknown", letter=formatting.code(to_group))
        if to_group == ticket.group_letter:  # it would only lose its citizen's turn at this counter
            raise ValidationFailed("transfer_same_group", letter=formatting.code(to_group))
        ticket.group_letter = to_group
        ticket.target_counter_id = None
        detail["to_group"] = to_group
    else:
        target = get_counter(session, int(to_counter_id or 0))
        if target.id == counter_id:
            raise ValidationFailed("transfer_same_counter")
        ticket.target_counter_id = target.id
        detail["to_counter"] = target.id
    if reason:
        detail["reason"] = reason.strip()
    ticket.status = TicketStatus.WAITING
    ticket.counter_id = None
    ticket.clerk_id = None
    ticket.called_at = None
    ticket.recall_count = 0
    _event(session, ticket, TicketEventKind.TRANSFERRED, moment, counter_id=counter_id, user_id=clerk_id,
           detail=detail)
    sms_check(session, ticket.day, moment, ticket.group_letter)
    return ticket


def waiting_ahead(session: Session, ticket: Ticket) -> int:
    """How many waiting tickets of the same group will be called before this one (strict order)."""
    if ticket.status != TicketStatus.WAITING:
        return 0
    same = and_(waiting_clause(ticket.day), Ticket.group_letter == ticket.group_letter,
                Ticket.target_counter_id.is_(None))
    earlier = or_(Ticket.queued_at < ticket.queued_at, and_(Ticket.queued_at == ticket.queued_at, Ticket.id < ticket.id))
    if ticket.priority:
        cond = and_(same, Ticket.priority.is_(True), earlier)
    else:
        cond = and_(same, or_(Ticket.priority.is_(True), earlier))
    return int(session.scalar(select(func.count()).select_from(Ticket).where(cond)) or 0)


def waiting_counts(session: Session, day: date | None = None) -> dict[str, int]:
    """Waiting tickets per group letter on the centre day ``day`` (today when omitted): what the
    counters, the kiosk and the waiting-hall display all show."""
    rows = session.execute(
        select(Ticket.group_letter, func.count()).where(waiting_clause(day or local_day(utcnow())))
        .group_by(Ticket.group_letter)
    ).all()
    return {letter: int(n) for letter, n in rows}


_OPEN_STATUSES = (TicketStatus.WAITING, TicketStatus.CALLED)


def expire_tickets(session: Session, *, up_to: date, at: datetime, by: int | None = None) -> int:
    """End every ticket of day ``up_to`` or before still waiting or called: status ``expired``,
    an ``expired`` event each (audited, in the outbox). Returns how many expired."""
    ticket_sms.forget(session, up_to)  # the mobile numbers of those days and their pending SMS
    tickets = session.scalars(
        select(Ticket).where(Ticket.status.in_(_OPEN_STATUSES), Ticket.day <= up_to).order_by(Ticket.id)).all()
    for ticket in tickets:
        was, counter_id = ticket.status, ticket.counter_id
        ticket.status = TicketStatus.EXPIRED
        ticket.finished_at = at
        ticket.target_counter_id = None
        _event(session, ticket, TicketEventKind.EXPIRED, at, counter_id=counter_id, user_id=by,
               detail={"was": was.value})
    if tickets:
        session.flush()
    return len(tickets)


def recent_service_seconds(session: Session, group_letter: str) -> float:
    """Mean service time of the group's most recent finished tickets, or the catalogue's figure."""
    window = int(settings.get(session, "queue.estimate_window"))
    rows = session.execute(
        select(Ticket.finished_at, Ticket.called_at)
        .where(Ticket.group_letter == group_letter, Ticket.finished_at.is_not(None),
               Ticket.status == TicketStatus.DONE)
        .order_by(Ticket.finished_at.desc()).limit(window)
    ).all()
    durations = [(as_utc(done) - as_utc(called)).total_seconds() for done, called in rows
                 if called is not None and done is not None]
    if durations:
        return sum(durations) / len(durations)
    expected = session.scalar(
        select(func.avg(Service.expected_service_minutes)).where(Service.group_letter == group_letter,
                                                                 Service.active.is_(True))
    )
    return float(expected) * 60 if expected else DEFAULT_SERVICE_SECONDS


def estimate_wait_minutes(session: Session, group_letter: str, ahead: int) -> int:
    """Estimated minutes until a ticket with ``ahead`` tickets before it is called."""
    if ahead <= 0:
        return 0
    serving = sum(1 for c in session.scalars(select(Counter).where(Counter.active.is_(True)))
                  if group_letter in c.groups) or 1
    return math.ceil(ahead * recent_service_seconds(session, group_letter) / serving / 60)


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(what=Msg("what.ticket", id=ticket_id))
    return ticket


@dataclass(frozen=True)
class CallRow:
    """One call (or recall) of a ticket to a counter, as the waiting-hall display lists it."""

    event_id: int
    kind: TicketEventKind
    at: datetime
    letter: str
    number: int
    group_letter: str
    counter_number: int
    ticket_id: int
    appointment_at: datetime | None = None  # an appointment's ticket: its booked time (UTC)


def calls_of_day(session: Session, day: date, groups: frozenset[str] | None = None, *,
                 limit: int) -> list[CallRow]:
    """The latest ``limit`` calls and recalls of centre day ``day``'s tickets, newest first,
    only of ``groups`` when given."""
    stmt = (
        select(TicketEvent.id, TicketEvent.kind, TicketEvent.at, Ticket.letter, Ticket.number, Ticket.group_letter,
               Counter.number, Ticket.id, Ticket.appointment_at)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .join(Counter, Counter.id == TicketEvent.counter_id)
        .where(TicketEvent.kind.in_((TicketEventKind.CALLED, TicketEventKind.RECALLED)), Ticket.day == day)
        .order_by(TicketEvent.id.desc())
        .limit(limit)
    )
    if groups:
        stmt = stmt.where(Ticket.group_letter.in_(groups))
    return [CallRow(eid, kind, as_utc(at), letter, number, group, counter, tid,
                    as_utc(booked) if booked is not None else None)
            for eid, kind, at, letter, number, group, counter, tid, booked in session.execute(stmt)]
