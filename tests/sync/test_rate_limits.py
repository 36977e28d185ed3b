"""Rate limits (sync/server/ratelimit.py): per client and per centre, 429 with Retry-After, the
count shared by every server on one database (two servers here stand for two workers)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from counter_app.common.tracking import new_tracking_code
from sync import protocol
from sync.agent.agent import Agent, SyncError
from sync.server import ratelimit
from sync.server.models import StoredEvent
from tests.helpers.central import Central, add_person, enrol_site, log_in, running_central
from tests.helpers.factories import Centre
from tests.helpers.syncing import queue_events

STATUS_LIMIT = ratelimit.policy("")["status"].amount  # the defaults, as deployed


def assert_limited(answer: requests.Response) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.json()["error"] == "rate_limited"
    assert 1 <= int(answer.headers["Retry-After"]) <= 300
    assert protocol.HEADER_TIME in answer.headers


def hammer(urls: list[str], threads: int, each: int, headers: dict[str, str] | None = None) -> list[requests.Response]:
    """``threads`` clients at once, each looking up ``each`` tracking codes, spread over ``urls``."""
    answers: list[requests.Response] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def client(n: int) -> None:
        mine = []
        with requests.Session() as http:
            barrier.wait()
            for i in range(each):
                url = urls[(n + i) % len(urls)]
                mine.append(http.get(f"{url}/v1/status/{new_tracking_code()}", headers=headers, timeout=30))
        with lock:
            answers.extend(mine)

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return answers


def test_status_guesses_are_limited_per_client_under_concurrent_clients(central: Central) -> None:
    answers = hammer([central.url], threads=8, each=15)  # 120 guesses at once from one address
    passed = [a for a in answers if a.status_code != 429]
    assert len(passed) == STATUS_LIMIT and {a.status_code for a in passed} == {404}  # exactly the limit
    for refused in (a for a in answers if a.status_code == 429):
        assert_limited(refused)
    # another client (through the loopback proxy uvicorn trusts) still gets its answers
    other = requests.get(f"{central.url}/v1/status/{new_tracking_code()}", timeout=10,
                         headers={"X-Forwarded-For": "203.0.113.7"})
    assert other.status_code == 404


def test_the_limit_is_shared_by_two_servers_on_one_database(central: Central, central_url: str) -> None:
    with running_central(central_url) as second:  # a second worker on the same database
        answers = hammer([central.url, second.url], threads=6, each=20)
    passed = [a for a in answers if a.status_code != 429]
    assert len(passed) == STATUS_LIMIT, [a.status_code for a in answers]
    for refused in (a for a in answers if a.status_code == 429):
        assert_limited(refused)


def post_json(path: str, body: Any, token: str | None = None) -> Callable[[str], requests.Response]:
    def send(url: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        return requests.post(url + path, json=body, headers=headers, timeout=10)
    return send


ROUTES: dict[str, Callable[[str], requests.Response]] = {
    "receipts": post_json("/v1/receipts/verify", {"payload": "SHB1|C|T|1|2026-01-01T00:00:00Z|x"}),
    "enrol": post_json("/v1/centres/enrol", {"code": "X"}, token="wrong-token"),
    "admin": lambda url: requests.get(url + "/v1/reports/kpis", headers={"Authorization": "Bearer nope"}, timeout=10),
    "booking": post_json("/v1/appointments/bookings", {"centre": "GIZ-01", "service": "MP-REG-CERT",
                                                       "slot": "2026-12-01T07:00:00Z", "national_id": "x",
                                                       "mobile": "x"}),
    "slots": lambda url: requests.get(url + "/v1/appointments/slots", params={"centre": "GIZ-01", "service": "X"},
                                      timeout=10),
}


@pytest.mark.parametrize("rule", sorted(ROUTES))
def test_each_limited_route_answers_429_beyond_its_figure(central: Central, rule: str) -> None:
    figure = ratelimit.policy("")[rule].amount
    for _ in range(figure):
        assert ROUTES[rule](central.url).status_code != 429
    assert_limited(ROUTES[rule](central.url))


@pytest.mark.expect_log(r"^reports login refused from ")
def test_wrong_report_passwords_are_limited(central: Central) -> None:
    """The eleventh login in five minutes from one client waits, even the right one (the account's
    own lockout after five wrong passwords is test_central_accounts.py's)."""
    add_person(central, "nour.admin")
    tries = [log_in(central.url, f"guess-{n}", "a wrong password") for n in range(ratelimit.policy("")["login"].amount)]
    assert {t.status_code for t in tries} == {401}
    assert_limited(log_in(central.url, "guess", "a wrong password"))
    right = log_in(central.url, "nour.admin")
    assert_limited(right)
    assert int(right.headers["Retry-After"]) > 60  # the window is five minutes


@pytest.fixture
def strict_central(central_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Central]:
    """A server allowing each centre 4 signed requests a minute (``SHUBBAK_RATE_LIMITS``)."""
    monkeypatch.setenv(ratelimit.ENVIRONMENT, "centre=4/minute")
    with running_central(central_url) as server:
        yield server


def test_a_centre_beyond_its_rate_is_told_when_to_come_back(site: Centre, strict_central: Central) -> None:
    from counter_app.core import outbox

    enrol_site(strict_central, site.db)
    queue_events(site.db, 10)
    agent = Agent(site.db, max_events=2)  # many small batches: the fifth request is one too many
    with pytest.raises(SyncError) as error:
        agent.sync_once()
    assert error.value.retryable and error.value.retry_after is not None and 1 <= error.value.retry_after <= 60
    assert "429" in str(error.value)
    assert agent.backoff(error.value) >= error.value.retry_after  # the agent waits that long at least
    with site.db.read() as s:
        assert outbox.pending_count(s) > 0  # kept for the next round, nothing lost
    assert strict_central.count(StoredEvent) == 4 * 2


def test_rate_limit_settings_are_checked() -> None:
    assert ratelimit.policy("off") == {}
    assert str(ratelimit.policy("status=5/second")["status"]) == "5 per 1 second"
    with pytest.raises(ValueError, match="unknown rule"):
        ratelimit.policy("statuz=5/second")
