from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from counter_app.common.logs import LOG_DIR_ENV  # noqa: E402
from counter_app.core.db import Database  # noqa: E402
from tests.helpers.clock import pin_session_clock  # noqa: E402
from tests.helpers.factories import Centre, build_centre  # noqa: E402
from tests.helpers.notifying import Mailbox, running_smtp  # noqa: E402
from tests.helpers.postgres import Cluster, External, database_name, throwaway_postgres  # noqa: E402
from tests.helpers.sms_gateway import Gateway  # noqa: E402

#: Any log record at WARNING or above that a test did not declare fails it (``expect_log``);
#: pytester runs the guard's own test.
pytest_plugins = ("tests.helpers.logfail", "pytester")


def pytest_configure(config: pytest.Config) -> None:
    """Before any test module is imported (some compute "today" when they load): 10:00 in Cairo,
    far from the midnight that closes a centre's day (``tests/helpers/clock.py``)."""
    pin_session_clock()


@pytest.fixture(scope="session", autouse=True)
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The programs the tests start (and ``main()`` run in-process) log here, never into the
    user's own log directory."""
    folder = tmp_path_factory.mktemp("logs")
    previous = os.environ.get(LOG_DIR_ENV)
    os.environ[LOG_DIR_ENV] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop(LOG_DIR_ENV, None)
    else:
        os.environ[LOG_DIR_ENV] = previous


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster | External]:
    with throwaway_postgres() as cluster:
        yield cluster


class MigratedCentre:
    """An empty centre database migrated once per test process, copied for each test that opens
    one (the ``db`` fixture): the same schema as migrating there, without running the migrations
    again for every test (1-2 s each)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._sqlite: Path | None = None
        self._postgres: str | None = None

    def sqlite_copy(self, path: Path) -> None:
        if self._sqlite is None:
            template = self.folder / "centre-template.sqlite3"
            Database(f"sqlite:///{template}").dispose()
            assert not Path(f"{template}-wal").exists()  # all of it in the one file
            self._sqlite = template
        shutil.copyfile(self._sqlite, path)

    def postgres_copy(self, cluster: Cluster | External) -> str:
        if self._postgres is None:
            template = cluster.create_database()
            Database(template).dispose()  # nobody connected to it any more: a template
            self._postgres = database_name(template)
        return str(cluster.create_database(template=self._postgres))


@pytest.fixture(scope="session")
def migrated_centre(tmp_path_factory: pytest.TempPathFactory) -> MigratedCentre:
    return MigratedCentre(tmp_path_factory.mktemp("migrated"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database; already migrated when the test opens it with the ``db`` fixture."""
    migrated: MigratedCentre | None = (request.getfixturevalue("migrated_centre")
                                       if "db" in request.fixturenames else None)
    if request.param == "sqlite":
        path = tmp_path / "centre.sqlite3"
        if migrated is not None:
            migrated.sqlite_copy(path)
        return f"sqlite:///{path}"
    cluster = request.getfixturevalue("pg_cluster")
    if migrated is not None:
        return migrated.postgres_copy(cluster)
    return str(cluster.create_database())


@pytest.fixture
def central_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A central server's database on the same backend as the centre's (tests/sync, tests/portal)."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'central.sqlite3'}"
    return str(request.getfixturevalue("pg_cluster").create_database())


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def site(db: Database) -> Centre:
    return build_centre(db)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The offscreen platform plugin warns whenever a shown window's size hints change; that is
    the test platform talking, not the application."""
    for item in items:
        item.add_marker(pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"))


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server (aiosmtpd) on loopback: its mailbox and port."""
    with running_smtp() as server:
        yield server


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    """An HTTP SMS gateway on loopback (tests/helpers/sms_gateway.py), closed after the test."""
    g = Gateway()
    yield g
    g.close()
