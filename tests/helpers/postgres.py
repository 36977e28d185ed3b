"""A throwaway PostgreSQL cluster for tests and benchmarks.

``SHUBBAK_TEST_PG_URL`` names an existing server to use instead. Otherwise Debian's PostgreSQL
binaries (``/usr/lib/postgresql/<v>/bin``) create a cluster in a temporary directory, listening on
a free loopback port and a private socket directory; it is stopped and removed at the end.
``initdb`` and ``pg_ctl`` refuse to run as root, so as root they run as the ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


class PostgresUnavailable(RuntimeError):
    pass


def _bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PostgresUnavailable("PostgreSQL server binaries not found (apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _create(name: str, template: str | None) -> str:
    return f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


class Cluster:
    def __init__(self, *, durable: bool = False) -> None:
        self.bin = _bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="shubbak-pg-"))
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.port = _free_port()
        self.durable = durable
        self._as_root = os.geteuid() == 0
        self.user = "postgres" if self._as_root else os.environ.get("USER", "postgres")

    def _run(self, *args: str | Path) -> None:
        cmd = [str(a) for a in args]
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        self.sock.mkdir()
        if self._as_root:
            os.chmod(self.root, 0o755)
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.sock, "postgres", "postgres")
        self._run(self.bin / "initdb", "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        options = [
            f"-p {self.port}", "-h 127.0.0.1", f"-k {self.sock}", "-c max_connections=200",
            "-c shared_buffers=256MB",
        ]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._options = " ".join(options)
        self.resume()

    def pause(self) -> None:
        """Stop the server but keep its data (a database that "disappears" for a while)."""
        self._run(self.bin / "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def resume(self) -> None:
        self._run(self.bin / "pg_ctl", "-D", str(self.data), "-o", self._options, "-l",
                  str(self.root / "log"), "-w", "-t", "60", "start")

    def admin_url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str | None = None, *, template: str | None = None) -> str:
        """A new database, empty or a copy of the database ``template`` (which nobody may be connected to)."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            conn.execute(_create(name, template))
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        try:
            self._run(self.bin / "pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        # Every test's database is in it (hundreds of MB after a run, tens of thousands of files):
        # removing it took 1-2 minutes at the end of tests/portal alone. A process of its own
        # removes it, which the run does not wait for (the shell leaves it running and exits).
        subprocess.run(["sh", "-c", 'rm -rf -- "$1" </dev/null >/dev/null 2>&1 &', "sh", str(self.root)],
                       check=False)


class External:
    """An already running server named by ``SHUBBAK_TEST_PG_URL``."""

    def __init__(self, url: str) -> None:
        self.url = url.replace("postgresql+psycopg://", "postgresql://")

    def create_database(self, name: str | None = None, *, template: str | None = None) -> str:
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(_create(name, template))
        base = self.url.rsplit("/", 1)[0]
        return base.replace("postgresql://", "postgresql+psycopg://") + "/" + name

    def stop(self) -> None:
        pass


@contextmanager
def throwaway_postgres(*, durable: bool = False) -> Iterator[Cluster | External]:
    external = os.environ.get("SHUBBAK_TEST_PG_URL")
    if external:
        yield External(external)
        return
    cluster = Cluster(durable=durable)
    try:
        cluster.start()
    except subprocess.CalledProcessError as exc:
        cluster.stop()
        raise PostgresUnavailable(exc.stderr.decode(errors="replace")) from exc
    try:
        yield cluster
    finally:
        cluster.stop()
