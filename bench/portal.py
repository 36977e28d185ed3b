"""Portal benchmark: the mobile ticket under a thousand phones, the delay from a call at the centre
to the phone, and the weight of the home page.

    python bench/portal.py [--phones 1000] [--streams N] [--interval 15] [--seconds 30] [--calls 10] [--sqlite]

Prints ``name: value`` lines:

* ``ticket_page_p95_ms`` (goal < 50): 1,000 simulated phones, each with its own ticket of one centre,
  refreshing their ticket's state (``/t/<token>/state``, what ``ticket.js`` asks) every
  ``--interval`` seconds, open loop (a request's time counts from when it was due, so a server
  that falls behind is not hidden), against one server process (``python -m sync.server``, one
  worker) on a throwaway PostgreSQL (``--sqlite``: a SQLite file); every tenth refresh is the whole
  HTML page (a phone without JavaScript). Meanwhile the centre keeps calling (a call every 2 s)
  and its real agent sends the events. The per-client rate limit is raised, not switched off (all
  phones come from one address here), so its database write per request is counted.
  Also ``ticket_state_p50_ms``, ``ticket_html_p95_ms``, ``ticket_requests``, ``ticket_errors``.
* ``call_to_phone_s`` (goal < 3, median of ``--calls``): from call-next at the real centre (core on
  SQLite, real ``Agent`` kicked at the commit) to the "called" event arriving on that ticket's
  server-sent event stream (``/t/<token>/events``), as a phone's page receives it. Every phone
  holds its stream during the whole run (``--streams``, default every phone: asyncio, one thread),
  so the refresh figures above are taken with them open too (with fewer streams, ``--streams 0``
  say, a called ticket without a stream is asked ``/state`` every 50 ms: the delay until the
  server knows). Also ``call_to_phone_max_s``,
  ``sse_streams_held`` (streams the one server process held at once, counted by the phones:
  open and their first event received) and ``sse_streams_refused``.
* ``portal_home_bytes`` (goal < 60 KB): the home page and everything it loads (style sheet,
  scripts, images named by the page), bodies as sent uncompressed; ``portal_home_wire_bytes`` as
  a phone receives them with gzip.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# This file's folder has a ``sync.py``: take it off the path first.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import requests  # noqa: E402

from counter_app.core import outbox, queue  # noqa: E402
from counter_app.core.db import Database  # noqa: E402
from sync.agent.agent import Agent  # noqa: E402
from sync.agent.enrol import enrol  # noqa: E402
from sync.agent.lease import release_lease  # noqa: E402
from tests.helpers.central import start_central_process  # noqa: E402
from tests.helpers.factories import Centre, build_centre  # noqa: E402
from tests.helpers.postgres import throwaway_postgres  # noqa: E402

TOKEN = "bench-admin-token"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def drain(db: Database) -> None:
    agent = Agent(db, timeout=(5.0, 60.0))
    try:
        while True:
            with db.read() as s:
                if outbox.pending_count(s) == 0:
                    break
            agent.sync_once()
    finally:
        with db.begin() as s:
            release_lease(s, agent.holder)
        agent.close()


def a_busy_centre(folder: Path, server: str, phones: int) -> tuple[Centre, list[str]]:
    """A centre with ``phones`` tickets of today (four groups, one in ten priority), sent."""
    db = Database(f"sqlite:///{folder / 'centre'}.sqlite3")
    site = build_centre(db)
    enrol(db, server, TOKEN)
    tokens = []
    for i in range(phones):
        with db.begin() as s:
            tokens.append(str(queue.issue_ticket(s, "ABCD"[i % 4], priority=i % 10 == 9).ticket.public_token))
    drain(db)
    return site, tokens


@contextlib.contextmanager
def running_agent(db: Database) -> Iterator[Agent]:
    agent = Agent(db, timeout=(2.0, 10.0))
    thread = threading.Thread(target=agent.run_forever, kwargs={"interval": 5.0}, name="agent", daemon=True)
    thread.start()
    try:
        yield agent
    finally:
        agent.stop()
        thread.join(30)
        agent.close()


def phones_refreshing(server: str, tokens: list[str], interval: float, seconds: float,
                      site: Centre) -> tuple[list[float], list[float], int]:
    """Open loop: phone i refreshes at i*interval/len(tokens) + k*interval; latency from when due."""
    local = threading.local()
    rate = len(tokens) / interval
    total = int(rate * seconds)
    state_ms: list[float] = []
    html_ms: list[float] = []
    errors = 0
    lock = threading.Lock()

    def one(k: int, due: float) -> None:
        nonlocal errors
        http = getattr(local, "http", None)
        if http is None:
            http = local.http = requests.Session()
        token = tokens[k % len(tokens)]
        html = k % 10 == 9
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        try:
            answer = http.get(f"{server}/t/{token}" + ("" if html else "/state"), timeout=30)
            ok = answer.status_code == 200
        except requests.RequestException:
            ok = False
        took = (time.perf_counter() - due) * 1000
        with lock:
            if not ok:
                errors += 1
            (html_ms if html else state_ms).append(took)

    stop = threading.Event()

    def centre_calls() -> None:  # the queue moves while the phones look
        n = 0
        while not stop.wait(2.0):
            with site.db.begin() as s:
                queue.call_next(s, site.counter_ids[n % len(site.counter_ids)], site.clerk_ids[0])
            n += 1

    caller = threading.Thread(target=centre_calls, daemon=True)
    caller.start()
    start = time.perf_counter() + 0.5
    with ThreadPoolExecutor(max_workers=128) as pool:
        for k in range(total):
            due = start + k / rate
            ahead = due - time.perf_counter() - 0.2
            if ahead > 0:
                time.sleep(ahead)
            pool.submit(one, k, due)
    stop.set()
    caller.join(10)
    return state_ms, html_ms, errors


class Streams:
    """Phones holding their ticket's event stream, on one asyncio loop in its own thread."""

    def __init__(self, server: str, tokens: list[str], report: Any = None) -> None:
        parts = urlsplit(server)
        self.report = report  # a multiprocessing queue: what the phones see, to the measuring process
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.called: dict[str, float] = {}  # token -> perf_counter() of its "called" event
        self.open = self.held_max = self.refused = self.failed = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="phones-sse", daemon=True)
        self.thread.start()
        self.done = asyncio.run_coroutine_threadsafe(self._all(tokens), self.loop)

    async def _all(self, tokens: list[str]) -> None:
        opening = asyncio.Semaphore(50)
        await asyncio.gather(*(self._one(token, opening) for token in tokens))

    async def _one(self, token: str, opening: asyncio.Semaphore) -> None:
        counted = False
        writer: asyncio.StreamWriter | None = None
        try:
            async with opening:
                reader, writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
                writer.write(f"GET /t/{token}/events HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                             "Accept: text/event-stream\r\n\r\n".encode())
                status = await reader.readline()
                if b" 200 " not in status:
                    self.refused += 1
                    self._report("refused", self.refused + self.failed)
                    return
            while True:
                line = await reader.readline()
                if not line:
                    break
                if not line.startswith(b"data: "):
                    continue  # headers, chunk sizes, keep-alive comments, retry
                if not counted:
                    counted = True
                    self.open += 1
                    self.held_max = max(self.held_max, self.open)
                    self._report("open", self.open, self.held_max)
                if json.loads(line[6:]).get("state") == "called" and token not in self.called:
                    self.called[token] = time.perf_counter()  # one clock for every process (CLOCK_MONOTONIC)
                    self._report("called", token, self.called[token])
        except (OSError, ValueError):
            self.failed += 1
            self._report("refused", self.refused + self.failed)
        finally:
            if counted:
                self.open -= 1
                self._report("open", self.open, self.held_max)
            if writer is not None:
                writer.close()

    def _report(self, *what: Any) -> None:
        if self.report is not None:
            self.report.put(what)

    def wait_open(self, wanted: int, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while self.open + self.refused + self.failed < wanted and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        """Every phone hangs up (before the server stops, which would wait for them)."""
        async def hang_up() -> None:
            phones = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in phones:
                task.cancel()
            await asyncio.gather(*phones, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(hang_up(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def _phones_process(server: str, tokens: list[str], report: Any, stop: Any) -> None:
    streams = Streams(server, tokens, report)
    stop.wait()
    streams.close()


class PhonesElsewhere:
    """:class:`Streams` in a process of their own (their reading must not slow the refreshing
    phones' measurements, which share this process's interpreter lock)."""

    def __init__(self, server: str, tokens: list[str]) -> None:
        context = multiprocessing.get_context("spawn")
        self.report, self.stop = context.Queue(), context.Event()
        self.called: dict[str, float] = {}
        self.tokens = set(tokens)
        self.open = self.held_max = self.refused = self.failed = 0
        self.process = context.Process(target=_phones_process, args=(server, tokens, self.report, self.stop),
                                       daemon=True)
        self.process.start()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            what = self.report.get()
            if what is None:
                return
            if what[0] == "called":
                self.called[what[1]] = what[2]
            elif what[0] == "open":
                self.open, self.held_max = what[1], max(self.held_max, what[2])
            elif what[0] == "refused":
                self.refused = what[1]

    def wait_open(self, wanted: int, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while self.open + self.refused < wanted and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self.stop.set()
        self.process.join(60)
        self.report.put(None)
        self.reader.join(10)


def call_to_phone(site: Centre, streams: PhonesElsewhere, calls: int, server: str) -> list[float]:
    """Call-next at the centre, then wait for the called ticket's phone to get the event (a phone
    without a stream, with ``--streams`` fewer than the phones: its ``/state``, asked every 50 ms)."""
    delays = []
    http = requests.Session()
    for n in range(calls):
        start = time.perf_counter()
        with site.db.begin() as s:
            ticket = queue.call_next(s, site.counter_ids[n % len(site.counter_ids)], site.clerk_ids[0])
            assert ticket is not None
            token = str(ticket.public_token)
        while token not in streams.called:
            if time.perf_counter() - start > 60:
                raise RuntimeError("the call never reached the phone")
            if token not in streams.tokens and http.get(f"{server}/t/{token}/state", timeout=10).json()["state"] == "called":
                streams.called[token] = time.perf_counter()
                break
            time.sleep(0.005 if token in streams.tokens else 0.05)
        delays.append(streams.called[token] - start)
        time.sleep(0.5)  # calls a clerk's pace apart, not back to back
    return delays


def home_bytes(server: str) -> tuple[int, int]:
    """The home page and what it loads: (uncompressed bodies, bodies as sent with gzip)."""
    page = requests.get(server + "/", timeout=10)
    urls = [server + "/"] + [server + u for u in re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)]
    plain = wire = 0
    for url in urls:
        plain += len(requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=10).content)
        with requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10) as answer:
            wire += len(answer.raw.read(decode_content=False))
    return plain, wire


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=15.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--streams", type=int, default=None, help="phones holding an event stream (default: all)")
    parser.add_argument("--sqlite", action="store_true", help="the server on a SQLite file, not PostgreSQL")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="shubbak-bench-portal-")))
        if args.sqlite:
            server_db = f"sqlite:///{folder / 'central'}.sqlite3"
        else:
            server_db = stack.enter_context(throwaway_postgres()).create_database()
        proc, server = start_central_process(server_db, TOKEN, cwd=_BENCH.parent,
                                             env={"SHUBBAK_RATE_LIMITS": "ticket=10000000/minute",
                                                  "SHUBBAK_PORTAL_MAX_CLIENT_STREAMS": "1000000",
                                                  "SHUBBAK_PORTAL_MAX_STREAMS": "1000000"})
        try:
            site, tokens = a_busy_centre(folder, server, args.phones)
            with running_agent(site.db):
                streams = PhonesElsewhere(server, tokens[:args.phones if args.streams is None else args.streams])
                try:
                    streams.wait_open(len(tokens) if args.streams is None else args.streams)
                    state_ms, html_ms, errors = phones_refreshing(server, tokens, args.interval, args.seconds, site)
                    delays = call_to_phone(site, streams, args.calls, server)
                finally:
                    streams.close()
            plain, wire = home_bytes(server)
            site.db.dispose()
        finally:
            proc.terminate()
            proc.wait(30)
    print(f"server_db: {'sqlite' if args.sqlite else 'postgresql'}")
    print(f"load_average_1m: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (client, server and centre share them)")
    print(f"phones: {args.phones}")
    print(f"refresh_interval_s: {args.interval:g}")
    print(f"ticket_requests: {len(state_ms) + len(html_ms)}")
    print(f"ticket_errors: {errors}")
    print(f"ticket_page_p95_ms: {p95(state_ms):.1f}")
    print(f"ticket_state_p50_ms: {statistics.median(state_ms):.1f}")
    print(f"ticket_html_p95_ms: {p95(html_ms):.1f}")
    print(f"call_to_phone_s: {statistics.median(delays):.2f}")
    print(f"call_to_phone_max_s: {max(delays):.2f}")
    print(f"sse_streams_held: {streams.held_max}")
    print(f"sse_streams_refused: {streams.refused}")
    print(f"portal_home_bytes: {plain}")
    print(f"portal_home_wire_bytes: {wire}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
