"""Signed requests are fresh and once only (sync/server/freshness.py), and the agent copes: a stale
or replayed request changes nothing at the centre's row on the server, an agent on a PC whose clock
is far off signs with a corrected time and the centre sees an alert."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests

import sync.agent.agent as agent_module
from counter_app.core.centre import centre_code
from counter_app.core.clock import utcnow
from counter_app.core.sync_state import snapshot
from sync import protocol
from sync.agent.agent import Agent, load_or_create_key, wire_event
from sync.server.freshness import WINDOW_S
from sync.server.models import EnrolledCentre, SeenRequest, StoredEvent
from tests.helpers.central import Central
from tests.helpers.clock import clock_at
from tests.helpers.factories import Centre
from tests.helpers.syncing import queue_events


def signed_push(site: Centre, central: Central, stamp: datetime, count: int = 2) -> tuple[dict[str, str], bytes]:
    """The headers and body of a push of ``count`` new events, signed by the centre at ``stamp``."""
    from counter_app.core import outbox

    queue_events(site.db, count)
    with site.db.begin() as s:
        key = load_or_create_key(s)
        code = centre_code(s)
        events = [wire_event(row) for row in outbox.pending(s, limit=count)]
    body = protocol.encode_batch(code, events)
    text = stamp.isoformat()
    return ({protocol.HEADER_CENTRE: code, protocol.HEADER_TIME: text,
             protocol.HEADER_SIGNATURE: protocol.sign(key, "POST", "/v1/events", text, body)}, body)


def push(central: Central, headers: dict[str, str], body: bytes) -> requests.Response:
    return requests.post(central.url + "/v1/events", data=body, headers=headers, timeout=10)


def centre_row(central: Central, site: Centre) -> tuple[Any, ...]:
    with site.db.read() as s:
        code = centre_code(s)
    with central.db.sessions() as s:
        row = s.get(EnrolledCentre, code)
        assert row is not None
        return row.last_seen, row.clock_skew_s, row.clock_flagged


@pytest.mark.parametrize("off", [timedelta(days=-30), timedelta(seconds=-WINDOW_S - 10),
                                 timedelta(seconds=WINDOW_S + 10), timedelta(days=400)])
def test_a_stale_signed_push_is_refused_and_changes_nothing(enrolled: Centre, central: Central,
                                                            off: timedelta) -> None:
    before = centre_row(central, enrolled), central.count(StoredEvent)
    headers, body = signed_push(enrolled, central, utcnow() + off)
    answer = push(central, headers, body)
    assert answer.status_code == 401 and answer.json()["error"] == "stale_request", answer.text
    named = re.search(r"the server's time (\S+) ", answer.json()["message"])  # the message names it
    assert named is not None
    told = datetime.fromisoformat(answer.headers[protocol.HEADER_TIME])  # so does every answer
    assert abs((datetime.fromisoformat(named.group(1)) - told).total_seconds()) < 5
    assert (centre_row(central, enrolled), central.count(StoredEvent)) == before


def test_a_push_within_the_window_is_accepted(enrolled: Centre, central: Central) -> None:
    headers, body = signed_push(enrolled, central, utcnow() - timedelta(seconds=WINDOW_S - 30))
    answer = push(central, headers, body)
    assert answer.status_code == 200 and {r["status"] for r in answer.json()["results"]} == {"stored"}


@pytest.mark.expect_log(r"^refused a replayed request from centre ")
def test_a_replay_changes_no_centre_status(enrolled: Centre, central: Central) -> None:
    """The issue's case: the same signed push again later moved last_seen and set a false skew."""
    sent = utcnow()
    headers, body = signed_push(enrolled, central, sent)
    first = push(central, headers, body)
    assert first.status_code == 200 and {r["status"] for r in first.json()["results"]} == {"stored"}
    after_first = centre_row(central, enrolled), central.count(StoredEvent)
    with clock_at(sent + timedelta(seconds=200)):  # within the window: remembered, refused
        again = push(central, headers, body)
        assert again.status_code == 409 and again.json()["error"] == "replayed", again.text
        assert (centre_row(central, enrolled), central.count(StoredEvent)) == after_first
    with clock_at(sent + timedelta(seconds=310)):  # the 310 s: stale by now
        late = push(central, headers, body)
        assert late.status_code == 401 and late.json()["error"] == "stale_request", late.text
        assert (centre_row(central, enrolled), central.count(StoredEvent)) == after_first
    (_last_seen, skew, flagged), _stored = after_first
    assert skew is not None and abs(skew) < 5 and not flagged


@pytest.mark.expect_log(r"^refused a replayed request from centre ")
def test_copies_of_one_request_at_once_are_answered_once(enrolled: Centre, central: Central) -> None:
    """Eight copies of one signed push at the same moment (a replay racing the original, across the
    server's threads): the database's key lets exactly one through."""
    headers, body = signed_push(enrolled, central, utcnow(), count=20)
    barrier = threading.Barrier(8)
    answers: list[int] = []
    lock = threading.Lock()

    def send() -> None:
        with requests.Session() as http:
            barrier.wait()
            status = http.post(central.url + "/v1/events", data=body, headers=headers, timeout=30).status_code
        with lock:
            answers.append(status)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [200] + [409] * 7
    sent = [e.uuid for e in protocol.decode_batch(body)[1]]
    assert central.count(StoredEvent, StoredEvent.uuid.in_(sent)) == 20
    assert central.count(SeenRequest) >= 1


@pytest.fixture
def pc_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[timedelta]]:
    """The agent's view of the time (this PC's clock), off the real one by ``pc_clock[0]``."""
    off = [timedelta(0)]
    monkeypatch.setattr(agent_module, "utcnow", lambda: utcnow() + off[0])
    yield off


@pytest.mark.expect_log(r"^centre \S+'s clock is off by -")
@pytest.mark.parametrize("minutes", [-9, -60 * 24 * 30])
def test_an_agent_on_a_far_off_clock_signs_with_a_corrected_time_and_alerts(
        enrolled: Centre, central: Central, pc_clock: list[timedelta], minutes: int,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="sync")
    pc_clock[0] = timedelta(minutes=minutes)
    queue_events(enrolled.db, 30)
    report = Agent(enrolled.db, max_events=10).sync_once()
    assert report.sent == 30 and report.batches == 3  # refused once, signed again with the server's time
    stale = [r for r in caplog.records if r.getMessage().startswith("refused a stale request")]
    assert len(stale) == 1
    with enrolled.db.read() as s:
        state = snapshot(s)
    assert state.online and state.clock_skew_s is not None and abs(state.clock_skew_s - minutes * 60) < 5
    assert state.clock_flagged and state.alert  # the status line: "this PC's clock is ... behind ..."
    _last_seen, skew, flagged = centre_row(central, enrolled)
    assert skew is not None and abs(skew - minutes * 60) < 5 and flagged  # the server knows the PC's clock
    # an agent started later on that PC signs with the corrected time from its first request
    caplog.clear()
    queue_events(enrolled.db, 5)
    assert Agent(enrolled.db).sync_once().sent == 5
    assert not [r for r in caplog.records if r.getMessage().startswith("refused a stale request")]
    # the clock is set right: the agent signs with its own clock again, the alert goes
    pc_clock[0] = timedelta(0)
    queue_events(enrolled.db, 5)
    agent = Agent(enrolled.db)
    assert agent.sync_once().sent == 5
    assert agent.clock.correction_s == 0.0
    with enrolled.db.read() as s:
        assert not snapshot(s).clock_flagged


@pytest.mark.expect_log(r"^refused a replayed request from centre ")
def test_an_agent_told_replayed_signs_again(enrolled: Centre, central: Central,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Something on the network sent a copy of the agent's request, which came first: the agent
    signs again and learns the true answers (duplicate for what the copy stored)."""
    queue_events(enrolled.db, 4)
    agent = Agent(enrolled.db)
    own = agent.http.request
    copies: list[int] = []

    def duplicated(method: str, url: str, **kwargs: Any) -> requests.Response:
        if not copies:  # the copy of the first request arrives before it
            copies.append(requests.request(method, url, data=kwargs["data"], headers=kwargs["headers"],
                                           timeout=10).status_code)
        return own(method, url, **kwargs)

    monkeypatch.setattr(agent.http, "request", duplicated)
    report = agent.sync_once()
    assert copies == [200] and (report.sent, report.duplicates) == (0, 4)
    with enrolled.db.read() as s:
        assert snapshot(s).waiting == 0 and snapshot(s).online
