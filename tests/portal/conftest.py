"""The citizens' portal: the real central server on loopback (SQLite, or PostgreSQL on the
PostgreSQL run), seeded with the shipped catalogue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.central import Central, running_central


@pytest.fixture
def portal_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'central.sqlite3'}"
    return str(request.getfixturevalue("pg_cluster").create_database())


@pytest.fixture
def portal(portal_url: str) -> Iterator[Central]:
    with running_central(portal_url) as server:
        yield server
