"""The queue's one rule (:mod:`counter_app.core.call_order`): for any mix of walk-ins, priority
citizens and appointments arriving at a counter that serves them one after another, no ticket is
called twice or passed over, walk-ins are called in their order, and the bounds the module states
hold for walk-ins and for appointments on time."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from counter_app.core.call_order import CounterState, Rule, Waiting, heads, is_due, next_ticket
from counter_app.core.settings import Fairness

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
RULES = st.builds(Rule, fairness=st.sampled_from([Fairness(True), Fairness(False, 1), Fairness(False, 3)]),
                  appointments_per_walkin=st.integers(1, 4))


@dataclass(frozen=True)
class Arrival:
    minute: int
    kind: str  # "walk_in", "priority", "appointment"
    booked_minute: int = 0  # an appointment's booked time


ARRIVALS = st.lists(
    st.one_of(
        st.builds(Arrival, st.integers(0, 240), st.sampled_from(["walk_in", "walk_in", "priority"])),
        st.builds(lambda m, early: Arrival(m, "appointment", m + early), st.integers(0, 240), st.integers(-15, 30)),
    ),
    min_size=1, max_size=60)


@dataclass
class Call:
    ticket: Waiting
    at: datetime


def run(arrivals: list[Arrival], rule: Rule, service_minutes: list[int]) -> tuple[list[Waiting], list[Call]]:
    """One counter calls, serves for the next of ``service_minutes`` (in turn), and calls again."""
    tickets = [Waiting(i, T0 + timedelta(minutes=a.minute), priority=a.kind == "priority",
                       appointment_at=T0 + timedelta(minutes=a.booked_minute) if a.kind == "appointment" else None)
               for i, a in enumerate(sorted(arrivals, key=lambda a: a.minute))]
    now, state, calls, step = T0, CounterState(), [], 0
    waiting: list[Waiting] = []
    pending = list(tickets)
    while pending or waiting:
        waiting += [t for t in pending if t.queued_at <= now]
        pending = [t for t in pending if t.queued_at > now]
        choice = next_ticket(waiting, now, rule, state)
        if choice is None:
            now = pending[0].queued_at  # idle until the next arrival
            continue
        assert choice.ticket in waiting
        waiting.remove(choice.ticket)
        calls.append(Call(choice.ticket, now))
        state = choice.state
        now += timedelta(minutes=service_minutes[step % len(service_minutes)])
        step += 1
    return tickets, calls


def is_walk_in(t: Waiting) -> bool:
    return not t.priority and t.appointment_at is None


def is_appointment(t: Waiting) -> bool:
    return not t.priority and t.appointment_at is not None


@settings(max_examples=300, deadline=None)
@given(ARRIVALS, RULES, st.lists(st.integers(1, 15), min_size=1, max_size=5))
def test_everyone_is_called_once_and_walk_ins_in_their_order(arrivals: list[Arrival], rule: Rule,
                                                              service: list[int]) -> None:
    tickets, calls = run(arrivals, rule, service)
    assert sorted(c.ticket.id for c in calls) == [t.id for t in tickets]  # once each, nobody left behind
    walk_ins = [c.ticket for c in calls if is_walk_in(c.ticket)]
    assert walk_ins == sorted(walk_ins, key=lambda t: (t.queued_at, t.id))
    priority = [c.ticket for c in calls if c.ticket.priority]
    assert priority == sorted(priority, key=lambda t: (t.queued_at, t.id))


@settings(max_examples=300, deadline=None)
@given(ARRIVALS, RULES, st.lists(st.integers(1, 15), min_size=1, max_size=5))
def test_appointments_delay_a_walk_in_by_at_most_k_calls_per_walk_in(arrivals: list[Arrival], rule: Rule,
                                                                      service: list[int]) -> None:
    _, calls = run(arrivals, rule, service)
    k = rule.appointments_per_walkin
    for n, call in enumerate(calls):
        if not is_walk_in(call.ticket):
            continue
        meanwhile = [c.ticket for c in calls[:n] if c.at >= call.ticket.queued_at]
        j = sum(is_walk_in(t) for t in meanwhile)
        assert sum(is_appointment(t) for t in meanwhile) <= k * (j + 1), (call, meanwhile)


@settings(max_examples=300, deadline=None)
@given(ARRIVALS, RULES, st.lists(st.integers(1, 15), min_size=1, max_size=5))
def test_an_appointment_on_time_waits_for_at_most_the_stated_walk_ins(arrivals: list[Arrival], rule: Rule,
                                                                       service: list[int]) -> None:
    _, calls = run(arrivals, rule, service)
    k = rule.appointments_per_walkin
    for n, call in enumerate(calls):
        t = call.ticket
        if not is_appointment(t) or t.appointment_at is None or t.queued_at > t.appointment_at:
            continue  # late arrivals are not on time
        due = max(t.appointment_at - rule.lead, t.queued_at)
        meanwhile = [c.ticket for c in calls[:n] if c.at >= due]
        i = sum(is_appointment(m) for m in meanwhile)
        assert sum(is_walk_in(m) for m in meanwhile) <= i // k + 1, (call, meanwhile)


def test_the_order_by_hand() -> None:
    """Two counters' worth of cases, each written out."""
    strict, rule = Rule(Fairness(True)), Rule(Fairness(True), appointments_per_walkin=2)
    walk = [Waiting(1, T0), Waiting(2, T0 + timedelta(minutes=1))]
    booked = Waiting(3, T0 + timedelta(minutes=2), appointment_at=T0 + timedelta(minutes=30))
    elderly = Waiting(4, T0 + timedelta(minutes=3), priority=True)
    state = CounterState()

    def pick(waiting: list[Waiting], at: datetime, counts: CounterState = state) -> int:
        choice = next_ticket(waiting, at, strict, counts)
        assert choice is not None
        return choice.ticket.id

    assert next_ticket([], T0, strict, state) is None
    # an appointment not yet due waits behind walk-ins; alone, it is called early
    assert pick([*walk, booked], T0 + timedelta(minutes=10)) == 1
    assert pick([booked], T0 + timedelta(minutes=10)) == 3
    # from five minutes before its time it goes before the walk-ins, but not before a priority citizen
    assert not is_due(booked, T0 + timedelta(minutes=24), rule) and is_due(booked, T0 + timedelta(minutes=25), rule)
    assert pick([*walk, booked], T0 + timedelta(minutes=25)) == 3
    assert pick([*walk, booked, elderly], T0 + timedelta(minutes=25)) == 4
    # after K appointments in a row while walk-ins waited, a walk-in
    assert pick([*walk, booked], T0 + timedelta(minutes=25), replace(state, appointments_in_a_row=2)) == 1
    # a ticket transferred to this counter comes first of all
    moved = Waiting(5, T0 + timedelta(minutes=40), transferred_here=True)
    assert pick([*walk, booked, elderly, moved], T0 + timedelta(minutes=45)) == 5
    # the counts: an appointment called while a walk-in waited counts, a walk-in resets
    after = next_ticket([*walk, booked], T0 + timedelta(minutes=25), rule, state)
    assert after is not None and after.state == CounterState(ordinary_since_priority=1, appointments_in_a_row=1)
    alone = next_ticket([booked], T0 + timedelta(minutes=25), rule, state)
    assert alone is not None and alone.state.appointments_in_a_row == 0


@settings(max_examples=300, deadline=None)
@given(ARRIVALS, RULES, st.lists(st.integers(1, 15), min_size=1, max_size=5))
def test_due_appointments_are_called_by_their_booked_time(arrivals: list[Arrival], rule: Rule,
                                                           service: list[int]) -> None:
    _, calls = run(arrivals, rule, service)
    for n, call in enumerate(calls):
        x = call.ticket
        if not is_appointment(x):
            continue
        for later in calls[n + 1:]:  # an appointment due and waiting then, called later: booked no earlier
            y = later.ticket
            if is_appointment(y) and y.queued_at <= call.at and is_due(y, call.at, rule):
                assert (y.appointment_at, y.queued_at, y.id) > (x.appointment_at, x.queued_at, x.id), (x, y)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.booleans(), st.booleans(), st.one_of(st.none(), st.integers(0, 60))),
                max_size=30),
       RULES, st.integers(0, 90), st.integers(0, 4), st.integers(0, 4))
def test_the_heads_the_database_reads_choose_as_every_waiting_ticket_would(
        rows: list[tuple[int, bool, bool, int | None]], rule: Rule, minute: int, since: int, in_a_row: int) -> None:
    waiting = [Waiting(i, T0 + timedelta(minutes=q), priority=p, transferred_here=h,
                       appointment_at=None if a is None else T0 + timedelta(minutes=a))
               for i, (q, p, h, a) in enumerate(rows)]
    state, now = CounterState(since, in_a_row), T0 + timedelta(minutes=minute)
    assert next_ticket(heads(waiting), now, rule, state) == next_ticket(waiting, now, rule, state)
