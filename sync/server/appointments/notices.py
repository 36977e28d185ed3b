"""The central server's SMS to citizens about their bookings (issue 20 item 6): its own outbox
(table ``booking_notice``), sent by the centre's dispatcher (:mod:`counter_app.notify.dispatch`)
with the centre's retry rule (:mod:`counter_app.common.retry`: backoff, a day of retries, a
refusal fails at once).

**Queued with the change** (in the booking change's transaction, :mod:`.bookings`):

* ``booked``: the code, the slot's Cairo day and time, the centre and the manage link (the URL of
  the confirmation page's QR code);
* ``moved:<version>``: the new day and time (the pending reminders of the old time are dropped);
* ``cancelled``: the day and time given up;
* ``closed``: the centre closed the booking's day (:func:`.manage.set_closure`): the day, the
  centre, the supervisor's reason and the portal's link to book another day.

**Reminders** (:func:`queue_reminders`, the periodic round):

* ``day:<slot>``: the day before, from :data:`DAY_BEFORE` (18:00 Cairo) until :data:`DAY_BEFORE_UNTIL`
  (21:00: no SMS at night), unless the slot was chosen (booked or moved) after 18:00 that day;
* ``hour:<slot>``: :data:`HOUR_BEFORE` before the slot (an hour; until :data:`HOUR_LATEST` before
  it), unless the slot was chosen within :data:`HOUR_NOT_WITHIN` (90 minutes) of it.

``<slot>`` is the slot's start, so a moved booking's reminders follow the new time (and one sent for
the old time does not stop the new one). A cancelled, checked-in or no-show booking gets none.

**Opt-out.** The booking form's "send me reminders" (yes by default) and the manage page's stop /
resume set ``booking.reminders``: it stops the reminders only. The confirmation, the move and the
cancel are sent regardless: each answers what the citizen has just done, and the confirmation is
the only copy of the code and the link besides the page on the screen (the centre's rule, by
contrast, is one switch per application for all its messages, since none of them is asked for).

**Numbers.** ``booking.mobile`` is deleted when the booking is over: at the cancel, at the
check-in's fold (:func:`booking_over`), and by the round for a booking no longer booked (a no-show)
or whose day is past (:func:`forget_numbers`). An outbox row keeps its ``recipient`` only while it
is pending: sent or failed it is deleted; a pending one whose booking ended (or whose slot began)
becomes ``void``, number deleted, except the cancel's own message.

**One process of many.** :class:`NoticeRunner` is a thread in every server process; a round (a
booking that landed on a day closed meanwhile closed as the closure would have,
:func:`.bookings.close_stragglers`; reminders, numbers, then sending when an SMS gateway is
configured: ``--sms-url``) runs only in the process holding the lease ``booking-notices`` (:mod:`sync.server.leases`); the unique
``(booking, kind)`` keeps a reminder single even while two overlap at a hand-over.

Texts: the catalogue's ``appointment.sms.*`` in the booking's language; in Arabic every value is
isolated (U+2066..2069); in English the marks are left out, so the SMS stays in the GSM alphabet
(160 characters a part rather than 70).
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from time import monotonic
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy import and_, bindparam, exists, func, insert, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from counter_app.common import formatting
from counter_app.common.clock import CENTRE_TZ, as_utc, local_day
from counter_app.common.i18n import N_, gettext, lang_of, strip_isolates
from counter_app.common.logs import redact
from counter_app.common.retry import next_attempt
from counter_app.notify.dispatch import dispatch, poll_deliveries
from counter_app.notify.senders import HttpSmsSender, Sender, senders_from
from sync.server.db import ServerDatabase
from sync.server.leases import LeasedRunner
from sync.server.models import Booking, BookingNotice, EnrolledCentre

log = logging.getLogger(__name__)

PENDING, SENT, DELIVERED, FAILED, VOID = "pending", "sent", "delivered", "failed", "void"
BOOKED_KIND, CANCELLED_KIND, CLOSED_KIND = "booked", "cancelled", "closed"
#: the kinds that tell a booking's end, kept pending after it (until its slot) to be sent
ENDING_KINDS = (CANCELLED_KIND, CLOSED_KIND)
#: The day-before reminder's window (Cairo time, the day before the slot).
DAY_BEFORE, DAY_BEFORE_UNTIL = time(18, 0), time(21, 0)
#: The hour-before reminder: queued this long before the slot, not later than HOUR_LATEST before it,
#: and not for a slot chosen within HOUR_NOT_WITHIN of it.
HOUR_BEFORE, HOUR_LATEST, HOUR_NOT_WITHIN = timedelta(minutes=60), timedelta(minutes=15), timedelta(minutes=90)
LEASE = "booking-notices"
#: The server's public address for the links in the SMS (``central-server --public-url``).
PUBLIC_URL_ENV = "SHUBBAK_PUBLIC_URL"
BASE = "/appointments"


def manage_path(code: str, secret: str) -> str:
    """The manage page's path (the confirmation page's QR code holds the site's address and this)."""
    return f"{BASE}/m/{quote(code, safe='')}/{quote(secret, safe='')}"


def _slot_key(start: datetime) -> str:
    return as_utc(start).strftime("%Y%m%dT%H%MZ")


def _text(msgid: str, lang: str, **values: Any) -> str:
    language = lang_of(lang)
    body = gettext(msgid, language, **values)
    return body if language == "ar" else strip_isolates(body)


#: (centre, language) -> (its public name, when read): read again after CENTRE_NAMES_S (a booking's
#: SMS costs no query for it; a renamed centre's new name reaches the SMS within that time).
_centre_names: dict[tuple[str, str], tuple[str, float]] = {}
CENTRE_NAMES_S = 300.0


def _centre(session: Session, code: str, lang: str) -> str:
    key = (code, lang_of(lang))
    cached = _centre_names.get(key)
    if cached is not None and monotonic() - cached[1] < CENTRE_NAMES_S:
        return cached[0]
    row = session.get(EnrolledCentre, code)
    name = row.public_name(key[1]) if row is not None else code
    if row is not None:
        if len(_centre_names) > 10_000:
            _centre_names.clear()
        _centre_names[key] = (name, monotonic())
    return name


def _when(start: datetime, lang: str) -> dict[str, Any]:
    language = lang_of(lang)
    return {"day": formatting.format_date(as_utc(start), language, style="medium"),
            "time": formatting.format_time(as_utc(start), language)}


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _queue(session: Session, row: Booking, kind: str, body: str, now: datetime, recipient: str | None = None) -> None:
    """One message of ``row`` (once per kind: a second one is not queued)."""
    queue(session, row.id, kind, recipient or row.mobile, body, now)


def queue(session: Session, booking_id: int, kind: str, to: str | None, body: str, now: datetime) -> None:
    if not to:
        return
    session.execute(_insert(session)(BookingNotice).values(
        booking_id=booking_id, kind=kind, channel="sms", recipient=to, body=body, state=PENDING, attempts=0,
        created_at=now, next_attempt_at=now).on_conflict_do_nothing(index_elements=["booking_id", "kind"]))


def queue_statement(booking_id: Any) -> Any:
    """The confirmation's insert for a booking being inserted in the same statement (``booking_id``:
    its id's column in a CTE: PostgreSQL's booking path, :func:`.bookings.book`), built once; bound
    by ``sms_to`` (the number), ``sms_body`` and ``sms_at`` (the time queued)."""
    c = BookingNotice.__table__.c
    at = bindparam("sms_at", type_=c.created_at.type)
    fields: dict[str, Any] = {"kind": literal(BOOKED_KIND, c.kind.type), "channel": literal("sms", c.channel.type),
                              "recipient": bindparam("sms_to", type_=c.recipient.type),
                              "body": bindparam("sms_body", type_=c.body.type),
                              "state": literal(PENDING, c.state.type), "attempts": literal(0, c.attempts.type),
                              "created_at": at, "next_attempt_at": at}
    return insert(BookingNotice).from_select(["booking_id", *fields], select(booking_id, *fields.values()))


def link_site(request_site: str) -> str:
    """The address a confirmation's manage link is built on: :data:`PUBLIC_URL_ENV` (the server's
    ``--public-url``) when set; else the request's own, only when that is a loopback address (a
    developer's or a test's server); else none, and the confirmation goes without its link. Never the
    address a request names for itself: its Host header is chosen by whoever books, who could
    otherwise have the centres' sender text a link to any site to any number."""
    configured = os.environ.get(PUBLIC_URL_ENV, "").strip().rstrip("/")
    if configured:
        return configured
    host = urlsplit(request_site).hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    return request_site.rstrip("/") if loopback else ""


def confirmation(session: Session, code: str, secret: str, centre: str, start: datetime, lang: str,
                 site: str) -> str:
    """The confirmation's text: code, day and time, centre and the manage link (``site``: the
    address the request came to; the link's is :func:`link_site`'s). Made before the booking's
    insert, so the centre's version row (:mod:`.bookings`) is held for one more statement only: the
    message's insert (:func:`queue`, kind :data:`BOOKED_KIND`; on PostgreSQL part of the booking's
    own statement, :func:`queue_statement`)."""
    public = link_site(site)
    values: dict[str, Any] = {"code": formatting.code(code), "centre": _centre(session, centre, lang),
                              **_when(start, lang)}
    if not public:
        return _text(N_("appointment.sms.booked_no_link"), lang, **values)
    return _text(N_("appointment.sms.booked"), lang, link=public + manage_path(code, secret), **values)


def _void_reminders(session: Session, booking_id: int, now: datetime) -> None:
    session.execute(update(BookingNotice).where(
        BookingNotice.booking_id == booking_id, BookingNotice.state == PENDING,
        or_(BookingNotice.kind.like("day:%"), BookingNotice.kind.like("hour:%")))
        .values(state=VOID, recipient=None, last_error="not needed any more"))


def moved(session: Session, row: Booking, now: datetime) -> None:
    """The new time (after ``row`` took its new slot and version); the old time's reminders dropped."""
    _void_reminders(session, row.id, now)
    body = _text(N_("appointment.sms.moved"), row.lang, code=formatting.code(row.code),
                 centre=_centre(session, row.centre_code, row.lang), **_when(row.slot_start, row.lang))
    _queue(session, row, f"moved:{row.version}", body, now)


def cancelled(session: Session, row: Booking, now: datetime) -> None:
    """The cancel's message (before the booking's number is deleted: the message keeps it until sent)."""
    mobile = row.mobile
    booking_over(session, row)
    body = _text(N_("appointment.sms.cancelled"), row.lang, code=formatting.code(row.code),
                 **_when(row.slot_start, row.lang))
    _queue(session, row, CANCELLED_KIND, body, now, recipient=mobile)


def portal_link(public: str, lang: str) -> str:
    """The portal's booking page on ``public`` in ``lang`` (Arabic, the portal's own, without a query)."""
    return f"{public}{BASE}" + ("?lang=en" if lang_of(lang) == "en" else "")


def closed(session: Session, row: Booking, reason: str, now: datetime, site: str) -> None:
    """The closed day's message (``reason``: the supervisor's, in the booking's language; the link:
    the portal's booking page on :func:`link_site`, as the confirmation's), before the booking's
    number is deleted."""
    mobile = row.mobile
    booking_over(session, row)
    public = link_site(site)
    values: dict[str, Any] = {"code": formatting.code(row.code), "centre": _centre(session, row.centre_code, row.lang),
                              "reason": reason, **_when(row.slot_start, row.lang)}
    if public:
        body = _text(N_("appointment.sms.closed"), row.lang, link=portal_link(public, row.lang), **values)
    else:
        body = _text(N_("appointment.sms.closed_no_link"), row.lang, **values)
    _queue(session, row, CLOSED_KIND, body, now, recipient=mobile)


def booking_over(session: Session, row: Booking) -> None:
    """The booking is over (cancelled, checked in, a no-show): its number deleted, its pending
    messages void."""
    row.mobile = None
    session.execute(update(BookingNotice).where(
        BookingNotice.booking_id == row.id, BookingNotice.state == PENDING)
        .values(state=VOID, recipient=None, last_error="the booking is over"))


def set_reminders(session: Session, row: Booking, wanted: bool, now: datetime) -> None:
    """The citizen's choice on the manage page; stopping drops the reminders already queued."""
    row.reminders = wanted
    if not wanted:
        _void_reminders(session, row.id, now)


def queue_reminders(session: Session, now: datetime) -> int:
    """The reminders due at ``now`` (module text), each once; the number queued."""
    now = as_utc(now)
    local = now.astimezone(CENTRE_TZ)
    today = local.date()
    candidates = select(Booking).where(
        Booking.mobile.is_not(None), Booking.day >= today, Booking.day <= today + timedelta(days=1),
        Booking.state == "booked", Booking.reminders.is_(True))
    chosen = func.coalesce(Booking.chosen_at, Booking.created_at)
    queued = 0
    plans: list[tuple[Booking, str, str]] = []
    if DAY_BEFORE <= local.time() < DAY_BEFORE_UNTIL:
        since = datetime.combine(today, DAY_BEFORE, CENTRE_TZ)
        for row in session.scalars(candidates.where(Booking.day == today + timedelta(days=1), chosen < since)):
            kind = f"day:{_slot_key(row.slot_start)}"
            plans.append((row, kind, N_("appointment.sms.remind_day")))
    for row in session.scalars(candidates.where(
            Booking.slot_start > now + HOUR_LATEST, Booking.slot_start <= now + HOUR_BEFORE)):
        if as_utc(row.chosen_at or row.created_at) <= as_utc(row.slot_start) - HOUR_NOT_WITHIN:
            plans.append((row, f"hour:{_slot_key(row.slot_start)}", N_("appointment.sms.remind_hour")))
    names: dict[tuple[str, str], str] = {}
    for row, kind, msgid in plans:
        if session.scalar(select(exists().where(BookingNotice.booking_id == row.id, BookingNotice.kind == kind))):
            continue
        key = (row.centre_code, row.lang)
        if key not in names:
            names[key] = _centre(session, row.centre_code, row.lang)
        minutes = max(1, round((as_utc(row.slot_start) - now).total_seconds() / 60))
        body = _text(msgid, row.lang, code=formatting.code(row.code), centre=names[key], n=minutes,
                     **_when(row.slot_start, row.lang))
        _queue(session, row, kind, body, now)
        queued += 1
    return queued


def forget_numbers(session: Session, now: datetime) -> int:
    """Numbers of bookings that are over (no longer booked, or their day past) deleted; pending
    messages of those bookings, or of a slot already begun, void (the cancel's and the closed day's
    own message live until the slot). The number of bookings whose number went."""
    now = as_utc(now)
    today = local_day(now)
    gone = session.execute(update(Booking).where(
        Booking.mobile.is_not(None), or_(Booking.day < today, Booking.state != "booked"))
        .values(mobile=None).execution_options(synchronize_session=False))
    ended = exists().where(Booking.id == BookingNotice.booking_id, or_(
        Booking.slot_start <= now, and_(Booking.state != "booked", BookingNotice.kind.not_in(ENDING_KINDS))))
    session.execute(update(BookingNotice).where(BookingNotice.state == PENDING, ended)
        .values(state=VOID, recipient=None, last_error="the booking is over")
        .execution_options(synchronize_session=False))
    return int(getattr(gone, "rowcount", 0) or 0)


@dataclass(frozen=True)
class Outgoing:
    """A message as a sender takes it (:class:`counter_app.notify.senders.Message`)."""

    id: int
    channel: str
    recipient: str
    body: str
    subject: str = ""


class Store:
    """The outbox for :func:`counter_app.notify.dispatch.dispatch`: each method is one transaction."""

    def __init__(self, db: ServerDatabase) -> None:
        self.db = db

    def due(self, now: datetime, limit: int) -> Sequence[Outgoing]:
        with self.db.sessions() as s:
            rows = s.execute(select(BookingNotice.id, BookingNotice.channel, BookingNotice.recipient,
                                    BookingNotice.body).where(
                BookingNotice.state == PENDING, BookingNotice.next_attempt_at <= as_utc(now),
                BookingNotice.recipient.is_not(None))
                .order_by(BookingNotice.next_attempt_at, BookingNotice.id).limit(limit))
            return [Outgoing(i, c, str(r), b) for i, c, r, b in rows]

    def sent(self, message_id: int, provider_id: str | None, at: datetime, *, delivered: bool) -> None:
        with self.db.sessions.begin() as s:
            note = s.get(BookingNotice, message_id)
            if note is None:
                return
            note.attempts += 1
            note.state = DELIVERED if delivered else SENT
            note.sent_at, note.delivered_at = at, at if delivered else None
            note.provider_id, note.last_error = provider_id, None
            note.recipient = None  # a sent message keeps no number

    def failed_attempt(self, message_id: int, error: str, at: datetime, *, permanent: bool) -> bool:
        with self.db.sessions.begin() as s:
            note = s.get(BookingNotice, message_id)
            if note is None or note.state != PENDING:
                return True
            note.attempts += 1
            note.last_error = redact(error)[:500]
            next_at = next_attempt(note.attempts, at, note.created_at, permanent=permanent)
            if next_at is None:
                note.state, note.recipient = FAILED, None
                log.warning("booking SMS %s failed for good: %s", note.id, redact(error))
                return True
            note.next_attempt_at = next_at
            return False

    def awaiting_delivery(self, limit: int) -> Sequence[tuple[int, str]]:
        with self.db.sessions() as s:
            rows = s.execute(select(BookingNotice.id, BookingNotice.provider_id).where(
                BookingNotice.state == SENT, BookingNotice.provider_id.is_not(None)).limit(limit))
            return [(i, str(p)) for i, p in rows]

    def delivered(self, message_id: int, at: datetime) -> None:
        with self.db.sessions.begin() as s:
            note = s.get(BookingNotice, message_id)
            if note is not None and note.state in (SENT, PENDING):
                note.state, note.delivered_at = DELIVERED, at

    def undelivered(self, message_id: int) -> None:
        with self.db.sessions.begin() as s:
            note = s.get(BookingNotice, message_id)
            if note is not None:
                note.state, note.last_error = FAILED, "the gateway reports it undelivered"


@dataclass(frozen=True)
class NoticeSettings:
    """The SMS gateway (none: the messages wait, the rounds still run) and the rounds' interval."""

    sms_url: str = ""
    sms_token: str = ""
    sms_sender: str = "Shubbak"
    interval_s: float = 15.0

    @classmethod
    def from_environment(cls) -> NoticeSettings:
        """``SHUBBAK_SMS_URL``, ``SHUBBAK_SMS_TOKEN``, ``SHUBBAK_SMS_SENDER``, ``SHUBBAK_NOTICE_INTERVAL_S``."""
        return cls(sms_url=os.environ.get("SHUBBAK_SMS_URL", ""), sms_token=os.environ.get("SHUBBAK_SMS_TOKEN", ""),
                   sms_sender=os.environ.get("SHUBBAK_SMS_SENDER", "") or "Shubbak",
                   interval_s=float(os.environ.get("SHUBBAK_NOTICE_INTERVAL_S", "15")))

    def senders(self) -> dict[str, Sender]:
        return senders_from({"sms_url": self.sms_url, "sms_token": self.sms_token, "sms_sender": self.sms_sender})


class NoticeRunner(LeasedRunner):
    """The rounds in a server process (a daemon thread), done only while it holds the lease."""

    lease, what = LEASE, "booking SMS"

    def __init__(self, db: ServerDatabase, settings: NoticeSettings) -> None:
        super().__init__(db, settings.interval_s)
        self.settings = settings
        self.senders = settings.senders()
        self.store = Store(db)

    def round(self, now: datetime) -> None:
        from sync.server.appointments import bookings  # it queues its SMS here

        with self.db.sessions.begin() as s:
            bookings.close_stragglers(s, now)
        with self.db.sessions.begin() as s:
            queue_reminders(s, now)
        with self.db.sessions.begin() as s:
            forget_numbers(s, now)
        if self.senders:
            dispatch(self.store, self.senders, now=now)
            sms = self.senders.get("sms")
            if isinstance(sms, HttpSmsSender):
                poll_deliveries(self.store, sms, now)

    def closing(self) -> None:
        for sender in self.senders.values():
            if isinstance(sender, HttpSmsSender):
                sender.close()
