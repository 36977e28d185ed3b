"""The centre's figures about appointments for the supervisor's report (issue 20, item 7): how many
of the period's tickets were appointments, how many of those were served, and how punctually they
were called (the first call minus the booked time: negative when called early); and of the
period's bookings (the centre's copy, :mod:`counter_app.core.booking`), how many were checked in
and how many were no-shows.

The definitions are the central server's (:mod:`sync.server.appointment_kpis`), so the centre's
report and the central one show the same figures for the centre:

* bookings: the period's bookings (by the day of their slot) not cancelled; check-ins and
  no-shows of those; the no-show rate is no-shows / (check-ins + no-shows), the bookings whose
  outcome is known (None without any);
* punctuality: over the appointment tickets (checked in within the window) that were called, the
  median of first call minus booked time, and the share called at most :data:`PUNCTUAL_S` after it.

Read-only queries of the period's appointment tickets (few: they carry ``appointment_at``), its
bookings, and one count of all its tickets; no commit, the caller's transaction.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from counter_app.core.clock import as_utc
from counter_app.core.models import Booking, Ticket, TicketEvent, TicketEventKind, TicketStatus

#: A call this many seconds after the booked time or less is punctual (the central server's too).
PUNCTUAL_S = 600


@dataclass(frozen=True)
class AppointmentFigures:
    tickets: int = 0  # the period's tickets that were appointments
    served: int = 0  # of those, served (done)
    all_tickets: int = 0  # every ticket of the period
    #: The median of first call minus booked time (seconds) over the appointments called; None if none.
    punctuality_median_s: float | None = None
    called: int = 0  # the appointments called at least once (the punctuality's sample)
    punctual: int = 0  # of those, called at most PUNCTUAL_S after the booked time
    bookings: int = 0  # the period's bookings not cancelled
    check_ins: int = 0  # of those, checked in (on time or not)
    no_shows: int = 0  # of those, not checked in when their day closed

    @property
    def no_show_rate(self) -> float | None:
        """No-shows over the bookings whose outcome is known; None without any."""
        known = self.check_ins + self.no_shows
        return self.no_shows / known if known else None

    @property
    def within_10_min(self) -> float | None:
        """The share of the called appointments called at most 10 minutes after the booked time."""
        return self.punctual / self.called if self.called else None

    @property
    def share(self) -> float:
        """The share of the period's tickets that were appointments (0 when there were none)."""
        return self.tickets / self.all_tickets if self.all_tickets else 0.0


def figures(session: Session, first: date, last: date | None = None) -> AppointmentFigures:
    """The appointment figures of centre days ``first``..``last`` (one day when ``last`` is None)."""
    last = last or first
    in_period = (Ticket.day >= first, Ticket.day <= last)
    kind = type_coerce(TicketEvent.kind, String)
    rows = session.execute(
        select(Ticket.status, Ticket.appointment_at,
               func.min(TicketEvent.at).filter(kind == TicketEventKind.CALLED.value))
        .outerjoin(TicketEvent, TicketEvent.ticket_id == Ticket.id)
        .where(*in_period, Ticket.appointment_at.is_not(None))
        .group_by(Ticket.id, Ticket.status, Ticket.appointment_at)
    ).all()
    all_tickets = int(session.scalar(select(func.count()).select_from(Ticket).where(*in_period)) or 0)
    lateness = [(as_utc(called) - as_utc(booked)).total_seconds()
                for _status, booked, called in rows if called is not None and booked is not None]
    states = {state: int(n) for state, n in session.execute(
        select(Booking.state, func.count()).where(Booking.day >= first, Booking.day <= last).group_by(Booking.state))}
    check_ins, no_shows = int(states.get("checked_in", 0)), int(states.get("no_show", 0))
    return AppointmentFigures(
        tickets=len(rows), served=sum(1 for status, _b, _c in rows if status == TicketStatus.DONE),
        all_tickets=all_tickets, punctuality_median_s=statistics.median(lateness) if lateness else None,
        called=len(lateness), punctual=sum(1 for s in lateness if s <= PUNCTUAL_S),
        bookings=check_ins + no_shows + int(states.get("booked", 0)), check_ins=check_ins, no_shows=no_shows)
