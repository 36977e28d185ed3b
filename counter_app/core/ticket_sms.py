"""The SMS of a queue ticket's turn: a mobile number given at the kiosk, two messages, gone at day end.

* At the kiosk a citizen may type an Egyptian **mobile** number (:func:`mobile_e164`); it is kept on
  the ticket (``ticket.sms_phone``, E.164) and nowhere else: not in the ticket's events (outbox,
  sync), not in the audit, not in a log line, never on a screen.
* **N ahead** (setting ``queue.sms_ahead``, default 3): when a queue change leaves N or fewer
  tickets ahead of it (counted as :func:`counter_app.core.queue.waiting_ahead` counts), one SMS. A ticket issued with N or fewer ahead already has that number printed on it: it gets
  no such SMS (``ticket.sms_ahead_due`` says whether one is still to come).
* **Called**: when a counter calls the ticket, one SMS naming the counter. A recall, or a second
  call after a transfer, sends nothing more: ``(ticket_id, event, channel)`` is unique.
* Both are queued in the centre's notification outbox (:mod:`counter_app.core.notifications`) in the
  transaction of the queue change, and sent by its dispatcher. The check after a change reads only
  today's waiting tickets that have a number (a partial index): nothing when nobody gave one.
* **End of day**: when the day's tickets expire (closing the day, or the first action of the next),
  :func:`forget` clears the numbers of that day and before, deletes their SMS still pending and
  blanks the recipient of those already sent.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import delete, exists, select, text, update
from sqlalchemy.orm import Session

from counter_app.common import formatting
from counter_app.common.i18n import N_, gettext, ngettext, normalise_digits
from counter_app.core import settings
from counter_app.core.clock import as_utc
from counter_app.core.models import Centre, Counter, Notification, NotificationState, Ticket
from counter_app.core.notifications import MESSAGE_LANG

REGION = "EG"
AHEAD_EVENT = "ahead"
CALLED_EVENT = "called"
PHONE_FIELD = N_("sms.ticket_phone_field")
SUBJECT = N_("sms.ticket_subject")
AHEAD_BODY = N_("sms.ticket_ahead")
CALLED_BODY = N_("sms.ticket_called")
_CHARS = re.compile(r"^\+?[0-9 ().\-]+$")
# Literals, not bound parameters: only then do the partial indexes (ix_ticket_sms, ix_ticket_waiting) apply.
_HAS_PHONE = text("ticket.sms_phone IS NOT NULL")
_IS_WAITING = text("ticket.status = 'waiting'")


class InvalidMobile(ValueError):
    """Not an Egyptian mobile number (the message never repeats what was typed)."""


def mobile_e164(value: str | None) -> str | None:
    """An Egyptian mobile number in E.164 (``+201012345678``), None when left empty, or
    :class:`InvalidMobile`. Arabic-Indic digits, spaces, dashes and brackets are accepted."""
    import phonenumbers  # imported on first use: its metadata takes a moment to load

    raw = normalise_digits((value or "").strip())
    if not raw:
        return None
    if not _CHARS.match(raw) or len(raw) > 24:
        raise InvalidMobile()
    try:
        number = phonenumbers.parse(raw, REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidMobile() from exc
    if (not phonenumbers.is_valid_number(number) or phonenumbers.region_code_for_number(number) != REGION
            or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE):
        raise InvalidMobile()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def ahead_threshold(session: Session) -> int:
    """N: the "N ahead" SMS goes when N or fewer tickets are ahead."""
    return int(settings.get(session, "queue.sms_ahead"))


def on_issue(session: Session, ticket: Ticket, phone: str | None, ahead: int) -> None:
    """Keep the number on the new ticket; the "N ahead" SMS is due only if more are ahead now."""
    if phone is None:
        return
    ticket.sms_phone = phone
    ticket.sms_ahead_due = ahead > ahead_threshold(session)
    session.flush()


def _centre_name(session: Session) -> str:
    centre = session.scalar(select(Centre).limit(1))
    if centre is None:
        return ""
    return centre.name_ar if MESSAGE_LANG == "ar" else centre.name_en


def _queue(session: Session, ticket: Ticket, event: str, body: str, at: datetime) -> None:
    moment = as_utc(at)
    session.add(Notification(
        ticket_id=ticket.id, event=event, channel="sms", recipient=ticket.sms_phone,
        subject=gettext(SUBJECT, MESSAGE_LANG, centre=_centre_name(session)), body=body,
        state=NotificationState.PENDING, attempts=0, created_at=moment, next_attempt_at=moment))


def after_change(session: Session, day: date, at: datetime, group: str | None = None) -> int:
    """After a queue change: queue the "N ahead" SMS of every waiting ticket of ``day`` that has a
    number, still expects it, and has N or fewer ahead now (only of ``group`` when given: the line
    that changed). Returns how many were queued.

    One query finds the groups of those tickets (the partial index of tickets with a number: nothing
    to read when nobody gave one); then, per such group, the first N + 1 tickets are read in the order the
    core's :func:`counter_app.core.queue.waiting_ahead` counts (priority first, then queue time and
    id; tickets sent to one counter are not in the group's line): a ticket's place in that list is
    its number ahead, so the cost does not grow with the phones waiting further back.
    """
    stmt = select(Ticket.group_letter).where(_HAS_PHONE, Ticket.day == day, Ticket.sms_ahead_due.is_(True),
                                             _IS_WAITING)
    if group is not None:
        stmt = stmt.where(Ticket.group_letter == group)
    groups = session.scalars(stmt.distinct()).all()
    if not groups:
        return 0
    limit = ahead_threshold(session)
    queued = 0
    for letter in sorted(groups):
        front: list[tuple[int, bool]] = []
        for priority in (True, False):  # equality on priority: the index's order, no sort
            if len(front) > limit:
                break
            front += [(ticket_id, bool(due)) for ticket_id, due in session.execute(
                select(Ticket.id, Ticket.sms_ahead_due).where(
                    _IS_WAITING, Ticket.day == day, Ticket.group_letter == letter, Ticket.priority.is_(priority),
                    Ticket.target_counter_id.is_(None))
                .order_by(Ticket.queued_at, Ticket.id).limit(limit + 1 - len(front)))]
        for ahead, (ticket_id, due) in enumerate(front):
            if not due:
                continue
            ticket = session.get_one(Ticket, ticket_id)
            if not ticket.sms_phone:
                continue
            body = ngettext(AHEAD_BODY, ahead, MESSAGE_LANG, n=ahead, number=formatting.ticket_label(
                ticket.display_number), centre=_centre_name(session))
            _queue(session, ticket, AHEAD_EVENT, body, at)
            ticket.sms_ahead_due = False
            queued += 1
    session.flush()
    return queued


def on_called(session: Session, ticket: Ticket, counter_id: int, at: datetime) -> bool:
    """The ticket was called at ``counter_id``: its "called" SMS, the first time only."""
    if not ticket.sms_phone:
        return False
    ticket.sms_ahead_due = False
    sent = session.scalar(select(exists().where(Notification.ticket_id == ticket.id,
                                                Notification.event == CALLED_EVENT)))
    if sent:
        return False
    counter_number = session.scalar(select(Counter.number).where(Counter.id == counter_id))
    body = gettext(CALLED_BODY, MESSAGE_LANG, number=formatting.ticket_label(ticket.display_number),
                   counter=formatting.number(counter_number or 0), centre=_centre_name(session))
    _queue(session, ticket, CALLED_EVENT, body, at)
    session.flush()
    return True


def forget(session: Session, up_to: date) -> None:
    """The end of day ``up_to``: clear the numbers of its tickets and earlier ones, delete their SMS
    still pending, blank the recipient of those already sent (their delivery reports stay)."""
    tickets = select(Ticket.id).where(Ticket.day <= up_to).scalar_subquery()
    session.execute(delete(Notification).where(
        Notification.ticket_id.is_not(None), Notification.ticket_id.in_(tickets), Notification.state == NotificationState.PENDING)
        .execution_options(synchronize_session=False))
    session.execute(update(Notification).where(
        Notification.ticket_id.is_not(None), Notification.ticket_id.in_(tickets), Notification.recipient != "").values(recipient="")
        .execution_options(synchronize_session=False))
    session.execute(update(Ticket).where(_HAS_PHONE, Ticket.day <= up_to)
                    .values(sms_phone=None, sms_ahead_due=False)
                    .execution_options(synchronize_session="fetch"))
