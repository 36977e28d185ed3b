"""Display latency: from a counter's call next in one process to the display's model update in
another, on SQLite and on PostgreSQL.

    python bench/display_latency.py [--calls 500] [--gap-ms 50] [--only sqlite|postgresql]

Prints ``name: value`` lines: ``display_latency_p50_ms_sqlite``, ``display_latency_p95_ms_sqlite``,
``display_latency_p50_ms_postgresql``, ``display_latency_p95_ms_postgresql`` (and the max).

The display process is the real one: the watcher thread (PRAGMA data_version on SQLite, LISTEN on
PostgreSQL), the queued signal to the GUI thread and ``DisplayWindow.set_state``; it writes the
wall-clock time of every model update with the newest call it shows. The counter process calls
``queue.call_next`` through the core, ``--gap-ms`` apart, and notes the time each call committed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def display_process(url: str, out: Path, target: int) -> int:
    """The display side: runs until it has shown the call with event id ``target``."""
    from PySide6.QtWidgets import QApplication

    from queue_display.watcher import Watcher
    from queue_display.window import DisplayController, DisplayWindow

    app = QApplication([])
    controller = DisplayController()
    window = DisplayWindow("ar", None, None)
    controller.state_changed.connect(window.set_state)
    log = out.open("w", encoding="utf-8")

    def updated(state: object) -> None:
        last = window.state.last_event_id if window.state else 0
        log.write(f"{time.time():.6f} {last}\n")
        log.flush()
        if last >= target:
            app.quit()

    window.model_updated.connect(updated)
    watcher = Watcher(url, controller.on_state, controller.on_status)
    window.resize(1920, 1080)
    window.show()
    watcher.start()
    app.exec()
    watcher.stop()
    log.close()
    return 0


def run(url: str, calls: int, gap_s: float) -> list[float]:
    from sqlalchemy import func, select

    from counter_app.core import queue
    from counter_app.core.db import Database
    from counter_app.core.models import TicketEvent
    from tests.helpers.factories import build_centre

    db = Database(url)
    site = build_centre(db, counters=4)
    with db.begin() as s:
        for i in range(calls + 4):
            queue.issue_ticket(s, "ABCD"[i % 4])
    with db.read() as s:
        base = int(s.scalar(select(func.max(TicketEvent.id))) or 0)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "updates.txt"
        # the events of the calls get ids above ``base``; each call writes exactly one event here
        # (nobody is being served, so call next finishes nothing)
        target_guess = base + 10 * calls
        display = subprocess.Popen([sys.executable, __file__, "--display", url, str(out), str(target_guess)],
                                   cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        deadline = time.monotonic() + 60
        while not (out.exists() and out.stat().st_size) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        committed: list[tuple[int, float]] = []
        for i in range(calls):
            counter = site.counter_ids[i % len(site.counter_ids)]
            with db.begin() as s:
                ticket = queue.call_next(s, counter, site.clerk_ids[i % len(site.clerk_ids)])
                assert ticket is not None
                event_id = int(s.scalar(select(func.max(TicketEvent.id)).where(
                    TicketEvent.ticket_id == ticket.id)) or 0)
            committed.append((event_id, time.time()))
            time.sleep(gap_s)
        time.sleep(1.0)
        display.terminate()
        display.wait(30)
        updates = [(float(t), int(e)) for t, e in (line.split() for line in out.read_text().splitlines())]
    db.dispose()
    latencies = []
    for event_id, at in committed:
        shown = next((t for t, last in updates if last >= event_id), None)
        if shown is None:
            raise RuntimeError(f"the display never showed event {event_id}")
        latencies.append(max(shown - at, 0.0) * 1000)
    return latencies


def report(name: str, values: list[float]) -> None:
    values = sorted(values)
    p95 = values[max(int(len(values) * 0.95) - 1, 0)]
    print(f"display_latency_p50_ms_{name}: {statistics.median(values):.1f}")
    print(f"display_latency_p95_ms_{name}: {p95:.1f}")
    print(f"display_latency_max_ms_{name}: {values[-1]:.1f}")


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--display":
        return display_process(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--gap-ms", type=float, default=50.0)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    from tests.helpers.postgres import throwaway_postgres

    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            report("sqlite", run(f"sqlite:///{Path(tmp) / 'centre.sqlite3'}", args.calls, args.gap_ms / 1000))
    if args.only != "sqlite":
        with throwaway_postgres(durable=True) as cluster:
            report("postgresql", run(cluster.create_database(), args.calls, args.gap_ms / 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main())
