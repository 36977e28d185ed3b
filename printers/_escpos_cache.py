"""Give python-escpos a persistent cache for its printer-capabilities database.

Without ``ESCPOS_CAPABILITIES_PICKLE_DIR`` python-escpos parses its 300 KB YAML file at every
import (about 0.3 s on a counter PC) and leaves a new temporary directory behind each time. A
per-user cache directory makes the second and later starts load the pickle instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

_VARIABLE = "ESCPOS_CAPABILITIES_PICKLE_DIR"


def configure() -> None:
    if os.environ.get(_VARIABLE):
        return
    directory = Path(platformdirs.user_cache_dir("shubbak", appauthor=False)) / "escpos"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:  # read-only home: python-escpos falls back to a temporary directory
        return
    os.environ[_VARIABLE] = str(directory)


configure()
