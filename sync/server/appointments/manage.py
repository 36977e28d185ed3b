"""The management of the slot rules and closed days (issue 20, item 1), for the management API
(:mod:`sync.server.appointments.routes`) and the management page
(:mod:`sync.server.appointments.slots_page`) alike: who may read or change a centre's, what a rule
and a closed day must be, and the audit of each change (and of each refused one, by the caller:
:func:`audit_refusal`, in a transaction of its own).

A national administrator manages every centre and the public holidays (centre :data:`NATIONAL_PATH`);
a governorate supervisor their governorate's centres; a centre viewer reads their own centre's.

Every function takes the caller's session and never commits. A refusal is an
:class:`~sync.server.appointments.errors.AppointmentError`: ``forbidden`` (403), ``unknown_centre``
and ``not_found`` (404), ``bad_rule`` and ``bad_closure`` (422).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from counter_app.common.clock import local_day
from sync.server.accounts import GOVERNORATE, Scope, audit
from sync.server.appointments import bookings, slots
from sync.server.appointments.errors import AppointmentError
from sync.server.db import ServerDatabase
from sync.server.models import (
    AppointmentClosure,
    AppointmentRule,
    AppointmentRuleVersion,
    Booking,
    EnrolledCentre,
)

NATIONAL_PATH = "national"  # the public holidays' "centre" in an address or a form
T = TypeVar("T")


def in_transaction(db: ServerDatabase, change: Callable[[Session], T]) -> T:
    """``change`` in a transaction of its own, tried once more when another request made the same
    new row meanwhile (a rule, its day's version or a closed day set twice at once: the second try finds the row and
    updates it, where the first failed on its unique key)."""
    for attempt in (1, 2):
        try:
            with db.sessions.begin() as s:
                return change(s)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def may_write(scope: Scope, row: EnrolledCentre) -> bool:
    return scope.national or (scope.role == GOVERNORATE and row.governorate == scope.governorate)


def centre_for(session: Session, scope: Scope, centre: str, *, write: bool) -> EnrolledCentre:
    """The enrolled centre ``centre`` if ``scope`` may read it (``write``: change its rules)."""
    row = session.get(EnrolledCentre, centre)
    if row is None:
        raise AppointmentError("unknown_centre", f"no enrolled centre {centre}")
    if not (may_write(scope, row) or (not write and scope.centre == centre)):
        raise AppointmentError("forbidden", "you may manage only the appointments of your centres"
                               if write else "you may read only the appointments of your centres")
    return row


def visible_centres(session: Session, scope: Scope) -> list[EnrolledCentre]:
    """The centres ``scope`` reads, by code."""
    query = select(EnrolledCentre).order_by(EnrolledCentre.code)
    if scope.role == GOVERNORATE and not scope.national:
        query = query.where(EnrolledCentre.governorate == scope.governorate)
    elif not scope.national:
        query = query.where(EnrolledCentre.code == (scope.centre or ""))
    return list(session.scalars(query))


def rules_of(session: Session, scope: Scope, centre: str) -> list[AppointmentRule]:
    centre_for(session, scope, centre, write=False)
    return list(session.scalars(select(AppointmentRule).where(AppointmentRule.centre_code == centre)
                                .order_by(AppointmentRule.group_letter)))


@dataclass(frozen=True)
class BadPeriod:
    weekday: int
    index: int  # the period's place in its weekday's list


def uneven_period(rule: slots.Rule) -> BadPeriod | None:
    """The first period whose length is not a whole number of slots (None: every one is)."""
    for weekday, periods in sorted(rule.hours.items()):
        for index, (begin, end) in enumerate(periods):
            length = (end.hour * 60 + end.minute) - (begin.hour * 60 + begin.minute)
            if length % rule.slot_minutes:
                return BadPeriod(weekday, index)
    return None


def check_rule(rule: slots.Rule) -> None:
    """``bad_rule`` when a period does not hold a whole number of slots (its end would be no slot's)."""
    bad = uneven_period(rule)
    if bad is not None:
        raise AppointmentError("bad_rule", f"weekday {bad.weekday}'s period {bad.index + 1} is not a whole "
                               f"number of {rule.slot_minutes}-minute slots", weekday=bad.weekday, index=bad.index)


def set_rule(session: Session, scope: Scope, centre: str, group: str, rule: slots.Rule, now: datetime,
             client: str | None) -> AppointmentRule:
    """Sets (makes or replaces) ``centre``'s rule for ``group``, audited."""
    check_rule(rule)
    centre_for(session, scope, centre, write=True)
    row = session.get(AppointmentRule, (centre, group))
    if row is None:
        row = AppointmentRule(centre_code=centre, group_letter=group)
        session.add(row)
    hours = slots.hours_json(rule)
    row.hours, row.slot_minutes, row.places = json.dumps(hours), rule.slot_minutes, rule.places
    row.horizon_days, row.cutoff_days_before = rule.horizon_days, rule.cutoff_days_before
    row.cutoff_time, row.updated_at, row.updated_by = rule.cutoff_time.strftime("%H:%M"), now, scope.actor
    record_version(session, scope, centre, group, now, row)
    audit(session, scope.actor, "appointment.rule_set", now, target=f"{centre}/{group}", client=client,
          hours=hours, slot_minutes=rule.slot_minutes, places=rule.places, horizon_days=rule.horizon_days,
          cutoff=f"{rule.cutoff_days_before}d {row.cutoff_time}")
    return row


def delete_rule(session: Session, scope: Scope, centre: str, group: str, now: datetime, client: str | None) -> None:
    """Deletes ``centre``'s rule for ``group`` (no more bookings for it), audited; its history keeps
    the days it was in force. The bookings already made stay."""
    centre_for(session, scope, centre, write=True)
    row = session.get(AppointmentRule, (centre, group))
    if row is None:
        raise AppointmentError("not_found", f"no rule of {centre} for group {group}")
    session.delete(row)
    record_version(session, scope, centre, group, now, None)
    audit(session, scope.actor, "appointment.rule_delete", now, target=f"{centre}/{group}", client=client)


def record_version(session: Session, scope: Scope, centre: str, group: str, now: datetime,
                   rule: AppointmentRule | None) -> None:
    """The rule in force from today (Cairo) on: ``rule`` (None: deleted); a change made earlier the
    same day is replaced (the last change of a day holds for the whole day)."""
    day = local_day(now)
    version = session.get(AppointmentRuleVersion, (centre, group, day))
    if version is None:
        version = AppointmentRuleVersion(centre_code=centre, group_letter=group, valid_from=day)
        session.add(version)
    version.hours = rule.hours if rule else None
    version.slot_minutes = rule.slot_minutes if rule else None
    version.places = rule.places if rule else None
    version.set_at, version.set_by = now, scope.actor


def closures_of(session: Session, scope: Scope, centre: str, first: date) -> list[AppointmentClosure]:
    """The centre's closed days and the public holidays of the year from ``first``."""
    centre_for(session, scope, centre, write=False)
    start = min(first, date(9000, 1, 1))  # no date arithmetic past year 9999
    return list(session.scalars(select(AppointmentClosure).where(
        AppointmentClosure.centre_code.in_((slots.NATIONAL, centre)), AppointmentClosure.day >= start,
        AppointmentClosure.day < start + timedelta(days=366)).order_by(AppointmentClosure.day,
                                                                      AppointmentClosure.centre_code)))


def closure_code(session: Session, scope: Scope, centre: str) -> str:
    """The closures' centre code of ``centre`` (:data:`NATIONAL_PATH`: a public holiday) if
    ``scope`` may change them."""
    if centre == NATIONAL_PATH:
        if not scope.national:
            raise AppointmentError("forbidden", "only a national administrator sets the public holidays")
        return slots.NATIONAL
    centre_for(session, scope, centre, write=True)
    return centre


def booked_that_day(session: Session, code: str, day: date, *, lock: bool = False) -> list[Booking]:
    """The booked bookings of ``day`` at centre ``code`` (:data:`slots.NATIONAL`: at every centre),
    in one order (centre, id), locked for the closure's cancel when ``lock``."""
    query = select(Booking).where(Booking.day == day, Booking.state == bookings.BOOKED,
                                  *([Booking.centre_code == code] if code else [])) \
        .order_by(Booking.centre_code, Booking.id)
    return list(session.scalars(query.with_for_update() if lock else query))


def set_closure(session: Session, scope: Scope, centre: str, day: date, reason_ar: str, reason_en: str,
                now: datetime, client: str | None, *, cancel_bookings: bool = False, site: str = "") -> int:
    """Closes ``centre`` (or, :data:`NATIONAL_PATH`, every centre) on ``day`` (today or later),
    audited; the number of bookings cancelled. A day with booked bookings is refused
    (``day_has_bookings``, 409, with their ``count``) unless ``cancel_bookings``: then each of them
    is cancelled by the centre (state ``closed``, its place given back, its SMS queued, with the
    reason in the citizen's language and the portal's link on ``site``: :func:`.bookings.close`)
    in this transaction. Reopening the day does not revive them."""
    code = closure_code(session, scope, centre)
    if day < local_day(now):
        raise AppointmentError("bad_closure", "a closed day is today or a day to come")
    booked = booked_that_day(session, code, day, lock=cancel_bookings)
    if booked and not cancel_bookings:
        raise AppointmentError("day_has_bookings", f"{len(booked)} bookings were made for {day.isoformat()}: "
                               "closing the day cancels them and texts each citizen", count=len(booked))
    row = session.get(AppointmentClosure, (code, day))
    if row is None:
        row = AppointmentClosure(centre_code=code, day=day, created_at=now, created_by=scope.actor)
        session.add(row)
    row.reason_ar, row.reason_en = reason_ar, reason_en
    bookings.close(session, booked, {"ar": reason_ar, "en": reason_en}, now, site)
    audit(session, scope.actor, "appointment.closure_set", now, target=f"{centre}/{day.isoformat()}", client=client,
          reason_en=reason_en, bookings_cancelled=len(booked))
    return len(booked)


def delete_closure(session: Session, scope: Scope, centre: str, day: date, now: datetime, client: str | None) -> None:
    code = closure_code(session, scope, centre)
    row = session.get(AppointmentClosure, (code, day))
    if row is None:
        raise AppointmentError("not_found", f"no closure of {centre} on {day.isoformat()}")
    session.delete(row)
    audit(session, scope.actor, "appointment.closure_delete", now, target=f"{centre}/{day.isoformat()}", client=client)


def audit_refusal(session: Session, scope: Scope, action: str, target: str, now: datetime, client: str | None,
                  reason: str) -> None:
    audit(session, scope.actor, "appointment.refused", now, target=target, client=client, refused=action, reason=reason)
