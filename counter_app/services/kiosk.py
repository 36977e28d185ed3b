"""The ticket kiosk's calls into the core (worker threads, no Qt): a numbered ticket for a group,
optionally with a mobile number for the SMS of its turn, and the people waiting per group shown
on its buttons."""

from __future__ import annotations

from typing import Literal

from counter_app.core import queue, ticket_sms
from counter_app.core.clock import as_utc
from counter_app.core.db import Database
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
        issued = queue.issue_ticket(s, group, priority=priority, sms_phone=mobile)
        t = issued.ticket
        sms: Literal["offer", "ahead", "called"] = ("ahead" if t.sms_ahead_due else "called") if t.sms_phone else "offer"
        return IssuedView(ticket_number(t), t.priority, issued.waiting_ahead, issued.estimated_wait_minutes,
                          as_utc(t.issued_at), t.uuid, t.group_letter, t.public_token or "", sms=sms,
                          sms_ahead=ticket_sms.ahead_threshold(s),
                          appointment_at=as_utc(t.appointment_at) if t.appointment_at else None)


def waiting_counts(db: Database) -> dict[str, int]:
    """Waiting tickets per group letter today (the core's one definition of waiting)."""
    with db.read() as s:
        return queue.waiting_counts(s)
