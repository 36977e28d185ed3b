"""Queue benchmark: issue-ticket and call-next with a large history, on SQLite and PostgreSQL.

Prints ``name: value`` lines:

    call_next_median_ms_sqlite, call_next_p99_ms_sqlite,
    call_next_median_ms_postgresql, call_next_p99_ms_postgresql,
    issue_ticket_median_ms_sqlite, issue_ticket_median_ms_postgresql,
    call_next_median_ms_sqlite_10k, history_growth_ratio

The history (past days' finished tickets and their applications) is bulk-loaded; the measured
operations go through the real core API, one transaction each, with durable commits
(SQLite ``synchronous=FULL``; PostgreSQL with fsync on). ``history_growth_ratio`` is call-next's
median with 1,000,000 past tickets divided by its median with 10,000, measured in the same run.

    python bench/queue.py [--history 1000000] [--applications 200000] [--ops 400] [--only sqlite]
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the standard library's ``queue``: take its folder off the path first.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402

from sqlalchemy import insert, select  # noqa: E402

from counter_app.core import queue  # noqa: E402
from counter_app.core.db import Database  # noqa: E402
from counter_app.core.models import Application, ApplicationState, Ticket, TicketStatus  # noqa: E402
from tests.helpers.factories import build_centre  # noqa: E402
from tests.helpers.postgres import throwaway_postgres  # noqa: E402

LETTERS = "ABCD"
CHUNK = 20_000


def load_history(db: Database, start: int, stop: int, applications: int, clerk: int, counter: int,
                 app_offset: int = 0) -> None:
    """Past tickets ``start..stop`` (4,000 a day, finished) and ``applications`` delivered files."""
    today = date.today()
    base = datetime.now(UTC) - timedelta(days=2)
    per_day = 4000
    rows: list[dict[str, object]] = []

    def flush() -> None:
        if rows:
            with db.engine.begin() as conn:
                conn.execute(insert(Ticket), rows)
            rows.clear()

    for i in range(start, stop):
        day_index, k = divmod(i, per_day)
        letter = LETTERS[k % 4]
        day = today - timedelta(days=2 + day_index)
        issued = base - timedelta(days=day_index, seconds=(per_day - k) * 7)
        rows.append({
            "uuid": str(uuid.UUID(int=i + 1)), "centre_code": "GIZ-01", "day": day, "letter": letter,
            "number": k // 4 + 1, "group_letter": letter, "priority": k % 10 == 0, "priority_reason": None,
            "service_code": None, "status": TicketStatus.DONE, "target_counter_id": None, "counter_id": counter,
            "clerk_id": clerk, "issued_at": issued, "queued_at": issued, "called_at": issued + timedelta(minutes=9),
            "finished_at": issued + timedelta(minutes=16), "recall_count": 0,
        })
        if len(rows) >= CHUNK:
            flush()
    flush()
    app_rows: list[dict[str, object]] = []
    for j in range(app_offset, app_offset + applications):
        moment = base - timedelta(minutes=j)
        app_rows.append({
            "uuid": str(uuid.uuid4()), "tracking_code": f"9{j:011d}", "centre_code": "GIZ-01",
            "service_code": "MP-REG-CERT", "catalogue_version": 1, "ticket_id": None,
            "state": ApplicationState.DELIVERED, "received_by": clerk, "counter_id": counter, "reviewer_id": None,
            "applicant_name": "مواطن", "national_id": "29001011234567", "phone": None, "address": None,
            "birth_date": date(1990, 1, 1), "sex": "male", "governorate_code": "01", "fee_total_piastres": 5000,
            "created_at": moment, "submitted_at": moment, "due_at": moment, "decided_at": moment,
        })
        if len(app_rows) >= CHUNK:
            with db.engine.begin() as conn:
                conn.execute(insert(Application), app_rows)
            app_rows.clear()
    if app_rows:
        with db.engine.begin() as conn:
            conn.execute(insert(Application), app_rows)
    if db.dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # Settle the bulk load (hint bits, statistics, dirty pages) before measuring.
            conn.exec_driver_sql("VACUUM ANALYZE")
            conn.exec_driver_sql("CHECKPOINT")
    else:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")


def measure(db: Database, counter_ids: list[int], clerk_id: int, ops: int) -> tuple[list[float], list[float]]:
    """Issue ``ops`` tickets, then call them all (several counters in turn); times in ms."""
    issue_ms: list[float] = []
    for i in range(ops):
        t = time.perf_counter()
        with db.begin() as s:
            queue.issue_ticket(s, LETTERS[i % 4], priority=i % 7 == 0, priority_reason="elderly" if i % 7 == 0 else None)
        issue_ms.append((time.perf_counter() - t) * 1000)
    call_ms: list[float] = []
    for i in range(ops):
        t = time.perf_counter()
        with db.begin() as s:
            ticket = queue.call_next(s, counter_ids[i % len(counter_ids)], clerk_id)
        call_ms.append((time.perf_counter() - t) * 1000)
        assert ticket is not None
    return issue_ms, call_ms


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def run_backend(name: str, url: str, history: int, applications: int, ops: int, out: dict[str, float]) -> None:
    db = Database(url)
    site = build_centre(db, counters=4, clerks=4)
    small = min(10_000, history)
    t = time.perf_counter()
    load_history(db, 0, small, applications // 20, site.clerk_ids[0], site.counter_ids[0])
    print(f"# {name}: loaded {small} past tickets in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    measure(db, site.counter_ids, site.clerk_ids[0], 50)  # warm-up
    _, call_small = measure(db, site.counter_ids, site.clerk_ids[0], ops)
    t = time.perf_counter()
    load_history(db, small, history, applications - applications // 20, site.clerk_ids[0], site.counter_ids[0],
                 app_offset=applications // 20)
    with db.read() as s:
        total = s.scalar(select(Ticket.id).order_by(Ticket.id.desc()).limit(1))
    print(f"# {name}: loaded up to {total} tickets in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    measure(db, site.counter_ids, site.clerk_ids[0], 50)
    issue_big, call_big = measure(db, site.counter_ids, site.clerk_ids[0], ops)
    out[f"call_next_median_ms_{name}"] = statistics.median(call_big)
    out[f"call_next_p99_ms_{name}"] = p99(call_big)
    out[f"issue_ticket_median_ms_{name}"] = statistics.median(issue_big)
    out[f"call_next_median_ms_{name}_10k"] = statistics.median(call_small)
    if name == "sqlite":
        out["history_growth_ratio"] = statistics.median(call_big) / statistics.median(call_small)
    else:
        out["history_growth_ratio_postgresql"] = statistics.median(call_big) / statistics.median(call_small)
    db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--applications", type=int, default=200_000)
    parser.add_argument("--ops", type=int, default=400)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    args = parser.parse_args()
    out: dict[str, float] = {}
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            run_backend("sqlite", f"sqlite:///{tmp}/bench.sqlite3", args.history, args.applications, args.ops, out)
    if args.only in (None, "postgresql"):
        with throwaway_postgres(durable=True) as cluster:
            run_backend("postgresql", cluster.create_database(), args.history, args.applications, args.ops, out)
    for key, value in out.items():
        print(f"{key}: {value:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
