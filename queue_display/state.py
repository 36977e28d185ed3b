"""What the waiting-hall display shows, read from the centre database through the core's
queries (no Qt here, no query of its own).

One :func:`load_state` call reads everything the screen needs in one short read-only transaction:
the calls of the day (newest first, recalls included: each is announced; the screen's list of
recent calls shows each ticket once, at its latest call), people waiting per group (the core's one
definition of waiting, :func:`counter_app.core.queue.waiting_counts`, the same the counters and the
kiosk show), the centre's
name and the ticker of services with their documents and fees. The display process calls it once
per burst of changes, never in a loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from counter_app.core import catalogue, centre, queue
from counter_app.core.clock import as_utc, local_day, utcnow
from counter_app.core.models import TicketEventKind

RECENT = 8
#: Call events read per refresh: enough for RECENT distinct tickets even with recalls among them.
CALL_EVENTS = RECENT * 4


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
    ticket_id: int = 0
    #: An appointment's ticket: its booked time (UTC); the screen marks it (a clock and the word).
    appointment_at: datetime | None = None

    @property
    def appointment(self) -> bool:
        return self.appointment_at is not None

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
    def recent(self) -> tuple[Call, ...]:
        """The tickets called before the one called now, each once at its latest call, newest first
        (a recalled ticket is not listed twice, nor beside itself when it is the one called now)."""
        seen = {self.calls[0].ticket_id} if self.calls else set()
        shown = []
        for call in self.calls[1:]:
            if call.ticket_id not in seen:
                seen.add(call.ticket_id)
                shown.append(call)
        return tuple(shown[:RECENT])

    @property
    def last_event_id(self) -> int:
        return self.calls[0].event_id if self.calls else 0


def load_state(session: Session, groups: frozenset[str] | None = None, now: datetime | None = None,
               with_ticker: bool = True) -> DisplayState:
    """The screen's content for today (Cairo day), limited to ``groups`` when given."""
    moment = as_utc(now or utcnow())
    today = local_day(moment)
    found = centre.get_centre(session)
    calls = tuple(Call(c.event_id, c.letter, c.number, c.group_letter, c.counter_number, c.at,
                       c.kind == TicketEventKind.RECALLED, c.ticket_id, c.appointment_at)
                  for c in queue.calls_of_day(session, today, groups, limit=CALL_EVENTS))
    counts = queue.waiting_counts(session, today)
    waiting = tuple(GroupWaiting(g.letter, g.name_ar, g.name_en, int(counts.get(g.letter, 0)))
                    for g in catalogue.groups(session) if not groups or g.letter in groups)
    ticker: tuple[TickerService, ...] = ()
    if with_ticker:
        ticker = tuple(
            TickerService(s.name_ar, s.name_en, tuple(d.name_ar for d in s.documents if d.mandatory),
                          tuple(d.name_en for d in s.documents if d.mandatory), sum(f.amount_piastres for f in s.fees))
            for s in catalogue.services(session) if not groups or s.group_letter in groups)
    return DisplayState(today, found.name_ar if found else "", found.name_en if found else "", calls, waiting,
                        ticker)
