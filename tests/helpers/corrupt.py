"""Damaged centre databases, built once per test module: the four ways a file goes bad."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from counter_app.core.db import Database
from tests.helpers.factories import build_centre

#: garbage over the header, cut in half, a text file, damaged pages (the header and the schema read fine).
KINDS = ("garbage_header", "truncated", "text_file", "damaged_pages")


@dataclass(frozen=True)
class Snapshot:
    data: bytes
    mtime_ns: int
    sidecars: tuple[str, ...]


def snapshot(path: Path) -> Snapshot:
    sidecars = tuple(sorted(p.name for p in path.parent.glob(f"{path.name}-*")))
    return Snapshot(path.read_bytes(), path.stat().st_mtime_ns, sidecars)


def build_corrupt_files(folder: Path) -> dict[str, Path]:
    """A healthy demo centre, then one damaged copy per kind in ``folder`` (its own sub-folder each)."""
    good = folder / "good" / "centre.sqlite3"
    db = Database(f"sqlite:///{good}")
    build_centre(db)
    db.dispose()  # the last connection checkpoints the WAL into the file
    data = good.read_bytes()
    conn = sqlite3.connect(f"file:{good}?mode=ro", uri=True)
    page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    root = int(conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'app_user'").fetchone()[0])
    conn.close()
    damaged = bytearray(data)
    start = (root - 1) * page_size  # the users' table's page: not a b-tree page any more, the schema still reads
    damaged[start:start + 8] = b"\xff" * 8
    files = {
        "garbage_header": os.urandom(100) + data[100:],
        "truncated": data[: len(data) // 2 + 1234],
        "text_file": b"centre notes, not a database\n" * 200,
        "damaged_pages": bytes(damaged),
    }
    paths: dict[str, Path] = {}
    for kind, content in files.items():
        path = folder / kind / "centre.sqlite3"
        path.parent.mkdir(parents=True)
        path.write_bytes(content)
        os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
        paths[kind] = path
    return paths
