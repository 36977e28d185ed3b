"""The citizens' portal: the real central server on loopback (SQLite, or PostgreSQL on the
PostgreSQL run), seeded with the shipped catalogue."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.central import Central, running_central


@pytest.fixture
def portal_url(central_url: str) -> str:
    """The portal is the central server: its database (tests/conftest.py ``central_url``)."""
    return central_url


@pytest.fixture
def portal(portal_url: str) -> Iterator[Central]:
    with running_central(portal_url) as server:
        yield server
