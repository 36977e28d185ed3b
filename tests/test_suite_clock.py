"""The suite's clock (``tests/helpers/clock.py``): pinned in the daytime of Cairo, the same in
every child process, so a run that crosses Cairo's midnight passes as one at noon does."""

from __future__ import annotations

import multiprocessing as mp
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from counter_app.common.clock import local_day, to_local, utcnow
from tests.helpers.clock import PINNED_HOUR, clock_at

ROOT = Path(__file__).resolve().parents[1]
PRINT_NOW = "from counter_app.common.clock import utcnow; print(utcnow().isoformat())"


def _child_now() -> str:
    return utcnow().isoformat()


def test_the_suite_runs_in_cairos_daytime() -> None:
    # pinned at 10:00 when the run started; the whole suite lasts well under the 14 h to midnight
    assert PINNED_HOUR <= to_local(utcnow()).hour < 23


def test_a_started_program_has_the_same_clock() -> None:
    before = utcnow()
    out = subprocess.run([sys.executable, "-c", PRINT_NOW], cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert before <= datetime.fromisoformat(out.strip()) <= utcnow()


def test_a_spawned_worker_has_the_same_clock() -> None:
    before = utcnow()
    with mp.get_context("spawn").Pool(1) as pool:
        seen = datetime.fromisoformat(pool.apply(_child_now))
    assert before <= seen <= utcnow()


def test_clock_at_moves_this_process_and_its_children() -> None:
    moment = datetime(2031, 3, 12, 22, 20, tzinfo=UTC)
    with clock_at(moment):
        assert str(local_day(utcnow())) == "2031-03-13"
        out = subprocess.run([sys.executable, "-c", PRINT_NOW], cwd=ROOT, capture_output=True, text=True,
                             check=True, timeout=60).stdout
        assert abs(datetime.fromisoformat(out.strip()) - moment) < timedelta(minutes=1)
    assert utcnow().year < 2031
