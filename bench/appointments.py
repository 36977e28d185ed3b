"""Appointments at the central server, on a throwaway PostgreSQL cluster.

    python bench/appointments.py [--bookings 50000] [--requests 200] [--bookers 50] [--per-booker 10]

Stores ``--bookings`` bookings (default 50,000: ten centres, from five months back to a month
ahead, their slots' places taken to match) on a migrated database, then starts the real central
server in its own process (``python -m sync.server``, one worker; its per-client rate limits off:
every booker here is 127.0.0.1) and prints ``name: value`` lines:

* ``free_slots_p95_ms`` (goal < 50): ``GET /v1/appointments/slots`` of one centre and service for
  31 days (a month of 15-minute slots, 08:00-15:00 every day), ``--requests`` sequential requests
  over HTTP; ``free_slots_p50_ms``, and ``free_slots_function_p95_ms``: the same answer's query alone
  (:func:`sync.server.appointments.slots.free_slots`, in this process);
* ``booking_p95_ms`` (goal < 200): ``POST /v1/appointments/bookings`` by ``--bookers`` concurrent
  citizens (threads, one kept-alive connection each, the standard library's ``http.client``),
  ``--per-booker`` bookings each, back to back, on slots of the month drawn at random; ``booking_p50_ms``, ``bookings_made``, ``bookings_full`` (told the slot
  was full: an answer, not an error), ``booking_errors`` (anything else: should be 0);
  ``booking_server_cpu_ms``: the server process's CPU time per booking made (with one worker; far
  less sensitive to the machine's load than the latencies: the bookers' own HTTP client shares the
  machine's cores with the server and PostgreSQL);
* ``last_place_bookings``: 50 concurrent bookers of one 10-place slot (should be 10);
* ``load_1min_start``, ``load_1min_end``: the machine's load average (the figures are noisy on a
  loaded machine).
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
import http.client  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from datetime import date, datetime, timedelta  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import requests  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from counter_app.common.clock import local_day, utcnow  # noqa: E402
from sync.server.app import seed_catalogue  # noqa: E402
from sync.server.appointments import slots  # noqa: E402
from sync.server.appointments.bookings import _digest  # noqa: E402
from sync.server.db import ServerDatabase  # noqa: E402
from sync.server.models import AppointmentCentre, AppointmentRule, AppointmentSlot, Booking, EnrolledCentre  # noqa: E402
from tests.helpers.central import start_central_process  # noqa: E402
from tests.helpers.postgres import throwaway_postgres  # noqa: E402

SERVICE, GROUP = "MP-REG-CERT", "A"
RULE = {"hours": {str(d): [["08:00", "15:00"]] for d in range(7)}, "slot_minutes": 15, "places": 10,
        "horizon_days": 31, "cutoff_days_before": 0, "cutoff_time": "00:00"}
TOKEN = "bench-admin-token"
JSON_HEADERS = {"Content-Type": "application/json"}


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def process_cpu_s(pid: int) -> float:
    """The CPU time (user + system, s) a process used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def nid(n: int) -> str:
    """A valid national ID per ``n`` (birth day and serial vary; governorate Giza)."""
    birth = date(1960, 1, 1) + timedelta(days=n % 15000)
    return f"{2 if birth.year < 2000 else 3}{birth:%y%m%d}21{n // 15000 % 10000:04d}5"


def mobile(n: int) -> str:
    return f"010{n % 10**8:08d}"


def load(db: ServerDatabase, total: int, centres: list[str], today: date, rng: random.Random) -> None:
    rule = slots.parse_rule(RULE)
    now = utcnow()
    with db.sessions.begin() as s:
        for code in centres:
            s.add(EnrolledCentre(code=code, name=code, governorate="21", sync_public_key="-", enrolled_at=now,
                                 clock_flagged=False))
            s.add(AppointmentRule(centre_code=code, group_letter=GROUP, hours=json.dumps(RULE["hours"]),
                                  slot_minutes=15, places=10, horizon_days=31, cutoff_days_before=0,
                                  cutoff_time="00:00", updated_at=now, updated_by="bench"))
    days = [today + timedelta(days=k) for k in range(-150, 31)]
    places = [(c, start, d) for c in centres for d in days for start in rule.slot_starts(d)]
    rng.shuffle(places)
    booked: Counter[tuple[str, datetime]] = Counter()
    rows, n = [], 0
    for centre, start, day in places:
        for _ in range(rng.randint(0, 4)):  # a slot of 10 places: 0-4 taken, so the month has free places
            if n >= total:
                break
            n += 1
            booked[(centre, start)] += 1
            state = "booked" if day >= today else rng.choice(("checked_in", "checked_in", "checked_in", "no_show"))
            rows.append({"code": f"{n:08X}", "secret_digest": _digest(str(n)), "centre_code": centre,
                         "group_letter": GROUP, "service_code": SERVICE, "slot_start": start, "day": day,
                         "national_id": nid(n), "mobile": mobile(n) if state == "booked" else None, "lang": "ar",
                         "state": state, "active_key": f"{nid(n)}|{SERVICE}|{day}" if state == "booked" else None,
                         "version": n, "created_at": now, "updated_at": now})
    with db.sessions.begin() as s:
        for i in range(0, len(rows), 5000):
            s.execute(insert(Booking), rows[i:i + 5000])
        s.execute(insert(AppointmentSlot), [{"centre_code": c, "group_letter": GROUP, "slot_start": st, "booked": k}
                                            for (c, st), k in booked.items()])
        s.execute(insert(AppointmentCentre), [{"centre_code": c, "version": total} for c in centres])
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    print(f"bookings_stored: {n}", flush=True)


def free_slots_figures(db: ServerDatabase, url: str, centre: str, today: date, requests_n: int) -> None:
    session = requests.Session()
    params = {"centre": centre, "service": SERVICE, "from": today.isoformat(), "days": "31"}
    times, count = [], 0
    for _ in range(requests_n):
        began = time.perf_counter()
        answer = session.get(url + "/v1/appointments/slots", params=params, timeout=30)
        times.append((time.perf_counter() - began) * 1000)
        answer.raise_for_status()
        count = sum(len(d["slots"]) for d in answer.json()["days"])
    print(f"free_slots_count: {count}")
    print(f"free_slots_p50_ms: {statistics.median(times):.1f}")
    print(f"free_slots_p95_ms: {p95(times):.1f}", flush=True)
    inner = []
    for _ in range(requests_n):
        began = time.perf_counter()
        with db.sessions() as s:
            slots.free_slots(s, centre, GROUP, today, 31, utcnow())
        inner.append((time.perf_counter() - began) * 1000)
    print(f"free_slots_function_p95_ms: {p95(inner):.1f}", flush=True)


def bookers(url: str, centre: str, starts: list[str], count: int, per_booker: int, first_n: int,
            rng: random.Random) -> tuple[list[float], Counter[str]]:
    times: list[float] = []
    outcomes: Counter[str] = Counter()
    lock, barrier = threading.Lock(), threading.Barrier(count)
    plans = [[rng.choice(starts) for _ in range(per_booker)] for _ in range(count)]

    def run(k: int) -> None:
        # the standard library's client: about a quarter of requests' CPU per call, which shares the
        # machine's cores with the server and PostgreSQL (one kept-alive connection per booker)
        address = urlsplit(url)
        connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=60)
        barrier.wait()
        for j, start in enumerate(plans[k]):
            n = first_n + k * per_booker + j
            body = json.dumps({"centre": centre, "service": SERVICE, "slot": start, "national_id": nid(n),
                               "mobile": mobile(n)}).encode()
            began = time.perf_counter()
            connection.request("POST", "/v1/appointments/bookings", body=body, headers=JSON_HEADERS)
            answer = connection.getresponse()
            text = answer.read()
            took = (time.perf_counter() - began) * 1000
            outcome = "made" if answer.status == 201 else (
                json.loads(text).get("error", "?") if answer.status < 500 else "error")
            with lock:
                times.append(took)
                outcomes[outcome] += 1
        connection.close()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    return times, outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bookings", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--bookers", type=int, default=50)
    parser.add_argument("--per-booker", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1, help="the server's worker processes")
    args = parser.parse_args(argv)
    print(f"load_1min_start: {os.getloadavg()[0]:.2f}", flush=True)
    rng = random.Random(20)
    centres = [f"GIZ-{i:02d}" for i in range(10)]
    with throwaway_postgres() as cluster:
        url = str(cluster.create_database())
        db = ServerDatabase(url)
        seed_catalogue(db)
        today = local_day(utcnow())
        began = time.perf_counter()
        load(db, args.bookings, centres, today, rng)
        print(f"load_s: {time.perf_counter() - began:.1f}", flush=True)
        proc, server = start_central_process(url, TOKEN, cwd=ROOT, args=("--workers", str(args.workers)),
                                             env={"SHUBBAK_RATE_LIMITS": "off",
                                                  "SHUBBAK_APPOINTMENT_LIMITS": "monthly=100"})
        try:
            requests.get(server + "/v1/appointments/slots", params={"centre": centres[0], "service": SERVICE},
                         timeout=30).raise_for_status()  # warm: the catalogue parsed, the connections made
            free_slots_figures(db, server, centres[0], today, args.requests)
            tomorrow = today + timedelta(days=1)
            starts = [f["start"] for d in requests.get(
                server + "/v1/appointments/slots", timeout=30,
                params={"centre": centres[1], "service": SERVICE, "from": tomorrow.isoformat(), "days": "30"}
            ).json()["days"] for f in d["slots"]]
            cpu_before = process_cpu_s(proc.pid)
            times, outcomes = bookers(server, centres[1], starts, args.bookers, args.per_booker, 10**6, rng)
            made = outcomes.get("made", 0)
            if args.workers == 1 and made:
                print(f"booking_server_cpu_ms: {(process_cpu_s(proc.pid) - cpu_before) / made * 1000:.2f}")
            print(f"booking_p50_ms: {statistics.median(times):.1f}")
            print(f"booking_p95_ms: {p95(times):.1f}")
            print(f"bookings_made: {outcomes.pop('made', 0)}")
            print(f"bookings_full: {outcomes.pop('full', 0)}")
            print(f"booking_errors: {sum(outcomes.values())} {dict(outcomes) if outcomes else ''}".rstrip(), flush=True)
            # the last place: 50 bookers of one empty 10-place slot of another centre
            empty = [f for d in requests.get(server + "/v1/appointments/slots", timeout=30,
                                             params={"centre": centres[2], "service": SERVICE,
                                                     "from": tomorrow.isoformat(), "days": "30"}).json()["days"]
                     for f in d["slots"]]
            slot = next(f["start"] for f in empty if f["free"] == 10)
            _times, last = bookers(server, centres[2], [slot], 50, 1, 2 * 10**6, rng)
            print(f"last_place_bookings: {last['made']} (full: {last['full']})")
        finally:
            proc.terminate()
            proc.wait(30)
            db.dispose()
    print(f"load_1min_end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
