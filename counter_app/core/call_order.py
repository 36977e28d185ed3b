"""Which waiting ticket a counter calls next: the one rule of the centre's queue, for walk-ins,
priority citizens and appointments (Qt-free and database-free: :func:`counter_app.core.queue.call_next`
gives it the waiting tickets and the counter's counts, and stores what it chose).

The candidates are the tickets waiting for the counter (its groups, or transferred to it). In order:

1. **Priority citizens** (elderly, disability, pregnancy; with or without an appointment) by the
   centre's fairness setting, as before appointments existed: ``strict``, every priority ticket
   before any other (but the tickets transferred to this counter, which come first of all);
   ``ratio:N``, one priority ticket after every N others while both wait (the tickets transferred
   to this counter first within each of the two).
2. The others, where the appointments come in (after those transferred to this counter):

   * an appointment is **due** from ``lead`` (5 minutes) before its booked time; due appointments
     are called before walk-ins, earliest booked time first;
   * but **walk-ins are never starved**: after ``appointments_per_walkin`` (K, 2 by default)
     appointments called in a row at this counter while a walk-in waited, the next call takes the
     walk-in who has waited longest;
   * an appointment checked in early (not yet due) waits for its time, unless nobody else waits:
     a counter never stands idle while someone waits.

**Bounds** (one counter; K = ``appointments_per_walkin``; both are property-tested in
``tests/core/test_call_order.py``):

* *A walk-in*: appointments delay it by at most K calls for each walk-in called before it and K for
  itself: with j walk-ins called while it waits, at most K × (j + 1) appointment calls are made in
  that time.
* *An appointment on time* (checked in by its booked time): from the moment it is due, at most
  ⌊i / K⌋ + 1 walk-ins are called before it, where i is the number of appointments called before it
  in that time (booked earlier, or due earlier), besides the priority citizens and transferred
  tickets, who come first for everyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from counter_app.core.settings import Fairness

#: An appointment is called from this long before its booked time.
LEAD = timedelta(minutes=5)
#: Appointments called in a row while a walk-in waits, at most, before a walk-in's turn.
APPOINTMENTS_PER_WALKIN = 2


@dataclass(frozen=True)
class Waiting:
    """A waiting ticket, as the rule sees it."""

    id: int
    queued_at: datetime
    priority: bool = False
    transferred_here: bool = False
    appointment_at: datetime | None = None


@dataclass(frozen=True)
class Rule:
    fairness: Fairness
    appointments_per_walkin: int = APPOINTMENTS_PER_WALKIN
    lead: timedelta = LEAD


@dataclass(frozen=True)
class CounterState:
    """What the rule remembers of a counter's last calls."""

    ordinary_since_priority: int = 0
    appointments_in_a_row: int = 0


@dataclass(frozen=True)
class Choice:
    ticket: Waiting
    state: CounterState  # the counter's counts once this ticket is called


def _fifo(tickets: Iterable[Waiting]) -> list[Waiting]:
    return sorted(tickets, key=lambda t: (t.queued_at, t.id))


def is_due(ticket: Waiting, now: datetime, rule: Rule) -> bool:
    return ticket.appointment_at is not None and now >= ticket.appointment_at - rule.lead


def _other(rest: Sequence[Waiting], now: datetime, rule: Rule, state: CounterState) -> Choice | None:
    """Among the tickets that are neither transferred here nor priority."""
    due = sorted((t for t in rest if is_due(t, now, rule)),
                 key=lambda t: (t.appointment_at, t.queued_at, t.id))
    walk_ins = _fifo(t for t in rest if t.appointment_at is None)
    if due and (not walk_ins or state.appointments_in_a_row < rule.appointments_per_walkin):
        return Choice(due[0], replace(state, appointments_in_a_row=state.appointments_in_a_row + bool(walk_ins)))
    if walk_ins:
        return Choice(walk_ins[0], replace(state, appointments_in_a_row=0))
    early = sorted((t for t in rest if t.appointment_at is not None),
                   key=lambda t: (t.appointment_at, t.queued_at, t.id))
    return Choice(early[0], state) if early else None


def heads(waiting: Iterable[Waiting]) -> list[Waiting]:
    """The only tickets :func:`next_ticket` can choose among ``waiting`` (it chooses the same among
    these): the longest-waiting transferred here (priority, and not), priority, and walk-in, and
    every appointment that is not a priority ticket. The database reads just these."""
    kinds: dict[tuple[bool, bool], Waiting] = {}
    appointments = []
    for t in _fifo(waiting):
        if not t.transferred_here and not t.priority and t.appointment_at is not None:
            appointments.append(t)
        else:
            kinds.setdefault((t.transferred_here, t.priority), t)
    return [*kinds.values(), *appointments]


def _in_class(tickets: Sequence[Waiting], now: datetime, rule: Rule, state: CounterState) -> Choice | None:
    """The first of one class (the priority tickets, or the others): transferred here first."""
    here = _fifo(t for t in tickets if t.transferred_here)
    if here:
        return Choice(here[0], state)
    if all(t.priority for t in tickets):
        return Choice(_fifo(tickets)[0], state) if tickets else None
    return _other([t for t in tickets if not t.priority], now, rule, state)


def next_ticket(waiting: Sequence[Waiting], now: datetime, rule: Rule, state: CounterState) -> Choice | None:
    """The ticket the counter calls now, and its counts after the call; None when nobody waits."""
    priority = [t for t in waiting if t.priority]
    rest = [t for t in waiting if not t.priority]
    if rule.fairness.strict:
        here = _fifo(t for t in waiting if t.transferred_here)
        classes = [here, priority, rest] if here else [priority, rest]
    elif state.ordinary_since_priority >= rule.fairness.ordinary_per_priority:
        classes = [priority, rest]
    else:
        classes = [rest, priority]
    for tickets in classes:
        choice = _in_class(tickets, now, rule, state) if tickets else None
        if choice is not None:
            return Choice(choice.ticket, replace(choice.state, ordinary_since_priority=(
                0 if choice.ticket.priority else state.ordinary_since_priority + 1)))
    return None
