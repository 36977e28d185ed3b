"""National scale of the central server's reports, on a throwaway PostgreSQL cluster.

    python bench/central_scale.py [--centres 100] [--days 400] [--tickets 1] [--scale 10] [--runs 7]

A synthetic national history (``--centres`` centres in the 27 governorates, ``--days`` days up to
today, ``--tickets`` finished tickets per centre and day over five services and six clerks, a
paid application for one ticket in three; each day starts the services and clerks at the next one,
so that at 1x too every centre offers the five services and has the six clerks over a month: the 10x
data has the same centres, services, clerks and days, only more tickets; each ticket's waiting and
service times are spread by a hash of its centre, day and number, so that histograms fill as real
ones do, not every ticket of the 1x data waiting the same 30 s) is written with COPY
into the migrated, month-partitioned ``event`` table and its ``event_key``; the rollups are then built by the product's own code
(:func:`sync.server.rollups.rebuild`, which runs each centre's events through ingest's
:func:`sync.server.rollups.add`). Then the same days get ``--scale`` times the tickets and the
rollups are built again. After each build, ``VACUUM ANALYZE`` (what autovacuum does after the
rebuild's delete; without it the 10x figure reads through the 1x rows' dead tuples).

Prints ``name: value`` lines:

* ``national_year_kpis_ms``: median of ``--runs`` calls of :func:`sync.server.kpis.central_kpis`
  (what ``/v1/reports/kpis`` and ``/reports`` serve) for the last 365 days, all centres, per
  governorate, centre and service;
* ``kpis_scale_ratio``: the same query at ``--scale`` times the events (same centres and days) ÷
  at 1×. The query reads four rows per centre and service (on 26 November: last year's 21-30
  November less their so far up to the 26th, last December, this year's row:
  :func:`sync.server.rollups.pieces`) and sums their histograms with numpy, whatever the tickets
  they hold;
* ``ingest_events_per_s``: :func:`sync.server.ingest.ingest` (one process, one thread, batches of
  500 events of one centre, one transaction each, rollups maintained) of yesterday's tickets;
  ``ingest_events_per_s_month_start``: the same of a month's first day, whose every ticket also moves
  the ten days so far of the nine days after it (the most rows a batch moves); and
  ``ingest_events_per_s_without_rollups``: the same with :func:`sync.server.rollups.add` switched
  off, on another day's events;
* ``rebuild_events_per_s``, ``events_1x``, ``events_10x``, ``load_s``, ``bench_s`` (the whole run;
  defaults: about 6.5 minutes on 2 cores with a 1-minute load average of 6 to 9) and the machine's
  load average at the start and the end (the figures are medians, but a loaded machine slows them).

* ``monitor_page_ms`` (and the monitoring's other figures): ``bench/monitor.py --centres 2000`` run
  after the rest, on its own cluster, its lines printed here as they come (``--monitor-centres 0``
  leaves it out).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = str(Path(__file__).resolve().parent)  # bench/queue.py and bench/sync.py shadow real modules
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import itertools  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
import zlib  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402

import psycopg  # noqa: E402
from sqlalchemy import make_url  # noqa: E402

from counter_app.common.clock import CENTRE_TZ, local_day, utcnow  # noqa: E402
from counter_app.common.governorates import GOVERNORATES  # noqa: E402
from sync.protocol import WireEvent, canonical  # noqa: E402
from sync.server import partitions, rollups  # noqa: E402
from sync.server.db import ServerDatabase  # noqa: E402
from sync.server.ingest import ingest  # noqa: E402
from sync.server.kpis import central_kpis  # noqa: E402
from sync.server.models import EnrolledCentre  # noqa: E402
from tests.helpers.postgres import throwaway_postgres  # noqa: E402

SERVICES = ["MP-REG-CERT", "MP-SKILL-CERT", "LU-BUILD-PERMIT", "LU-SHOP-LICENCE", "LU-OCCUPANCY"]
METHODS = ["cash", "card", "epayment"]
_ids = itertools.count(1)


def new_uuid() -> str:
    return str(uuid.UUID(int=next(_ids)))


def centre_code(i: int) -> str:
    return f"C{i:05d}"


def ticket_life(centre: str, day: date, k: int, salt: int, seqs: dict[str, Iterator[int]]) -> list[WireEvent]:
    """One finished ticket (and, one in three, its paid application) of ``centre`` on ``day``."""
    turn = k + day.toordinal()  # each day starts the services and clerks at another one: at 1x too a centre
    service = SERVICES[turn % len(SERVICES)]  # offers every service and has every clerk over a month
    opening = datetime.combine(day, datetime.min.time(), CENTRE_TZ) + timedelta(hours=8)
    spread = zlib.crc32(f"{centre}|{day.toordinal()}|{k}|{salt}".encode())  # each ticket its own times
    issued = (opening + timedelta(seconds=spread % 25_000)).astimezone(UTC)
    called = issued + timedelta(seconds=30 + (spread >> 8) % 2400)
    finished = called + timedelta(seconds=120 + (spread >> 16) % 1500)
    ticket, user = new_uuid(), 1 + turn % 6
    out = []
    for kind, at in (("issued", issued), ("called", called), ("finished", finished)):
        payload = {"ticket": ticket, "number": f"A-{k % 999 + 1:03d}", "day": day.isoformat(), "group": "A",
                   "priority": False, "at": at.isoformat(), "counter_id": None if kind == "issued" else 1 + k % 4,
                   "user_id": None if kind == "issued" else user, "service": service, "event": kind}
        out.append(WireEvent(new_uuid(), next(seqs[centre]), f"ticket.{kind}", ticket, at.isoformat(), payload))
    if k % 3 == 0:
        application = new_uuid()
        for action, at, extra in (("create", called, {}),
                                  ("payment", called + timedelta(seconds=60),
                                   {"method": METHODS[k % 3], "amount": 2500 + 100 * (k % 50), "reference": None})):
            payload = {"application": application, "tracking_code": f"T{k % 10**6:06d}", "centre": centre,
                       "service": service, "state": "draft", "fee_total": 2500, "received_by": user,
                       "reviewer_id": None, "governorate": None, "catalogue_version": None, "at": at.isoformat(),
                       **extra}
            out.append(WireEvent(new_uuid(), next(seqs[centre]), f"application.{action}", application,
                                 at.isoformat(), payload))
    return out


def generate(centres: list[str], days: list[date], tickets: int, salt: int,
             seqs: dict[str, Iterator[int]]) -> Iterator[tuple[str, WireEvent]]:
    for centre in centres:
        for day in days:
            for k in range(tickets):
                for e in ticket_life(centre, day, k + salt * tickets, salt, seqs):
                    yield centre, e


def copy_load(url: str, events: Iterator[tuple[str, WireEvent]]) -> int:
    """COPY events, their keys and the application projection (what ingest would have stored)."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    now, count = utcnow(), 0
    apps: dict[tuple[str, str], tuple[str, str, str, int, str]] = {}
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        with cur.copy("COPY event (uuid, centre_code, seq, kind, aggregate_id, created_at, payload, "
                      "payload_hash, received_at) FROM STDIN") as rows:
            for centre, e in events:
                text = canonical(e.payload)
                rows.write_row((e.uuid, centre, e.seq, e.kind, e.aggregate_id, e.created_at, text,
                                e.payload_hash(text), now))
                if e.kind.startswith("application."):
                    apps[(centre, e.aggregate_id)] = (str(e.payload["tracking_code"]), str(e.payload["service"]),
                                                      str(e.payload["state"]), e.seq, e.created_at)
                count += 1
        cur.execute("INSERT INTO event_key (centre_code, uuid, created_at, payload_hash) "
                    "SELECT centre_code, uuid, created_at, payload_hash FROM event ON CONFLICT DO NOTHING")
        with cur.copy("COPY application_projection (centre_code, application_uuid, tracking_code, service_code, "
                      "state, last_seq, updated_at) FROM STDIN") as projection:
            for (centre, app_uuid), (tracking, service, state, seq, at) in apps.items():
                projection.write_row((centre, app_uuid, tracking, service, state, seq, at))
        conn.commit()
    return count


def make_partitions(db: ServerDatabase, days: list[date]) -> None:
    with db.engine.begin() as conn:
        partitions.create(conn, {d.isoformat()[:7] for d in days} | {(d - timedelta(days=1)).isoformat()[:7]
                                                                     for d in days})


def vacuum(db: ServerDatabase) -> None:
    """What autovacuum would have done after the rebuild's delete and bulk load."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


def timed_kpis(db: ServerDatabase, first: date, last: date, runs: int) -> float:
    times = []
    for _ in range(runs):
        with db.sessions() as s:
            start = time.perf_counter()
            figures = central_kpis(s, first, last)
            times.append(time.perf_counter() - start)
    assert figures["overall"]["tickets"]["issued"] > 0
    return statistics.median(times) * 1000


def rebuild(db: ServerDatabase) -> tuple[int, float]:
    start = time.perf_counter()
    with db.sessions.begin() as s:
        count = rollups.rebuild(s)
    return count, time.perf_counter() - start


def ingest_rate(db: ServerDatabase, centres: list[str], day: date, tickets: int,
                seqs: dict[str, Iterator[int]]) -> float:
    events = list(generate(centres, [day], tickets, 0, seqs))
    by_centre: dict[str, list[WireEvent]] = {}
    for centre, e in events:
        by_centre.setdefault(centre, []).append(e)
    now = utcnow()
    start = time.perf_counter()
    for centre, sent in by_centre.items():
        for i in range(0, len(sent), 500):
            with db.sessions.begin() as s:
                ingest(s, centre, sent[i:i + 500], now)
    return len(events) / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--centres", type=int, default=100)
    parser.add_argument("--days", type=int, default=400, help="days of history up to today (the query reads the last 365: a longer history puts figures before the period, as a real one has)")
    parser.add_argument("--tickets", type=int, default=1, help="finished tickets per centre and day at 1x")
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--ingest-centres", type=int, default=20)
    parser.add_argument("--ingest-tickets", type=int, default=150)
    parser.add_argument("--monitor-centres", type=int, default=2000,
                        help="centres of bench/monitor.py's monitoring page (0: not measured)")
    args = parser.parse_args()
    began, load_before = time.perf_counter(), os.getloadavg()
    today = local_day(utcnow())
    days = [today - timedelta(days=d) for d in range(args.days - 1, -1, -1)]
    governorates = sorted(GOVERNORATES)
    centres = [centre_code(i) for i in range(args.centres)]
    seqs: dict[str, Iterator[int]] = {c: itertools.count(1) for c in centres}
    with throwaway_postgres() as cluster:
        url = cluster.create_database()
        db = ServerDatabase(url)
        with db.sessions.begin() as s:
            for i, code in enumerate(centres):
                s.add(EnrolledCentre(code=code, name=f"Centre {i}", governorate=governorates[i % len(governorates)],
                                     sync_public_key="-", enrolled_at=utcnow()))
        make_partitions(db, days)
        start = time.perf_counter()
        events_1x = copy_load(url, generate(centres, days, args.tickets, 0, seqs))
        load_s = time.perf_counter() - start
        read, rebuild_s = rebuild(db)
        vacuum(db)
        first, last = today - timedelta(days=364), today
        one = timed_kpis(db, first, last, args.runs)
        start = time.perf_counter()
        more = copy_load(url, generate(centres, days, args.tickets * (args.scale - 1), 1, seqs))
        load_s += time.perf_counter() - start
        read_10x, rebuild_10x_s = rebuild(db)
        vacuum(db)
        ten = timed_kpis(db, first, last, args.runs)
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT count(*) FROM rollup_service").scalar()

        ingest_centres = [f"I{i:05d}" for i in range(args.ingest_centres)]
        with db.sessions.begin() as s:
            for i, code in enumerate(ingest_centres):
                s.add(EnrolledCentre(code=code, name=f"Ingest {i}", governorate=governorates[i % len(governorates)],
                                     sync_public_key="-", enrolled_at=utcnow()))
        seqs.update({c: itertools.count(1) for c in ingest_centres})
        original = rollups.add
        rollups.add = lambda *a, **k: None
        try:
            ingest_rate(db, ingest_centres, today - timedelta(days=2), args.ingest_tickets // 5, seqs)  # warm up
            bare = ingest_rate(db, ingest_centres, today - timedelta(days=3), args.ingest_tickets, seqs)
        finally:
            rollups.add = original
        with_rollups = ingest_rate(db, ingest_centres, today - timedelta(days=1), args.ingest_tickets, seqs)
        month_start = ingest_rate(db, ingest_centres, (today - timedelta(days=4)).replace(day=1), args.ingest_tickets,
                                  seqs)
        db.dispose()
    print(f"national_year_kpis_ms: {one:.1f}")
    print(f"national_year_kpis_10x_ms: {ten:.1f}")
    print(f"kpis_scale_ratio: {ten / one:.2f}")
    print(f"ingest_events_per_s: {with_rollups:.0f}")
    print(f"ingest_events_per_s_month_start: {month_start:.0f}")
    print(f"ingest_events_per_s_without_rollups: {bare:.0f}")
    print(f"rebuild_events_per_s: {(read + read_10x) / (rebuild_s + rebuild_10x_s):.0f}")
    print(f"events_1x: {events_1x}")
    print(f"events_10x: {events_1x + more}")
    print(f"centres: {args.centres}")
    print(f"rollup_service_rows: {rows}")
    print(f"load_s: {load_s:.1f}")
    sys.stdout.flush()
    if args.monitor_centres:  # the live monitoring page at national scale (bench/monitor.py)
        subprocess.run([sys.executable, str(ROOT / "bench" / "monitor.py"), "--centres", str(args.monitor_centres)],
                       check=True, cwd=ROOT)
    print(f"bench_s: {time.perf_counter() - began:.0f}")
    load_after = os.getloadavg()[0]
    print(f"machine_load_1min: {load_before[0]:.1f} at the start, {load_after:.1f} at the end ({os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
