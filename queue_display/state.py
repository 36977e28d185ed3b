"""What the waiting-hall display shows, read from the centre database (no Qt here).

One :func:`load_state` call reads everything the screen needs in one short read-only transaction:
the calls of the day (newest first, recalls included), people waiting per group, the centre's
name and the ticker of services with their documents and fees. The display process calls it once
per burst of changes, never in a loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from counter_app.core.clock import as_utc, local_day, utcnow
from counter_app.core.models import (
    Centre,
    Counter,
    Service,
    ServiceGroup,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)

RECENT = 8
CALL_KINDS = (TicketEventKind.CALLED, TicketEventKind.RECALLED)


@dataclass(frozen=True)
class Call:
    """One call of a ticket to a counter (a recall is a new call of the same ticket)."""

    event_id: int
    letter: str
    number: int
    group: str
    counter_number: int
    at: datetime
    recall: bool

    @property
    def ticket(self) -> str:
        return f"{self.letter}-{self.number:03d}"


@dataclass(frozen=True)
class TickerService:
    name_ar: str
    name_en: str
    documents_ar: tuple[str, ...]
    documents_en: tuple[str, ...]
    fee_piastres: int


@dataclass(frozen=True)
class GroupWaiting:
    letter: str
    name_ar: str
    name_en: str
    waiting: int


@dataclass(frozen=True)
class DisplayState:
    day: date
    centre_ar: str
    centre_en: str
    calls: tuple[Call, ...]  # newest first
    waiting: tuple[GroupWaiting, ...]
    ticker: tuple[TickerService, ...] = field(default=())

    @property
    def now_calling(self) -> Call | None:
        return self.calls[0] if self.calls else None

    @property
    def last_event_id(self) -> int:
        return self.calls[0].event_id if self.calls else 0


def load_state(session: Session, groups: frozenset[str] | None = None, now: datetime | None = None,
               with_ticker: bool = True) -> DisplayState:
    """The screen's content for today (Cairo day), limited to ``groups`` when given."""
    moment = as_utc(now or utcnow())
    today = local_day(moment)
    centre = session.scalar(select(Centre).limit(1))
    calls_q = (
        select(TicketEvent.id, TicketEvent.kind, TicketEvent.at, Ticket.letter, Ticket.number, Ticket.group_letter,
               Counter.number)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .join(Counter, Counter.id == TicketEvent.counter_id)
        .where(TicketEvent.kind.in_(CALL_KINDS), Ticket.day == today)
        .order_by(TicketEvent.id.desc())
        .limit(RECENT)
    )
    if groups:
        calls_q = calls_q.where(Ticket.group_letter.in_(groups))
    calls = tuple(Call(eid, letter, number, group, counter, as_utc(at), kind == TicketEventKind.RECALLED)
                  for eid, kind, at, letter, number, group, counter in session.execute(calls_q))
    counts = {letter: int(n) for letter, n in session.execute(
        select(Ticket.group_letter, func.count()).where(Ticket.status == TicketStatus.WAITING, Ticket.day == today)
        .group_by(Ticket.group_letter))}
    group_rows = session.scalars(select(ServiceGroup).order_by(ServiceGroup.letter)).all()
    waiting = tuple(GroupWaiting(g.letter, g.name_ar, g.name_en, int(counts.get(g.letter, 0)))
                    for g in group_rows if not groups or g.letter in groups)
    ticker: tuple[TickerService, ...] = ()
    if with_ticker:
        services = session.scalars(
            select(Service).where(Service.active.is_(True)).order_by(Service.group_letter, Service.code)
            .options(selectinload(Service.documents), selectinload(Service.fees))).all()
        ticker = tuple(
            TickerService(s.name_ar, s.name_en, tuple(d.name_ar for d in s.documents if d.mandatory),
                          tuple(d.name_en for d in s.documents if d.mandatory), sum(f.amount_piastres for f in s.fees))
            for s in services if not groups or s.group_letter in groups)
    return DisplayState(today, centre.name_ar if centre else "", centre.name_en if centre else "", calls, waiting,
                        ticker)
