"""Slot rules, closed days and the free slots of a centre's service group (Cairo time).

A rule (:class:`Rule`) gives, per weekday, periods such as 08:00-12:00 cut into slots of
``slot_minutes`` with ``places`` places each. A day is bookable from the first day whose cut-off
(``cutoff_time`` on the day ``cutoff_days_before`` days before it) is still ahead, to
``horizon_days`` days after today; a closed day (a public holiday for every centre, or the centre's
own) has no slot. The places taken come from :class:`sync.server.models.AppointmentSlot` (one row
per slot booked at least once), never from counting bookings: a month's free slots read about as
many rows as the month has slots, whatever the bookings stored.

Every function takes the caller's session and never commits.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, String, bindparam, select
from sqlalchemy.orm import Session

from counter_app.common.clock import CENTRE_TZ, as_utc, local_day
from sync.server.appointments.errors import AppointmentError
from sync.server.models import AppointmentClosure, AppointmentRule, AppointmentSlot, EnrolledCentre

NATIONAL = ""  # the closures' centre code of a public holiday
MAX_SLOT_MINUTES = 240
MAX_PLACES = 500
MAX_HORIZON_DAYS = 90
MAX_DAYS_ASKED = 62
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


@dataclass(frozen=True)
class DaySlots:
    """One day's slots of a rule: (start UTC, Cairo ``HH:MM``) in order, their starts as a set and
    as ISO texts (the free slots' answer)."""

    slots: tuple[tuple[datetime, str], ...]
    starts: frozenset[datetime]
    iso: tuple[str, ...]

    @classmethod
    def of(cls, rule: Rule, day: date) -> DaySlots:
        step = timedelta(minutes=rule.slot_minutes)
        found = []
        for begin, end in rule.hours.get(day.weekday(), ()):
            moment = datetime.combine(day, begin, CENTRE_TZ)
            close = datetime.combine(day, end, CENTRE_TZ)
            while moment + step <= close:
                found.append((moment.astimezone(UTC), f"{moment.hour:02d}:{moment.minute:02d}"))
                moment += step
        return cls(tuple(found), frozenset(start for start, _ in found), tuple(start.isoformat() for start, _ in found))


@dataclass(frozen=True)
class Rule:
    hours: Mapping[int, tuple[tuple[time, time], ...]]  # weekday (Monday 0) -> periods
    slot_minutes: int
    places: int
    horizon_days: int
    cutoff_days_before: int
    cutoff_time: time

    #: the days' slots already worked out (a rule read from the database is kept: :func:`_rule`)
    _days: dict[date, DaySlots] = field(default_factory=dict, compare=False, repr=False)

    def slot_starts(self, day: date) -> list[datetime]:
        """The day's slots (UTC), in order."""
        return [start for start, _time in self.day_slots(day)]

    def day_slots(self, day: date) -> list[tuple[datetime, str]]:
        """The day's slots in order: their start (UTC) and its Cairo time ``HH:MM``."""
        return list(self.slots_of(day).slots)

    def slots_of(self, day: date) -> DaySlots:
        found = self._days.get(day)
        if found is None:
            if len(self._days) > 400:  # a few months of days asked; then start again
                self._days.clear()
            found = self._days[day] = DaySlots.of(self, day)
        return found

    def cutoff(self, day: date) -> datetime:
        """The last moment ``day`` can be booked (UTC)."""
        return datetime.combine(day - timedelta(days=self.cutoff_days_before), self.cutoff_time,
                                CENTRE_TZ).astimezone(UTC)

    def bookable_days(self, now: datetime) -> tuple[date, date]:
        """The first and last day one may book at ``now`` (first > last: none)."""
        today = local_day(now)
        first = today
        while self.cutoff(first) <= now:
            first += timedelta(days=1)
        return first, today + timedelta(days=self.horizon_days)


def _hhmm(value: Any, what: str) -> time:
    if not isinstance(value, str) or not _HHMM.match(value):
        raise AppointmentError("bad_rule", f"{what} is a time HH:MM (00:00-23:59), not {str(value)[:20]!r}")
    return time(int(value[:2]), int(value[3:]))


def _whole(payload: Mapping[str, Any], name: str, low: int, high: int) -> int:
    value = payload.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise AppointmentError("bad_rule", f"{name} is a whole number from {low} to {high}")
    return value


def parse_hours(raw: Any) -> dict[int, tuple[tuple[time, time], ...]]:
    """``{"6": [["08:00", "12:00"], ...], ...}`` (weekday 0 Monday .. 6 Sunday) checked: periods
    in order, not overlapping."""
    if not isinstance(raw, Mapping) or len(raw) > 7:
        raise AppointmentError("bad_rule", "hours is an object of weekday (0 Monday .. 6 Sunday) -> periods")
    hours: dict[int, tuple[tuple[time, time], ...]] = {}
    for key, periods in raw.items():
        if not (isinstance(key, str) and key in "0123456" and len(key) == 1):
            raise AppointmentError("bad_rule", f"the weekday {str(key)[:8]!r} is not 0 (Monday) .. 6 (Sunday)")
        if not isinstance(periods, list) or len(periods) > 6:
            raise AppointmentError("bad_rule", "a weekday has a list of at most 6 periods [\"HH:MM\", \"HH:MM\"]")
        parsed: list[tuple[time, time]] = []
        for period in periods:
            if not isinstance(period, list) or len(period) != 2:
                raise AppointmentError("bad_rule", "a period is [\"HH:MM\", \"HH:MM\"]")
            begin, end = _hhmm(period[0], "a period's start"), _hhmm(period[1], "a period's end")
            if end <= begin or (parsed and begin < parsed[-1][1]):
                raise AppointmentError("bad_rule", "a weekday's periods run forward, in order, not overlapping")
            parsed.append((begin, end))
        if parsed:
            hours[int(key)] = tuple(parsed)
    return hours


def parse_rule(payload: Mapping[str, Any]) -> Rule:
    """A rule from the management API's body; :class:`AppointmentError` ``bad_rule`` says what is wrong."""
    return Rule(hours=parse_hours(payload.get("hours")),
                slot_minutes=_whole(payload, "slot_minutes", 5, MAX_SLOT_MINUTES),
                places=_whole(payload, "places", 1, MAX_PLACES),
                horizon_days=_whole(payload, "horizon_days", 1, MAX_HORIZON_DAYS),
                cutoff_days_before=_whole(payload, "cutoff_days_before", 0, 7),
                cutoff_time=_hhmm(payload.get("cutoff_time"), "cutoff_time"))


def hours_json(rule: Rule) -> dict[str, list[list[str]]]:
    return {str(day): [[b.strftime("%H:%M"), e.strftime("%H:%M")] for b, e in periods]
            for day, periods in sorted(rule.hours.items())}


def rule_of(row: AppointmentRule) -> Rule:
    return _rule(row.hours, row.slot_minutes, row.places, row.horizon_days, row.cutoff_days_before, row.cutoff_time)


@functools.lru_cache(maxsize=512)
def _rule(hours: str, slot_minutes: int, places: int, horizon_days: int, cutoff_days_before: int,
          cutoff_time: str) -> Rule:
    """A stored rule's columns read (kept: a booking reads its rule each time; a changed rule is
    other texts, so a new entry)."""
    return Rule(hours=parse_hours(json.loads(hours)), slot_minutes=slot_minutes, places=places,
                horizon_days=horizon_days, cutoff_days_before=cutoff_days_before,
                cutoff_time=_hhmm(cutoff_time, "cutoff_time"))


def load_rule(session: Session, centre: str, group: str) -> Rule:
    row = session.get(AppointmentRule, (centre, group))
    if row is None:
        raise AppointmentError("no_appointments", f"centre {centre} takes no appointments for group {group}")
    return rule_of(row)


def closed_days(session: Session, centre: str, first: date, last: date) -> set[date]:
    return set(session.scalars(select(AppointmentClosure.day).where(
        AppointmentClosure.centre_code.in_((NATIONAL, centre)),
        AppointmentClosure.day >= first, AppointmentClosure.day <= last)))


def booked_places(session: Session, centre: str, group: str, first: datetime, last: datetime) -> dict[datetime, int]:
    rows = session.execute(select(AppointmentSlot.slot_start, AppointmentSlot.booked).where(
        AppointmentSlot.centre_code == centre, AppointmentSlot.group_letter == group,
        AppointmentSlot.slot_start >= first, AppointmentSlot.slot_start <= last))
    return {as_utc(start): booked for start, booked in rows}


@dataclass(frozen=True)
class FreeSlot:
    start: datetime  # UTC
    time: str  # its Cairo time, HH:MM
    free: int
    iso: str = ""  # ``start`` as ISO text (the answer's)


@dataclass(frozen=True)
class FreeDay:
    day: date
    slots: list[FreeSlot]


def free_slots(session: Session, centre: str, group: str, first: date, days: int,
               now: datetime) -> tuple[Rule, list[FreeDay]]:
    """The rule and every bookable day of ``first`` .. ``first + days - 1`` (within the rule's
    window, closed days left out) with its slots' free places (0: full)."""
    rule = load_rule(session, centre, group)
    if not 1 <= days <= MAX_DAYS_ASKED:
        raise AppointmentError("bad_range", f"days is from 1 to {MAX_DAYS_ASKED}")
    open_first, open_last = rule.bookable_days(now)
    if not open_first - timedelta(days=MAX_DAYS_ASKED) <= first <= open_last:  # (no date arithmetic past year 9999)
        return rule, []
    begin, end = max(first, open_first), min(first + timedelta(days=days - 1), open_last)
    if begin > end:
        return rule, []
    closed = closed_days(session, centre, begin, end)
    wanted = [(day, rule.slots_of(day)) for offset in range((end - begin).days + 1)
              if (day := begin + timedelta(days=offset)) not in closed]
    wanted = [(day, found) for day, found in wanted if found.slots]
    if not wanted:
        return rule, []
    booked = booked_places(session, centre, group, wanted[0][1].slots[0][0], wanted[-1][1].slots[-1][0])
    places = rule.places
    return rule, [FreeDay(day, [FreeSlot(start, hhmm, max(0, places - booked.get(start, 0)), iso)
                                for (start, hhmm), iso in zip(found.slots, found.iso, strict=True)])
                  for day, found in wanted]


@dataclass(frozen=True)
class Bookable:
    """What a booking of one slot needs to know, read in one query (:func:`lookup`)."""

    rule: Rule
    closed: bool  # the slot's day is a public holiday or the centre's closure
    services: str | None  # the centre's services (JSON list; None: every service)


def _lookup_statement() -> Any:
    centre, group = bindparam("centre", type_=String), bindparam("group", type_=String)
    closed = select(AppointmentClosure.day).where(AppointmentClosure.centre_code.in_((NATIONAL, centre)),
                                                  AppointmentClosure.day == bindparam("day", type_=Date)).exists()
    services = select(EnrolledCentre.services).where(EnrolledCentre.code == centre).scalar_subquery()
    return select(*(AppointmentRule.__table__.c[name] for name in _RULE_COLUMNS), closed, services).where(
        AppointmentRule.centre_code == centre, AppointmentRule.group_letter == group)


_RULE_COLUMNS = ("hours", "slot_minutes", "places", "horizon_days", "cutoff_days_before", "cutoff_time")
#: built once: a booking's statements cost more to build than to run (bench/appointments.py)
_LOOKUP = _lookup_statement()


def lookup(session: Session, centre: str, group: str, day: date) -> Bookable:
    """The rule of ``centre``'s ``group``, whether ``day`` is closed and the centre's services, in
    one round trip; ``no_appointments`` when there is no rule."""
    found = session.connection().execute(_LOOKUP, {"centre": centre, "group": group, "day": day}).one_or_none()
    if found is None:
        raise AppointmentError("no_appointments", f"centre {centre} takes no appointments for group {group}")
    return Bookable(_rule(*found[:len(_RULE_COLUMNS)]), bool(found[-2]), found[-1])


def slot_day(start: datetime) -> date:
    """The Cairo day of a slot's start (UTC); ``not_a_slot`` for a time no slot can have."""
    if not 2000 <= start.year <= 2999:
        raise AppointmentError("not_a_slot", "no slot of this service starts at that time")
    return local_day(start)


def check_slot(bookable: Bookable, start: datetime, now: datetime) -> date:
    """The slot's Cairo day, if ``start`` (UTC) is a slot one may book now; else :class:`AppointmentError`."""
    rule = bookable.rule
    day = local_day(start)
    if start not in rule.slots_of(day).starts:
        raise AppointmentError("not_a_slot", "no slot of this service starts at that time")
    first, last = rule.bookable_days(now)
    if day < first:
        raise AppointmentError("too_late", "this day can no longer be booked")
    if day > last:
        raise AppointmentError("too_far", f"bookings open {rule.horizon_days} days ahead")
    if bookable.closed:
        raise AppointmentError("closed_day", "the centre is closed that day")
    return day
