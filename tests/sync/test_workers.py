"""Several central server processes on one database (issue 19 item 6; the README's "Several server
processes"): ``central-server --workers N`` and separate servers, real processes on loopback.
Servers starting together on an empty database migrate once; sessions, the audit and the
database-counted rate limits are shared by every process; the ``ticket`` limit is each process's."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select, text

from counter_app.core.db import Database
from sync.agent.agent import Agent
from sync.agent.enrol import enrol
from sync.server import ratelimit
from sync.server.accounts import add_user
from sync.server.db import ServerDatabase
from sync.server.leases import Lease
from sync.server.models import PublishedCatalogue, ReportSession, StoredEvent
from sync.server.sessions import COOKIE
from tests.helpers.central import ADMIN_TOKEN, PASSWORD, free_port, log_in, running_central
from tests.helpers.factories import build_centre
from tests.helpers.syncing import queue_events, wait_drained
from tests.sync.test_rate_limits import STATUS_LIMIT, assert_limited, hammer

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def servers(db_url: str, *extra: tuple[str, ...], env: dict[str, str] | None = None) -> Iterator[list[str]]:
    """One ``python -m sync.server`` process per item of ``extra`` (its own arguments), all started
    at once on ``db_url``; their URLs once every one answers ``/v1/health``."""
    import os

    ports = [free_port() for _ in extra]
    procs = [subprocess.Popen([sys.executable, "-m", "sync.server", "--db", db_url, "--port", str(port),
                               "--admin-token", ADMIN_TOKEN, *args], cwd=ROOT, env={**os.environ, **(env or {})})
             for port, args in zip(ports, extra, strict=True)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 90
        waiting = set(urls)
        while waiting and time.monotonic() < deadline:
            assert all(p.poll() is None for p in procs), [p.returncode for p in procs]  # none died starting
            for url in sorted(waiting):
                try:
                    if requests.get(url + "/v1/health", timeout=2).ok:
                        waiting.discard(url)
                except requests.ConnectionError:
                    pass
            time.sleep(0.05)  # polling interval while they start, not a wait for a condition
        assert not waiting, f"not answering: {waiting}"
        yield urls
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)


def test_four_servers_starting_together_on_an_empty_database_migrate_once(central_url: str) -> None:
    """No race at start: a lock (PostgreSQL advisory, or a file lock for SQLite) lets one process
    migrate at a time; the others find the head applied. The shipped catalogue is published once."""
    with servers(central_url, (), (), (), ()) as urls:
        for url in urls:
            assert requests.get(url + "/v1/health", timeout=10).json()["status"] == "ok"
        db = ServerDatabase(central_url, migrate=False)
        try:
            with db.sessions() as s:
                assert s.scalar(text("SELECT count(*) FROM alembic_version")) == 1
                assert s.scalar(select(func.count()).select_from(PublishedCatalogue)) == 1
            from alembic.script import ScriptDirectory

            from sync.server.db import alembic_config

            head = ScriptDirectory.from_config(alembic_config(db.engine)).get_current_head()
            with db.sessions() as s:
                assert s.scalar(text("SELECT version_num FROM alembic_version")) == head
        finally:
            db.dispose()


def test_worker_processes_share_sessions_limits_and_events(central_url: str, tmp_path: Path) -> None:
    """``--workers 2`` and a separate server on one database: a real agent's events stored once, a
    login made on one usable and revoked on the other, the status limit counted together."""
    with servers(central_url, ("--workers", "2"), ()) as (pooled, single):
        db = ServerDatabase(central_url, migrate=False)
        site_db = Database(f"sqlite:///{tmp_path / 'centre.sqlite3'}")
        try:
            with db.sessions.begin() as s:
                from counter_app.common.clock import utcnow

                add_user(s, "nour.admin", PASSWORD, "national_admin", utcnow(), actor="cli")
            build_centre(site_db)
            enrol(site_db, pooled, ADMIN_TOKEN)
            queue_events(site_db, 120)
            agent = Agent(site_db, max_events=10)  # twelve batches and more, over the workers' connections
            try:
                agent.sync_once()
            finally:
                agent.close()
            wait_drained(site_db, 30)
            with db.sessions() as s:
                stored = s.scalar(select(func.count()).select_from(StoredEvent))
            assert stored is not None and stored >= 120

            login = log_in(pooled, "nour.admin")
            assert login.status_code == 303, login.text
            cookie = login.cookies[COOKIE]
            for url in (pooled, single, pooled):
                assert requests.get(url + "/reports", cookies={COOKIE: cookie}, timeout=10).status_code == 200
            out = requests.post(single + "/reports/logout", cookies={COOKIE: cookie}, timeout=10,
                                allow_redirects=False)
            assert out.status_code == 303
            for _ in range(4):  # whichever worker answers, the session is gone
                assert requests.get(pooled + "/reports", cookies={COOKIE: cookie}, timeout=10).status_code == 401
            with db.sessions() as s:
                assert s.scalar(select(func.count()).select_from(ReportSession)) == 0

            answers = hammer([pooled, single], threads=6, each=20)  # 120 guesses, over three processes
            passed = [a for a in answers if a.status_code != 429]
            assert len(passed) == STATUS_LIMIT, [a.status_code for a in answers]
            for refused in (a for a in answers if a.status_code == 429):
                assert_limited(refused)
        finally:
            site_db.dispose()
            db.dispose()


def test_the_ticket_limit_is_each_process_s_own(central_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The documented per-process share (sync/server/ratelimit.py, ``IN_MEMORY``): two servers on
    one database each let a client make the whole ``ticket`` figure."""
    monkeypatch.setenv(ratelimit.ENVIRONMENT, "ticket=5/minute")
    with running_central(central_url) as first, running_central(central_url) as second:
        for server in (first, second):
            answers = [requests.get(f"{server.url}/t/not-a-token/state", timeout=10) for _ in range(5)]
            assert all(a.status_code != 429 for a in answers), [a.status_code for a in answers]
            assert_limited(requests.get(f"{server.url}/t/not-a-token/state", timeout=10))


@pytest.mark.parametrize("run", range(10))
def test_a_lease_is_claimed_by_one_of_many_at_once(central_url: str, run: int) -> None:
    """Eight claimers (two "processes" of four threads each, with their own engines) at once: one
    gets the lease; after its window another claim gets it again."""
    dbs = [ServerDatabase(central_url, migrate=(n == 0)) for n in range(2)]
    try:
        leases = [Lease(db, "job", 1.0) for db in dbs for _ in range(4)]
        barrier = threading.Barrier(len(leases))
        won: list[bool] = []

        def claim(lease: Lease) -> None:
            barrier.wait()
            won.append(lease.claim())

        threads = [threading.Thread(target=claim, args=(lease,)) for lease in leases]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(won) == [False] * 7 + [True]
        deadline = time.monotonic() + 10
        while not leases[5].claim():  # the window of one second ends
            assert time.monotonic() < deadline
            time.sleep(0.05)  # polling interval
        assert not leases[0].claim()
    finally:
        for db in dbs:
            db.dispose()


def test_one_process_cleans_the_projection_for_all(central_url: str) -> None:
    """Two processes' pruners (their own engines) both due at once: one claims the hour's round and
    deletes the old rows; the other does nothing and waits its hour."""
    from datetime import UTC, date, datetime

    from sync.server.projection_cleanup import PRUNE_EVERY_S, ProjectionPruner
    from tests.portal.test_projection_cleanup import add_rows, days_held

    now = datetime(2026, 11, 26, 10, tzinfo=UTC)
    dbs = [ServerDatabase(central_url, migrate=(n == 0)) for n in range(2)]
    try:
        add_rows(dbs[0], "C1", date(2026, 11, 1), 40)
        add_rows(dbs[0], "C1", date(2026, 11, 26), 3)
        pruners = [ProjectionPruner(db.sessions, claim=Lease(db, "projection-prune", PRUNE_EVERY_S).claim)
                   for db in dbs]
        assert all(p.due() for p in pruners)
        done = [p.run(now) for p in pruners]
        assert done == [40, 0] and not any(p.due() for p in pruners)
        assert days_held(dbs[1]) == {date(2026, 11, 26): 3}
    finally:
        for db in dbs:
            db.dispose()


def signed_get(url: str, centre: str, key: Any, path: str = "/v1/catalogue/latest") -> int:
    from counter_app.common.clock import utcnow
    from sync import protocol

    stamp = utcnow().isoformat()  # microseconds: every request its own (a copy would be "replayed")
    headers = {protocol.HEADER_CENTRE: centre, protocol.HEADER_TIME: stamp,
               protocol.HEADER_SIGNATURE: protocol.sign(key, "GET", path, stamp, b"")}
    return requests.get(url + path, headers=headers, timeout=10).status_code


@pytest.mark.allow_log(r"^refused an unauthenticated GET /v1/catalogue/latest", logger="sync.server.app",
                       level="WARNING")
def test_a_key_replaced_through_one_server_is_refused_by_the_other(central_url: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A centre enrolled again with a new key through server B: server A, which had cached the old
    key, refuses it once its cache ends (``KEY_CACHE_S``, 30 s in production, shortened here), and
    takes the new one at once."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from sync import protocol
    from sync.server import app as server_app

    monkeypatch.setattr(server_app, "KEY_CACHE_S", 0.5)
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()

    def enrol_key(url: str, key: Ed25519PrivateKey) -> None:
        body = {"code": "GIZ-07", "name": "Giza 7", "name_ar": "الجيزة ٧", "name_en": "Giza 7", "governorate": "21",
                "sync_public_key": protocol.public_pem(key.public_key())}
        answer = requests.post(url + "/v1/centres/enrol", json=body, timeout=10,
                               headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert answer.status_code == 201, answer.text

    with running_central(central_url) as a, running_central(central_url) as b:
        enrol_key(a.url, old)
        assert signed_get(a.url, "GIZ-07", old) == 200  # cached by A
        enrol_key(b.url, new)  # the PC replaced: a new key, through the other server
        assert signed_get(b.url, "GIZ-07", old) == 401
        deadline = time.monotonic() + 10
        while signed_get(a.url, "GIZ-07", old) != 401:  # A's cached copy ends
            assert time.monotonic() < deadline, "server A still takes the replaced key"
            time.sleep(0.05)  # polling interval
        assert signed_get(a.url, "GIZ-07", new) == 200
        monkeypatch.setattr(server_app, "KEY_CACHE_S", 3600.0)
        enrol_key(b.url, old)  # and back: a failed signature on A reads the key again at once
        assert signed_get(a.url, "GIZ-07", old) == 200
