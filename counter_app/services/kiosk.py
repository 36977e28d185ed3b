"""The ticket kiosk's calls into the core (worker threads, no Qt): a numbered ticket for a group,
optionally with a mobile number for the SMS of its turn, and the people waiting per group shown
on its buttons."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from counter_app.core import booking, queue, ticket_sms
from counter_app.core.clock import as_utc
from counter_app.core.db import Database
from counter_app.core.errors import DomainError
from counter_app.core.ticket_sms import InvalidMobile as InvalidMobile
from counter_app.services.views import IssuedView, ticket_number


def check_mobile(text: str) -> str | None:
    """The number typed at the kiosk in E.164, None when empty, or :class:`InvalidMobile`
    (an Egyptian mobile only: the SMS goes to it). Pure: the window calls it before issuing."""
    return ticket_sms.mobile_e164(text)


def issue_ticket(db: Database, group: str, priority: bool, mobile: str | None = None) -> IssuedView:
    """Issue a ticket; ``mobile`` (checked by :func:`check_mobile`) is kept on the ticket only, for
    its SMS; the view says which SMS line the ticket prints, never the number."""
    with db.begin() as s:
        return _view(s, queue.issue_ticket(s, group, priority=priority, sms_phone=mobile))


def _view(s: Session, issued: queue.IssuedTicket) -> IssuedView:
    t = issued.ticket
    sms: Literal["offer", "ahead", "called"] = ("ahead" if t.sms_ahead_due else "called") if t.sms_phone else "offer"
    return IssuedView(ticket_number(t), t.priority, issued.waiting_ahead, issued.estimated_wait_minutes,
                      as_utc(t.issued_at), t.uuid, t.group_letter, t.public_token or "", sms=sms,
                      sms_ahead=ticket_sms.ahead_threshold(s),
                      appointment_at=as_utc(t.appointment_at) if t.appointment_at else None)


@dataclass(frozen=True)
class CheckInView:
    """A check-in's ticket, the booked time, and ``reason`` (None: an appointment ticket; ``early``
    or ``late``: an ordinary one)."""

    issued: IssuedView
    booked_at: datetime
    reason: Literal["early", "late"] | None


#: Asks the central server for a booking made after the agent's last pull and keeps it: True when
#: found, False when the server has none, None when the server cannot be reached.
Fetch = Callable[[str], bool | None]


def check_in(db: Database, text: str, fetch: Fetch | None = None) -> CheckInView:
    """Check in the booking typed or scanned at the kiosk (:func:`counter_app.core.booking.check_in`).
    A code not in the centre's copy is asked of the server through ``fetch`` (run outside any
    transaction), then checked in; unreachable (or no ``fetch``): ``booking_offline``."""
    try:
        return _check_in(db, text)
    except DomainError as exc:
        if exc.code != "booking_unknown" or booking.entry_code(text) is None:
            raise
    found = fetch(text) if fetch is not None else None
    if not found:
        raise booking.not_held(online=found is not None)
    return _check_in(db, text)


def _check_in(db: Database, text: str) -> CheckInView:
    with db.begin() as s:
        done = booking.check_in(s, text)
        return CheckInView(_view(s, done.issued), done.booked_at, done.reason)


def waiting_counts(db: Database) -> dict[str, int]:
    """Waiting tickets per group letter today (the core's one definition of waiting)."""
    with db.read() as s:
        return queue.waiting_counts(s)
