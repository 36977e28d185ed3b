"""The central server and the sync agent run without Qt, the central server without the centre's
``counter_app.core``, and ``import printers`` is cheap (issue 16 item 3): each checked in a fresh
interpreter, through ``sys.modules``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers.central import free_port

ROOT = Path(__file__).resolve().parents[2]

#: Runs the real ``central-server`` entry point on 127.0.0.1 in a thread, serves the requests that
#: reach every lazily imported part (health, receipt check, status look-up, the report pages),
#: then prints the modules loaded.
SERVE = """
import json, os, sys, threading, time, urllib.error, urllib.request
from sync.server.__main__ import main

db, port = sys.argv[1], sys.argv[2]
threading.Thread(target=main, args=(["--db", db, "--port", port, "--admin-token", "t"],), daemon=True).start()
base = f"http://127.0.0.1:{port}"


def call(path, data=None, token=None):
    request = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


deadline = time.monotonic() + 60
while True:
    try:
        if call("/v1/health") == 200:
            break
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.05)
answers = [call("/v1/receipts/verify", json.dumps({"payload": "SHB1|C|T|1|2026-01-01T00:00:00Z|x"}).encode()),
           call("/v1/status/1234-5678-9092"), call("/reports"), call("/reports", token="t"),
           call("/v1/reports/kpis", token="t")]
print(json.dumps({"answers": answers, "modules": sorted(sys.modules)}))
sys.stdout.flush()
os._exit(0)
"""

IMPORT = "import importlib, json, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n" \
         "print(json.dumps(sorted(sys.modules)))"


def _loaded(*args: str, script: str = IMPORT) -> list[str]:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=180,
                          cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def _of(modules: dict[str, object] | list[str], *packages: str) -> list[str]:
    return [m for m in modules if m.split(".")[0] in packages]


def test_the_central_server_serves_without_qt(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", SERVE, f"sqlite:///{tmp_path / 'central.sqlite3'}",
                           str(free_port())], capture_output=True, text=True, timeout=180, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["answers"] == [200, 404, 401, 200, 200]  # the page and routes really ran
    modules: list[str] = result["modules"]
    assert "sync.server.app" in modules and "sync.server.report_page" in modules
    assert _of(modules, "PySide6", "shiboken6", "printers", "escpos", "reportlab") == []
    # nor the centre's domain (DESIGN: the server imports common, notify and sync.protocol)
    assert [m for m in modules if m.startswith(("counter_app.core", "counter_app.ui", "sync.agent"))] == []


def test_the_sync_agent_and_enrolment_import_no_qt() -> None:
    modules = _loaded("sync.agent.__main__", "sync.agent.enrol")
    assert "sync.agent.agent" in modules
    assert _of(modules, "PySide6", "shiboken6", "printers", "escpos", "reportlab") == []


def test_import_printers_alone_is_cheap() -> None:
    modules = _loaded("printers")
    assert "printers" in modules
    assert _of(modules, "PySide6", "shiboken6", "escpos", "reportlab", "PIL", "qrcode") == []
