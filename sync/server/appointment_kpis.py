"""The central appointment figures (issue 20 item 7) of a period, per centre, governorate and
nation, read from the server's own bookings (no HTTP here). The reports page and its JSON
(:mod:`sync.server.reports`) show them under ``"appointments"`` for the centres of the reader's role.

A booking belongs to the Cairo day of its slot. Definitions (the centre's report uses the same:
:mod:`counter_app.core.appointment_figures`):

* ``bookings``: the period's bookings not cancelled (booked, checked in or no-show; neither a citizen's
  cancel nor a booking of a day the centre closed, ``closed``, counts);
* ``check_ins``: checked in at the kiosk (on time or not); ``no_shows``: not checked in when the
  centre closed the day (:mod:`sync.server.appointments.outcomes`);
* ``no_show_rate``: no-shows / (check-ins + no-shows): of the bookings whose outcome is known
  (a day not closed yet counts in neither); None without any;
* ``punctuality``: for the appointment tickets (checked in within the window) that were called,
  the first call minus the booked time: ``median_s`` (seconds; negative when called early) and
  ``within_10_min``, the share called at most 10 minutes after the booked time (early included);
  ``count`` such tickets; None without any;
* ``places``: ``offered``, the places of the period's slots (each day's slots by the rule of each
  service group, closed days left out; rules keep no history: today's rule for every day),
  ``used`` the check-ins, and ``used_share`` = used / offered (None when none offered).

``appointment_kpis`` returns (JSON-ready; lists sorted by code, ``null`` codes last)::

    {"overall": FIGURES,
     "by_governorate": [{"governorate": "21" | null, "name_ar": ..., "name_en": ..., **FIGURES}, ...],
     "by_centre": [{"centre": "GIZ-01", "governorate": "21" | null, **FIGURES}, ...]}

    FIGURES = {"bookings": int, "check_ins": int, "no_shows": int, "no_show_rate": float | None,
               "punctuality": {"count": int, "median_s": float | None, "within_10_min": float | None},
               "places": {"offered": int, "used": int, "used_share": float | None}}
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from counter_app.common.clock import as_utc
from counter_app.common.governorates import GOVERNORATES
from sync.server.appointments import bookings
from sync.server.appointments.slots import NATIONAL, parse_hours
from sync.server.models import AppointmentClosure, AppointmentRule, Booking, EnrolledCentre

#: A call this many seconds after the booked time or less is punctual.
PUNCTUAL_S = 600


@dataclass
class _Tally:
    states: Counter[str] = field(default_factory=Counter)
    lateness: list[float] = field(default_factory=list)
    offered: int = 0

    def add(self, other: _Tally) -> None:
        self.states.update(other.states)
        self.lateness.extend(other.lateness)
        self.offered += other.offered

    def figures(self) -> dict[str, Any]:
        checked, missed = self.states[bookings.CHECKED_IN], self.states[bookings.NO_SHOW]
        late = self.lateness
        return {
            "bookings": checked + missed + self.states[bookings.BOOKED], "check_ins": checked, "no_shows": missed,
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


def _offered(session: Session, first: date, last: date, centres: Collection[str]) -> dict[str, int]:
    """The places of the period's slots per centre (see the module's text)."""
    rules = session.execute(select(AppointmentRule.centre_code, AppointmentRule.hours, AppointmentRule.slot_minutes,
                                   AppointmentRule.places).where(AppointmentRule.centre_code.in_(sorted(centres)))).all()
    if not rules:
        return {}
    closed: dict[str, set[date]] = {}
    for centre, day in session.execute(select(AppointmentClosure.centre_code, AppointmentClosure.day).where(
            AppointmentClosure.day >= first, AppointmentClosure.day <= last)):
        closed.setdefault(centre, set()).add(day)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    offered: Counter[str] = Counter()
    for centre, hours, slot_minutes, places in rules:
        per_day = _slots_by_weekday(hours, slot_minutes)
        shut = closed.get(NATIONAL, set()) | closed.get(centre, set())
        offered[centre] += places * sum(per_day.get(day.weekday(), 0) for day in days if day not in shut)
    return dict(offered)


def appointment_kpis(session: Session, first: date, last: date,
                     scope: Collection[str] | None = None) -> dict[str, Any]:
    """The appointment figures of days ``first``..``last`` (inclusive) of the centres in ``scope``
    (None: every enrolled centre); see the module's text."""
    centres = {c.code: c.governorate for c in session.scalars(select(EnrolledCentre))
               if scope is None or c.code in scope}
    tallies: dict[str, _Tally] = {code: _Tally() for code in centres}
    in_period = (Booking.day >= first, Booking.day <= last, Booking.centre_code.in_(sorted(centres)))
    for centre, state, count in session.execute(
            select(Booking.centre_code, Booking.state, func.count()).where(*in_period)
            .group_by(Booking.centre_code, Booking.state)):
        tallies[centre].states[state] += int(count)
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
