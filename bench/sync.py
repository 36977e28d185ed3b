"""Sync benchmark: drain 10,000 queued events to the central server on PostgreSQL over loopback,
batched and one request per event (the baseline, in the same run); then 50 centres pushing at once.

    python bench/sync.py [--events 10000] [--baseline-events 10000] [--centres 50] [--batches 10]
                         [--batch-size 200] [--workers 1]

Prints ``name: value`` lines: ``drain_10k_s``, ``events_per_s``, ``bytes_per_event``,
``speedup_vs_one_per_request``, ``ingest_50_centres_events_per_s``, ``ingest_batch_p99_ms``
(and a few more). The central server is the real one (``central-server``, FastAPI on uvicorn) in
its own process on a throwaway PostgreSQL cluster; the centre is a SQLite file with durable
commits, its agent the real ``sync.agent.agent.Agent``. ``bytes_per_event`` counts everything on the
wire both ways (headers, compressed bodies), through a counting pass-through proxy in a second,
untimed drain of the same events.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# This file is named like the ``sync`` package: take its folder off the path first.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import requests  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from sqlalchemy import update  # noqa: E402

from counter_app.core.clock import utcnow  # noqa: E402
from counter_app.core.db import Database  # noqa: E402
from counter_app.core.models import OutboxEvent  # noqa: E402
from sync import protocol  # noqa: E402
from sync.agent.agent import Agent  # noqa: E402
from sync.agent.enrol import enrol  # noqa: E402
from sync.agent.lease import release_lease  # noqa: E402
from tests.helpers.central import start_central_process  # noqa: E402
from tests.helpers.factories import build_centre  # noqa: E402
from tests.helpers.faultproxy import FaultProxy  # noqa: E402
from tests.helpers.postgres import throwaway_postgres  # noqa: E402
from tests.helpers.syncing import queue_events  # noqa: E402

TOKEN = "bench-admin-token"


def start_server(db_url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    # the one-request-per-event baseline (10,000 requests of one centre) and 50 enrolments from one
    # address are beyond the deployed limits on purpose; the limits are still counted, higher
    return start_central_process(db_url, TOKEN, cwd=_BENCH.parent, args=("--workers", str(workers)),
                                 env={"SHUBBAK_RATE_LIMITS": "centre=1000000/minute,enrol=1000/minute"})


def centre(folder: Path, name: str, server: str, events: int) -> Database:
    """A centre with ``events`` waiting, enrolled, its set-up events already sent."""
    db = Database(f"sqlite:///{folder / name}.sqlite3")
    build_centre(db)
    enrol(db, server, TOKEN)
    with Agent(db) as first:
        first.sync_once()
        with db.begin() as s:
            release_lease(s, first.holder)
    queue_events(db, events)
    return db


def drain(db: Database, server: str, max_events: int) -> tuple[float, int]:
    with Agent(db, server, max_events=max_events) as agent:
        start = time.perf_counter()
        report = agent.sync_once()
        elapsed = time.perf_counter() - start
        with db.begin() as s:
            release_lease(s, agent.holder)
    return elapsed, report.sent + report.duplicates


def wire_bytes(db: Database, server_port: int, server: str) -> int:
    """Send the same events again through a counting proxy (the server answers duplicate)."""
    with db.begin() as s:
        s.execute(update(OutboxEvent).values(sent_at=None))
    with FaultProxy(server_port) as proxy:
        drain(db, proxy.url, protocol.MAX_BATCH_EVENTS)
        time.sleep(0.2)
        return proxy.bytes_up + proxy.bytes_down


def ingest_many(server: str, centres: int, batches: int, size: int) -> tuple[float, list[float]]:
    keys: dict[str, Ed25519PrivateKey] = {}
    for i in range(centres):
        code = f"BENCH-{i:03d}"
        keys[code] = Ed25519PrivateKey.generate()
        requests.post(server + "/v1/centres/enrol", timeout=30, headers={"Authorization": f"Bearer {TOKEN}"},
                      json={"code": code, "sync_public_key": protocol.public_pem(keys[code].public_key())}
                      ).raise_for_status()
    bodies: dict[str, list[bytes]] = {}
    for code in keys:
        bodies[code] = []
        for b in range(batches):
            files = [str(uuid.uuid4()) for _n in range(size)]
            # application.create events as a centre writes them (they follow their schema: sync.events)
            events = [protocol.WireEvent(str(uuid.uuid4()), b * size + n + 1, "application.create", files[n],
                                         "2026-11-23T09:00:00+00:00",
                                         {"application": files[n], "tracking_code": f"{n:04d}-{b:04d}-{code[-3:]:0>4}",
                                          "centre": code, "service": "LU-SHOP-LICENCE", "state": "draft",
                                          "fee_total": 15000, "received_by": 2, "reviewer_id": None,
                                          "governorate": "01", "catalogue_version": 1,
                                          "at": "2026-11-23T09:00:00+00:00"})
                      for n in range(size)]
            bodies[code].append(protocol.encode_batch(code, events))
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(centres + 1)
    failures: list[str] = []

    def push(code: str) -> None:
        http = requests.Session()
        mine = []
        barrier.wait()
        for body in bodies[code]:
            stamp = utcnow().isoformat()
            headers = {protocol.HEADER_CENTRE: code, protocol.HEADER_TIME: stamp,
                       protocol.HEADER_SIGNATURE: protocol.sign(keys[code], "POST", "/v1/events", stamp, body)}
            start = time.perf_counter()
            r = http.post(server + "/v1/events", data=body, headers=headers, timeout=120)
            mine.append(time.perf_counter() - start)
            if r.status_code != 200 or any(x["status"] != "stored" for x in r.json()["results"]):
                failures.append(f"{code}: {r.status_code}")
        http.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=push, args=(code,)) for code in keys]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"{len(failures)} batches not stored: {failures[:3]}")
    return wall, latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--baseline-events", type=int, default=10_000)
    parser.add_argument("--centres", type=int, default=50)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with throwaway_postgres() as pg, tempfile.TemporaryDirectory(prefix="shubbak-bench-sync-") as tmp:
        folder = Path(tmp)
        server_proc, server = start_server(pg.create_database(), args.workers)
        try:
            batched_db = centre(folder, "batched", server, args.events)
            drain_s, sent = drain(batched_db, server, protocol.MAX_BATCH_EVENTS)
            assert sent == args.events, sent
            port = int(server.rsplit(":", 1)[1])
            wire = wire_bytes(batched_db, port, server)
            batched_db.dispose()

            single_db = centre(folder, "single", server, args.baseline_events)
            single_s, single_sent = drain(single_db, server, 1)
            assert single_sent == args.baseline_events, single_sent
            single_db.dispose()

            wall, latencies = ingest_many(server, args.centres, args.batches, args.batch_size)
        finally:
            server_proc.terminate()
            server_proc.wait(30)
    per_s = args.events / drain_s
    single_per_s = args.baseline_events / single_s
    total = args.centres * args.batches * args.batch_size
    latencies.sort()
    print(f"drain_10k_s: {drain_s * 10_000 / args.events:.2f}")
    print(f"events_per_s: {per_s:.0f}")
    print(f"bytes_per_event: {wire / args.events:.1f}")
    print(f"one_per_request_events_per_s: {single_per_s:.0f}")
    print(f"speedup_vs_one_per_request: {per_s / single_per_s:.1f}")
    print(f"ingest_50_centres_events_per_s: {total / wall:.0f}")
    print(f"ingest_batch_p50_ms: {statistics.median(latencies) * 1000:.1f}")
    print(f"ingest_batch_p99_ms: {latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000:.1f}")
    print(f"ingest_centres: {args.centres}")
    print(f"ingest_batch_events: {args.batch_size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
