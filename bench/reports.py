"""Reports benchmark: one year of a large centre (about 1.5 million tickets, their events, the
applications and payments) on PostgreSQL; the time to compute today's key figures (what the
supervisor's dashboard shows) and to build a monthly report as an A4 PDF.

    python bench/reports.py [--per-day 4100] [--days 365] [--runs 15]

Prints ``name: value`` lines: ``dashboard_ms`` (median; the dashboard window's call: today's key
figures with the service and clerk names), ``dashboard_p95_ms``, ``day_kpis_ms`` (``core.kpis`` alone), ``monthly_pdf_s``
(median), ``monthly_kpis_s``, ``tickets``, ``ticket_events``, ``load_s``. The history is written
with COPY straight into the migrated schema; the measured code is the real ``core.kpis`` and
``counter_app.services.reports`` path, reading through SQLAlchemy like the app.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = str(Path(__file__).resolve().parent)  # bench/queue.py would shadow the standard library's queue
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import psycopg  # noqa: E402
from sqlalchemy import make_url  # noqa: E402

from counter_app.core import kpis  # noqa: E402
from counter_app.core.clock import CENTRE_TZ, local_day, utcnow  # noqa: E402
from counter_app.core.db import Database  # noqa: E402
from counter_app.services import reports  # noqa: E402
from printers.period_report import period_report_pdf  # noqa: E402
from tests.helpers.factories import build_centre  # noqa: E402
from tests.helpers.postgres import throwaway_postgres  # noqa: E402

SERVICES = ["MP-REG-CERT", "MP-SKILL-CERT", "MP-PRACTICE-LIC", "MP-FOREIGN-WP", "LU-BUILD-PERMIT",
            "LU-RESTORE-PERMIT", "LU-DEMOLISH", "LU-RECONCILE", "LU-OCCUPANCY", "LU-SHOP-LICENCE",
            "LU-UTILITY-OK", "LU-PROPTAX-EXTRACT", "LU-SITE-STATEMENT"]
GROUP = {"MP": "A", "LU": "B"}
METHODS = ["cash", "card", "epayment"]


def load_year(url: str, days: int, per_day: int, counters: list[int], clerks: list[int]) -> tuple[int, int]:
    """COPY a year of finished tickets with their events, and an application (paid) for 60% of them."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    today = local_day(utcnow())

    def history() -> Iterator[tuple[tuple[object, ...], list[tuple[str, datetime, int | None, int | None]]]]:
        """Deterministic: walked once for the tickets and once for their events (one COPY at a time)."""
        number = 0
        for d in range(days - 1, -1, -1):
            day = today - timedelta(days=d)
            opening = datetime.combine(day, dtime(8, 0), tzinfo=CENTRE_TZ)
            for k in range(per_day):
                number += 1
                service = SERVICES[(k * 7 + d) % len(SERVICES)]
                letter = GROUP[service[:2]]
                counter, clerk = counters[k % len(counters)], clerks[k % len(clerks)]
                issued = opening + timedelta(seconds=k * 7)
                called = issued + timedelta(seconds=60 + (k * 37 + d * 11) % 1800)
                finished = called + timedelta(seconds=240 + (k * 53) % 900)
                yield ((number, str(uuid.UUID(int=number)), "GIZ-01", day, letter, k + 1, letter, k % 10 == 0,
                        service, "done", counter, clerk, issued, issued, called, finished, 0),
                       [("issued", issued, None, None), ("called", called, counter, clerk),
                        ("finished", finished, counter, clerk)])

    ticket_id = event_id = app_id = 0
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        with cur.copy("COPY ticket (id, uuid, centre_code, day, letter, number, group_letter, priority, "
                      "service_code, status, counter_id, clerk_id, issued_at, queued_at, called_at, finished_at, "
                      "recall_count) FROM STDIN") as tickets:
            for row, _events in history():
                tickets.write_row(row)
                ticket_id += 1
        with cur.copy("COPY ticket_event (id, ticket_id, kind, at, counter_id, user_id) FROM STDIN") as events:
            for row, evs in history():
                for kind, moment, counter_id, user_id in evs:
                    event_id += 1
                    events.write_row((event_id, row[0], kind, moment, counter_id, user_id))
        app_rows: list[tuple[object, ...]] = []
        with cur.copy("COPY application (id, uuid, tracking_code, centre_code, service_code, catalogue_version, "
                      "ticket_id, state, received_by, counter_id, applicant_name, national_id, birth_date, sex, "
                      "governorate_code, fee_total_piastres, created_at, submitted_at, due_at, notify_opt_out) "
                      "FROM STDIN") as apps:
            for t in range(1, ticket_id + 1):
                if t % 5 in (0, 1):  # 60% of the tickets leave an application
                    continue
                app_id += 1
                d, k = divmod(t - 1, per_day)
                day = today - timedelta(days=days - 1 - d)
                moment = datetime.combine(day, dtime(9, 0), tzinfo=CENTRE_TZ) + timedelta(seconds=k * 7)
                apps.write_row((app_id, str(uuid.UUID(int=(1 << 64) + app_id)), f"{app_id:012d}", "GIZ-01",
                                SERVICES[(k * 7 + d) % len(SERVICES)], 1, t, "delivered", clerks[k % len(clerks)],
                                counters[k % len(counters)], "مواطن", "29001011234567", date(1990, 1, 1), "male",
                                "01", 5000, moment, moment, moment + timedelta(days=3), False))
                app_rows.append((app_id, METHODS[k % 3], 5000, moment, clerks[k % len(clerks)]))
        with cur.copy("COPY payment (application_id, method, amount_piastres, paid_at, received_by) "
                      "FROM STDIN") as payments:
            for payment in app_rows:
                payments.write_row(payment)
        for table, column, last in (("ticket", "id", ticket_id), ("ticket_event", "id", event_id),
                                    ("application", "id", app_id)):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), %s)", (last,))
        conn.commit()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")
    return ticket_id, event_id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-day", type=int, default=4100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with throwaway_postgres() as pg, tempfile.TemporaryDirectory(prefix="shubbak-bench-reports-") as tmp:
        db = Database(pg.create_database())
        site = build_centre(db, counters=3, clerks=3)
        start = time.perf_counter()
        tickets, events = load_year(db.url, args.days, args.per_day, site.counter_ids, site.clerk_ids)
        load_s = time.perf_counter() - start
        today = local_day(utcnow())
        dashboard, day_kpis = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            with db.read() as s:
                figures = kpis.compute(s, today)
            day_kpis.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()  # what the dashboard window asks for: names, role check and all
            shown = reports.dashboard(db, site.supervisor_id, today, today)
            dashboard.append((time.perf_counter() - t0) * 1000)
        assert figures.tickets_issued == shown.tickets_issued == args.per_day, figures.tickets_issued
        first, last = reports.period_bounds("month", today - timedelta(days=today.day))  # last full month
        monthly, monthly_kpis = [], []
        for i in range(3):
            t0 = time.perf_counter()
            with db.read() as s:
                t1 = time.perf_counter()
                kpis.compute(s, first, last)
                monthly_kpis.append(time.perf_counter() - t1)
            t0 = time.perf_counter()
            with db.read() as s:
                data = reports.build(s, first, last, "month")
            period_report_pdf(data, Path(tmp) / f"month-{i}.pdf")
            monthly.append(time.perf_counter() - t0)
        db.dispose()
    dashboard.sort()
    print(f"tickets: {tickets}")
    print(f"ticket_events: {events}")
    print(f"load_s: {load_s:.1f}")
    print(f"day_kpis_ms: {statistics.median(day_kpis):.1f}")
    print(f"dashboard_ms: {statistics.median(dashboard):.1f}")
    print(f"dashboard_p95_ms: {dashboard[max(0, int(len(dashboard) * 0.95) - 1)]:.1f}")
    print(f"monthly_kpis_s: {statistics.median(monthly_kpis):.2f}")
    print(f"monthly_pdf_s: {statistics.median(monthly):.2f}")
    print(f"monthly_tickets: {data.tickets_issued}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
