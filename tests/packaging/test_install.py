"""The package installs without setuptools' warning banners (issue 15, item 26)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

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


def test_wheel_ships_the_catalogues_and_voice_clips_without_warnings(tmp_path: Path) -> None:
    import zipfile

    result = _build(tmp_path, "build_wheel")
    assert result["warnings"] == []
    names = zipfile.ZipFile(str(result["wheel"])).namelist()
    for wanted in ("resources/locale/ar/LC_MESSAGES/shubbak.po", "resources/locale/en/LC_MESSAGES/shubbak.po",
                   "resources/voice/chime.wav", "counter_app/core/migrations/versions/0001_initial_schema.py",
                   "counter_app/core/applicant.py"):
        assert wanted in names
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "bench/"))]
