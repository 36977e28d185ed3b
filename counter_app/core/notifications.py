"""Messages to citizens about their application (no network here).

When an application becomes ready for collection, is returned for a document or is rejected,
the same transaction queues an SMS (to the phone given at the counter) and an email (when one is
known), unless the citizen opted out. The text is Arabic and carries only what the message needs:
the tracking code, the service, the centre and, for a return, the documents asked for; never the
name or the national ID. The sender (``sync.notify``) moves each message through pending → sent →
delivered, or to failed after a permanent refusal or a day of retries.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from counter_app.common.i18n import isolate
from counter_app.core.clock import as_utc, utcnow
from counter_app.core.models import (
    Application,
    ApplicationState,
    Centre,
    Notification,
    NotificationState,
    Service,
)

log = logging.getLogger("shubbak.notifications")

#: Retries stop this long after the message was queued: then it is ``failed``.
RETRY_FOR = timedelta(days=1)
#: Waits between attempts (the last one repeats until a day has passed).
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

TEMPLATES: dict[ApplicationState, tuple[str, str]] = {
    ApplicationState.READY: (
        "طلبكم جاهز للاستلام",
        "شباك: طلبكم رقم {tracking} ({service}) جاهز للاستلام من {centre}. "
        "يرجى إحضار بطاقة الرقم القومي.",
    ),
    ApplicationState.RETURNED: (
        "مطلوب استكمال مستندات",
        "شباك: طلبكم رقم {tracking} ({service}) يحتاج إلى: {documents}. "
        "يرجى الحضور إلى {centre} لاستكماله.",
    ),
    ApplicationState.REJECTED: (
        "نتيجة طلبكم",
        "شباك: نأسف، رُفض طلبكم رقم {tracking} ({service}). "
        "لمعرفة السبب والتظلم يرجى مراجعة {centre}.",
    ),
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


def render(app: Application, state: ApplicationState, service_name: str, centre_name: str) -> Message:
    subject, template = TEMPLATES[state]
    documents = "، ".join(d.name_ar for d in app.documents if d.mandatory and not d.received)
    return Message(subject, template.format(tracking=isolate(app.tracking_code), service=service_name,
                                            centre=centre_name, documents=documents or "—"))


def queue_for(session: Session, app: Application, at: datetime | None = None) -> list[Notification]:
    """Queue the messages this application's new state calls for, in the caller's transaction."""
    if app.state not in TEMPLATES or app.notify_opt_out:
        return []
    moment = as_utc(at or utcnow())
    earlier = set(session.scalars(select(Notification.event).where(Notification.application_id == app.id)))
    event_seq = len(earlier) + 1
    service = session.get(Service, app.service_code)
    centre = session.scalar(select(Centre).limit(1))
    message = render(app, app.state, service.name_ar if service else app.service_code,
                     centre.name_ar if centre else app.centre_code)
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


def mark_failed_attempt(note: Notification, error: str, at: datetime, *, permanent: bool) -> None:
    """A transient failure is retried on the backoff until a day has passed; then, or at once for
    a permanent refusal, the message is ``failed``."""
    note.attempts += 1
    note.last_error = error[:500]
    wait = BACKOFF[min(note.attempts - 1, len(BACKOFF) - 1)]
    next_at = as_utc(at) + wait
    if permanent or next_at > as_utc(note.created_at) + RETRY_FOR:
        note.state = NotificationState.FAILED
        log.warning("notification %s failed for good: %s", note.id, error)
    else:
        note.next_attempt_at = next_at
