"""The citizens' portal: the real central server on loopback (SQLite, or PostgreSQL on the
PostgreSQL run), seeded with the shipped catalogue."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path

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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A portal test that opens a browser runs on SQLite only (``ON_SQLITE``,
    tests/helpers/browser.py): Chromium on both databases doubled the portal's time and told
    nothing more. Collecting one on PostgreSQL stops the run with how to mark it."""
    here = Path(__file__).parent
    for item in items:
        if not isinstance(item, pytest.Function) or here not in item.path.parents:
            continue
        callspec = getattr(item, "callspec", None)
        if callspec is None or callspec.params.get("db_url") != "postgresql":
            continue
        if "browser_page(" in inspect.getsource(item.function):
            raise pytest.UsageError(f"{item.nodeid} opens a browser on PostgreSQL: mark it @ON_SQLITE "
                                    "(tests/helpers/browser.py) and check the page's queries over HTTP")
