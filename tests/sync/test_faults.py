"""Faults between the agent and the real server (a fault-injecting proxy on loopback): after the
faults stop, every event is on the server exactly once and the local outbox agrees."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import requests

from counter_app.core import outbox
from counter_app.core.sync_state import snapshot
from sync.agent import agent as agent_module
from sync.agent.agent import Agent, SyncError
from tests.helpers.central import Central
from tests.helpers.factories import Centre
from tests.helpers.faultproxy import FaultProxy
from tests.helpers.syncing import assert_exactly_once, queue_events, server_uuids, wait_drained


@pytest.fixture
def proxy(central: Central) -> Iterator[FaultProxy]:
    with FaultProxy(central.port) as p:
        yield p


def agent_via(site: Centre, proxy: FaultProxy, **kwargs: object) -> Agent:
    return Agent(site.db, proxy.url, timeout=(1.0, 1.5), **kwargs)  # type: ignore[arg-type]


FAULTS = ["drop_request",
          # urllib3 warns of the headers it could not read before the connection closed
          pytest.param("drop_response", marks=pytest.mark.expect_log(r"^Failed to parse headers \(url=",
                                                                     logger="urllib3.connection")),
          "truncate", "status:500", "status:503:2", "timeout", "garbage", "status:408", "status:429:1"]


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_then_drain_exactly_once(enrolled: Centre, central: Central, proxy: FaultProxy,
                                            fault: str) -> None:
    before = len(server_uuids(central))
    queue_events(enrolled.db, 120)
    proxy.inject(fault)
    agent = agent_via(enrolled, proxy, max_events=50)
    with pytest.raises(SyncError) as error:
        agent.sync_once()
    assert error.value.retryable, error.value
    assert proxy.applied[0] == fault
    with enrolled.db.read() as s:
        state = snapshot(s)
    assert not state.online and state.last_error and state.waiting == 120
    if fault.startswith("status:") and fault.count(":") == 2:
        assert error.value.retry_after == float(fault.rsplit(":", 1)[1])
        assert agent.backoff(error.value) >= error.value.retry_after
    stored_by_fault = len(server_uuids(central)) - before
    # the faults stop: the next rounds send the rest; what the server kept comes back as duplicate
    report = Agent(enrolled.db, proxy.url).sync_once()
    assert report.sent + report.duplicates == 120
    assert report.duplicates == stored_by_fault
    if fault in ("drop_response", "truncate"):
        assert stored_by_fault == 50  # the server stored the first batch; the agent never heard
    assert_exactly_once(enrolled.db, central)
    with enrolled.db.read() as s:
        assert snapshot(s).online


def test_a_delay_within_the_timeout_is_only_slower(enrolled: Centre, central: Central, proxy: FaultProxy) -> None:
    queue_events(enrolled.db, 10)
    proxy.inject("delay:0.5")
    assert agent_via(enrolled, proxy).sync_once().sent == 10
    assert_exactly_once(enrolled.db, central)


@pytest.mark.parametrize("status", [400, 401, 404, 413])
def test_client_errors_are_not_retried(enrolled: Centre, proxy: FaultProxy, status: int) -> None:
    queue_events(enrolled.db, 3)
    proxy.inject(f"status:{status}")
    with pytest.raises(SyncError) as error:
        agent_via(enrolled, proxy).sync_once()
    assert not error.value.retryable
    with enrolled.db.read() as s:
        assert outbox.pending_count(s) == 3  # nothing marked, nothing lost


def test_a_server_that_is_down_then_back(enrolled: Centre, central: Central) -> None:
    """Connection refused while the server is down; the agent's thread sends all once it is back."""
    queue_events(enrolled.db, 40)
    proxy = FaultProxy(central.port)
    port = proxy.port
    proxy.close()  # nothing listens on the port now: connection refused
    agent = Agent(enrolled.db, f"http://127.0.0.1:{port}", timeout=(0.5, 2.0))
    with pytest.raises(SyncError) as error:
        agent.sync_once()
    assert error.value.retryable and "unreachable" in str(error.value)
    delays = [agent.backoff(error.value) for _ in range(8)]
    assert all(0 <= d <= agent_module.BACKOFF_CAP_S for d in delays)  # full jitter, capped
    agent.failures = 0


@pytest.mark.expect_log(r"^sync failed: ")
@pytest.mark.expect_log(r"^Failed to parse headers \(url=", logger="urllib3.connection")
def test_the_agent_thread_drains_after_faults_and_on_kick(enrolled: Centre, central: Central,
                                                          proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agent_module, "BACKOFF_BASE_S", 0.05)
    monkeypatch.setattr(agent_module, "BACKOFF_CAP_S", 0.3)
    queue_events(enrolled.db, 300)
    proxy.inject("drop_request", "status:503", "drop_response", "timeout", "garbage", "truncate")
    agent = Agent(enrolled.db, proxy.url, timeout=(0.5, 1.0), max_events=60)
    agent.http.headers["Connection"] = "close"  # a new connection per request: every fault is met
    thread = threading.Thread(target=agent.run_forever, kwargs={"interval": 30.0, "heartbeat_interval": None},
                              daemon=True)  # every fault for the push (tests/sync/test_heartbeat.py beats)
    thread.start()
    try:
        wait_drained(enrolled.db, 60)
        assert_exactly_once(enrolled.db, central)
        assert proxy.applied[:6] == ["drop_request", "status:503", "drop_response", "timeout", "garbage", "truncate"]
        # after a transaction the app kicks the agent: it sends at once, not at the next minute
        queue_events(enrolled.db, 5)
        agent.kick()
        wait_drained(enrolled.db, 10)
        assert_exactly_once(enrolled.db, central)
    finally:
        agent.stop()
        thread.join(10)
    assert not thread.is_alive()


def test_retry_after_as_a_date(enrolled: Centre) -> None:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    # an HTTP date is the system's clock (the suite's domain clock is pinned: tests/helpers/clock.py)
    when = format_datetime(datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=30), usegmt=True)
    value = agent_module._retry_after(when)
    assert value is not None and 25 <= value <= 31
    assert agent_module._retry_after("soon") is None


def test_health_through_the_proxy(proxy: FaultProxy) -> None:
    assert requests.get(proxy.url + "/v1/health", timeout=5).json()["status"] == "ok"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_sync_agent_on_another_pc_hears_each_commit(enrolled: Centre, central: Central) -> None:
    """Multi-counter centre on PostgreSQL: the counter PCs' commits reach the agent by NOTIFY."""
    from counter_app.core.db import Database

    agent_db = Database(enrolled.db.url)  # the agent's own connection pool, as in another process
    agent = Agent(agent_db, timeout=(1.0, 5.0))
    thread = threading.Thread(target=agent.run_forever, kwargs={"interval": 60.0}, daemon=True)
    thread.start()
    try:
        time.sleep(1.0)  # the round at start is done; the next minute is far away
        for _ in range(3):
            queue_events(enrolled.db, 7)  # a counter PC's transaction
            wait_drained(enrolled.db, 5)
            assert_exactly_once(enrolled.db, central)
    finally:
        agent.stop()
        thread.join(10)
        agent_db.dispose()
