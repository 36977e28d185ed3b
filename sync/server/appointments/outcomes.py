"""How a booking ended, folded from its centre's events by the ingest, in the batch's transaction
(issue 20 items 6 and 7; the check-in itself: :func:`.centre_pull.record_check_ins`):

* ``booking.no_show`` (the centre closed the booking's day without a check-in,
  :func:`counter_app.core.booking.mark_no_shows`): a ``booked`` booking of that centre and that day
  becomes ``no_show``, its mobile number deleted, no longer active, with the centre's next version
  (its agent's pull sees it). Any other state is left as it is: an event stored twice, a day closed
  twice, a booking cancelled or moved to another day meanwhile, count once or not at all. The
  no-shows count toward the citizen's no-show block (:func:`.bookings._check_limits`).
* ``ticket.called`` of the appointment ticket a booking checked in to on time (``ticket_uuid``, set
  by the check-in): the booking's ``called_at`` is that ticket's first call, the punctuality's
  measure (called minus booked time, :mod:`sync.server.appointment_kpis`), as the centre's report
  measures it on its appointment tickets (:mod:`counter_app.core.appointment_figures`). The call of
  an appointment ticket says so (``appointment: true``, schema version 5), so a batch of walk-ins'
  calls reads no booking; a centre of an older version does not say it: each of its calls is looked up.

Every function takes the caller's session and never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from counter_app.common.clock import as_utc, utcnow
from sync.protocol import WireEvent
from sync.server.appointments import bookings, notices
from sync.server.models import Booking

NO_SHOW_KIND, CALLED_KIND = "booking.no_show", "ticket.called"
APPOINTMENT_FLAG = 5  # the schema version from which an appointment ticket's call says so


CHECKED_IN_KIND = "booking.checked_in"


def lock_bookings(session: Session, centre: str, events: Sequence[WireEvent]) -> int:
    """The bookings of the batch's check-ins and no-shows locked at once, before either is folded
    and before any version is taken, in the order a closure locks its bookings (centre, id:
    :func:`.manage.booked_that_day`). Folded one event at a time, a batch locked them in its own
    order and took the centre's version in between: a closure of the same day, holding some of them
    and waiting for another, could deadlock with it on PostgreSQL. How many rows."""
    codes = {str(e.payload.get("booking", "")) for e in events if e.kind in (CHECKED_IN_KIND, NO_SHOW_KIND)}
    if not codes:
        return 0
    return len(session.scalars(select(Booking.id).where(Booking.centre_code == centre, Booking.code.in_(sorted(codes)))
                               .order_by(Booking.centre_code, Booking.id).with_for_update()).all())


def record_no_shows(session: Session, centre: str, events: Sequence[WireEvent]) -> int:
    """The centre's no-shows stored in this batch (see the module's text); returns how many bookings changed."""
    changed = 0
    for e in events:
        if e.kind != NO_SHOW_KIND:
            continue
        code = str(e.payload.get("booking", ""))
        try:
            day = date.fromisoformat(str(e.payload.get("day")))
        except ValueError:
            continue
        row = session.scalar(select(Booking).where(Booking.code == code, Booking.centre_code == centre)
                             .with_for_update())
        if row is None or row.state != bookings.BOOKED or row.day != day:
            continue
        row.state, row.active_key = bookings.NO_SHOW, None
        notices.booking_over(session, row)  # over: the number deleted, its pending SMS void
        row.updated_at, row.version = utcnow(), bookings.next_version(session, centre)
        changed += 1
    return changed


def record_calls(session: Session, centre: str, events: Sequence[WireEvent]) -> int:
    """The first call of each appointment ticket called in this batch, on its booking (one query
    for the batch's called tickets); returns how many bookings it set."""
    first: dict[str, datetime] = {}
    for e in events:
        if e.kind != CALLED_KIND or (e.payload.get("appointment") is not True and e.schema >= APPOINTMENT_FLAG):
            continue
        ticket = e.payload.get("ticket")
        try:
            at = as_utc(datetime.fromisoformat(str(e.payload.get("at"))))
        except ValueError:
            continue
        if isinstance(ticket, str) and (ticket not in first or at < first[ticket]):
            first[ticket] = at
    if not first:
        return 0
    # by the ticket's index alone (a condition on the centre could lead the planner to the centre's
    # index, every booking of the centre); the few rows found are checked here
    rows = [row for row in session.scalars(select(Booking).where(Booking.ticket_uuid.in_(sorted(first))))
            if row.centre_code == centre and row.called_at is None]
    for row in rows:
        row.called_at = first[row.ticket_uuid or ""]
    return len(rows)
