"""Heartbeats (issue 19, item 3): a real agent against the real central server on loopback (both
databases) reports its backlog, the queue now, its version and its clock, with or without events
to send, each interval; the server keeps the latest per centre and refuses what is not one."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from counter_app.core import outbox, queue
from counter_app.core.clock import as_utc, utcnow
from counter_app.core.models import Ticket
from counter_app.core.queue_now import queue_now
from sync import protocol
from sync.agent.agent import Agent, SyncError, load_or_create_key
from sync.agent.heartbeat import Heartbeats, collect, software_version
from sync.server.models import CentreHeartbeat, StoredEvent
from tests.helpers.central import Central, enrol_site, running_central
from tests.helpers.factories import Centre
from tests.helpers.faultproxy import FaultProxy
from tests.helpers.syncing import queue_events
from tests.helpers.waiting import wait_for

CENTRE = "0103"  # the demo centre's code (ensure_demo_centre)


def latest(central: Central, code: str) -> CentreHeartbeat | None:
    with central.db.sessions() as s:
        return s.get(CentreHeartbeat, code)


def centre_of(site: Centre) -> str:
    from counter_app.core.centre import centre_code

    with site.db.read() as s:
        return centre_code(s)


def make_queue(site: Centre) -> None:
    """Three waiting in A (the first since 20 minutes), one in B, one being served at a counter."""
    now = utcnow()
    with site.db.begin() as s:
        queue.issue_ticket(s, "A", at=now - timedelta(minutes=25))
        queue.issue_ticket(s, "A", at=now - timedelta(minutes=20))
        queue.issue_ticket(s, "A", at=now - timedelta(minutes=10))
        queue.issue_ticket(s, "B", at=now - timedelta(minutes=5))
        queue.issue_ticket(s, "A", at=now - timedelta(minutes=2))
    with site.db.begin() as s:
        called = queue.call_next(s, site.counter_ids[0], site.clerk_ids[0])
    assert called is not None


def test_heartbeats_arrive_with_nothing_to_send_and_carry_the_queue_now(enrolled: Centre, central: Central) -> None:
    make_queue(enrolled)
    agent = Agent(enrolled.db)
    agent.sync_once()  # the tickets' events sent: nothing is left to send
    with enrolled.db.read() as s:
        assert outbox.pending_count(s) == 0
        expected = queue_now(s)
        earliest = min(t.queued_at for t in s.scalars(select(Ticket).where(queue.waiting_clause(expected.day))))
    assert expected.waiting == {"A": 3, "B": 1} and expected.counters_open == 1
    stored = central.count(StoredEvent)
    code = centre_of(enrolled)
    runner = threading.Thread(target=agent.run_forever, kwargs={"interval": 60.0, "heartbeat_interval": 0.3},
                              daemon=True)
    runner.start()
    try:
        wait_for(lambda: latest(central, code) is not None)
        first = latest(central, code)
        assert first is not None
        assert (first.backlog_events, first.backlog_oldest_age_s, first.rejected_events) == (0, None, 0)
        assert json.loads(first.waiting) == {"A": 3, "B": 1} and first.waiting_total == 4
        assert first.day == expected.day
        assert (first.counters_open, first.counters_active) == (1, expected.counters_active) and first.counters_active >= 3
        # the longest wait is the first waiting ticket's, by the centre's clock when it beat
        assert first.longest_wait_s == int((as_utc(first.centre_clock) - as_utc(earliest)).total_seconds())
        assert 20 * 60 <= (first.longest_wait_s or 0) < 21 * 60
        assert first.version == software_version()
        assert abs(first.clock_skew_s) < 2.0  # one clock in this process
        # and again each interval, one row per centre
        wait_for(lambda: (row := latest(central, code)) is not None and row.received_at > first.received_at)
        second = latest(central, code)
        assert second is not None
        wait_for(lambda: (row := latest(central, code)) is not None and row.received_at > second.received_at)
        assert central.count(CentreHeartbeat) == 1
        assert central.count(StoredEvent) == stored  # a heartbeat is not an event
    finally:
        agent.stop()
        runner.join(20)
    assert not runner.is_alive()


def test_the_backlog_and_the_clock_are_the_real_ones(enrolled: Centre, central: Central, agent: Agent) -> None:
    queue_events(enrolled.db, 7)
    code = centre_of(enrolled)
    beats = Heartbeats(agent)
    try:
        answer = beats.send_once()
        row = latest(central, code)
        assert row is not None and row.backlog_events == 7 and row.rejected_events == 0
        with enrolled.db.read() as s:
            oldest = outbox.oldest_pending_at(s)
        assert oldest is not None
        assert row.backlog_oldest_age_s == int((as_utc(row.centre_clock) - as_utc(oldest)).total_seconds())
        assert answer["centre"] == code and datetime.fromisoformat(answer["received_at"]) == as_utc(row.received_at)
        assert json.loads(row.waiting) == {} and row.waiting_total == 0 and row.longest_wait_s is None
        # a PC two minutes ahead: the heartbeat says so, signed with the agent's key and clock
        ahead = collect(enrolled.db, code, utcnow() + timedelta(minutes=2))
        r = agent.request("POST", protocol.HEARTBEAT_PATH, ahead.encode())
        assert 119 < r.json()["clock_skew_s"] < 121
        row = latest(central, code)
        assert row is not None and 119 < row.clock_skew_s < 121 and row.backlog_events == 7
    finally:
        beats.stop()
    assert central.count(StoredEvent, StoredEvent.kind == "application.documents") == 0  # nothing pushed


def test_a_heartbeat_is_not_held_up_by_a_push_that_hangs(enrolled: Centre, central: Central) -> None:
    queue_events(enrolled.db, 50)
    code = centre_of(enrolled)
    with FaultProxy(central.port) as proxy:
        proxy.inject("timeout")  # the push's connection: the request goes, no answer ever comes
        agent = Agent(enrolled.db, proxy.url, timeout=(2.0, 60.0))
        failed: list[SyncError] = []

        def push() -> None:
            try:
                agent.sync_once()
            except SyncError as exc:
                failed.append(exc)

        pushing = threading.Thread(target=push, daemon=True)
        pushing.start()
        wait_for(lambda: proxy.applied == ["timeout"])
        beats = Heartbeats(agent)
        try:
            started = time.monotonic()
            beats.send_once()  # its own connection
            took = time.monotonic() - started
        finally:
            beats.stop()
        row = latest(central, code)
        assert row is not None and row.backlog_events == 50
        assert pushing.is_alive() and took < 5.0  # the push still hangs
    pushing.join(20)
    assert not pushing.is_alive() and failed and failed[0].retryable  # the proxy closed: the push failed
    assert central.count(StoredEvent, StoredEvent.kind == "application.documents") == 0


def signed(central: Central, code: str, key: Ed25519PrivateKey, body: bytes) -> requests.Response:
    stamp = utcnow().isoformat()
    headers = {protocol.HEADER_CENTRE: code, protocol.HEADER_TIME: stamp,
               protocol.HEADER_SIGNATURE: protocol.sign(key, "POST", protocol.HEARTBEAT_PATH, stamp, body),
               "Content-Type": "application/json"}
    return requests.post(central.url + protocol.HEARTBEAT_PATH, data=body, headers=headers, timeout=10)


@pytest.mark.allow_log(r"refused an unauthenticated POST /v1/heartbeat", logger="sync.server.app")
@pytest.mark.allow_log(r"sent a heartbeat for centre 9999", logger="sync.server.heartbeats")
def test_malformed_is_422_unsigned_is_401_never_500(enrolled: Centre, central: Central) -> None:
    code = centre_of(enrolled)
    with enrolled.db.begin() as s:
        key = load_or_create_key(s)
    good = json.loads(collect(enrolled.db, code).encode())

    def variant(path: str, value: object) -> bytes:
        data = json.loads(json.dumps(good))
        *parents, last = path.split(".")
        target = data
        for part in parents:
            target = target[part]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value
        return json.dumps(data).encode()

    malformed = [
        b"", b"not json", b"[]", b'{"centre": "' + code.encode() + b'"}', json.dumps(good)[:-5].encode(),
        variant("backlog.events", "7"), variant("backlog.events", 7.0), variant("backlog.events", -1),
        variant("backlog.events", True), variant("backlog.events", 10**12), variant("backlog.oldest_age_s", KeyError),
        variant("queue.waiting", {"AA": 1}), variant("queue.waiting", {"a": 1}),
        variant("queue.waiting", {chr(65 + i % 26) + ("" if i < 26 else "x"): 1 for i in range(27)}),
        variant("queue.day", "2026-02-30"), variant("clock", "2026-11-26T10:00:00"),  # no zone
        variant("clock", "yesterday"), variant("version", ""), variant("version", "1.0 beta"),
        variant("version", "v" * 41), variant("centre", code + "\x00"), variant("name", "a field it does not have"),
        variant("queue.counters_open", None), variant("queue.extra", 1),
    ]
    for body in malformed:
        r = signed(central, code, key, body)
        assert r.status_code == 422, (body, r.status_code, r.text)
        assert r.json()["error"] == "invalid"
    assert latest(central, code) is None  # nothing kept
    # another centre's heartbeat under this centre's signature
    assert signed(central, code, key, variant("centre", "9999")).status_code == 403
    # bigger than a heartbeat can be: refused before it is read
    assert signed(central, code, key, variant("version", "1" * 40) + b" " * 5000).status_code == 413
    # unsigned, signed by another key, or by a centre not enrolled
    body = json.dumps(good).encode()
    assert requests.post(central.url + protocol.HEARTBEAT_PATH, data=body, timeout=10).status_code == 401
    assert signed(central, code, Ed25519PrivateKey.generate(), body).status_code == 401
    assert signed(central, "7777", key, body).status_code == 401
    assert latest(central, code) is None
    # the same body, signed: kept
    r = signed(central, code, key, body)
    assert r.status_code == 200, r.text
    assert latest(central, code) is not None


def test_heartbeats_count_under_the_centre_rate_limit(site: Centre, central_url: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHUBBAK_RATE_LIMITS", "centre=3/minute")  # read when the app is made
    with running_central(central_url) as server:
        enrol_site(server, site.db)
        agent = Agent(site.db)
        beats = Heartbeats(agent)
        try:
            for _ in range(3):
                beats.send_once()
            with pytest.raises(SyncError) as refused:
                beats.send_once()
        finally:
            beats.stop()
    assert refused.value.retryable and refused.value.retry_after is not None and refused.value.retry_after > 0
    assert "429" in str(refused.value) and beats.sent == 3


def test_a_broken_connection_is_tried_again_at_once_quietly(enrolled: Centre, central: Central) -> None:
    code = centre_of(enrolled)
    with FaultProxy(central.port) as proxy:
        proxy.inject("drop_request")  # as when the server closes an idle kept-alive connection
        agent = Agent(enrolled.db, proxy.url, timeout=(2.0, 5.0))
        beats = Heartbeats(agent, interval=60.0)
        beats.start()
        try:
            wait_for(lambda: latest(central, code) is not None)
        finally:
            beats.stop()
        assert proxy.applied == ["drop_request", "pass"] and beats.sent == 1 and beats.failures == 0


def test_sync_agent_once_sends_a_heartbeat_too(enrolled: Centre, central: Central) -> None:
    from sync.agent.__main__ import main as agent_main

    queue_events(enrolled.db, 3)
    assert agent_main(["--db", enrolled.db.url, "--once"]) == 0
    row = latest(central, centre_of(enrolled))
    assert row is not None and row.backlog_events == 0  # the round first, then the heartbeat
