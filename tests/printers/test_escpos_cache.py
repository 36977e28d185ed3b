"""python-escpos's capabilities cache (printers/_escpos_cache.py): programs starting together on a
new PC never read a half-written cache, and a cache left broken is made again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from printers._escpos_cache import ensure_pickle

ROOT = Path(__file__).resolve().parents[2]
IMPORT = "import printers.devices, escpos.capabilities as c; assert c.CAPABILITIES['profiles']"


def start(cache_home: Path, count: int) -> list[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if k != "ESCPOS_CAPABILITIES_PICKLE_DIR"}
    env.update(XDG_CACHE_HOME=str(cache_home), PYTHONPATH=str(ROOT))
    return [subprocess.Popen([sys.executable, "-c", IMPORT], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE) for _ in range(count)]


def test_programs_starting_together_on_a_new_pc_all_start(tmp_path: Path) -> None:
    for round_ in range(3):  # each round a new PC: an empty cache
        home = tmp_path / f"cache-{round_}"
        programs = start(home, 6)
        said = [p.communicate(timeout=120)[1].decode() for p in programs]
        failed = [err for p, err in zip(programs, said, strict=True) if p.returncode != 0]
        assert not failed, failed[0]
        assert [f.name for f in (home / "shubbak" / "escpos").iterdir()] == [
            f"{sys.version.split()[0]}.capabilities.pickle"]  # no temporary file left behind


def test_a_broken_cache_is_made_again(tmp_path: Path) -> None:
    ensure_pickle(tmp_path)
    cache = next(tmp_path.iterdir())
    whole = cache.read_bytes()
    cache.write_bytes(whole[: len(whole) // 3])  # cut short, as by a crash while writing
    ensure_pickle(tmp_path)
    assert cache.read_bytes() == whole
    cache.write_bytes(b"")
    home = tmp_path / "home"
    (home / "shubbak").mkdir(parents=True)
    (home / "shubbak" / "escpos").symlink_to(tmp_path)
    program = start(home, 1)[0]
    said = program.communicate(timeout=120)[1].decode()
    assert program.returncode == 0, said
    assert cache.read_bytes() == whole
