"""The mobile ticket follows a real centre: the core issues, calls, transfers and finishes tickets
(priority ones too), the real agent sends the events, the real central server folds them; the page
open in Chromium shows the position and "go to counter N", and the position equals the core's
``waiting_ahead`` for every ticket after each change. The delays are measured and written to
``/tmp/portal-shots/live-delays.txt``."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
import requests

from counter_app.core import queue
from counter_app.core.models import Counter
from tests.helpers.bidi import plain
from tests.helpers.browser import ON_POSTGRESQL, ON_SQLITE, PHONE, SIZES, assert_public_page, browser_page
from tests.helpers.factories import Centre
from tests.portal.live import Live, element_text, running_live, wait_for

SHOTS = Path("/tmp/portal-shots")
POLL_S = 1


@pytest.fixture
def live(site: Centre, portal_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    # the page asks every second (15 s deployed)
    with running_live(site, portal_url, monkeypatch, SHUBBAK_PORTAL_POLL_S=str(POLL_S)) as centre:
        yield centre


def _text(page: object, selector: str) -> str:
    return plain(page.inner_text(selector))  # type: ignore[attr-defined]


class View(Protocol):
    """The ticket page as the test looks at it: the text of an element, a screenshot."""

    def text(self, selector: str) -> str: ...

    def shot(self, name: str) -> None: ...


@dataclass
class InChromium:
    page: Any

    def text(self, selector: str) -> str:
        return _text(self.page, selector)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@dataclass
class OverHttp:
    """The page as the server renders it (what a phone without JavaScript sees at each refresh)."""

    url: str

    def text(self, selector: str) -> str:
        found = element_text(requests.get(self.url, timeout=10).text, selector)
        if found is None:
            raise LookupError(f"no {selector} on the page")
        return found

    def shot(self, name: str) -> None:
        pass


def _follow_the_centre(live: Live, view: View, mine_id: int, mine: str) -> dict[str, float]:
    """Counters call, transfer, recall and finish around the ticket ``mine`` (three A tickets
    and a priority one ahead of it, one B) while ``view`` shows its page; after each change the
    portal equals the core for every ticket, and the page says so. The delays, by step."""
    delays: dict[str, float] = {}
    assert "أمامك 3 أشخاص" in view.text("#ticket-ahead")
    assert view.text("#ticket-number") == live.state(mine)["number"]
    view.shot("ticket-live-waiting-ar-phone")

    def page_says(selector: str, wanted: str) -> bool:
        try:
            return wanted in view.text(selector)
        except Exception:  # the page is reloading
            return False

    # counter 1 takes the priority ticket: one fewer ahead
    start = time.monotonic()
    live.call_next(0)
    wait_for(lambda: page_says("#ticket-ahead", "أمامك شخصان"))
    delays["call_to_page_s"] = time.monotonic() - start
    live.wait_equal()

    # it transfers the priority ticket to group B: B's ticket now has it ahead, A's one fewer
    with live.site.db.begin() as s:
        current = queue.current_ticket(s, live.site.counter_ids[0])
        assert current is not None and current.priority
        queue.transfer(s, current.id, live.site.counter_ids[0], live.site.clerk_ids[0], to_group="B")
    live.wait_equal()
    # counter 2 calls: the priority ticket (now B) first, then the first A
    live.call_next(1)
    live.wait_equal()
    start = time.monotonic()
    live.call_next(1)
    wait_for(lambda: page_says("#ticket-ahead", "أمامك شخص واحد"))
    delays["call_to_page_2_s"] = time.monotonic() - start
    live.wait_equal()
    # a ticket sent to one counter waits for that counter only: nobody's "ahead"
    with live.site.db.begin() as s:
        current = queue.current_ticket(s, live.site.counter_ids[1])
        assert current is not None
        queue.transfer(s, current.id, live.site.counter_ids[1], live.site.clerk_ids[1],
                       to_counter_id=live.site.counter_ids[2])
    live.wait_equal()
    assert live.state(mine)["ahead"] == 1
    # counter 3 calls the ticket sent to it, then counter 2 the next A, then counter 3 mine
    live.call_next(2)
    live.call_next(1)
    live.wait_equal()
    assert "أنت التالي" in view.text("#ticket-wait") or wait_for(lambda: page_says("#ticket-wait", "أنت التالي")) >= 0
    start = time.monotonic()
    called = live.call_next(2)
    assert called == mine_id
    number = live.counter_number(2)
    wait_for(lambda: page_says("#ticket-counter", f"توجّه إلى الشباك رقم {number}"))
    delays["called_to_page_s"] = time.monotonic() - start
    view.shot("ticket-live-called-ar-phone")
    assert live.state(mine)["counter"] == number
    # a recall keeps the counter; finishing ends the page
    with live.site.db.begin() as s:
        queue.recall(s, mine_id, live.site.counter_ids[2], live.site.clerk_ids[2])
    live.wait_equal()
    start = time.monotonic()
    with live.site.db.begin() as s:
        queue.finish(s, mine_id, live.site.counter_ids[2], live.site.clerk_ids[2])
    wait_for(lambda: page_says("h1", "انتهى دور هذه التذكرة"))
    delays["finished_to_page_s"] = time.monotonic() - start
    live.wait_equal()
    return delays


def _tickets_around_mine(live: Live) -> tuple[int, str]:
    for _ in range(2):
        live.issue("A")
    mine_id, mine = live.issue("A")
    live.issue("A", priority=True)
    live.issue("B")
    live.wait_equal()
    assert live.state(mine)["ahead"] == 3  # two before it, and the priority ticket that came after
    return mine_id, mine


def _record_delays(live: Live, how: str, delays: dict[str, float]) -> None:
    with (SHOTS / "live-delays.txt").open("a", encoding="utf-8") as out:
        out.write(f"{live.site.db.dialect} {how} poll={POLL_S}s " + " ".join(f"{k}={v:.2f}" for k, v in delays.items())
                  + f" median={statistics.median(delays.values()):.2f}\n")
    assert max(delays.values()) < POLL_S + 4, delays


@ON_SQLITE
def test_the_page_follows_the_centre_and_equals_core(live: Live) -> None:
    mine_id, mine = _tickets_around_mine(live)
    SHOTS.mkdir(exist_ok=True)
    with browser_page(PHONE, "ar") as (page, made):
        page.goto(f"{live.central.url}/t/{mine}?lang=ar")
        delays = _follow_the_centre(live, InChromium(page), mine_id, mine)
        assert_public_page(page, made, live.central.url, lang="ar")
    _record_delays(live, "chromium", delays)


@ON_POSTGRESQL
def test_the_served_page_follows_the_centre_and_equals_core(live: Live) -> None:
    """The same, the page fetched as the server renders it: its queries on PostgreSQL."""
    mine_id, mine = _tickets_around_mine(live)
    SHOTS.mkdir(exist_ok=True)
    delays = _follow_the_centre(live, OverHttp(f"{live.central.url}/t/{mine}?lang=ar"), mine_id, mine)
    _record_delays(live, "http", delays)


def test_equality_under_the_fairness_ratio_and_many_tickets(live: Live) -> None:
    """The portal's count equals the core's for every ticket, with the ratio setting, priority
    tickets arriving between ordinary ones and several counters calling."""
    from counter_app.core import settings

    with live.site.db.begin() as s:
        settings.put(s, "queue.fairness", "ratio:2")
    for i in range(12):
        live.issue("AB"[i % 2], priority=i % 4 == 3)
    live.wait_equal()
    for round_ in range(8):
        live.call_next(round_ % 3)
        live.wait_equal()


@ON_SQLITE
@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_ticket_pages_in_chromium(live: Live, size: str, lang: str) -> None:
    live.issue("A")
    _, mine = live.issue("A")
    live.wait_equal()
    with browser_page(SIZES[size], lang) as (page, made):
        page.goto(f"{live.central.url}/t/{mine}?lang={lang}")
        ahead = _text(page, "#ticket-ahead")
        assert ahead == ("أمامك شخص واحد" if lang == "ar" else "1 person ahead of you")
        assert ("النداء الآن" if lang == "ar" else "Now calling") in _text(page, "main")
        page.screenshot(path=str(SHOTS / f"ticket-waiting-{lang}-{size}.png"), full_page=True)
        assert_public_page(page, made, live.central.url, lang=lang)
        live.call_next(0)
        live.call_next(1)
        number = live.counter_number(1)
        wanted = f"توجّه إلى الشباك رقم {number}" if lang == "ar" else f"Go to counter {number}"
        wait_for(lambda: page.locator("#ticket-counter").count() == 1 and wanted in _text(page, "#ticket-counter"))
        page.screenshot(path=str(SHOTS / f"ticket-called-{lang}-{size}.png"), full_page=True)
        assert_public_page(page, made, live.central.url, lang=lang)
        page.goto(f"{live.central.url}/t/{'x' * 22}?lang={lang}")
        assert ("لم نجد هذه التذكرة" if lang == "ar" else "Ticket not found") in _text(page, "h1")
        assert_public_page(page, made, live.central.url, lang=lang)


def test_unknown_tokens_and_headers(live: Live) -> None:
    _, mine = live.issue("A")
    live.wait_equal()
    page = requests.get(f"{live.central.url}/t/{mine}", timeout=10)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
    assert '<script src="/static/ticket.js' in page.text and "<noscript><meta http-equiv=\"refresh\"" in page.text
    for token in ("x" * 22, mine[:-1] + ("A" if mine[-1] != "A" else "B"), "short", "%00" * 8):
        answer = requests.get(f"{live.central.url}/t/{token}", timeout=10)
        assert answer.status_code == 404 and "لم نجد هذه التذكرة" in answer.text
        assert requests.get(f"{live.central.url}/t/{token}/state", timeout=10).status_code == 404
    js = requests.get(f"{live.central.url}/static/ticket.js", timeout=10)
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    paths = requests.get(f"{live.central.url}/openapi.json", timeout=10).json()["paths"]
    assert not [p for p in paths if p.startswith("/t/") or p.startswith("/centres")]
    with live.site.db.read() as s:  # the state says nothing of the counter's row id or its clerk
        assert s.get(Counter, live.site.counter_ids[0]) is not None
    assert set(live.state(mine)) == {"state", "number", "ahead", "wait_minutes", "counter", "calling", "centre", "centre_en",
                                     "updated", "offline_since", "poll", "texts"}


def test_the_ticket_pages_are_rate_limited_per_client(site: Centre, portal_url: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with running_live(site, portal_url, monkeypatch, SHUBBAK_RATE_LIMITS="ticket=5/minute") as centre:
        answers = [requests.get(f"{centre.central.url}/t/{'y' * 22}/state", timeout=10) for _ in range(6)]
        assert [a.status_code for a in answers] == [404] * 5 + [429]
        assert int(answers[-1].headers["Retry-After"]) >= 1
        assert requests.get(f"{centre.central.url}/centres", timeout=10).status_code == 200  # another rule


def test_a_ticket_of_another_day_is_gone_and_a_silent_centre_is_said(live: Live) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from counter_app.core.clock import local_day, utcnow
    from sync.server import queue_state
    from sync.server.models import EnrolledCentre, TicketProjection
    from sync.server.portal import tickets

    _, old = live.issue("A")
    _, mine = live.issue("A")
    live.wait_equal()
    live.agent.stop()  # the centre goes silent
    silent_since = utcnow() - timedelta(minutes=20)
    with live.central.db.sessions.begin() as s:
        s.execute(update(EnrolledCentre).values(last_seen=silent_since))
        s.execute(update(TicketProjection).where(TicketProjection.token_hash == queue_state.token_hash(old))
                  .values(day=local_day(utcnow()) - timedelta(days=1)))
    tickets._centres.clear()  # the 2-second cache of the centre's last sync
    # the pages answer from the centre's snapshot, which sees the change at its next look (0.5 s)
    wait_for(lambda: requests.get(f"{live.central.url}/t/{old}", timeout=10).status_code == 404, timeout=5)
    wait_for(lambda: live.state(mine, "en")["offline_since"] is not None, timeout=5)
    state = live.state(mine, "en")
    assert state["texts"]["offline"].startswith("No live data from the centre since")
    page = requests.get(f"{live.central.url}/t/{mine}", timeout=10).text
    assert "لا بيانات حية من المركز منذ" in plain(page)
