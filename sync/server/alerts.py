"""Alerts about the centres (issue 19, item 4): raised once, cleared once, mailed once.

Kinds (:data:`KINDS`) and their rules, evaluated every :attr:`AlertSettings.interval_s` seconds:

* ``offline``: no heartbeat for more than :attr:`AlertSettings.offline_s` (15 minutes) while the
  centre is open (``centre.opening_hours``, Cairo time, as :mod:`counter_app.common.portal` parses
  it; a centre without opening hours, or with hours that do not parse, counts as always open).
  Cleared by a heartbeat, or when the centre closes (it is raised again if it is still silent at
  the next opening). ``since``: its last heartbeat (its enrolment when it never sent one);
* ``long_wait``: the heartbeat's longest current wait over :attr:`AlertSettings.wait_s` (45 min);
* ``old_backlog``: the oldest event waiting at the centre older than a day;
* ``clock_skew``: the centre's clock off the server's by more than :attr:`AlertSettings.skew_s`
  (5 minutes, as the push's own flag);
* ``quarantine``: an event of the centre quarantined (a UUID again with another payload) in the
  last day;
* ``rejected``: the centre's agent reports events the server refused (``rejected`` in its heartbeat);
* ``day_not_closed``: bookings of the centre still ``booked`` for a day whose close is overdue
  (:func:`day_not_closed`): ``since`` is the start (Cairo) of the oldest such day, ``value`` how
  many bookings; both kept up to date while it is open. Cleared when the no-shows and check-ins
  arrive (the bookings no longer ``booked``).

``long_wait``, ``old_backlog``, ``clock_skew`` and ``rejected`` read the latest heartbeat and hold
while it says so (an offline centre keeps what it last said).

**Once.** An open alert's ``open_key`` (``<centre>/<kind>``) is unique: raising is an
``INSERT ... ON CONFLICT DO NOTHING``, so several workers evaluating at the same moment raise it
once; clearing is one ``UPDATE ... WHERE cleared_at IS NULL`` that also empties ``open_key``.
**Mailed once**: the mail of an alert is claimed by ``UPDATE ... SET emailed_at WHERE emailed_at
IS NULL`` (one worker wins) before it is sent through :class:`counter_app.notify.senders.SmtpSender`;
a failure the server may retry (not permanent) gives the claim back for the next round. The mail goes to the governorate
supervisors of the centre's governorate who have an e-mail address; when none has, to the national
administrators who have one; nobody with an address: not mailed (``emailed_to`` says so).

**One worker.** :class:`AlertRunner` is a thread in each server process; a round runs only in the
process that holds the lease ``alerts`` (table ``server_lease``, a row renewed each round, taken
over once it has expired: three intervals), so with ``--workers N`` or several machines one
process evaluates; the unique key above keeps it correct even while two overlap at a hand-over.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from counter_app.common.clock import CENTRE_TZ, as_utc
from counter_app.common.i18n import N_, Lang, gettext
from counter_app.common.portal import DAYS, InvalidOpeningHours, opening_hours_entries
from counter_app.notify.senders import Sender, SendError, SmtpSender
from sync.server.accounts import GOVERNORATE, NATIONAL
from sync.server.appointments.bookings import BOOKED
from sync.server.db import ServerDatabase
from sync.server.leases import LeasedRunner
from sync.server.models import (
    Booking,
    CentralAlert,
    CentralUser,
    CentreHeartbeat,
    EnrolledCentre,
    QuarantinedEvent,
)

log = logging.getLogger(__name__)

KINDS = ("offline", "long_wait", "old_backlog", "clock_skew", "quarantine", "rejected", "day_not_closed")
#: Each kind's name on the pages and in the mails.
ALERT_IDS: dict[str, str] = {
    "offline": N_("central.alert_offline"), "long_wait": N_("central.alert_long_wait"),
    "old_backlog": N_("central.alert_old_backlog"), "clock_skew": N_("central.alert_clock_skew"),
    "quarantine": N_("central.alert_quarantine"), "rejected": N_("central.alert_rejected"),
    "day_not_closed": N_("central.alert_day_not_closed")}
#: The kinds whose figure is kept up to date while the alert is open (the others keep what raised them).
FOLLOWED = frozenset({"day_not_closed"})
#: A day's close is overdue from this time (Cairo) of the day after (see :func:`day_not_closed`).
CLOSE_GRACE = time(12, 0)
ALERT_OTHER = N_("central.alert_other")  # a kind this server does not know (a newer worker's)
LEASE = "alerts"
DAY_S = 86_400


@dataclass(frozen=True)
class AlertSettings:
    interval_s: float = 60.0
    offline_s: float = 15 * 60
    wait_s: float = 45 * 60
    backlog_s: float = DAY_S
    skew_s: float = 300.0
    smtp_host: str | None = None
    smtp_port: int = 25
    mail_from: str = "shubbak-monitor@localhost"
    page_url: str = ""  # the monitoring page's address, put in the mails

    @classmethod
    def from_environment(cls) -> AlertSettings:
        """``SHUBBAK_ALERT_SMTP`` (``host:port``), ``SHUBBAK_ALERT_FROM``, ``SHUBBAK_ALERT_INTERVAL_S``,
        ``SHUBBAK_ALERT_WAIT_MIN``, ``SHUBBAK_MONITOR_URL``; without an SMTP server nothing is mailed."""
        host, _, port = os.environ.get("SHUBBAK_ALERT_SMTP", "").rpartition(":")
        return cls(interval_s=float(os.environ.get("SHUBBAK_ALERT_INTERVAL_S", "60")),
                   wait_s=float(os.environ.get("SHUBBAK_ALERT_WAIT_MIN", "45")) * 60,
                   smtp_host=host or None, smtp_port=int(port or 25),
                   mail_from=os.environ.get("SHUBBAK_ALERT_FROM", "shubbak-monitor@localhost"),
                   page_url=os.environ.get("SHUBBAK_MONITOR_URL", ""))


@functools.lru_cache(maxsize=1024)
def _entries(opening_hours: str) -> tuple[tuple[str, str, str, str], ...]:
    """The hours' entries (few distinct values among 2,000 centres: parsed once each); none for hours
    not in the form."""
    try:
        return tuple(opening_hours_entries(opening_hours))
    except InvalidOpeningHours:
        return ()


def is_open(opening_hours: str | None, now: datetime) -> bool:
    """Is a centre with these hours open at ``now`` (Cairo)? No hours, or hours not in the form: yes."""
    entries = _entries(opening_hours or "")
    if not entries:
        return True
    local = as_utc(now).astimezone(CENTRE_TZ)
    today, clock = DAYS[local.weekday()], local.strftime("%H:%M")
    for first, last, opens, closes in entries:
        a, b, d = DAYS.index(first), DAYS.index(last), DAYS.index(today)
        in_days = a <= d <= b if a <= b else (d >= a or d <= b)  # "sat-wed" wraps over the week's end
        if in_days and opens <= clock < closes:
            return True
    return False


@dataclass(frozen=True)
class Condition:
    since: datetime
    value: float | None


def conditions(session: Session, now: datetime, settings: AlertSettings) -> dict[tuple[str, str], Condition]:
    """What holds now, per (centre, kind)."""
    found: dict[tuple[str, str], Condition] = {}
    day_ago = now - timedelta(seconds=DAY_S)
    c, h = EnrolledCentre, CentreHeartbeat
    for (code, enrolled_at, hours, received_at, longest, oldest, skew, rejected) in session.execute(
            select(c.code, c.enrolled_at, c.opening_hours, h.received_at, h.longest_wait_s, h.backlog_oldest_age_s,
                   h.clock_skew_s, h.rejected_events).outerjoin(h, h.centre_code == c.code)):
        last = as_utc(received_at) if received_at is not None else as_utc(enrolled_at)
        silent = (now - last).total_seconds()
        if silent > settings.offline_s and is_open(hours, now):
            found[code, "offline"] = Condition(last, silent)
        if received_at is None:
            continue
        received = last
        if longest is not None and longest > settings.wait_s:
            found[code, "long_wait"] = Condition(received - timedelta(seconds=longest - settings.wait_s), float(longest))
        if oldest is not None and oldest > settings.backlog_s:
            found[code, "old_backlog"] = Condition(received - timedelta(seconds=oldest - settings.backlog_s),
                                                   float(oldest))
        if abs(skew) > settings.skew_s:
            found[code, "clock_skew"] = Condition(received, skew)
        if rejected > 0:
            found[code, "rejected"] = Condition(received, float(rejected))
    for code, first, n in session.execute(
            select(QuarantinedEvent.centre_code, func.min(QuarantinedEvent.received_at), func.count())
            .where(QuarantinedEvent.received_at >= day_ago).group_by(QuarantinedEvent.centre_code)):
        found[str(code), "quarantine"] = Condition(as_utc(first), float(n))
    for code, (day, n) in day_not_closed(session, now).items():
        found[code, "day_not_closed"] = Condition(as_utc(_day_start(day)), float(n))
    return found


def last_overdue_day(now: datetime) -> date:
    """The last day whose close is overdue at ``now``: yesterday from 12:00 Cairo, else the day before."""
    local = as_utc(now).astimezone(CENTRE_TZ)
    return local.date() - timedelta(days=1 if local.time() >= CLOSE_GRACE else 2)


def day_not_closed(session: Session, now: datetime) -> dict[str, tuple[date, int]]:
    """Per centre, the oldest day with bookings still ``booked`` although its close is overdue, and
    how many such bookings (of every overdue day).

    **The grace.** A centre sends its no-shows when it closes its day (:func:`counter_app.core.booking.mark_no_shows`,
    events ``booking.no_show``; or, forgotten, when its next day opens), and its check-ins as they
    happen; both reach the server at the agent's next push. A centre that closes in the evening and
    is offline overnight (the line down, the machine shut) pushes when it is back in the morning: so
    a day's close is overdue only from 12:00 Cairo the day after, when a centre that opened has
    pushed. Before that the bookings are simply not heard of yet.

    **Not decided here.** The server never marks these bookings no-show by itself: the check-ins of
    that day may still be in the outbox of a centre offline for days, and a citizen who came must
    not be counted absent (nor blocked, :func:`.appointments.bookings._check_limits`). The alert
    tells the people who can make the centre close its day and sync; the KPIs show the bookings
    apart (``unresolved``, :mod:`sync.server.appointment_kpis`). Their citizens' mobile numbers are
    deleted all the same once the day is past (:func:`.appointments.notices.forget_numbers`).

    **Cheap.** The partial index ``ix_booking_booked_day`` (``day``, ``centre_code`` of the
    ``booked`` bookings only) holds the bookings still booked: today's and the future's, and the
    unresolved ones; the range ``day <= last overdue day`` reads the unresolved ones alone, however
    many bookings the table keeps (checked with EXPLAIN on PostgreSQL: an index-only scan)."""
    found: dict[str, tuple[date, int]] = {}
    for day, code, n in session.execute(day_not_closed_query(now)):  # oldest day first
        first, before = found.get(str(code), (day, 0))
        found[str(code)] = (first, before + int(n))
    return found


def day_not_closed_query(now: datetime) -> Select[date, str, int]:
    """:func:`day_not_closed`'s query: per day and centre (the index's order, so SQLite groups along
    it too), oldest first. The state is written in the SQL, not bound: SQLite uses a partial index
    only for a condition it reads as the index's own."""
    return (select(Booking.day, Booking.centre_code, func.count())
            .where(Booking.state == literal_column(f"'{BOOKED}'"), Booking.day <= last_overdue_day(now))
            .group_by(Booking.day, Booking.centre_code).order_by(Booking.day, Booking.centre_code))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), CENTRE_TZ)


def describe(kind: str, since: datetime, value: float | None, lang: Lang) -> str:
    """What an alert says in ``lang``: its kind's name; a day not closed names its day and count."""
    what = gettext(ALERT_IDS.get(kind, ALERT_OTHER), lang)
    if kind == "day_not_closed" and value is not None:
        day = as_utc(since).astimezone(CENTRE_TZ).date().isoformat()
        what = gettext("central.alert_day_not_closed_detail", lang, n=int(value), day=day)
    return what


def _insert(session: Session) -> Any:
    return (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(CentralAlert)


def evaluate(session: Session, now: datetime, settings: AlertSettings) -> tuple[int, int]:
    """Raise what holds and is not open, clear what is open and no longer holds (in the caller's
    transaction); returns (raised, cleared) by this call."""
    holding = conditions(session, now, settings)
    open_now: dict[tuple[str, str], int] = {}
    for a in session.execute(select(CentralAlert.centre_code, CentralAlert.kind, CentralAlert.id, CentralAlert.since,
                                    CentralAlert.value).where(CentralAlert.cleared_at.is_(None))):
        open_now[a.centre_code, a.kind] = a.id
        held = holding.get((a.centre_code, a.kind))
        if a.kind in FOLLOWED and held is not None and (as_utc(a.since), a.value) != (held.since, held.value):
            session.execute(update(CentralAlert).where(CentralAlert.id == a.id).values(since=held.since,
                                                                                        value=held.value))
    raised = cleared = 0
    for (code, kind), condition in holding.items():
        if (code, kind) in open_now:
            continue
        result = session.execute(_insert(session).values(
            centre_code=code, kind=kind, open_key=f"{code}/{kind}", raised_at=now, since=condition.since,
            value=condition.value).on_conflict_do_nothing(index_elements=[CentralAlert.open_key])
            .returning(CentralAlert.id))
        if result.first() is not None:
            raised += 1
            log.info("alert raised: centre %s, %s", code, kind)
    for key, alert_id in open_now.items():
        if key in holding:
            continue
        result = session.execute(update(CentralAlert).where(CentralAlert.id == alert_id,
                                                            CentralAlert.cleared_at.is_(None))
                                 .values(cleared_at=now, open_key=None))
        if result.rowcount:  # type: ignore[attr-defined]
            cleared += 1
            log.info("alert cleared: centre %s, %s", *key)
    return raised, cleared


def recipients(session: Session, governorate: str | None) -> list[str]:
    """Whom a centre's alerts are mailed to: its governorate's supervisors with an address, else
    the national administrators with one."""
    def of(*where: Any) -> list[str]:
        return sorted(str(e) for e in session.scalars(select(CentralUser.email).where(
            CentralUser.disabled.is_(False), CentralUser.email.is_not(None), CentralUser.email != "", *where)))

    found = of(CentralUser.role == GOVERNORATE, CentralUser.governorate == governorate) if governorate else []
    return found or of(CentralUser.role == NATIONAL)


@dataclass(frozen=True)
class AlertMail:
    id: int
    recipient: str
    subject: str
    body: str
    channel: str = "email"


def mail_text(alert: CentralAlert, centre: EnrolledCentre | None, page_url: str) -> tuple[str, str]:
    """The subject and body of an alert's mail, Arabic first then English."""
    name_ar = centre.public_name("ar") if centre else alert.centre_code
    name_en = centre.public_name("en") if centre else alert.centre_code
    since = as_utc(alert.since).astimezone(CENTRE_TZ).strftime("%Y-%m-%d %H:%M")
    what_ar, what_en = (describe(alert.kind, alert.since, alert.value, lang) for lang in ("ar", "en"))
    subject = " / ".join((gettext("central.alert_mail_subject", "ar", centre=name_ar, code=alert.centre_code,
                                  what=what_ar),
                          gettext("central.alert_mail_subject", "en", centre=name_en, code=alert.centre_code,
                                  what=what_en)))
    lines = [gettext("central.alert_mail_body", "ar", centre=name_ar, code=alert.centre_code, what=what_ar, since=since),
             "", gettext("central.alert_mail_body", "en", centre=name_en, code=alert.centre_code, what=what_en,
                         since=since)]
    if page_url:
        lines += ["", f"{page_url.rstrip('/')}/monitor/centres/{alert.centre_code}"]
    return subject, "\n".join(lines) + "\n"


def send_mails(db: ServerDatabase, sender: Sender | None, settings: AlertSettings, now: datetime) -> int:
    """Mail each open alert not mailed yet, once (claimed before it is sent); returns how many went."""
    with db.sessions() as s:
        pending = list(s.scalars(select(CentralAlert.id).where(CentralAlert.cleared_at.is_(None),
                                                               CentralAlert.emailed_at.is_(None))))
    sent = 0
    for alert_id in pending:
        with db.sessions.begin() as s:
            claimed = s.execute(update(CentralAlert).where(CentralAlert.id == alert_id, CentralAlert.emailed_at.is_(None))
                                .values(emailed_at=now))
            if not claimed.rowcount:  # type: ignore[attr-defined]
                continue  # another worker has it
            alert = s.get_one(CentralAlert, alert_id)
            centre = s.get(EnrolledCentre, alert.centre_code)
            to = recipients(s, centre.governorate if centre else None)
            alert.emailed_to = ", ".join(to) if to else "-"
            subject, body = mail_text(alert, centre, settings.page_url)
        if not to or sender is None:
            continue
        failed: SendError | None = None
        for address in to:
            try:
                sender.send(AlertMail(alert_id, address, subject, body))
            except SendError as exc:
                failed = exc
        if failed is not None and not failed.permanent:
            log.warning("an alert's mail was not sent, tried again next round: %s", failed)
            with db.sessions.begin() as s:
                s.execute(update(CentralAlert).where(CentralAlert.id == alert_id).values(emailed_at=None, emailed_to=None))
            continue
        if failed is not None:
            log.warning("an alert's mail was refused: %s", failed)
        sent += 1
    return sent


class AlertRunner(LeasedRunner):
    """The alerts' periodic round in a server process (a daemon thread), done only while this
    process holds the lease."""

    lease, what = LEASE, "alerts"

    def __init__(self, db: ServerDatabase, settings: AlertSettings, sender: Sender | None = None) -> None:
        super().__init__(db, settings.interval_s)
        self.settings = settings
        self.sender = sender if sender is not None else (
            SmtpSender(settings.smtp_host, settings.smtp_port, sender=settings.mail_from)
            if settings.smtp_host else None)

    def round(self, now: datetime) -> None:
        with self.db.sessions.begin() as s:
            evaluate(s, now, self.settings)
        send_mails(self.db, self.sender, self.settings, now)
