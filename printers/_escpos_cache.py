"""Give python-escpos a persistent cache for its printer-capabilities database, written safely.

Without ``ESCPOS_CAPABILITIES_PICKLE_DIR`` python-escpos parses its 300 KB YAML file at every
import (about 0.3 s on a counter PC) and leaves a new temporary directory behind each time. A
per-user cache directory makes the second and later starts load the pickle instead.

python-escpos writes that pickle in place: a second program importing it meanwhile (the kiosk,
the display and the counter app starting together on a new PC; the test processes) reads a
half-written file and fails with ``EOFError``, and a file left half-written by a crash fails every
later start. So the pickle is made here first, before python-escpos is imported: checked by
loading it, and when missing, older than the database or unreadable, written to a temporary file
and renamed into place (atomic), exactly as python-escpos would have written it.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pickle
import platform
import tempfile
from pathlib import Path

import platformdirs

log = logging.getLogger(__name__)

_VARIABLE = "ESCPOS_CAPABILITIES_PICKLE_DIR"


def _readable(target: Path, source: Path) -> bool:
    try:
        if target.stat().st_mtime < source.stat().st_mtime:
            return False
        with target.open("rb") as cache:
            return isinstance(pickle.load(cache), dict)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, AttributeError, ImportError, IndexError):
        return False


def _capabilities_file() -> Path:
    """python-escpos's ``capabilities.json``, found without importing python-escpos (``importlib.
    resources.files`` would: ``import printers`` stays cheap)."""
    spec = importlib.util.find_spec("escpos")
    if spec is None or not spec.submodule_search_locations:
        raise OSError("python-escpos is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "capabilities.json"


def ensure_pickle(directory: Path) -> None:
    """A readable ``<python version>.capabilities.pickle`` in ``directory``, as python-escpos names it."""
    import yaml

    target = directory / f"{platform.python_version()}.capabilities.pickle"
    source = _capabilities_file()
    if _readable(target, source):
        return
    capabilities = yaml.safe_load(source.read_text(encoding="utf-8"))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".capabilities-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            pickle.dump(capabilities, out, protocol=2)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def configure() -> None:
    if os.environ.get(_VARIABLE):
        return
    directory = Path(platformdirs.user_cache_dir("shubbak", appauthor=False)) / "escpos"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        ensure_pickle(directory)
    except OSError as exc:  # read-only home: python-escpos falls back to a temporary directory
        log.info("no cache for the printers' capabilities (%s): python-escpos reads its file each start", exc)
        return
    os.environ[_VARIABLE] = str(directory)


configure()
