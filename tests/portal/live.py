"""A real centre (core database, real sync agent running) enrolled at the real central server
whose portal is under test; helpers to act at the centre and compare with the server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
import requests
from sqlalchemy import select

from counter_app.core import queue
from counter_app.core.clock import local_day, utcnow
from counter_app.core.models import Counter, Ticket, TicketStatus
from sync.agent.agent import Agent
from tests.helpers import waiting
from tests.helpers.bidi import plain
from tests.helpers.central import Central, enrol_site, running_central
from tests.helpers.factories import Centre


@dataclass
class Live:
    site: Centre
    central: Central
    agent: Agent

    def issue(self, group: str = "A", *, priority: bool = False) -> tuple[int, str]:
        """A new ticket at the centre: its row id and public token."""
        with self.site.db.begin() as s:
            ticket = queue.issue_ticket(s, group, priority=priority,
                                        priority_reason="elderly" if priority else None).ticket
            return ticket.id, str(ticket.public_token)

    def call_next(self, counter: int = 0) -> int | None:
        with self.site.db.begin() as s:
            ticket = queue.call_next(s, self.site.counter_ids[counter], self.site.clerk_ids[counter])
            return ticket.id if ticket is not None else None

    def counter_number(self, counter: int = 0) -> int:
        with self.site.db.read() as s:
            return int(s.get_one(Counter, self.site.counter_ids[counter]).number)

    def state(self, token: str, lang: str = "ar") -> dict[str, Any]:
        answer = requests.get(f"{self.central.url}/t/{token}/state", params={"lang": lang}, timeout=10)
        return dict(answer.json())

    def core_view(self) -> dict[str, tuple[str, int]]:
        """Every ticket of today at the centre: token -> (waiting/called/ended, core waiting_ahead)."""
        with self.site.db.read() as s:
            tickets = s.scalars(select(Ticket).where(Ticket.day == local_day(utcnow()))).all()
            return {str(t.public_token): ({TicketStatus.WAITING: "waiting", TicketStatus.CALLED: "called"}
                                          .get(t.status, "ended"), queue.waiting_ahead(s, t)) for t in tickets}

    def server_view(self, tokens: list[str]) -> dict[str, tuple[str, int]]:
        out = {}
        for token in tokens:
            state = self.state(token)
            out[token] = (str(state.get("state")), int(state.get("ahead", -1)))
        return out

    def wait_equal(self, timeout: float = 10.0) -> float:
        """Wait until the portal says what the core says for every ticket of today; the seconds taken."""
        start = time.monotonic()
        core = self.core_view()
        server = self.server_view(list(core))
        while server != core:
            if time.monotonic() - start > timeout:
                raise AssertionError(f"the portal differs from the core: {server} != {core}")
            time.sleep(0.05)
            core = self.core_view()
            server = self.server_view(list(core))
        return time.monotonic() - start


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> float:
    """:func:`tests.helpers.waiting.wait_for`, answering the seconds it waited."""
    start = time.monotonic()
    waiting.wait_for(condition, timeout)
    return time.monotonic() - start


@contextmanager
def live_centre(site: Centre, portal_url: str) -> Iterator[Live]:
    """The central server, the centre enrolled at it, and its agent running (kicked at each commit)."""
    with running_central(portal_url) as central:
        enrol_site(central, site.db)
        agent = Agent(site.db, timeout=(2.0, 5.0))
        # a connection per request: a kept-alive one that the server closes (after 5 s idle) just as
        # the agent sends on it is reset, and the agent's warning would fail the test
        agent.http.headers["Connection"] = "close"
        thread = threading.Thread(target=agent.run_forever, kwargs={"interval": 1.0}, name="agent", daemon=True)
        thread.start()
        try:
            yield Live(site, central, agent)
        finally:
            agent.stop()
            thread.join(10)
            for other in threading.enumerate():  # its PostgreSQL LISTEN thread, before the database goes
                if other.name == "sync-agent-listen":
                    other.join(5)
            agent.close()


#: The live tests look at every ticket many times a second from one address: the ticket pages'
#: per-client limit lifted (each look is still counted).
UNLIMITED_TICKETS = "ticket=1000000/minute"


@contextmanager
def running_live(site: Centre, portal_url: str, monkeypatch: pytest.MonkeyPatch,
                 **env: str | None) -> Iterator[Live]:
    """:func:`live_centre` with these environment variables set (``None``: unset) before the
    server starts; ``SHUBBAK_RATE_LIMITS`` is :data:`UNLIMITED_TICKETS` unless given."""
    env.setdefault("SHUBBAK_RATE_LIMITS", UNLIMITED_TICKETS)
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    with live_centre(site, portal_url) as centre:
        yield centre


class _Texts(HTMLParser):
    """The text of the first element of an id (``"#ticket-ahead"``) or of a tag (``"h1"``)."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                      "track", "wbr"})

    def __init__(self, selector: str) -> None:
        super().__init__(convert_charrefs=True)
        self.selector, self.depth, self.found, self.parts = selector, 0, False, list[str]()

    def _matches(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        if self.selector.startswith("#"):
            return dict(attrs).get("id") == self.selector[1:]
        return tag == self.selector

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        if self.depth:
            self.depth += 1
        elif not self.found and self._matches(tag, attrs):
            self.depth, self.found = 1, True

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in self.VOID:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def element_text(html: str, selector: str) -> str | None:
    """The text of the element ``selector`` (an ``#id`` or a tag name) in ``html``, bidi marks
    and spaces as :func:`tests.helpers.bidi.plain` leaves them; ``None`` if there is none."""
    parser = _Texts(selector)
    parser.feed(html)
    parser.close()
    return plain(" ".join(" ".join(parser.parts).split())) if parser.found else None
