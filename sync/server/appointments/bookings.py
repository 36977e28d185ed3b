"""A citizen's bookings: book, look up, cancel and move by the booking code and the manage secret.

Limits (:class:`Limits`; ``SHUBBAK_APPOINTMENT_LIMITS`` changes them, e.g. ``monthly=6``):

* one active booking (booked or checked in) per national ID, service and day: checked first for a
  clear answer, and held against two requests racing by the unique ``booking.active_key``;
* at most ``monthly`` bookings (not cancelled, by the citizen or by a closed day) per national ID in a calendar month (of the slot);
* after ``no_shows`` no-shows within ``no_show_days`` days, no booking until ``block_days``
  days after the last of them (``no_show_block``, with the day it ends).

**The last place is never sold twice**: the place is taken by one conditional UPDATE of the slot's
row (``booked = booked + 1 WHERE booked < places``). PostgreSQL takes the row's lock for it and,
when another transaction held it, evaluates the condition again on the row that transaction
committed; SQLite has one writer at a time. So of k places exactly k bookings succeed, and the
others are told ``full``. The slot's row is made first (``INSERT ... ON CONFLICT DO NOTHING``).

Each change takes the centre's next bookings version (``appointment_centre``: one upsert, so
versions are handed out in commit order per centre), for the agent's pull; just before the
booking's insert and the commit, since every booking of the centre waits for that row's lock.

Each booking, move and cancel queues its SMS in the same transaction (:mod:`.notices`).

Every function takes the caller's session and never commits.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, bindparam, exists, func, insert, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from counter_app.common.clock import as_utc, local_day
from counter_app.common.i18n import lang_of
from counter_app.common.national_id import NationalIdError, parse_national_id
from sync.server.appointments import notices
from sync.server.appointments.errors import AppointmentError
from sync.server.appointments.slots import NATIONAL, check_slot, lookup, slot_day
from sync.server.models import AppointmentCentre, AppointmentClosure, AppointmentSlot, Booking

#: The booking code's letters: no 0/O, no 1/I (read aloud, typed at a kiosk).
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
BOOKED, CANCELLED, CHECKED_IN, NO_SHOW = "booked", "cancelled", "checked_in", "no_show"
#: cancelled by the centre: its day was closed (:func:`close`); neither the citizen's cancel nor a no-show
CLOSED = "closed"
ACTIVE = (BOOKED, CHECKED_IN)
#: the states that are no booking of the citizen's month (:class:`Limits`' ``monthly``)
CALLED_OFF = (CANCELLED, CLOSED)
ENVIRONMENT = "SHUBBAK_APPOINTMENT_LIMITS"


@dataclass(frozen=True)
class Limits:
    monthly: int = 4
    no_shows: int = 3
    no_show_days: int = 90
    block_days: int = 30

    @classmethod
    def from_environment(cls) -> Limits:
        """The defaults changed by ``SHUBBAK_APPOINTMENT_LIMITS`` (``monthly=6,block_days=14``)."""
        values: dict[str, int] = {}
        for pair in filter(None, (p.strip() for p in os.environ.get(ENVIRONMENT, "").split(","))):
            name, _, figure = pair.partition("=")
            if name.strip() not in cls.__dataclass_fields__ or not figure.strip().isdigit():
                raise ValueError(f"{ENVIRONMENT}: {pair!r} is not name=number (names: monthly, no_shows, "
                                 "no_show_days, block_days)")
            values[name.strip()] = int(figure)
        return cls(**values)


@dataclass(frozen=True)
class NewBooking:
    code: str
    secret: str  # the manage link's; shown once, kept only as its digest
    booking: Booking


def normalise_code(code: str) -> str:
    """The code as stored: upper case, no spaces or dashes; O read as 0 is no letter of ours, so
    typing slips are left to fail (the alphabet has neither)."""
    return "".join(c for c in code.upper() if c not in " -\t")[:16]


def _digest(secret: str) -> str:
    return hashlib.sha256(f"shubbak-booking|{secret}".encode("utf-8", "replace")).hexdigest()


def egyptian_mobile(text: str | None) -> str:
    """An Egyptian mobile number in E.164 (``+201012345678``), else ``bad_mobile``."""
    import phonenumbers

    raw = (text or "").strip()
    refused = AppointmentError("bad_mobile", "an Egyptian mobile number is needed, like 01012345678")
    if not raw or len(raw) > 20 or not all(c.isdigit() or c in "+ -()" for c in raw):
        raise refused
    from counter_app.common.i18n import normalise_digits

    try:
        number = phonenumbers.parse(normalise_digits(raw), "EG")
    except phonenumbers.NumberParseException:
        raise refused from None
    if (not phonenumbers.is_valid_number(number) or phonenumbers.region_code_for_number(number) != "EG"
            or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE):
        raise refused
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_id(text: str | None, today: date) -> str:
    try:
        return parse_national_id(text or "", today=today).national_id
    except NationalIdError as exc:
        raise AppointmentError("bad_national_id", str(exc), detail_ar=exc.message("ar")) from None


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _version_statement(session: Session, centre: str) -> Any:
    statement = _insert(session)(AppointmentCentre).values(centre_code=centre, version=1)
    return statement.on_conflict_do_update(index_elements=["centre_code"],
                                           set_={"version": AppointmentCentre.version + 1}
                                           ).returning(AppointmentCentre.version)


def _next_version(session: Session, centre: str) -> int:
    """The centre's next bookings version: one upsert, whose row lock orders the centre's changes."""
    return int(session.execute(_version_statement(session, centre)).scalar_one())


next_version = _next_version  # for the centre's check-ins (:mod:`.centre_pull`)


def _bind(column: Any, name: str | None = None) -> Any:
    return bindparam(name or column.key, type_=column.type)


_S = AppointmentSlot.__table__.c
_GIVE_BACK = update(AppointmentSlot).where(
    _S.centre_code == _bind(_S.centre_code, "centre"), _S.group_letter == _bind(_S.group_letter, "group"),
    _S.slot_start == _bind(_S.slot_start, "start"), _S.booked > 0).values(booked=_S.booked - 1)
#: a new booking's columns (its version aside), bound by these names
_BOOKING_COLUMNS = ("code", "secret_digest", "centre_code", "group_letter", "service_code", "slot_start", "day",
                    "national_id", "mobile", "lang", "state", "active_key", "created_at", "updated_at", "reminders",
                    "chosen_at")


def _limits_statement(moving: bool) -> Any:
    b = Booking.__table__.c
    others = b.id != _bind(b.id, "moving") if moving else true()
    since, today = _bind(b.day, "since"), _bind(b.day, "today")
    missed_now = and_(b.state == NO_SHOW, b.day >= since, b.day <= today)
    in_month = and_(b.day >= _bind(b.day, "month"), b.day < _bind(b.day, "following"), b.state.not_in(CALLED_OFF), others)
    return select(func.count().filter(missed_now), func.max(b.day).filter(missed_now),
                  func.count().filter(and_(b.active_key == _bind(b.active_key, "key"), others)),
                  func.count().filter(in_month)).where(
        b.national_id == _bind(b.national_id, "nid"), b.day >= _bind(b.day, "low"), b.day < _bind(b.day, "high"))


_LIMITS, _LIMITS_MOVING = _limits_statement(False), _limits_statement(True)


@dataclass(frozen=True)
class _Statements:
    """A booking's writing statements of one dialect, built once: building them cost more than
    running them (bench/appointments.py)."""

    take_place: Any
    insert: Any
    insert_versioned: Any  # PostgreSQL: the version's upsert, the insert and its SMS in one statement; else None


@functools.cache
def _dialect_statements(dialect: str) -> _Statements:
    dml = pg_insert if dialect == "postgresql" else sqlite_insert
    centre, group, start = _bind(_S.centre_code, "centre"), _bind(_S.group_letter, "group"), _bind(_S.slot_start, "start")
    take_place = dml(AppointmentSlot).values(centre_code=centre, group_letter=group, slot_start=start, booked=1) \
        .on_conflict_do_update(index_elements=["centre_code", "group_letter", "slot_start"],
                               set_={"booked": _S.booked + 1}, where=_S.booked < bindparam("places", type_=Integer)) \
        .returning(_S.booked)
    b = Booking.__table__.c
    insert_one = insert(Booking).values({name: _bind(b[name]) for name in (*_BOOKING_COLUMNS, "version")}) \
        .returning(b.id)
    versioned = None
    if dialect == "postgresql":
        version = dml(AppointmentCentre).values(centre_code=_bind(b.centre_code), version=1) \
            .on_conflict_do_update(index_elements=["centre_code"], set_={"version": AppointmentCentre.version + 1}) \
            .returning(AppointmentCentre.version).cte("next_version")
        chosen = select(*(_bind(b[name]) for name in _BOOKING_COLUMNS), version.c.version)
        inserted = insert(Booking).from_select([*_BOOKING_COLUMNS, "version"], chosen) \
            .returning(b.id, b.version).cte("made")
        sms = notices.queue_statement(inserted.c.id).cte("sms")  # the confirmation SMS
        versioned = select(inserted.c.id, inserted.c.version).add_cte(sms)
    return _Statements(take_place, insert_one, versioned)


def _statements(session: Session) -> _Statements:
    return _dialect_statements(session.connection().dialect.name)


def _take_place(session: Session, centre: str, group: str, start: datetime, places: int) -> None:
    """One place of the slot, or ``full``: one upsert that makes the slot's row with one place taken,
    or adds one to it only while ``booked < places`` (PostgreSQL locks the row and checks the
    condition on its newest version; SQLite has one writer): no row returned, no place."""
    taken = session.connection().execute(_statements(session).take_place, {
        "centre": centre, "group": group, "start": start, "places": places}).scalar_one_or_none()
    if taken is None or places < 1:
        raise AppointmentError("full", "this slot is fully booked; choose another")


def _give_back(session: Session, centre: str, group: str, start: datetime) -> None:
    session.connection().execute(_GIVE_BACK, {"centre": centre, "group": group, "start": start})


def _active_key(nid: str, service: str, day: date) -> str:
    return f"{nid}|{service}|{day.isoformat()}"


def _check_limits(session: Session, nid: str, service: str, day: date, today: date, limits: Limits,
                  moving: int | None = None) -> None:
    """The citizen's limits for a booking on ``day`` (``moving``: the booking being moved, not
    counted): one query over the citizen's rows of the months concerned (index on national ID, day)."""
    since = today - timedelta(days=limits.no_show_days)
    month = day.replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    params = {"nid": nid, "since": since, "today": today, "month": month, "following": following,
              "key": _active_key(nid, service, day), "low": min(since, month), "high": max(following, today)}
    if moving is not None:
        params["moving"] = moving
    missed, last, same_day, booked = session.connection().execute(
        _LIMITS_MOVING if moving is not None else _LIMITS, params).one()
    if missed >= limits.no_shows and last is not None:
        until = last + timedelta(days=limits.block_days)
        if today < until:
            raise AppointmentError("no_show_block", f"{missed} missed appointments: no booking before {until}",
                                   until=until)
    if same_day:
        raise AppointmentError("already_booked", "there is a booking of this service that day already")
    if booked >= limits.monthly:
        raise AppointmentError("monthly_cap", f"at most {limits.monthly} bookings a month", cap=limits.monthly)


def book(session: Session, *, centre: str, group: str, service: str, start: datetime, national_id_text: str,
         mobile_text: str, lang: str, now: datetime, limits: Limits, reminders: bool = True,
         site: str = "") -> NewBooking:
    """A new booking of the slot at ``start`` (UTC); :class:`AppointmentError` on refusal. Its
    confirmation SMS is queued (:mod:`.notices`; ``site``: the server's address for the manage
    link); ``reminders``: the citizen's choice of reminders. The caller commits, and on an
    ``IntegrityError`` (the same citizen's other request won the race, or a code drawn twice) tries
    once more: the second try answers ``already_booked``."""
    today = local_day(now)
    nid = national_id(national_id_text, today)
    mobile = egyptian_mobile(mobile_text)
    start = as_utc(start)
    bookable = lookup(session, centre, group, slot_day(start))
    offered = _services(bookable.services)
    if offered is not None and service not in offered:
        raise AppointmentError("no_appointments", f"centre {centre} takes no appointments for {service}")
    day = check_slot(bookable, start, now)
    _check_limits(session, nid, service, day, today, limits)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    secret = secrets.token_urlsafe(18)
    # the SMS' text before any lock is taken (the slot's row, then the centre's version)
    confirmation = notices.confirmation(session, code, secret, centre, start, lang_of(lang), site)
    _take_place(session, centre, group, start, bookable.rule.places)
    values = {"code": code, "secret_digest": _digest(secret), "centre_code": centre, "group_letter": group,
              "service_code": service, "slot_start": start, "day": day, "national_id": nid, "mobile": mobile,
              "lang": lang_of(lang), "state": BOOKED, "active_key": _active_key(nid, service, day),
              "created_at": now, "updated_at": now, "reminders": reminders, "chosen_at": now}
    made = _statements(session)
    if made.insert_versioned is not None:
        # the centre's version, the insert and its SMS in one statement, the last before the commit:
        # the version's row (every booking of the centre waits for it) is held for one round trip
        booking_id, number = session.connection().execute(
            made.insert_versioned, {**values, "sms_to": mobile, "sms_body": confirmation, "sms_at": now}).one()
    else:
        number = _next_version(session, centre)
        booking_id = session.connection().execute(made.insert, {**values, "version": number}).scalar_one()
        notices.queue(session, booking_id, notices.BOOKED_KIND, mobile, confirmation, now)  # its SMS
    row = Booking(id=booking_id, version=number, **values)
    return NewBooking(code, secret, row)


def _services(text: str | None) -> list[str] | None:
    """A centre's services (None: every service)."""
    if text is None:
        return None
    try:
        found = json.loads(text)
    except ValueError:
        return None
    return [str(code) for code in found] if isinstance(found, list) else None


def find(session: Session, code: str, secret: str, *, lock: bool = False) -> Booking:
    """The booking of this code whose manage secret this is; ``unknown_booking`` otherwise (the
    same answer for a wrong secret as for a wrong code)."""
    query = select(Booking).where(Booking.code == normalise_code(code))
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None or not hmac.compare_digest(row.secret_digest, _digest(secret or "")):
        raise AppointmentError("unknown_booking", "no booking with this code and link")
    return row


def cancel(session: Session, code: str, secret: str, now: datetime) -> Booking:
    """The booking cancelled and its place given back; only a booked one (``not_active``)."""
    row = find(session, code, secret, lock=True)
    if row.state != BOOKED:
        raise AppointmentError("not_active", f"this booking is {row.state}")
    _give_back(session, row.centre_code, row.group_letter, as_utc(row.slot_start))
    notices.cancelled(session, row, now)  # its SMS; the booking's number deleted
    row.state, row.active_key, row.mobile = CANCELLED, None, None  # the number is deleted once it is over
    row.updated_at, row.version = now, _next_version(session, row.centre_code)
    return row


def close(session: Session, rows: list[Booking], reasons: dict[str, str], now: datetime, site: str) -> int:
    """``rows`` (booked, locked by the caller) cancelled by the centre, whose day was closed: state
    :data:`CLOSED`, their places given back, their SMS queued (the reason in each citizen's
    language, the portal's link on ``site``), their numbers deleted, each the centre's next version
    (the agent's pull); how many. The places are given back first, in one order (centre, group,
    time: a move's too), and the centres' versions after: a booking holds a slot's row and then
    waits for the version's, so a closure holding a version while waiting for a slot would deadlock."""
    places = Counter((r.centre_code, r.group_letter, as_utc(r.slot_start)) for r in rows)
    for (centre, group, start), taken in sorted(places.items()):
        for _ in range(taken):
            _give_back(session, centre, group, start)
    for row in sorted(rows, key=lambda r: (r.centre_code, r.id)):
        notices.closed(session, row, reasons.get(row.lang) or reasons.get("ar", ""), now, site)
        row.state, row.active_key, row.mobile = CLOSED, None, None
        row.updated_at, row.version = now, _next_version(session, row.centre_code)
    return len(rows)


def close_stragglers(session: Session, now: datetime) -> int:
    """Booked bookings of a closed day (today or later) closed as the closure would have (the
    reason of the closure, the centre's own first; the SMS' link on :func:`.notices.link_site`'s
    configured address): a booking whose request looked its day up just before the closure
    committed, and took its place just after. The SMS round's safety net; how many."""
    shut = exists().where(AppointmentClosure.day == Booking.day,
                          or_(AppointmentClosure.centre_code == Booking.centre_code,
                              AppointmentClosure.centre_code == NATIONAL))
    rows = list(session.scalars(select(Booking).where(Booking.day >= local_day(now), Booking.state == BOOKED, shut)
                                .order_by(Booking.centre_code, Booking.id).with_for_update()))
    for row in rows:
        reasons = session.scalars(select(AppointmentClosure).where(
            AppointmentClosure.day == row.day, AppointmentClosure.centre_code.in_((row.centre_code, NATIONAL)))
            .order_by(AppointmentClosure.centre_code.desc())).first()
        close(session, [row], {"ar": reasons.reason_ar, "en": reasons.reason_en} if reasons else {}, now, "")
    return len(rows)


def move(session: Session, code: str, secret: str, start: datetime, now: datetime, limits: Limits) -> Booking:
    """The booking moved to the slot at ``start`` of the same centre and service, with the same code."""
    row = find(session, code, secret, lock=True)
    if row.state != BOOKED:
        raise AppointmentError("not_active", f"this booking is {row.state}")
    start, old = as_utc(start), as_utc(row.slot_start)
    bookable = lookup(session, row.centre_code, row.group_letter, slot_day(start))
    day = check_slot(bookable, start, now)
    if start == old:
        return row
    _check_limits(session, row.national_id, row.service_code, day, local_day(now), limits, moving=row.id)
    # the two slots' rows in one order (the earlier first), so two moves crossing cannot deadlock;
    # a refusal rolls the whole transaction back, the place given back too
    if old < start:
        _give_back(session, row.centre_code, row.group_letter, old)
    _take_place(session, row.centre_code, row.group_letter, start, bookable.rule.places)
    if start < old:
        _give_back(session, row.centre_code, row.group_letter, old)
    row.slot_start, row.day, row.active_key = start, day, _active_key(row.national_id, row.service_code, day)
    row.updated_at, row.version, row.chosen_at = now, _next_version(session, row.centre_code), now
    notices.moved(session, row, now)
    return row
