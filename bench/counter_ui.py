"""Counter app UI benchmark.

    QT_QPA_PLATFORM=offscreen python bench/counter_ui.py [--runs 5] [--calls 40]

Prints ``name: value`` lines:

* ``cold_start_s``: a fresh ``counter-app`` process, from spawn to the login window shown
  (median of ``--runs``; the database is opened and migrated in the background);
* ``cold_start_ready_s``: the same processes, until the login is usable (database open and
  migrated, catalogue loaded; a login pressed earlier waits for this moment);
* ``cold_start_all_s``: until the printing stack and the print queue are up too;
* ``call_next_ui_ms``: from pressing call next (F2) to the counter window showing the new ticket
  (median of ``--calls`` presses on a SQLite centre), and ``call_next_ui_p95_ms``.

Targets: cold start under 1.5 s, call next under 50 ms.
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
# bench/queue.py would shadow the standard library's queue module for the in-process sync agent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def prepare_centre(directory: Path) -> str:
    from counter_app.core.db import Database
    from tests.helpers.factories import build_centre

    url = f"sqlite:///{directory / 'centre.sqlite3'}"
    db = Database(url)
    build_centre(db)
    db.dispose()
    return url


def cold_start(url: str, directory: Path, runs: int) -> tuple[float, float, float]:
    config = directory / "counter.ini"
    config.write_text(f"[app]\ndata_dir = {directory / 'data'}\n", encoding="utf-8")
    env = {**os.environ, "SHUBBAK_EXIT_WHEN_SHOWN": "ready", "QT_QPA_PLATFORM": "offscreen"}
    shown, ready, everything = [], [], []
    for _ in range(runs):
        start = time.time()
        out = subprocess.run([sys.executable, "-m", "counter_app.main", "--db", url, "--config", str(config)],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True).stdout
        values = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
        shown.append(float(values["login_shown_at"]) - start)
        ready.append(float(values["login_ready_at"]) - start)
        everything.append(float(values["all_ready_at"]) - start)
    return statistics.median(shown), statistics.median(ready), statistics.median(everything)


def call_next_ui(url: str, directory: Path, calls: int) -> tuple[float, float]:
    from PySide6.QtCore import QCoreApplication, QEventLoop

    from counter_app.core import queue
    from counter_app.core.db import Database
    from counter_app.services.config import AppConfig
    from counter_app.services.views import CounterView, UserView
    from counter_app.ui.counter.counter_window import CounterWindow
    from counter_app.ui.shell.app import Shell, make_application

    app = make_application()
    db = Database(url)
    with db.begin() as s:
        for i in range(calls + 5):
            queue.issue_ticket(s, "ABCD"[i % 4])
    shell = Shell(AppConfig(data_dir=directory / "data"), db=db)
    loop = QEventLoop()
    shell.ready.connect(loop.quit)
    shell.start()
    loop.exec()
    from counter_app.services import shell as shell_service

    user: UserView = shell_service.login(db, "clerk1", "correct horse 1")
    counter: CounterView = shell.ctx.catalogue.counters[0]  # type: ignore[union-attr]
    shell._logged_in(user, counter)
    window = shell.window
    assert isinstance(window, CounterWindow)
    samples = []
    for _ in range(calls):
        before = window.queue.ticket_label.text()
        start = time.perf_counter()
        window.queue.buttons["call_next"].click()
        while window.queue.ticket_label.text() == before or window.queue.busy:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
        app.processEvents()  # the repaint of the label
        samples.append((time.perf_counter() - start) * 1000)
    shell.shutdown()
    db.dispose()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        url = prepare_centre(directory)
        shown, ready, everything = cold_start(url, directory, args.runs)
        print(f"cold_start_s: {shown:.3f}")
        print(f"cold_start_ready_s: {ready:.3f}")
        print(f"cold_start_all_s: {everything:.3f}")
        median, p95 = call_next_ui(url, directory, args.calls)
        print(f"call_next_ui_ms: {median:.1f}")
        print(f"call_next_ui_p95_ms: {p95:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
