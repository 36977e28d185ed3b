"""The package installs without setuptools' warning banners (issue 15, item 26)."""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("counter_app", "queue_display", "sync", "printers", "resources")

BUILD = """
import json, sys, warnings
from setuptools import build_meta
with warnings.catch_warnings(record=True) as seen:
    warnings.simplefilter("always")
    name = getattr(build_meta, sys.argv[1])(sys.argv[2])
print(json.dumps({"name": name, "warnings": [
    f"{w.category.__name__}: {str(w.message).strip().splitlines()[0]}" for w in seen
    if w.category.__module__.startswith(("setuptools", "distutils"))]}))
"""

#: Runs a console script's function with ``--help`` from an unpacked wheel (argv: the wheel's
#: folder, the module, the function, the script's name).
RUN_MAIN = """
import importlib, sys
root, module_name, function, script = sys.argv[1:5]
sys.path.insert(0, root)
module = importlib.import_module(module_name)
assert module.__file__.startswith(root), module.__file__
sys.argv = [script, "--help"]
getattr(module, function)()
"""


def _build(tmp_path: Path, hook: str) -> dict[str, object]:
    project = tmp_path / "project"
    for name in SHIPPED:
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, project / name)
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run([sys.executable, "-c", BUILD, hook, str(out)], cwd=project, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    result["wheel"] = out / str(result["name"])
    return result


def test_editable_install_has_no_setuptools_warning(tmp_path: Path) -> None:
    result = _build(tmp_path, "build_editable")
    assert result["warnings"] == []


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return _build(tmp_path_factory.mktemp("wheel"), "build_wheel")


def test_wheel_ships_the_catalogues_and_voice_clips_without_warnings(wheel: dict[str, object]) -> None:
    assert wheel["warnings"] == []
    names = zipfile.ZipFile(str(wheel["wheel"])).namelist()
    for wanted in ("resources/locale/ar/LC_MESSAGES/shubbak.po", "resources/locale/en/LC_MESSAGES/shubbak.po",
                   "resources/voice/chime.wav", "counter_app/core/migrations/versions/0001_initial_schema.py",
                   "counter_app/core/applicant.py", "sync/server/migrations/env.py",
                   "sync/server/migrations/script.py.mako",
                   "sync/server/migrations/versions/s0001_central_server_schema.py"):
        assert wanted in names
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "bench/"))]


def test_every_console_script_of_the_wheel_is_a_real_main(wheel: dict[str, object], tmp_path: Path) -> None:
    """Each script names a ``main`` that parses its arguments (``--help`` prints the script's
    usage), imported from the wheel itself, not from this checkout."""
    archive = zipfile.ZipFile(str(wheel["wheel"]))
    (entry_points,) = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
    parser = configparser.ConfigParser()
    parser.read_string(archive.read(entry_points).decode())
    scripts = dict(parser["console_scripts"])
    assert set(scripts) == {"counter-app", "queue-display", "sync-agent", "central-server", "shubbak"}
    unpacked = tmp_path / "unpacked"
    archive.extractall(unpacked)
    for name, target in scripts.items():
        module, _, function = target.partition(":")
        done = subprocess.run([sys.executable, "-c", RUN_MAIN, str(unpacked), module, function, name],
                              capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
                              env={**os.environ, "PYTHONPATH": ""})
        assert done.returncode == 0, (name, done.stderr[-2000:])
        assert done.stdout.startswith(f"usage: {name} "), (name, done.stdout[:200])
