"""The centre's queue at this moment, in a few figures: what the sync agent's heartbeat reports to
the central server (:mod:`sync.agent.heartbeat`) for the governance centre's live view.

* waiting per group: :func:`counter_app.core.queue.waiting_counts`, the one definition of a
  waiting ticket the counters, the kiosk and the display use;
* the longest current wait: now minus the ``queued_at`` of the earliest waiting ticket of today
  (a transferred ticket keeps its queue time, so its wait counts from when it first queued);
* counters open: active counters serving a ticket now, or that acted on one (called, finished,
  recalled, ...) in the last :data:`OPEN_WITHIN`: a counter whose clerk works there. The centre
  has no "counter opened" record; a counter idle for longer than that is taken as closed;
* counters active: the counters configured and not switched off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from counter_app.core.clock import as_utc, local_day, utcnow
from counter_app.core.models import Counter, Ticket, TicketEvent, TicketStatus
from counter_app.core.queue import waiting_clause, waiting_counts

#: A counter that acted on a ticket within this time is open.
OPEN_WITHIN = timedelta(minutes=15)


@dataclass(frozen=True)
class QueueNow:
    day: date
    waiting: dict[str, int]  # group letter -> waiting tickets
    longest_wait_s: int | None  # None when nobody waits
    counters_open: int
    counters_active: int


def queue_now(session: Session, now: datetime | None = None) -> QueueNow:
    moment = as_utc(now or utcnow())
    day = local_day(moment)
    waiting = waiting_counts(session, day)
    earliest = session.scalar(select(func.min(Ticket.queued_at)).where(waiting_clause(day)))
    longest = max(0, int((moment - as_utc(earliest)).total_seconds())) if earliest is not None else None
    serving = select(Ticket.counter_id).where(Ticket.status == TicketStatus.CALLED, Ticket.day == day,
                                             Ticket.counter_id.is_not(None))
    recent = select(TicketEvent.counter_id).where(TicketEvent.at >= moment - OPEN_WITHIN,
                                                  TicketEvent.counter_id.is_not(None))
    open_ = session.scalar(select(func.count()).select_from(Counter).where(
        Counter.active.is_(True), or_(Counter.id.in_(serving), Counter.id.in_(recent)))) or 0
    active = session.scalar(select(func.count()).select_from(Counter).where(Counter.active.is_(True))) or 0
    return QueueNow(day, waiting, longest, int(open_), int(active))
