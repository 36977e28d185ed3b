"""The agent's heartbeat: at least each minute, with or without events to send, the centre tells
the central server its backlog, its queue now, its software version and its clock
(``POST /v1/heartbeat``, :mod:`sync.server.heartbeats`).

* backlog: the outbox's events waiting to be sent, the oldest one's age and the events the server
  refused for good (:mod:`counter_app.core.outbox`);
* the queue now: :func:`counter_app.core.queue_now.queue_now` (waiting per group, the longest
  current wait, counters open);
* the version: the installed ``shubbak`` distribution's;
* the clock: this PC's own clock (uncorrected), by which the server measures its skew.

**Not blocked by a push.** :class:`Heartbeats` runs on a thread of its own with an HTTP session of
its own (its own connection), signing with the agent's key and clock: a push of a long backlog,
batch after batch on the agent's connection, or one stuck until its timeout, does not hold it up.
It reads the centre database in one short read transaction of its own. Every running agent sends
(the one holding the sending lease and any other): the figures are the centre's, whoever reads them.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

import requests

from counter_app.core import outbox
from counter_app.core.clock import as_utc, utcnow
from counter_app.core.db import Database
from counter_app.core.queue_now import queue_now
from sync import protocol

if TYPE_CHECKING:
    from sync.agent.agent import Agent

log = logging.getLogger(__name__)

#: Seconds between heartbeats: twice a minute, so one lost on the way still leaves the server one a
#: minute.
HEARTBEAT_S = 30.0


@functools.cache  # the metadata look-up reads site-packages (~40 ms); the version does not change
def software_version() -> str:
    try:
        return importlib.metadata.version("shubbak")
    except importlib.metadata.PackageNotFoundError:  # run from the source tree, not installed
        return "0+source"


def collect(db: Database, centre: str, now: datetime | None = None) -> protocol.Heartbeat:
    """The heartbeat of now, read in one read transaction."""
    moment = as_utc(now or utcnow())
    with db.read() as s:
        events, oldest, rejected = outbox.pending_count(s), outbox.oldest_pending_at(s), outbox.rejected_count(s)
        queue = queue_now(s, moment)
    age = max(0, int((moment - as_utc(oldest)).total_seconds())) if oldest is not None else None
    return protocol.Heartbeat(
        centre=centre, clock=moment, version=software_version(),
        backlog=protocol.HeartbeatBacklog(events=events, oldest_age_s=age, rejected=rejected),
        queue=protocol.HeartbeatQueue(day=queue.day, waiting=queue.waiting, longest_wait_s=queue.longest_wait_s,
                                      counters_open=queue.counters_open, counters_active=queue.counters_active))


class Heartbeats:
    """Sends the agent's heartbeat every ``interval`` seconds on its own thread and connection."""

    def __init__(self, agent: Agent, interval: float = HEARTBEAT_S) -> None:
        self.agent, self.interval = agent, interval
        self.http = requests.Session()
        self.sent = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def send_once(self) -> dict[str, Any]:
        """Send one heartbeat now; the server's answer (its receive time, this PC's clock skew).
        Raises :class:`sync.agent.agent.SyncError` when it could not be delivered."""
        beat = collect(self.agent.db, self.agent.centre)
        response = self.agent.request("POST", protocol.HEARTBEAT_PATH, beat.encode(), http=self.http)
        self.sent += 1
        try:
            answer = response.json()
        except ValueError:
            answer = None
        return answer if isinstance(answer, dict) else {}

    def _beat(self) -> None:
        """One heartbeat; sent again at once on a fresh connection when the kept-alive one broke
        (the server closes an idle connection after a few seconds: between two beats it may close
        just as the next one goes out)."""
        from sync.agent.agent import SyncError

        try:
            self.send_once()
        except SyncError as exc:
            if not isinstance(exc.__cause__, requests.ConnectionError) or self._stop.is_set():
                raise
            log.info("heartbeat: the connection broke (%s); sending again", exc)
            self.send_once()

    def run(self) -> None:
        from sync.agent.agent import SyncError

        while not self._stop.is_set():
            try:
                self._beat()
                self.failures = 0
            except SyncError as exc:
                self.failures += 1
                # An unreachable or busy server: the push loop says so loudly already, and the next
                # beat comes anyway. A refusal (an older server without heartbeats, say): once.
                loud = not exc.retryable and self.failures == 1
                (log.warning if loud else log.info)("heartbeat not sent: %s", exc)
            except Exception:  # a bug or the local database: keep beating, say it loudly
                log.exception("heartbeat failed")
            self._stop.wait(self.interval)

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.run, name="sync-agent-heartbeat", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, *, join: bool = True) -> None:
        """Stop beating; with ``join``, wait for the thread (up to a request's timeout) and close
        the connection."""
        self._stop.set()
        if not join:
            return
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(sum(self.agent.timeout) + 5)
        self.http.close()
