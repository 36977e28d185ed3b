"""The centre's appointments: its copy of its bookings (pulled from the central server by the sync
agent, :meth:`sync.agent.agent.Agent.pull_bookings`) and the check-in rule at the kiosk.

**Check-in** (:func:`check_in`): the citizen types the booking code, the national ID (today's
booking of that ID) or scans the QR (the scanner types the manage link, ``.../<CODE>?...`` or
``...code=<CODE>...``, or the code itself). A booking of today in state ``booked``:

* within the window (:func:`window`, default 30 minutes before to 15 after the booked time, the
  centre's settings ``appointments.early_minutes`` and ``appointments.late_minutes``): an
  appointment ticket of the service's group with the booked time (``issue_ticket(appointment_at=)``);
* outside it: an ordinary ticket of the group, and the reason (``early`` or ``late``);

either way the booking is ``checked_in`` once (a second attempt is refused ``booking_checked_in``)
and a ``booking.checked_in`` event goes to the central server (its booking's state there).

**No-shows** (:func:`mark_no_shows`, run when a day closes, by the supervisor or by itself when
the next day starts: :mod:`counter_app.core.centre_day`): every booking of that day or before
still ``booked`` becomes ``no_show`` with one ``booking.no_show`` event each (the central server
counts them toward the no-show block); a day closed again finds none left to mark. A pulled
``booked`` state of the same day does not undo a no-show the server has not heard of yet. A code
not in the local copy is ``booking_unknown`` (the kiosk asks the server when online, else tells the
citizen to take an ordinary ticket); a booking of another day is ``booking_other_day``; a cancelled
one ``booking_cancelled``. Every function takes the caller's session and never commits; no Qt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from counter_app.common import formatting
from counter_app.common.i18n import normalise_digits
from counter_app.core import outbox, queue, settings
from counter_app.core.clock import as_utc, local_day, to_local, utcnow
from counter_app.core.errors import DomainError, ValidationFailed
from counter_app.core.models import Booking, Ticket

BOOKED, CANCELLED, CHECKED_IN, NO_SHOW = "booked", "cancelled", "checked_in", "no_show"
#: cancelled by the centre, whose day was closed at the central server: never a no-show; checked in
#: it is refused as a cancelled one
CLOSED = "closed"
STATES = frozenset({BOOKED, CANCELLED, CHECKED_IN, NO_SHOW, CLOSED})
#: The booking code's letters (the central server's: no 0/O, no 1/I).
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_CODE = re.compile(f"(?<![A-Z0-9])[{CODE_ALPHABET}]{{{CODE_LENGTH}}}(?![A-Z0-9])")
EARLY_KEY, LATE_KEY = "appointments.early_minutes", "appointments.late_minutes"
DEFAULT_EARLY, DEFAULT_LATE = 30, 15
#: The national ID of a booking of a day past (erased: :func:`forget_before`).
FORGOTTEN = ""
#: Days a past booking's row is kept for the centre's reports (a year and a month).
KEEP_DAYS = 400


@dataclass(frozen=True)
class PulledBooking:
    """One booking as the central server sends it to its centre."""

    code: str
    national_id: str
    service_code: str
    group_letter: str
    booked_at: datetime
    day: date
    state: str
    version: int


@dataclass(frozen=True)
class Window:
    early: timedelta
    late: timedelta


@dataclass(frozen=True)
class CheckedIn:
    """A check-in's outcome: the ticket issued, and ``reason`` None (an appointment ticket) or
    ``early``/``late`` (an ordinary ticket, the booking outside its window)."""

    issued: queue.IssuedTicket
    booking_code: str
    booked_at: datetime
    reason: Literal["early", "late"] | None


# -- the local copy -------------------------------------------------------------------------------
def local_version(session: Session) -> int:
    """The newest server version this centre holds (0: none yet)."""
    return int(session.scalar(select(func.max(Booking.version))) or 0)


def apply_pulled(session: Session, rows: Iterable[PulledBooking]) -> int:
    """Store the server's bookings (new ones and changes); returns how many rows changed. A booking
    checked in here stays checked in whatever the server said before it heard of the check-in."""
    changed = 0
    for pulled in rows:
        if pulled.state not in STATES:
            continue
        row = session.get(Booking, pulled.code)
        if row is None:
            session.add(Booking(code=pulled.code, national_id=pulled.national_id, service_code=pulled.service_code,
                                group_letter=pulled.group_letter, booked_at=as_utc(pulled.booked_at), day=pulled.day,
                                state=pulled.state, version=pulled.version))
            changed += 1
            continue
        if pulled.version <= row.version:
            continue
        kept = row.state == CHECKED_IN or (row.state == NO_SHOW and pulled.state == BOOKED and pulled.day == row.day)
        row.national_id, row.service_code, row.group_letter = pulled.national_id, pulled.service_code, pulled.group_letter
        row.booked_at, row.day, row.version = as_utc(pulled.booked_at), pulled.day, pulled.version
        if not kept:
            row.state = pulled.state
        changed += 1
    session.flush()
    return changed


def forget_before(session: Session, day: date) -> int:
    """Erase the national IDs of the bookings of days before ``day`` (kept no longer); returns how
    many. The rows stay (:data:`KEEP_DAYS`) for the centre's report: bookings, check-ins and no-shows
    of a period (:mod:`counter_app.core.appointment_figures`); a booking of a day past that is still
    ``booked`` becomes a no-show when that day closes (:func:`mark_no_shows`)."""
    session.execute(delete(Booking).where(Booking.day < day - timedelta(days=KEEP_DAYS)))
    erased = session.execute(update(Booking).where(Booking.day < day, Booking.national_id != FORGOTTEN)
                             .values(national_id=FORGOTTEN))
    return int(getattr(erased, "rowcount", 0) or 0)


def mark_no_shows(session: Session, day: date, at: datetime) -> int:
    """The bookings of ``day`` or before still ``booked`` become ``no_show``, each with a
    ``booking.no_show`` event; returns how many (0 the second time)."""
    moment = as_utc(at)
    rows = session.scalars(select(Booking).where(Booking.day <= day, Booking.state == BOOKED)
                           .order_by(Booking.booked_at, Booking.code).with_for_update()).all()
    for row in rows:
        row.state = NO_SHOW
        outbox.emit(session, "booking.no_show", row.code,
                    {"booking": row.code, "day": row.day.isoformat(), "at": moment.isoformat()}, at=moment)
    session.flush()
    return len(rows)


# -- check-in -------------------------------------------------------------------------------------
def not_held(*, online: bool) -> DomainError:
    """A booking neither in the centre's copy nor (``online``) at the central server: ``booking_unknown``;
    the server unreachable: ``booking_offline`` (take an ordinary ticket)."""
    return DomainError("booking_unknown") if online else DomainError("booking_offline")


def window(session: Session) -> Window:
    """The check-in window of the centre's settings (minutes before and after the booked time),
    within the bounds the settings page allows (:data:`settings.NUMBER_LIMITS`: a value stored
    beyond them, by hand or by an older version, is taken at the nearest bound)."""
    figures = []
    for key, default in ((EARLY_KEY, DEFAULT_EARLY), (LATE_KEY, DEFAULT_LATE)):
        value = settings.get(session, key)
        figure = int(value) if value.isascii() and value.isdigit() else default
        low, high = settings.NUMBER_LIMITS[key]
        figures.append(min(max(figure, low), high))
    return Window(timedelta(minutes=figures[0]), timedelta(minutes=figures[1]))


def entry_code(text: str) -> str | None:
    """The booking code in what was typed or scanned (the code, spaced or not, or a manage link
    holding it), else None."""
    raw = normalise_digits(text or "").strip().upper()
    compact = "".join(c for c in raw if c not in " -\t")
    if len(compact) == CODE_LENGTH and all(c in CODE_ALPHABET for c in compact):
        return compact
    found = _CODE.findall(raw)
    return found[-1] if found else None


def entry_national_id(text: str) -> str | None:
    digits = "".join(c for c in normalise_digits(text or "") if not c.isspace())
    return digits if len(digits) == 14 and digits.isascii() and digits.isdigit() else None


def find(session: Session, text: str, now: datetime, *, lock: bool = False) -> Booking | None:
    """The booking named by ``text``: its code, or today's booking of a national ID (the booked one
    first, else the one checked in, so a second attempt says so). ``ValidationFailed`` when
    ``text`` is neither."""
    code = entry_code(text)
    if code is not None:
        query = select(Booking).where(Booking.code == code)
    else:
        nid = entry_national_id(text)
        if nid is None:
            raise ValidationFailed("booking_entry_invalid")
        query = (select(Booking).where(Booking.national_id == nid, Booking.day == local_day(now),
                                       Booking.state.in_((BOOKED, CHECKED_IN)))
                 .order_by((Booking.state == BOOKED).desc(), Booking.booked_at).limit(1))
    return session.scalar(query.with_for_update() if lock else query)


def check_in(session: Session, text: str, *, at: datetime | None = None) -> CheckedIn:
    """Check the booking named by ``text`` in, now or ``at`` (see the module's text);
    :class:`DomainError` on refusal."""
    now = as_utc(at) if at is not None else utcnow()
    booking = find(session, text, now, lock=True)
    if booking is None:
        raise DomainError("booking_unknown")
    if booking.state == CHECKED_IN:
        raise DomainError("booking_checked_in", code=formatting.code(booking.code))
    if booking.state != BOOKED:
        raise DomainError("booking_cancelled", code=formatting.code(booking.code))
    booked_at = as_utc(booking.booked_at)
    if booking.day != local_day(now):
        raise DomainError("booking_other_day", code=formatting.code(booking.code),
                          day=formatting.format_date(booking.day, "en"), when=formatting.code(to_local(booked_at).strftime("%H:%M")))
    limits = window(session)
    reason: Literal["early", "late"] | None = None
    if now < booked_at - limits.early:
        reason = "early"
    elif now > booked_at + limits.late:
        reason = "late"
    issued = queue.issue_ticket(session, booking.group_letter, at=at,
                                appointment_at=booked_at if reason is None else None)
    ticket: Ticket = issued.ticket
    moment = as_utc(ticket.issued_at)
    booking.state, booking.checked_in_at, booking.ticket_uuid = CHECKED_IN, moment, ticket.uuid
    outbox.emit(session, "booking.checked_in", booking.code,
                {"booking": booking.code, "ticket": ticket.uuid, "at": moment.isoformat(),
                 "on_time": reason is None}, at=moment)
    session.flush()
    return CheckedIn(issued, booking.code, booked_at, reason)
