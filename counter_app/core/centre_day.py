"""The centre's business day: open -> closed, reopened only by a supervisor with a reason.

Rules (DESIGN.md, "The queue": a ticket lives one centre day):

* a day **opens by itself** with its first ticket or its first call (a supervisor may also open it
  beforehand); no row in ``centre_day`` means the day has not started;
* **closing** the day (supervisor) expires every ticket of that day or before that is still waiting
  or called, each with its own ``expired`` event (audited, in the outbox), in the same transaction;
* the first action of a new day closes an earlier day left open (automatically, audited) and
  expires what it left, so yesterday's tickets are never called today;
* closing a day (either way) makes its bookings still not checked in no-shows
  (:func:`counter_app.core.booking.mark_no_shows`);
* on a **closed** day the kiosk issues no ticket and the counters call no one (``day_closed``);
  a supervisor reopens it with a reason, audited and synced.

Every function runs in the caller's transaction, which already holds the write lock (see
:func:`counter_app.core.queue.locked_now`), and takes its time from the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from counter_app.core import audit, booking, outbox
from counter_app.core.clock import local_day
from counter_app.core.errors import DomainError, ValidationFailed
from counter_app.core.models import CentreDay, DayState, Ticket, TicketStatus, table

_D = table(CentreDay)
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DayStatus:
    """What the Day tab shows: the day and its state (``None`` while not started)."""

    day: date
    state: DayState | None
    opened_at: datetime | None = None
    opened_by: int | None = None
    closed_at: datetime | None = None
    closed_by: int | None = None
    reopened: int = 0

    @property
    def is_open(self) -> bool:
        return self.state == DayState.OPEN

    @property
    def is_closed(self) -> bool:
        return self.state == DayState.CLOSED


def status(session: Session, day: date) -> DayStatus:
    row = session.get(CentreDay, day)
    if row is None:
        return DayStatus(day, None)
    return DayStatus(day, row.state, row.opened_at, row.opened_by, row.closed_at, row.closed_by, row.reopened)


def latest(session: Session, today: date) -> DayStatus:
    """The day the supervisor works on: the latest day still open up to ``today``, else today."""
    row = session.scalars(select(CentreDay).where(CentreDay.day <= today, CentreDay.state == DayState.OPEN)
                          .order_by(CentreDay.day.desc()).limit(1)).first()
    return status(session, row.day if row is not None else today)


def _closed_error(day: date) -> DomainError:
    return DomainError("day_closed", day=day)


def _expire(session: Session, up_to: date, moment: datetime, by: int | None) -> int:
    from counter_app.core import queue  # the queue records the events; it calls this module too

    return queue.expire_tickets(session, up_to=up_to, at=moment, by=by)


def _close_row(session: Session, row: CentreDay, moment: datetime, by: int | None, *, automatic: bool,
               extra: Callable[[date], dict[str, object]] | None = None) -> int:
    expired = _expire(session, row.day, moment, by)
    booking.mark_no_shows(session, row.day, moment)  # the day's bookings not checked in (synced)
    row.state = DayState.CLOSED
    row.closed_at = moment
    row.closed_by = by
    session.flush()
    detail: dict[str, object] = {"day": row.day.isoformat(), "expired": expired,
                                 **(extra(row.day) if extra else {})}
    if automatic:
        detail["automatic"] = True
    audit.record(session, user_id=by, action="day.close", entity_type="day", entity_id=row.day.isoformat(),
                 detail=detail, at=moment)
    outbox.emit(session, "day.closed", row.day.isoformat(), {**detail, "by": by}, at=moment)
    return expired


def _open_row(session: Session, day: date, moment: datetime, by: int | None) -> CentreDay:
    # Whatever an earlier day left open is closed now: its tickets do not carry over.
    for earlier in session.scalars(select(CentreDay).where(CentreDay.day < day, CentreDay.state == DayState.OPEN)):
        _close_row(session, earlier, moment, None, automatic=True)
    _expire(session, day - _ONE_DAY, moment, None)  # tickets of days that never had a row
    booking.mark_no_shows(session, day - _ONE_DAY, moment)  # and their bookings not checked in
    row = CentreDay(day=day, state=DayState.OPEN, opened_at=moment, opened_by=by, reopened=0)
    session.add(row)
    session.flush()
    detail = {"day": day.isoformat(), "automatic": by is None}
    audit.record(session, user_id=by, action="day.open", entity_type="day", entity_id=day.isoformat(),
                 detail=detail, at=moment)
    outbox.emit(session, "day.opened", day.isoformat(), {**detail, "by": by}, at=moment)
    return row


def require_open(session: Session, moment: datetime) -> date:
    """The day of ``moment``, opened now if it had not started; ``day_closed`` if it is closed.

    Called by every action that starts new work (a ticket, a call) after the write lock is held.
    """
    day = local_day(moment)
    state = session.execute(select(_D.c.state).where(_D.c.day == day)).scalar()
    if state is None:
        _open_row(session, day, moment, None)
    elif state != DayState.OPEN:
        raise _closed_error(day)
    return day


def open_day(session: Session, *, by: int, at: datetime) -> date:
    """A supervisor opens today before its first ticket (a no-op when it is already open)."""
    day = local_day(at)
    row = session.get(CentreDay, day)
    if row is None:
        _open_row(session, day, at, by)
    elif row.state == DayState.CLOSED:
        raise DomainError("day_reopen_needed", day=day)
    return day


def close_day(session: Session, *, by: int, at: datetime,
              detail: Callable[[date], dict[str, object]] | None = None) -> tuple[date, int]:
    """Close the day the supervisor works on; every ticket still waiting or called expires.
    Returns the day and the number of tickets that expired."""
    today = local_day(at)
    target = latest(session, today)
    if target.is_closed:
        raise _closed_error(target.day)
    row = session.get(CentreDay, target.day)
    if row is None:  # a day without a ticket is closed all the same
        row = _open_row(session, target.day, at, by)
    return target.day, _close_row(session, row, at, by, automatic=False, extra=detail)


def reopen_day(session: Session, *, by: int, reason: str, at: datetime) -> date:
    """A supervisor reopens today's closed day, with a reason (audited, synced). Tickets that
    expired stay expired: their citizens take a new ticket."""
    if not reason or not reason.strip():
        raise ValidationFailed("reason_required")
    day = local_day(at)
    row = session.get(CentreDay, day)
    if row is None or row.state != DayState.CLOSED:
        raise DomainError("day_not_closed", day=day)
    row.state = DayState.OPEN
    row.reopened += 1
    row.closed_at = None
    row.closed_by = None
    session.flush()
    detail = {"day": day.isoformat(), "reason": reason.strip(), "reopened": row.reopened}
    audit.record(session, user_id=by, action="day.reopen", entity_type="day", entity_id=day.isoformat(),
                 detail=detail, at=at)
    outbox.emit(session, "day.reopened", day.isoformat(), {**detail, "by": by}, at=at)
    return day


def in_service(session: Session, day: date) -> int:
    """Tickets of ``day`` being served now (called at a counter)."""
    return int(session.scalar(select(func.count()).select_from(Ticket)
                              .where(Ticket.status == TicketStatus.CALLED, Ticket.day == day)) or 0)

