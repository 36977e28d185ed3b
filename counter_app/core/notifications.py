"""Messages to citizens about their application (no network here); the SMS of a queue ticket's
turn are queued in the same table by :mod:`counter_app.core.ticket_sms`.

When an application becomes ready for collection, is returned for a document or is rejected,
the same transaction queues an SMS (to the phone given at the counter) and an email (when one is
known), unless the citizen opted out. The text carries only what the message needs: the tracking
code, the service, the centre and, for a return, the documents asked for; never the name or the
national ID. The dispatcher (:mod:`counter_app.notify.dispatch`, through :class:`Store`) moves each
message through pending → sent → delivered, or to failed after a permanent refusal or a day of retries.

The words are the catalogue's (``notify.<state>.subject`` / ``notify.<state>.body``), rendered in
one language per message: the application records no language of its citizen, so every message
is in Arabic (:data:`MESSAGE_LANG`); :func:`render` takes any language. The tracking code is
isolated and in Western digits (:func:`counter_app.common.formatting.tracking_code`), so it reads in
the order of the receipt inside an Arabic sentence.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from counter_app.common import formatting
from counter_app.common.i18n import DEFAULT_LANG, N_, Lang, gettext
from counter_app.common.logs import redact
from counter_app.common.retry import BACKOFF as BACKOFF  # the retry rule, shared with the central server
from counter_app.common.retry import RETRY_FOR as RETRY_FOR
from counter_app.common.retry import next_attempt
from counter_app.core.clock import as_utc, utcnow
from counter_app.core.models import (
    Application,
    ApplicationState,
    Centre,
    Notification,
    NotificationState,
    Service,
)

if TYPE_CHECKING:
    from counter_app.core.db import Database

log = logging.getLogger(__name__)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

#: The language of the messages queued (the application does not record the citizen's).
MESSAGE_LANG: Lang = DEFAULT_LANG

#: The states that send a message, and its subject's and body's message ids.
NOTICES: dict[ApplicationState, tuple[str, str]] = {
    ApplicationState.READY: (N_("notify.ready.subject"), N_("notify.ready.body")),
    ApplicationState.RETURNED: (N_("notify.returned.subject"), N_("notify.returned.body")),
    ApplicationState.REJECTED: (N_("notify.rejected.subject"), N_("notify.rejected.body")),
}


class InvalidEmail(ValueError):
    pass


def normalise_email(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > 254 or not EMAIL_RE.match(text):
        raise InvalidEmail(text)
    return text.lower()


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


def render(app: Application, state: ApplicationState, service_name: str, centre_name: str,
           lang: Lang = MESSAGE_LANG) -> Message:
    """The message of ``state`` in ``lang``; ``service_name`` and ``centre_name`` in that language."""
    subject, body = NOTICES[state]
    missing = [d.name_ar if lang == "ar" else d.name_en for d in app.documents if d.mandatory and not d.received]
    return Message(gettext(subject, lang),
                   gettext(body, lang, tracking=formatting.tracking_code(app.tracking_code), service=service_name,
                           centre=centre_name, documents=formatting.join(missing, lang) or "—"))


def queue_for(session: Session, app: Application, at: datetime | None = None) -> list[Notification]:
    """Queue the messages this application's new state calls for, in the caller's transaction."""
    if app.state not in NOTICES or app.notify_opt_out:
        return []
    moment = as_utc(at or utcnow())
    earlier = set(session.scalars(select(Notification.event).where(Notification.application_id == app.id)))
    event_seq = len(earlier) + 1
    service = session.get(Service, app.service_code)
    centre = session.scalar(select(Centre).limit(1))
    lang = MESSAGE_LANG
    service_name = (service.name_ar if lang == "ar" else service.name_en) if service else app.service_code
    centre_name = (centre.name_ar if lang == "ar" else centre.name_en) if centre else app.centre_code
    message = render(app, app.state, service_name, centre_name, lang)
    recipients = [("sms", app.phone), ("email", app.email)]
    queued = []
    for channel, recipient in recipients:
        if not recipient:
            continue
        note = Notification(application_id=app.id, event=f"{app.state.value}:{event_seq}", channel=channel,
                            recipient=recipient, subject=message.subject, body=message.body,
                            state=NotificationState.PENDING, attempts=0, created_at=moment,
                            next_attempt_at=moment)
        session.add(note)
        queued.append(note)
    return queued


def due(session: Session, now: datetime | None = None, limit: int = 50) -> list[Notification]:
    moment = as_utc(now or utcnow())
    return list(session.scalars(
        select(Notification).where(Notification.state == NotificationState.PENDING,
                                   Notification.next_attempt_at <= moment)
        .order_by(Notification.next_attempt_at, Notification.id).limit(limit)))


def mark_sent(note: Notification, provider_id: str | None, at: datetime, *, delivered: bool = False) -> None:
    note.attempts += 1
    note.state = NotificationState.DELIVERED if delivered else NotificationState.SENT
    note.sent_at = at
    note.delivered_at = at if delivered else None
    note.provider_id = provider_id
    note.last_error = None


def mark_delivered(note: Notification, at: datetime) -> None:
    if note.state in (NotificationState.SENT, NotificationState.PENDING):
        note.state, note.delivered_at = NotificationState.DELIVERED, at


def mark_undelivered(note: Notification) -> None:
    """The gateway reports the message was never delivered: ``failed``."""
    note.state, note.last_error = NotificationState.FAILED, "the gateway reports it undelivered"


def awaiting_delivery(session: Session, limit: int = 200) -> list[tuple[int, str]]:
    """SMS sent whose delivery the gateway has not reported yet: (id, the gateway's id)."""
    rows = session.execute(select(Notification.id, Notification.provider_id).where(
        Notification.channel == "sms", Notification.state == NotificationState.SENT,
        Notification.provider_id.is_not(None)).limit(limit))
    return [(note_id, str(provider_id)) for note_id, provider_id in rows]


def mark_failed_attempt(note: Notification, error: str, at: datetime, *, permanent: bool) -> None:
    """A transient failure is retried on the backoff until a day has passed; then, or at once for
    a permanent refusal, the message is ``failed``."""
    note.attempts += 1
    note.last_error = error[:500]
    next_at = next_attempt(note.attempts, at, note.created_at, permanent=permanent)
    if next_at is None:
        note.state = NotificationState.FAILED
        # the gateway's words may name the recipient: the log gets them without it
        log.warning("notification %s (%s) failed for good: %s", note.id, note.channel, redact(error))
    else:
        note.next_attempt_at = next_at


class Store:
    """The centre database's queued messages for the dispatcher (:mod:`counter_app.notify.dispatch`):
    each method is one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def due(self, now: datetime, limit: int) -> Sequence[Notification]:
        with self.db.read() as s:
            return due(s, now, limit)

    def sent(self, message_id: int, provider_id: str | None, at: datetime, *, delivered: bool) -> None:
        with self.db.begin() as s:
            note = s.get(Notification, message_id)
            if note is not None:  # a ticket's SMS deleted meanwhile by the end of its day
                mark_sent(note, provider_id, at, delivered=delivered)

    def failed_attempt(self, message_id: int, error: str, at: datetime, *, permanent: bool) -> bool:
        with self.db.begin() as s:
            note = s.get(Notification, message_id)
            if note is None:  # deleted meanwhile (a ticket's SMS at the end of its day)
                return True
            mark_failed_attempt(note, error, at, permanent=permanent)
            return note.state == NotificationState.FAILED

    def awaiting_delivery(self, limit: int) -> Sequence[tuple[int, str]]:
        with self.db.read() as s:
            return awaiting_delivery(s, limit)

    def delivered(self, message_id: int, at: datetime) -> None:
        with self.db.begin() as s:
            mark_delivered(s.get_one(Notification, message_id), at)

    def undelivered(self, message_id: int) -> None:
        with self.db.begin() as s:
            mark_undelivered(s.get_one(Notification, message_id))
