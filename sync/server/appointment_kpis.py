"""The central appointment figures (issue 20 item 7) of a period, per centre, governorate and
nation, read from the server's own bookings (no HTTP here). The reports page and its JSON
(:mod:`sync.server.reports`) show them under ``"appointments"`` for the centres of the reader's role.

A booking belongs to the Cairo day of its slot. Definitions (the centre's report uses the same:
:mod:`counter_app.core.appointment_figures`):

* ``bookings``: the period's bookings not cancelled (booked, checked in or no-show; neither a citizen's
  cancel nor a booking of a day the centre closed, ``closed``, counts);
* ``check_ins``: checked in at the kiosk (on time or not); ``no_shows``: not checked in when the
  centre closed the day (:mod:`sync.server.appointments.outcomes`);
* ``unresolved``: still ``booked`` for a day already over (Cairo): the centre has not closed that
  day, or its close has not reached the server yet (an offline centre). The server never decides
  them itself (the check-ins may still be in the centre's outbox); the alert ``day_not_closed``
  (:func:`sync.server.alerts.day_not_closed`) tells of them once the close is overdue. Today's
  bookings not checked in yet count in none of the three figures;
* ``no_show_rate``: no-shows / (check-ins + no-shows): of the bookings whose outcome is known
  (the unresolved ones count in neither); None without any;
* ``punctuality``: for the appointment tickets (checked in within the window) that were called,
  the first call minus the booked time: ``median_s`` (seconds; negative when called early) and
  ``within_10_min``, the share called at most 10 minutes after the booked time (early included);
  ``count`` such tickets; None without any;
* ``places``: ``offered``, the places of the period's slots (each day's slots by the rule of each
  service group in force that day, :class:`~sync.server.models.AppointmentRuleVersion`: a rule
  changed or deleted today leaves the past days as they were; closed days left out),
  ``used`` the check-ins, and ``used_share`` = used / offered (None when none offered).

``appointment_kpis`` returns (JSON-ready; lists sorted by code, ``null`` codes last)::

    {"overall": FIGURES,
     "by_governorate": [{"governorate": "21" | null, "name_ar": ..., "name_en": ..., **FIGURES}, ...],
     "by_centre": [{"centre": "GIZ-01", "governorate": "21" | null, **FIGURES}, ...]}

    FIGURES = {"bookings": int, "check_ins": int, "no_shows": int, "unresolved": int, "no_show_rate": float | None,
               "punctuality": {"count": int, "median_s": float | None, "within_10_min": float | None},
               "places": {"offered": int, "used": int, "used_share": float | None}}
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from counter_app.common.clock import as_utc, local_day, utcnow
from counter_app.common.governorates import GOVERNORATES
from sync.server.appointments import bookings
from sync.server.appointments.slots import NATIONAL, parse_hours
from sync.server.models import AppointmentClosure, AppointmentRuleVersion, Booking, EnrolledCentre

#: A call this many seconds after the booked time or less is punctual.
PUNCTUAL_S = 600


@dataclass
class _Tally:
    states: Counter[str] = field(default_factory=Counter)
    unresolved: int = 0
    lateness: list[float] = field(default_factory=list)
    offered: int = 0

    def add(self, other: _Tally) -> None:
        self.states.update(other.states)
        self.unresolved += other.unresolved
        self.lateness.extend(other.lateness)
        self.offered += other.offered

    def figures(self) -> dict[str, Any]:
        checked, missed = self.states[bookings.CHECKED_IN], self.states[bookings.NO_SHOW]
        late = self.lateness
        return {
            "bookings": checked + missed + self.states[bookings.BOOKED], "check_ins": checked, "no_shows": missed,
            "unresolved": self.unresolved,
            "no_show_rate": missed / (checked + missed) if checked + missed else None,
            "punctuality": {"count": len(late), "median_s": statistics.median(late) if late else None,
                            "within_10_min": sum(1 for s in late if s <= PUNCTUAL_S) / len(late) if late else None},
            "places": {"offered": self.offered, "used": checked,
                       "used_share": checked / self.offered if self.offered else None},
        }


def _slots_by_weekday(hours_text: str, slot_minutes: int) -> dict[int, int]:
    """How many slots each weekday has (wall-clock minutes, as :meth:`.slots.Rule.day_slots` cuts them)."""
    try:
        hours = parse_hours(json.loads(hours_text))
    except ValueError:
        return {}
    return {day: sum(((end.hour * 60 + end.minute) - (begin.hour * 60 + begin.minute)) // slot_minutes
                     for begin, end in periods)
            for day, periods in hours.items()} if slot_minutes > 0 else {}


def _weekdays(first: date, last: date) -> list[int]:
    """How many of each weekday (0 Monday .. 6 Sunday) days ``first``..``last`` hold."""
    weeks, extra = divmod((last - first).days + 1, 7)
    counts = [weeks] * 7
    for n in range(extra):
        counts[(first.weekday() + n) % 7] += 1
    return counts


def _offered(session: Session, first: date, last: date, centres: Collection[str]) -> dict[str, int]:
    """The places of the period's slots per centre: each day's by the rule version in force that
    day (one read of the versions, then arithmetic per version's stretch of days, not per day)."""
    versions = session.execute(
        select(AppointmentRuleVersion.centre_code, AppointmentRuleVersion.group_letter,
               AppointmentRuleVersion.valid_from, AppointmentRuleVersion.hours, AppointmentRuleVersion.slot_minutes,
               AppointmentRuleVersion.places)
        .where(AppointmentRuleVersion.centre_code.in_(sorted(centres)), AppointmentRuleVersion.valid_from <= last)
        .order_by(AppointmentRuleVersion.centre_code, AppointmentRuleVersion.group_letter,
                  AppointmentRuleVersion.valid_from)).all()
    if not versions:
        return {}
    closed: dict[str, set[date]] = {}
    for centre, day in session.execute(select(AppointmentClosure.centre_code, AppointmentClosure.day).where(
            AppointmentClosure.day >= first, AppointmentClosure.day <= last)):
        closed.setdefault(centre, set()).add(day)
    offered: Counter[str] = Counter()
    parsed: dict[tuple[str, int], dict[int, int]] = {}  # many versions share their hours: parsed once
    for n, (centre, group, valid_from, hours, slot_minutes, places) in enumerate(versions):
        following = versions[n + 1] if n + 1 < len(versions) else None
        until = (following.valid_from - timedelta(days=1)
                 if following is not None and (following.centre_code, following.group_letter) == (centre, group)
                 else last)
        begin, end = max(first, valid_from), min(last, until)
        if hours is None or slot_minutes is None or not places or begin > end:
            continue  # a deletion, or a version wholly outside the period
        per_day = parsed.get((hours, slot_minutes))
        if per_day is None:
            per_day = parsed[hours, slot_minutes] = _slots_by_weekday(hours, slot_minutes)
        slots = sum(count * per_day.get(weekday, 0) for weekday, count in enumerate(_weekdays(begin, end)))
        shut = closed.get(NATIONAL, set()) | closed.get(centre, set())
        slots -= sum(per_day.get(day.weekday(), 0) for day in shut if begin <= day <= end)
        offered[centre] += places * slots
    return dict(offered)


def appointment_kpis(session: Session, first: date, last: date,
                     scope: Collection[str] | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The appointment figures of days ``first``..``last`` (inclusive) of the centres in ``scope``
    (None: every enrolled centre) as known at ``now`` (default: the clock); see the module's text."""
    today = local_day(now if now is not None else utcnow())
    centres = {c.code: c.governorate for c in session.scalars(select(EnrolledCentre))
               if scope is None or c.code in scope}
    tallies: dict[str, _Tally] = {code: _Tally() for code in centres}
    in_period = (Booking.day >= first, Booking.day <= last, Booking.centre_code.in_(sorted(centres)))
    for centre, state, count in session.execute(
            select(Booking.centre_code, Booking.state, func.count()).where(*in_period)
            .group_by(Booking.centre_code, Booking.state)):
        tallies[centre].states[state] += int(count)
    for centre, count in session.execute(
            select(Booking.centre_code, func.count()).where(*in_period, Booking.state == bookings.BOOKED,
                                                            Booking.day < today).group_by(Booking.centre_code)):
        tallies[centre].unresolved += int(count)
    for centre, booked, called in session.execute(
            select(Booking.centre_code, Booking.slot_start, Booking.called_at)
            .where(*in_period, Booking.called_at.is_not(None))):
        if called is not None:
            tallies[centre].lateness.append((as_utc(called) - as_utc(booked)).total_seconds())
    for centre, places in _offered(session, first, last, centres).items():
        tallies[centre].offered += places
    overall = _Tally()
    governorates: dict[str | None, _Tally] = {}
    for centre, tally in tallies.items():
        overall.add(tally)
        governorates.setdefault(centres[centre], _Tally()).add(tally)
    return {
        "overall": overall.figures(),
        "by_governorate": [
            {"governorate": g, "name_ar": GOVERNORATES[g][0] if g in GOVERNORATES else None,
             "name_en": GOVERNORATES[g][1] if g in GOVERNORATES else None, **t.figures()}
            for g, t in sorted(governorates.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))],
        "by_centre": [{"centre": c, "governorate": centres[c], **t.figures()} for c, t in sorted(tallies.items())],
    }
