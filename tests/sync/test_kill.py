"""kill -9 of the ``sync-agent`` process at random points during a large backlog."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from counter_app.core import outbox
from sync.agent.agent import Agent
from tests.helpers.central import Central
from tests.helpers.factories import Centre
from tests.helpers.syncing import assert_exactly_once, queue_events, server_uuids

ROOT = Path(__file__).resolve().parents[2]


def start_agent(db_url: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as err:
        return subprocess.Popen([sys.executable, "-m", "sync.agent", "--db", db_url, "--interval", "0.2",
                                 "--batch-events", "100"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)


@pytest.mark.slow
def test_kill_nine_during_a_large_backlog_loses_nothing_and_doubles_nothing(
        enrolled: Centre, central: Central, db_url: str, tmp_path: Path) -> None:
    rng = random.Random(7)
    queue_events(enrolled.db, 6000)
    base = len(server_uuids(central))
    log = tmp_path / "agent.log"
    kills_mid_drain = 0
    last = base
    for _round in range(8):
        with enrolled.db.read() as s:
            if outbox.pending_count(s) == 0:
                break
        agent = start_agent(db_url, log)
        deadline = time.monotonic() + 60
        try:  # wait until this agent makes progress, then kill it at a random moment
            while len(server_uuids(central)) <= last and time.monotonic() < deadline and agent.poll() is None:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.4))
        finally:
            os.kill(agent.pid, signal.SIGKILL)
            agent.wait(10)
        last = len(server_uuids(central))
        with enrolled.db.read() as s:
            kills_mid_drain += outbox.pending_count(s) > 0
    assert kills_mid_drain >= 3, log.read_text(errors="replace")[-2000:]
    # the next agent takes over the dead one's lease at once and finishes the drain
    report = Agent(enrolled.db).sync_once()
    assert not report.leased_elsewhere
    assert assert_exactly_once(enrolled.db, central) >= 6000
    assert len(server_uuids(central)) - base == 6000  # nothing twice, nothing lost
