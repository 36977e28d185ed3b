"""``central-server --read-db URL``: the reports read a real PostgreSQL streaming replica (a hot
standby made with ``pg_basebackup -R`` from a throwaway cluster), while logins, the audit and
everything written stay on the primary. Pausing the standby's replay shows where the figures come
from: a centre enrolled meanwhile is on the primary at once, and in the report only once the
replica has replayed it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from sqlalchemy import select

from counter_app.common.clock import local_day, utcnow
from counter_app.core.db import Database
from sync.agent.enrol import enrol
from sync.server import report_verify
from sync.server.db import ServerDatabase
from sync.server.models import CentralAudit, EnrolledCentre
from tests.helpers import waiting
from tests.helpers.central import ADMIN_TOKEN, free_port
from tests.helpers.factories import build_centre
from tests.helpers.postgres import Cluster, PostgresUnavailable
from tests.sync.test_workers import servers


class Standby:
    """A hot standby of ``primary`` (streaming replication), on a port of its own."""

    def __init__(self, primary: Cluster) -> None:
        self.primary, self.port = primary, free_port()
        self.data = primary.root / "standby"

    def start(self) -> None:
        p = self.primary
        p._run(p.bin / "pg_basebackup", "-D", str(self.data), "-R", "-X", "stream", "-h", "127.0.0.1",
               "-p", str(p.port), "-U", p.user, "--no-sync")
        p._run(p.bin / "pg_ctl", "-D", str(self.data), "-o",
               f"-p {self.port} -h 127.0.0.1 -k {p.sock} -c hot_standby=on -c fsync=off -c max_connections=200", "-l",
               str(p.root / "standby.log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        try:
            self.primary._run(self.primary.bin / "pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.primary.user}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str) -> Any:
        with psycopg.connect(f"postgresql://{self.primary.user}@127.0.0.1:{self.port}/postgres",
                             autocommit=True) as conn:
            row = conn.execute(statement).fetchone()
            return row[0] if row else None


@pytest.fixture(scope="module")
def replicated() -> Iterator[tuple[Cluster, Standby]]:
    # dev.sh installs Debian's postgresql, which has it: missing, the test fails rather than checking nothing
    assert shutil.which("pg_basebackup") or list(Path("/usr/lib/postgresql").glob("*/bin/pg_basebackup")), (
        "pg_basebackup is not installed (apt-get install postgresql)")
    primary = Cluster()
    try:
        primary.start()
    except subprocess.CalledProcessError as exc:
        primary.stop()
        raise PostgresUnavailable(exc.stderr.decode(errors="replace")) from exc
    standby = Standby(primary)
    try:
        standby.start()
        yield primary, standby
    finally:
        standby.stop()
        primary.stop()


def centres_in_report(url: str) -> list[str]:
    answer = requests.get(url + "/v1/reports/kpis", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return [row["centre"] for row in answer.json()["by_centre"]]


def wait_for(condition: Any) -> None:
    waiting.wait_for(condition, timeout=30.0, interval=0.05)


def test_reports_read_the_replica_and_write_nothing_there(replicated: tuple[Cluster, Standby], tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    primary, standby = replicated
    primary_url = primary.create_database("central")
    ServerDatabase(primary_url).dispose()  # migrated on the primary; the standby replays it
    wait_for(lambda: standby.sql("SELECT count(*) FROM pg_database WHERE datname = 'central'") == 1)
    assert standby.sql("SELECT pg_is_in_recovery()") is True
    site_db = Database(f"sqlite:///{tmp_path / 'centre.sqlite3'}")
    db = ServerDatabase(primary_url, migrate=False)
    try:
        build_centre(site_db)
        with servers(primary_url, ("--workers", "2", "--read-db", standby.url("central"))) as (url,):
            assert centres_in_report(url) == []  # read on a read-only standby: the audit went to the primary
            standby.sql("SELECT pg_wal_replay_pause()")
            wait_for(lambda: standby.sql("SELECT pg_get_wal_replay_pause_state()") == "paused")
            code = enrol(site_db, url, ADMIN_TOKEN)
            with db.sessions() as s:
                assert s.get(EnrolledCentre, code) is not None  # on the primary at once
            for _ in range(4):  # whichever worker answers, it reads the paused replica
                assert centres_in_report(url) == []
            standby.sql("SELECT pg_wal_replay_resume()")
            wait_for(lambda: centres_in_report(url) == [code])
            with db.sessions() as s:  # every report's reading audited, on the primary
                audited = s.scalars(select(CentralAudit.action).where(CentralAudit.action == "report.kpis")).all()
            assert len(audited) >= 6
        # the raw check's long scan on the replica too (read-only: a write there would fail)
        today = local_day(utcnow()).isoformat()
        assert report_verify.main(["verify", "--from", today, "--to", today, "--db", "postgresql://nowhere.invalid/x",
                                   "--read-db", standby.url("central")]) == 0
        assert ": equal (" in capsys.readouterr().out
    finally:
        db.dispose()
        site_db.dispose()
