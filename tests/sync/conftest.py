"""Sync fixtures: a centre database, the real central server on loopback (same backend) and an
enrolled agent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sync.agent.agent import Agent
from sync.agent.lease import release_lease
from tests.helpers.central import Central, enrol_site, running_central
from tests.helpers.factories import Centre


@pytest.fixture(autouse=True)
def close_agents(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every agent a test makes has its HTTP connections closed at the end of the test."""
    made: list[Agent] = []
    original = Agent.__init__

    def tracking_init(self: Agent, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(Agent, "__init__", tracking_init)
    yield
    for agent in made:
        agent.close()


@pytest.fixture
def central(central_url: str) -> Iterator[Central]:
    with running_central(central_url) as server:
        yield server


@pytest.fixture
def enrolled(site: Centre, central: Central) -> Centre:
    """Enrolled, with the events of setting the centre up already sent (a clean outbox)."""
    enrol_site(central, site.db)
    first = Agent(site.db)
    first.sync_once()
    with site.db.begin() as s:
        release_lease(s, first.holder)
    return site


@pytest.fixture
def agent(enrolled: Centre) -> Iterator[Agent]:
    a = Agent(enrolled.db, timeout=(2.0, 5.0))
    yield a
