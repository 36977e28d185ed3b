"""The real central server (FastAPI on uvicorn) on 127.0.0.1, in a thread of the test process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from sync.server.app import create_app, seed_catalogue
from sync.server.appointments.notices import NoticeSettings
from sync.server.db import ServerDatabase

ADMIN_TOKEN = "test-admin-token"


class Central:
    def __init__(self, db: ServerDatabase, port: int, server: uvicorn.Server, thread: threading.Thread,
                 scheme: str = "http") -> None:
        self.db, self.port, self.server, self.thread = db, port, server, thread
        self.url = f"{scheme}://127.0.0.1:{port}"

    def count(self, model: Any, *where: Any) -> int:
        from sqlalchemy import func, select

        with self.db.sessions() as s:
            return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_central(url: str, *, certfile: str | None = None, keyfile: str | None = None,
                    notices: NoticeSettings | None = None) -> Iterator[Central]:
    """The real server on loopback in a thread; ``notices``: it runs the booking SMS' rounds too."""
    db = ServerDatabase(url)
    seed_catalogue(db)
    port = free_port()
    config = uvicorn.Config(create_app(db, ADMIN_TOKEN, notice_settings=notices), host="127.0.0.1", port=port, log_level="warning",
                            ssl_certfile=certfile, ssl_keyfile=keyfile, timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="central-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the central server did not start")
        time.sleep(0.02)
    central = Central(db, port, server, thread, "https" if certfile else "http")
    try:
        yield central
    finally:
        server.should_exit = True
        thread.join(10)
        db.dispose()


def enrol_site(central: Central, db: Any, server_url: str | None = None, receipt_key: Any = None) -> str:
    from sync.agent.enrol import enrol

    return enrol(db, server_url or central.url, ADMIN_TOKEN, receipt_key=receipt_key)


def start_central_process(db_url: str, admin_token: str, *, cwd: Path, env: dict[str, str] | None = None,
                          args: tuple[str, ...] = ()) -> tuple[subprocess.Popen[bytes], str]:
    """``python -m sync.server`` in its own process (the benchmarks measure it there), started and
    answering ``/v1/health``; returns the process and its URL."""
    import requests

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sync.server", "--db", db_url, "--port", str(port),
                             "--admin-token", admin_token, *args], cwd=cwd, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/v1/health", timeout=1).ok:
                return proc, url
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the central server did not start")


PASSWORD = "a long test password"


def add_person(central: Central, name: str, role: str = "national_admin", *, governorate: str | None = None,
               centre: str | None = None, password: str = PASSWORD) -> None:
    """A person of the central server, added as ``central-server user add`` adds one."""
    from counter_app.common.clock import utcnow
    from sync.server.accounts import add_user

    with central.db.sessions.begin() as s:
        add_user(s, name, password, role, utcnow(), actor="cli", governorate=governorate, centre=centre)


def log_in(url: str, name: str, password: str = PASSWORD, **fields: str) -> Any:
    """``POST /reports/login`` as the page's form sends it; the answer (303 with the cookie, or 401)."""
    import requests

    return requests.post(url + "/reports/login", data={"username": name, "password": password, "lang": "en", **fields},
                         timeout=10, allow_redirects=False)
