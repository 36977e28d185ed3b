"""The centre's figures about appointments for the supervisor's report (issue 20, item 7): how many
of the period's tickets were appointments, how many of those were served, and how punctually they
were called (the first call minus the booked time: negative when called early).

A read-only query of the period's appointment tickets (few: they carry ``appointment_at``) and one
count of all its tickets; no commit, the caller's transaction.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from counter_app.core.clock import as_utc
from counter_app.core.models import Ticket, TicketEvent, TicketEventKind, TicketStatus


@dataclass(frozen=True)
class AppointmentFigures:
    tickets: int = 0  # the period's tickets that were appointments
    served: int = 0  # of those, served (done)
    all_tickets: int = 0  # every ticket of the period
    #: The median of first call minus booked time (seconds) over the appointments called; None if none.
    punctuality_median_s: float | None = None
    called: int = 0  # the appointments called at least once (the punctuality's sample)

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
    return AppointmentFigures(
        tickets=len(rows), served=sum(1 for status, _b, _c in rows if status == TicketStatus.DONE),
        all_tickets=all_tickets, punctuality_median_s=statistics.median(lateness) if lateness else None,
        called=len(lateness))
