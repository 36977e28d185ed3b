"""The mobile ticket's server-sent events (``/t/<token>/events``) against a real centre (core,
real agent) and the real central server on loopback: the call reaches an open stream within a
second or two (measured, written to ``/tmp/portal-shots/sse-delays.txt``); the page in Chromium
with the deployed 15 s poll shows "go to counter N" within 3 s (the stream did it); a stream ends
when the turn is over; unknown tokens get 404; the limits refuse politely; a hang-up frees the
stream; a push that lands in another server process reaches the streams of this one."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from counter_app.core import queue
from counter_app.core.clock import local_day, utcnow
from sync.server import queue_state
from sync.server.models import TicketProjection
from sync.server.portal import ticket_events, ticket_snapshots
from tests.helpers.bidi import plain
from tests.helpers.browser import ON_SQLITE, PHONE, browser_page
from tests.helpers.central import ADMIN_TOKEN, start_central_process
from tests.helpers.factories import Centre
from tests.portal.live import Live, running_live, wait_for
from tests.portal.sse import Stream

SHOTS = Path("/tmp/portal-shots")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def live(site: Centre, portal_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    # the deployed 15 s poll; three streams per client
    with running_live(site, portal_url, monkeypatch, SHUBBAK_PORTAL_POLL_S=None,
                      SHUBBAK_PORTAL_MAX_CLIENT_STREAMS="3") as centre:
        yield centre
    wait_for(lambda: ticket_events.registry.open == 0 and not _streaming())


def _streaming() -> list[ticket_snapshots.Snapshot]:
    """The centres' snapshots that streams of this process hold now."""
    return [snap for lt in ticket_snapshots.lives() for snap in lt.streaming()]


def _record(line: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    with (SHOTS / "sse-delays.txt").open("a", encoding="utf-8") as out:
        out.write(line + "\n")


def test_a_stream_gets_the_call_within_seconds_and_ends_with_the_turn(live: Live) -> None:
    live.issue("A")
    mine_id, mine = live.issue("A")
    live.wait_equal()
    stream = Stream(f"{live.central.url}/t/{mine}/events?lang=en")
    try:
        assert stream.status == 200 and stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["cache-control"] == "no-store"
        first = stream.next()
        assert stream.retry is not None and stream.retry > 0
        assert first.data == live.state(mine, "en")  # the JSON of /state, field for field
        assert first.data["state"] == "waiting" and first.data["ahead"] == 1
        assert ticket_events.registry.open == 1 and len(_streaming()) == 1
        delays = []
        start = time.monotonic()
        live.call_next(0)  # the first A: one fewer ahead
        event = stream.until(lambda d: d["ahead"] == 0)
        delays.append(event.at - start)
        assert event.data["texts"]["wait"].startswith("You are next")
        start = time.monotonic()
        assert live.call_next(1) == mine_id
        number = live.counter_number(1)
        event = stream.until(lambda d: d["state"] == "called")
        delays.append(event.at - start)
        assert event.data["counter"] == number and plain(event.data["texts"]["counter"]) == f"Go to counter {number}"
        with live.site.db.begin() as s:
            queue.finish(s, mine_id, live.site.counter_ids[1], live.site.clerk_ids[1])
        start = time.monotonic()
        event = stream.until(lambda d: d["state"] == "ended")
        delays.append(event.at - start)
        assert stream.ended.wait(5), "the stream goes on after the turn is over"
        with pytest.raises(EOFError):
            stream.next(1)
        wait_for(lambda: ticket_events.registry.open == 0 and not _streaming())
    finally:
        stream.close()
    _record(f"{live.site.db.dialect} stream: " + " ".join(f"{d:.2f}" for d in delays)
            + f" median={statistics.median(delays):.2f}")
    assert max(delays) < 3.0, delays


@ON_SQLITE
def test_the_page_with_the_15_s_poll_shows_the_call_within_3_s(live: Live) -> None:
    _, mine = live.issue("A")
    live.wait_equal()
    with browser_page(PHONE, "ar") as (page, _made):
        page.goto(f"{live.central.url}/t/{mine}?lang=ar")
        assert page.get_attribute("#ticket", "data-poll") == "15"
        wait_for(lambda: ticket_events.registry.open == 1)  # the page's EventSource is open
        start = time.monotonic()
        live.call_next(0)
        number = live.counter_number(0)

        def shown() -> bool:
            try:
                return f"توجّه إلى الشباك رقم {number}" in plain(page.inner_text("#ticket-counter", timeout=200))
            except Exception:  # reloading
                return False

        took = wait_for(shown, timeout=3.0)
        delay = time.monotonic() - start
    _record(f"{live.site.db.dialect} chromium poll=15s: call_to_page_s={delay:.2f} (waited {took:.2f})")
    wait_for(lambda: ticket_events.registry.open == 0)  # the browser closed: the stream is freed


def test_unknown_tokens_limits_and_hang_ups(live: Live) -> None:
    _, mine = live.issue("A")
    live.wait_equal()
    for token in ("x" * 22, mine[:-1] + ("A" if mine[-1] != "A" else "B"), "short"):
        answer = requests.get(f"{live.central.url}/t/{token}/events", timeout=10)
        assert answer.status_code == 404 and answer.json() == {"state": "unknown"}
    streams = [Stream(f"{live.central.url}/t/{mine}/events") for _ in range(3)]
    try:
        for stream in streams:
            assert stream.next().data["state"] == "waiting"
        assert ticket_events.registry.open == 3 and len(_streaming()) == 1
        refused = Stream(f"{live.central.url}/t/{mine}/events")  # a fourth from one address
        assert refused.status == 503 and int(refused.headers["retry-after"]) > 0
        refused.close()
        assert ticket_events.registry.open == 3
        streams[0].close()  # a phone leaves the page
        wait_for(lambda: ticket_events.registry.open == 2, timeout=5)
        (snap,) = _streaming()
        assert snap.streams == 2
        # one look at the database per interval for the process, whatever the number of streams
        (live_tickets,) = [lt for lt in ticket_snapshots.lives() if lt.snapshots.get(snap.centre) is snap]
        checks, start = live_tickets.checks, time.monotonic()
        wait_for(lambda: live_tickets.checks >= checks + 4, timeout=5)
        per_second = (live_tickets.checks - checks) / (time.monotonic() - start)
        assert per_second < 1.5 / ticket_snapshots.CHECK_S + 1, per_second
    finally:
        for stream in streams:
            stream.close()
    wait_for(lambda: ticket_events.registry.open == 0 and not _streaming(), timeout=5)
    assert not ticket_events.registry.by_client
    paths = requests.get(f"{live.central.url}/openapi.json", timeout=10).json()["paths"]
    assert not [p for p in paths if p.startswith("/t/")]


def test_a_push_to_another_server_process_reaches_the_streams(live: Live, portal_url: str) -> None:
    """The agent pushes to server A; a stream open on server B (same database, another process)
    sees the call by B's shared look at the database."""
    _, mine = live.issue("A")
    live.wait_equal()
    proc, other = start_central_process(portal_url, ADMIN_TOKEN, cwd=ROOT,
                                        env={"SHUBBAK_RATE_LIMITS": "ticket=1000000/minute"})
    try:
        stream = Stream(f"{other}/t/{mine}/events")
        try:
            assert stream.next().data["state"] == "waiting"
            start = time.monotonic()
            live.call_next(0)
            event = stream.until(lambda d: d["state"] == "called")
            delay = event.at - start
        finally:
            stream.close()
    finally:
        proc.terminate()
        proc.wait(30)
    _record(f"{live.site.db.dialect} other process: {delay:.2f}")
    assert delay < 3.0


def test_all_positions_at_once_equal_the_sql_count(live: Live) -> None:
    """The streams' positions (one select, counted in Python) equal ``waiting_ahead`` for every ticket."""
    from counter_app.core import settings

    with live.site.db.begin() as s:
        settings.put(s, "queue.fairness", "ratio:2")
    for i in range(14):
        live.issue("AB"[i % 2], priority=i % 4 == 3)
    live.wait_equal()
    for round_ in range(6):
        live.call_next(round_ % 3)
        if round_ == 2:
            with live.site.db.begin() as s:
                current = queue.current_ticket(s, live.site.counter_ids[2])
                assert current is not None
                queue.transfer(s, current.id, live.site.counter_ids[2], live.site.clerk_ids[2],
                               to_counter_id=live.site.counter_ids[0])
        live.wait_equal()
        with live.central.db.sessions() as s:
            rows = s.scalars(select(TicketProjection).where(TicketProjection.day == local_day(utcnow()))).all()
            assert queue_state.all_waiting_ahead(rows) == {r.ticket_uuid: queue_state.waiting_ahead(s, r) for r in rows}
