"""The reports' rollups (sync/server/rollups.py) equal the raw computation from the events
(sync/server/kpis.central_kpis_raw) on random centre histories, whatever order, batching and
repetition the events arrive in; the event table's months (PostgreSQL partitions) keep every UUID
once; ``central-server report verify`` says so. Real central database, real ingest, SQLite and
PostgreSQL."""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from counter_app.common.clock import CENTRE_TZ, local_day, utcnow
from sync.protocol import WireEvent
from sync.server import partitions
from sync.server.__main__ import main as central_server
from sync.server.db import ServerDatabase
from sync.server.ingest import ingest
from sync.server.kpis import central_kpis, central_kpis_raw
from sync.server.models import EnrolledCentre, EventKey, RollupHour, RollupService, StoredEvent
from sync.server.report_verify import differences
from sync.server.rollups import bounds, bucket, bucket_start_s, durations, pieces

CENTRES = {"RLP-01": "21", "RLP-02": "21", "RLP-03": "01"}
SERVICES = ["MP-REG-CERT", "LU-SHOP-LICENCE", None]
FIRST_DAY = date(2026, 3, 30)  # six days across the end of March
NOW = datetime(2026, 4, 2, 18, 0, tzinfo=UTC)
RANGES = [(date(2026, 3, 1), date(2026, 4, 30)),  # two whole months: the month rows
          (date(2026, 3, 31), date(2026, 4, 1)),  # days either side of a month's end
          (date(2026, 3, 30), date(2026, 3, 30)), (date(2026, 4, 2), date(2026, 4, 2)),
          (date(2026, 3, 1), date(2026, 3, 30)),  # March less its last day: two ten days and the last so far
          (date(2026, 4, 2), date(2026, 4, 30)),  # April less its first day
          (date(2026, 4, 2), date(2026, 4, 3)),  # inside ten days: so far at the 3rd less at the 1st
          (date(2026, 4, 1), date(2026, 4, 3)),  # so far at the 3rd
          (date(2026, 1, 1), date(2026, 12, 31)),  # a whole year: its year row
          (date(2026, 4, 1), date(2027, 3, 31)),  # 2026's row less January to March
          (date(2026, 3, 31), date(2027, 3, 30))]  # 2026's row less January to March, plus March 31
_ids = itertools.count(1)
_centre_of_ticket: dict[str, str] = {}  # ticket UUID -> its centre


def new_uuid() -> str:
    return f"00000000-0000-4000-8000-{next(_ids):012d}"


@pytest.fixture
def central_db(central_url: str) -> Iterator[ServerDatabase]:
    db = ServerDatabase(central_url)
    with db.sessions.begin() as s:
        for code, governorate in CENTRES.items():
            s.add(EnrolledCentre(code=code, name=f"Centre {code}", governorate=governorate, sync_public_key="-",
                                 enrolled_at=NOW))
    yield db
    db.dispose()


# -- random histories ------------------------------------------------------------------------------------
@dataclass
class Ticket:
    centre: str
    day: int
    start: int  # minutes after 08:00 Cairo
    service: str | None
    path: str
    wait: int  # minutes
    served: int
    user: int


@dataclass
class App:
    centre: str
    day: int
    start: int
    service: str
    paid: tuple[tuple[str, int], ...]
    steps: int  # 0 draft, 1 in review, 2 approved


PATHS = ["issued", "called", "finished", "no_show", "skipped", "expired", "transferred", "recalled_finished"]
tickets_st = st.builds(Ticket, st.sampled_from(list(CENTRES)), st.integers(0, 5), st.integers(0, 400),
                       st.sampled_from(SERVICES), st.sampled_from(PATHS), st.integers(0, 110), st.integers(0, 100),
                       st.integers(1, 3))
apps_st = st.builds(App, st.sampled_from(list(CENTRES)), st.integers(0, 5), st.integers(0, 400),
                    st.sampled_from(SERVICES[:2]),
                    st.lists(st.tuples(st.sampled_from(["cash", "card", "epayment"]), st.integers(0, 500_000)),
                             max_size=2).map(tuple),
                    st.integers(0, 2))


def moment(day: int, minutes: int) -> datetime:
    local = datetime.combine(FIRST_DAY + timedelta(days=day), datetime.min.time(), CENTRE_TZ)
    return (local + timedelta(hours=8, minutes=minutes)).astimezone(UTC)


def ticket_events(t: Ticket) -> list[tuple[str, datetime, dict[str, Any]]]:
    """(kind, at, detail) of one ticket's life, in order."""
    issued = moment(t.day, t.start)
    called = issued + timedelta(minutes=t.wait)
    done = called + timedelta(minutes=t.served)
    life: list[tuple[str, datetime, dict[str, Any]]] = [("issued", issued, {})]
    if t.path == "expired":
        return [*life, ("expired", issued + timedelta(minutes=t.wait), {"detail": {"was": "waiting"}})]
    if t.path == "issued":
        return life
    life.append(("called", called, {"counter_number": 1}))
    if t.path == "finished":
        life.append(("finished", done, {}))
    elif t.path == "no_show":
        life.append(("no_show", done, {"detail": {"recalls": 2}}))
    elif t.path == "skipped":
        life.append(("skipped", done, {"detail": {"reason": "gone"}}))
    elif t.path == "transferred":
        moved = called + timedelta(minutes=1)
        life += [("transferred", moved, {"detail": {"from_counter": 1, "from_group": "A", "to_group": "B"}}),
                 ("called", moved + timedelta(minutes=t.wait % 7), {}),
                 ("finished", moved + timedelta(minutes=t.wait % 7 + t.served), {})]
    elif t.path == "recalled_finished":
        life += [("recalled", called + timedelta(minutes=1), {"detail": {"recall": 1}}),
                 ("finished", done + timedelta(minutes=1), {})]
    return life


def wire(t: Ticket, seqs: dict[str, Iterator[int]]) -> list[WireEvent]:
    ticket = new_uuid()
    _centre_of_ticket[ticket] = t.centre
    out = []
    for kind, at, extra in ticket_events(t):
        payload = {"ticket": ticket, "number": "A-001", "day": local_day(moment(t.day, t.start)).isoformat(),
                   "group": "A", "priority": False, "at": at.isoformat(), "counter_id": None if kind == "issued" else 1,
                   "user_id": None if kind == "issued" else t.user, "service": t.service, "event": kind, **extra}
        out.append(WireEvent(new_uuid(), next(seqs[t.centre]), f"ticket.{kind}", ticket, at.isoformat(), payload))
    return out


def app_wire(a: App, seqs: dict[str, Iterator[int]]) -> list[WireEvent]:
    application = new_uuid()
    at = moment(a.day, a.start)

    def event(action: str, state: str, when: datetime, **extra: Any) -> WireEvent:
        payload = {"application": application, "tracking_code": "T-1", "centre": a.centre, "service": a.service,
                   "state": state, "fee_total": 2500, "received_by": 1, "reviewer_id": None, "governorate": None,
                   "catalogue_version": None, "at": when.isoformat(), **extra}
        return WireEvent(new_uuid(), next(seqs[a.centre]), f"application.{action}", application, when.isoformat(),
                         payload)

    out = [event("create", "draft", at)]
    for i, (method, amount) in enumerate(a.paid):
        out.append(event("payment", "draft", at + timedelta(minutes=1 + i), method=method, amount=amount,
                         reference=None))
    if a.steps >= 1:
        out.append(event("start_review", "in_review", at + timedelta(minutes=5)))
    if a.steps >= 2:
        out.append(event("approve", "approved", at + timedelta(minutes=9)))
    return out


_seqs: dict[str, Iterator[int]] = {code: itertools.count(1) for code in CENTRES}


def history(tickets: list[Ticket], apps: list[App]) -> list[WireEvent]:
    return [e for t in tickets for e in wire(t, _seqs)] + [e for a in apps for e in app_wire(a, _seqs)]


def deliver(db: ServerDatabase, events: list[WireEvent], order: list[int], cuts: list[int], repeats: list[int],
            now: datetime = NOW) -> None:
    """The events in ``order``, cut into batches per centre, some sent again later."""
    shuffled = [events[i] for i in order] + [events[i % len(events)] for i in repeats if events]
    per_centre: dict[str, list[WireEvent]] = {}
    for e in shuffled:
        per_centre.setdefault(str(e.payload.get("centre") or centre_of(e)), []).append(e)
    for centre, sent in per_centre.items():
        bounds = sorted({0, len(sent), *(c % (len(sent) + 1) for c in cuts)})
        for a, b in itertools.pairwise(bounds):
            with db.sessions.begin() as s:
                results = ingest(s, centre, sent[a:b], now)
            assert {r.status for r in results} <= {"stored", "duplicate"}, [r for r in results if r.reason]


def centre_of(e: WireEvent) -> str:
    return _centre_of_ticket[e.aggregate_id]


def figures_equal(db: ServerDatabase) -> None:
    with db.sessions() as s:
        for first, last in RANGES:
            served, raw = central_kpis(s, first, last), central_kpis_raw(s, first, last)
            assert served == raw, differences(served, raw)  # whole minutes under 2 hours: exactly equal


def check_random_histories(db: ServerDatabase, data: st.DataObject) -> None:
    tickets = data.draw(st.lists(tickets_st, max_size=12))
    apps = data.draw(st.lists(apps_st, max_size=5))
    events = history(tickets, apps)
    order = data.draw(st.permutations(range(len(events))))
    cuts = data.draw(st.lists(st.integers(0, 100), max_size=4))
    repeats = data.draw(st.lists(st.integers(0, 200), max_size=5))
    deliver(db, events, list(order), cuts, repeats)
    figures_equal(db)


def test_rollups_equal_the_raw_figures_on_random_histories(central_db: ServerDatabase) -> None:
    examples = 30 if central_db.dialect == "sqlite" else 12

    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def run(data: st.DataObject) -> None:
        check_random_histories(central_db, data)  # the database keeps every example's events: all must agree

    run()
    with central_db.sessions() as s:
        assert (s.scalar(select(func.count()).select_from(StoredEvent)) or 0) > 100


def test_a_late_ticket_event_moves_its_day_and_month(central_db: ServerDatabase) -> None:
    """A ticket finished on day 1 whose ``called`` event comes a day later, after the finish: the
    wait and the service time appear only then, counted once, in the day's and the month's rows."""
    t = Ticket("RLP-01", 1, 60, "MP-REG-CERT", "finished", 12, 20, 2)
    events = wire(t, _seqs)
    issued, called, finished = events
    deliver(central_db, [finished, issued], [0, 1], [], [])
    day = (FIRST_DAY + timedelta(days=1))
    with central_db.sessions() as s:
        before = central_kpis(s, day, day)["by_centre"][0]
    assert before["tickets"]["served"] == 1 and before["waiting_time"]["count"] == 0
    assert before["service_time"]["count"] == 0
    deliver(central_db, [called, called, finished], [0, 1, 2], [1], [])
    with central_db.sessions() as s:
        row = central_kpis(s, day, day)["by_centre"][0]
        month = central_kpis(s, date(2026, 3, 1), date(2026, 3, 31))["by_centre"][0]
    assert row["tickets"] == {"issued": 1, "served": 1, "no_shows": 0, "skipped": 0}
    assert row["waiting_time"] == durations(1, 12 * 60 * 10**6, bucket_hist(12 * 60))
    assert row["service_time"]["mean_s"] == 20 * 60.0
    assert month["waiting_time"] == row["waiting_time"] and month["tickets"] == row["tickets"]
    figures_equal(central_db)


def bucket_hist(seconds: int) -> Any:
    from collections import Counter

    return Counter({bucket(seconds * 10**6): 1})


def test_percentiles_from_the_histograms_keep_the_stated_precision() -> None:
    assert [bucket_start_s(bucket(s * 10**6)) for s in (0, 59, 60, 7199, 7200, 7799, 7800, 28799, 28800, 10**6)] == [
        0, 0, 60, 7140, 7200, 7200, 7800, 28200, 28800, 28800]
    assert bucket(-5 * 10**6) == 0
    from collections import Counter

    # 90 s, 150 s, 400 s: median in the two-minute bucket, p90 in the six-minute one
    assert durations(3, 640 * 10**6, Counter({1: 1, 2: 1, 6: 1})) == {
        "count": 3, "mean_s": 640 / 3, "median_s": 120.0, "p90_s": 360.0}
    assert durations(2, 0, Counter({1: 1, 2: 1}))["median_s"] == 90.0  # the mean of the two middle ranks


def test_a_period_reads_its_years_months_and_ten_days_and_at_most_two_rows_of_ten_days_in_part() -> None:
    d = date
    # a year up to today, with figures before it and none after today: last year's 21-30 November
    # less their so far up to the 26th, its December, this year's row
    history = (d(2025, 10, 22), d(2026, 11, 26))
    assert pieces(d(2025, 11, 27), d(2026, 11, 26), history) == (
        [("t", d(2025, 11, 21), d(2025, 11, 21)), ("m", d(2025, 12, 1), d(2025, 12, 1)),
         ("y", d(2026, 1, 1), d(2026, 1, 1))],
        [("c", d(2025, 11, 26), d(2025, 11, 26))])
    # the same not knowing where the figures are: this year's row less what may follow today
    assert pieces(d(2025, 11, 27), d(2026, 11, 26)) == (
        [("t", d(2025, 11, 21), d(2025, 11, 21)), ("m", d(2025, 12, 1), d(2025, 12, 1)),
         ("y", d(2026, 1, 1), d(2026, 1, 1)), ("c", d(2026, 11, 26), d(2026, 11, 26))],
        [("c", d(2025, 11, 26), d(2025, 11, 26)), ("t", d(2026, 11, 21), d(2026, 11, 21)),
         ("m", d(2026, 12, 1), d(2026, 12, 1))])
    # figures only from the period's first day: each year's row
    assert pieces(d(2025, 11, 27), d(2026, 11, 26), (d(2025, 11, 27), d(2026, 11, 26))) == (
        [("y", d(2025, 1, 1), d(2026, 1, 1))], [])
    # a year from mid-year: its months (fewer than each year's row less its six months outside)
    assert pieces(d(2025, 7, 1), d(2026, 6, 30)) == ([("m", d(2025, 7, 1), d(2026, 6, 1))], [])
    assert pieces(d(2024, 1, 1), d(2024, 12, 31)) == ([("y", d(2024, 1, 1), d(2024, 1, 1))], [])
    assert pieces(d(2026, 3, 1), d(2026, 4, 30)) == ([("m", d(2026, 3, 1), d(2026, 4, 1))], [])
    # two days across a month's end: March's last ten days less their so far before the 31st, April's
    # first ten days so far at the 1st
    assert pieces(d(2026, 3, 31), d(2026, 4, 1)) == ([("t", d(2026, 3, 21), d(2026, 3, 21)),
                                                      ("c", d(2026, 4, 1), d(2026, 4, 1))],
                                                     [("c", d(2026, 3, 30), d(2026, 3, 30))])
    # inside one month: whole ten days by their rows, ten days in part by so-far rows
    assert pieces(d(2026, 2, 3), d(2026, 2, 26)) == ([("t", d(2026, 2, 1), d(2026, 2, 11)),
                                                      ("c", d(2026, 2, 26), d(2026, 2, 26))],
                                                     [("c", d(2026, 2, 2), d(2026, 2, 2))])
    assert pieces(d(2026, 2, 21), d(2026, 2, 28)) == ([("t", d(2026, 2, 21), d(2026, 2, 21))], [])
    # nothing held in the period: nothing read
    assert pieces(d(2026, 2, 3), d(2026, 2, 26), (d(2026, 5, 1), d(2026, 6, 1))) == ([], [])


def _rows(span: str, a: date, b: date) -> Iterator[date]:
    """The first days of the rows of ``span`` from ``a`` to ``b`` (a so-far row: its own day)."""
    row = a
    while row <= b:
        yield row
        row = row + timedelta(days=1) if span in "dc" else bounds(span, row)[1] + timedelta(days=1)


def _days_of(span: str, row: date) -> Iterator[date]:
    if span == "d":
        first, last = row, row
    elif span == "c":  # ten days so far: from their first day to the row's
        first, last = bounds("t", row)[0], row
    else:
        first, last = bounds(span, row)
        assert first == row
    while first <= last:
        yield first
        first += timedelta(days=1)


@pytest.mark.parametrize("extent", [None, (date(2024, 12, 20), date(2026, 1, 10)), (date(2025, 3, 3), date(2025, 3, 3)),
                                    (date(2025, 6, 1), date(2026, 2, 28))])
def test_every_period_is_covered_once_by_its_pieces(extent: tuple[date, date] | None) -> None:
    """Each day of a period that may hold figures counts once in the rows read (added less taken
    away), a day outside it never: a year row holds its months' days, a month row its ten days', ten
    days' row their days, a so-far row its ten days' days up to its own; days outside ``extent`` hold
    nothing. And a period of up to a year reads at most 16 rows per centre and service."""
    first_of_all = date(2024, 11, 1)
    lo, hi = extent or (date.min, date.max)
    for start_offset in range(0, 430, 7):
        for length in (1, 2, 28, 31, 45, 180, 300, 365, 366):
            first = first_of_all + timedelta(days=start_offset)
            last = first + timedelta(days=length - 1)
            count: Counter[date] = Counter()
            plus, minus = pieces(first, last, extent)
            for pieces_, sign in ((plus, 1), (minus, -1)):
                for span, a, b in pieces_:
                    for row in _rows(span, a, b):
                        for day in _days_of(span, row):
                            if lo <= day <= hi:
                                count[day] += sign
            expected = Counter({first + timedelta(days=n): 1 for n in range(length)
                                if lo <= first + timedelta(days=n) <= hi})
            assert +count == expected and not -count, (first, last)
            rows = sum(1 for span, a, b in plus + minus for _ in _rows(span, a, b))
            assert rows <= 16, (first, last, plus, minus)  # e.g. 23 June to 21 June: 16 rows


def test_the_hours_of_today_and_yesterday_only(central_db: ServerDatabase) -> None:
    t = Ticket("RLP-02", 3, 30, None, "finished", 5, 7, 1)  # 2026-04-02, 08:30 Cairo
    old = Ticket("RLP-02", 0, 30, None, "finished", 5, 7, 1)  # three days before NOW
    events = wire(t, _seqs) + wire(old, _seqs)
    deliver(central_db, events, list(range(len(events))), [], [])
    with central_db.sessions() as s:
        hours = s.execute(select(RollupHour.day, RollupHour.hour, RollupHour.issued, RollupHour.called,
                                 RollupHour.served).where(RollupHour.centre_code == "RLP-02")
                          .order_by(RollupHour.day, RollupHour.hour)).all()
    assert [tuple(h) for h in hours] == [(date(2026, 4, 2), 8, 1, 1, 1)]


def test_one_uuid_is_stored_once_across_months_and_report_verify_agrees(central_db: ServerDatabase,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    t = Ticket("RLP-03", 0, 0, "MP-REG-CERT", "finished", 3, 4, 1)
    issued, called, finished = wire(t, _seqs)
    deliver(central_db, [issued, called, finished], [0, 1, 2], [], [])
    # the same event again, its time in another month (another partition on PostgreSQL): a duplicate
    moved = WireEvent(finished.uuid, finished.seq, finished.kind, finished.aggregate_id,
                      "2026-05-01T10:00:00+00:00", finished.payload)
    with central_db.sessions.begin() as s:
        assert [r.status for r in ingest(s, "RLP-03", [moved], NOW)] == ["duplicate"]
    with central_db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(StoredEvent).where(StoredEvent.uuid == finished.uuid)) == 1
        assert s.scalar(select(func.count()).select_from(EventKey).where(EventKey.uuid == finished.uuid)) == 1
        if central_db.dialect == "postgresql":
            kids = set(s.execute(text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'event'")).scalars())
            assert {"event_2026_03", "event_default",  # made by ingest, the default, made ahead at start-up
                    partitions.name(local_day(utcnow()).isoformat()[:7])} <= kids
            assert "event_2026_05" not in kids  # a duplicate makes no partition
    figures_equal(central_db)
    url = central_db.engine.url.render_as_string(hide_password=False)
    assert central_server(["report", "verify", "--from", "2026-03-01", "--to", "2026-04-30", "--db", url]) == 0
    assert "report verify 2026-03-01..2026-04-30: equal" in capsys.readouterr().out
    assert central_server(["report", "verify", "--from", "2026-04-30", "--to", "2026-03-01", "--db", url]) == 2


def test_month_of_a_time_text() -> None:
    assert partitions.month_of("2026-11-26T05:00:00+00:00") == "2026-11"
    assert partitions.month_of("20261126T050000+0000") == "2026-12"  # as text it sorts after "2026-12"
    assert partitions.month_of("2026-W48") == "2026-12"
    assert partitions.month_of("x") is None


@pytest.mark.parametrize("run", range(10))
def test_two_workers_storing_one_batch_at_once_count_it_once(central_db: ServerDatabase, run: int) -> None:
    tickets = [Ticket("RLP-01", run % 4, 10 * i, SERVICES[i % 3], PATHS[i % len(PATHS)], i, 2 * i, 1 + i % 3)
               for i in range(8)]
    events = history(tickets, [App("RLP-01", run % 4, 5, "MP-REG-CERT", (("cash", 2500),), 2)])
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            with central_db.sessions.begin() as s:
                ingest(s, "RLP-01", events, NOW)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert not failures
    with central_db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(StoredEvent)) == len(events)
    figures_equal(central_db)
    with central_db.sessions() as s:
        issued = central_kpis(s, *RANGES[0])["overall"]["tickets"]["issued"]
    assert issued == len(tickets)


def test_the_migration_keeps_the_events_and_builds_the_rollups(central_url: str) -> None:
    """Events stored before s0009 (the unpartitioned table with its ``id``) are all there after it,
    each key in ``event_key``, and the rollups built from them equal the raw figures."""
    from alembic import command
    from sqlalchemy import insert

    from sync.server.db import alembic_config

    db = ServerDatabase(central_url, migrate=False)
    try:
        command.upgrade(alembic_config(db.engine), "s0006")
        tickets = [Ticket("RLP-01", i % 4, 7 * i, SERVICES[i % 3], PATHS[i % len(PATHS)], i, i + 3, 1) for i in range(12)]
        events = history(tickets, [App("RLP-01", 1, 3, "MP-REG-CERT", (("card", 74000),), 1)])
        with db.engine.begin() as conn:
            conn.execute(insert(EnrolledCentre), [{"code": "RLP-01", "name": "Centre", "governorate": "21",
                                                               "sync_public_key": "-", "enrolled_at": NOW,
                                                               "clock_flagged": False}])
            for e in events:
                conn.execute(text("INSERT INTO event (uuid, centre_code, seq, kind, aggregate_id, created_at, payload, "
                                  "payload_hash, received_at) VALUES (:u, 'RLP-01', :s, :k, :a, :c, :p, :h, :r)"),
                             {"u": e.uuid, "s": e.seq, "k": e.kind, "a": e.aggregate_id, "c": e.created_at,
                              "p": json.dumps(e.payload), "h": e.payload_hash(), "r": NOW})
            last = [e for e in events if e.kind.startswith("application.")][-1]
            conn.execute(text("INSERT INTO application_projection (application_uuid, centre_code, tracking_code, "
                              "service_code, state, last_seq, updated_at) VALUES (:a, 'RLP-01', 'T-1', :s, :st, :q, :c)"),
                         {"a": last.aggregate_id, "s": last.payload["service"], "st": last.payload["state"],
                          "q": last.seq, "c": last.created_at})
        command.upgrade(alembic_config(db.engine), "head")
        with db.sessions() as s:
            assert s.scalar(select(func.count()).select_from(StoredEvent)) == len(events)
            assert s.scalar(select(func.count()).select_from(EventKey)) == len(events)
        figures_equal(db)
        with db.sessions() as s:
            assert central_kpis(s, *RANGES[0])["overall"]["tickets"]["issued"] == len(tickets)
    finally:
        db.dispose()


def test_a_database_rolled_up_before_the_year_rows_gets_them(central_db: ServerDatabase) -> None:
    """A database at s0010 had no year rows (ingest made only days and months): s0011 builds them,
    and a year's figures read through them equal the raw ones."""
    from alembic import command

    from sync.server.db import alembic_config

    tickets = [Ticket("RLP-01", i % 4, 11 * i, SERVICES[i % 3], PATHS[i % len(PATHS)], i, i + 2, 1) for i in range(15)]
    events = history(tickets, [])
    deliver(central_db, events, list(range(len(events))), [], [])
    with central_db.sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(RollupService).where(RollupService.span == "y"))
    command.downgrade(alembic_config(central_db.engine), "s0010")  # what an s0010 database holds
    with central_db.sessions() as s:
        assert not s.scalar(select(func.count()).select_from(RollupService).where(RollupService.span == "y"))
    command.upgrade(alembic_config(central_db.engine), "head")
    with central_db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(RollupService).where(RollupService.span == "y"))
    figures_equal(central_db)


def test_a_database_rolled_up_before_the_ten_days_gets_them(central_db: ServerDatabase) -> None:
    """A database at s0011 had no ten days' and so-far rows: s0012 builds them, and periods that end
    or begin inside ten days, read through them, equal the raw figures."""
    from alembic import command

    from sync.server.db import alembic_config

    tickets = [Ticket("RLP-01", i % 6, 11 * i, SERVICES[i % 3], PATHS[i % len(PATHS)], i, i + 2, 1) for i in range(18)]
    events = history(tickets, [])
    deliver(central_db, events, list(range(len(events))), [], [])

    def so_far_rows() -> int:
        with central_db.sessions() as s:
            return s.scalar(select(func.count()).select_from(RollupService).where(RollupService.span.in_(["c", "t"]))) or 0

    built = so_far_rows()
    assert built
    command.downgrade(alembic_config(central_db.engine), "s0011")  # what an s0011 database holds
    assert not so_far_rows()
    command.upgrade(alembic_config(central_db.engine), "head")
    assert so_far_rows() == built
    figures_equal(central_db)


def test_a_ticket_stored_while_a_report_reads_on_a_day_thought_empty_is_not_counted(central_db: ServerDatabase) -> None:
    """The report knows which days hold figures before it reads, and reads a ten days' row whole
    when the days outside the period hold nothing. A ticket stored meanwhile on such a day (after
    the period; PostgreSQL reads each statement in its own snapshot, so the row read may already
    hold it) makes it read again: its figures equal the raw ones of the period."""
    from sqlalchemy import event

    early = [Ticket("RLP-01", day, 30, SERVICES[0], "finished", 5, 7, 1) for day in range(2, 6)]  # 1-4 April
    events = history(early, [])
    deliver(central_db, events, list(range(len(events))), [], [])
    later = history([Ticket("RLP-01", 9, 30, SERVICES[0], "finished", 5, 7, 1)], [])  # 8 April
    stored: list[str] = []

    def store_later(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not stored and statement.lstrip().upper().startswith("SELECT") and "wait_hist" in statement:
            stored.append(statement)
            deliver(central_db, later, list(range(len(later))), [], [])

    event.listen(central_db.engine, "before_cursor_execute", store_later)
    try:
        with central_db.sessions() as s:
            served = central_kpis(s, date(2026, 4, 1), date(2026, 4, 4))
    finally:
        event.remove(central_db.engine, "before_cursor_execute", store_later)
    assert stored
    with central_db.sessions() as s:
        raw = central_kpis_raw(s, date(2026, 4, 1), date(2026, 4, 4))
        assert served == raw, differences(served, raw)
        assert served["overall"]["tickets"]["issued"] == 4
