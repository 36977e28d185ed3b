"""Each program writes its own log file where configure_logging says: the counter app into its
data directory, the display (no data directory) into the log folder, each line once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from counter_app.common.logs import LOG_DIR_ENV

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, env={**env, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])},
                          capture_output=True, text=True, timeout=180)


def test_the_counter_app_logs_into_its_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = tmp_path / "counter.ini"
    config.write_text(f"[app]\ndata_dir = {data}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != LOG_DIR_ENV}
    env.update(QT_QPA_PLATFORM="offscreen", SHUBBAK_EXIT_WHEN_SHOWN="1", XDG_STATE_HOME=str(tmp_path / "state"))
    result = run(["counter_app.main", "--db", f"sqlite:///{tmp_path / 'centre.sqlite3'}", "--config", str(config)],
                 env, tmp_path)
    assert result.returncode == 0, result.stderr
    text = (data / "logs" / "counter-app.log").read_text(encoding="utf-8")
    assert " INFO counter_app.common.logs [MainThread] counter-app started (pid " in text
    assert not (tmp_path / "state").exists()  # nothing in the user's log folder
    started = [line for line in result.stderr.splitlines() if "counter-app started" in line]
    assert len(started) == 1, result.stderr  # stderr has the same lines, once


def test_the_display_logs_into_the_log_folder_even_when_it_refuses_to_start(tmp_path: Path) -> None:
    damaged = tmp_path / "centre.sqlite3"
    damaged.write_bytes(b"this is not a database" * 100)
    env = {**os.environ, LOG_DIR_ENV: str(tmp_path / "logs"), "QT_QPA_PLATFORM": "offscreen"}
    result = run(["queue_display", "--db", f"sqlite:///{damaged}", "--voice", "none"], env, tmp_path)
    assert result.returncode == 2
    text = (tmp_path / "logs" / "queue-display.log").read_text(encoding="utf-8")
    assert "queue-display started" in text
    # the driver's words, for a technician (the screen says which file and what to do)
    assert f"INFO counter_app.core.db [MainThread] damaged centre database {damaged}: file is not a database" in text
