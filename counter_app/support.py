"""``shubbak support bundle``: one zip file a technician can be sent, with what they need to
understand a problem and no personal data. No Qt here.

The bundle holds

* ``README.txt``: when and where it was made, what is in it and what was removed;
* ``versions.txt``: Shubbak, Python, the operating system, Qt and PySide6 (when installed) and the
  libraries that matter (SQLAlchemy, Alembic, psycopg, python-escpos, ...);
* ``database.txt``: the database's address (password hidden), its schema revision and the
  newest one this version knows, SQLite's quick check of the file;
* ``sync-status.txt``: what ``shubbak sync status`` says (events waiting, last sync, alerts);
* ``settings.txt``: the centre's settings (database) and the counter PC's INI file, with every
  secret (passwords, tokens, keys) removed;
* ``logs/``: the log files of every program, current and rotated.

No personal data: the programs never log a citizen's name, national ID, phone or e-mail, and
the database hides statement values from its errors; on top of that every text put in the
bundle goes through :func:`counter_app.common.logs.redact` (national IDs, phone numbers, e-mail
addresses). Each part is made on its own: a damaged or unreachable database still gives a
bundle with the logs, which is when one is needed most.
"""

from __future__ import annotations

import configparser
import importlib.metadata
import os
import platform
import re
import sys
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from counter_app.common.logs import LOG_DIR_ENV, default_log_dir, log_files, redact

#: Setting and INI keys whose values are never put in a bundle.
SECRET_KEY = re.compile(r"password|passwd|secret|token|private|credential|api_?key|(^|[._])key$", re.IGNORECASE)
REMOVED = "(removed)"

#: The libraries whose versions a technician asks for first (distribution names).
LIBRARIES = ("SQLAlchemy", "alembic", "psycopg", "PySide6-Essentials", "PySide6", "shiboken6", "python-escpos",
             "reportlab", "Babel", "cryptography", "requests", "fastapi", "uvicorn", "platformdirs")


@dataclass
class Bundle:
    """What went into a bundle: the archive's file names, and the parts that could not be made."""

    path: Path
    files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def log_files(self) -> list[str]:
        return [name for name in self.files if name.startswith("logs/")]


def log_dirs(data_dir: Path | None) -> list[Path]:
    """Every folder a program of this PC may have logged to, existing ones only, each once:
    ``$SHUBBAK_LOG_DIR``, the data directory's ``logs``, the user's log directory."""
    candidates: list[Path] = []
    if os.environ.get(LOG_DIR_ENV):
        candidates.append(Path(os.environ[LOG_DIR_ENV]))
    if data_dir is not None:
        candidates.append(Path(data_dir) / "logs")
    candidates.append(default_log_dir())
    seen: set[Path] = set()
    found: list[Path] = []
    for folder in candidates:
        resolved = folder.resolve()
        if resolved not in seen and folder.is_dir():
            seen.add(resolved)
            found.append(folder)
    return found


def is_secret(key: str) -> bool:
    return bool(SECRET_KEY.search(key))


# -- the parts --------------------------------------------------------------------------------------
def versions_text() -> str:
    lines = [f"shubbak: {_version('shubbak') or 'not installed (run from the source tree)'}",
             f"python: {sys.version.split()[0]} ({platform.python_implementation()}, {sys.executable})",
             f"os: {platform.platform()} ({platform.machine()})"]
    qt = _qt_version()
    lines.append(f"qt: {qt}" if qt else "qt: not installed")
    for name in LIBRARIES:
        version = _version(name)
        if version:
            lines.append(f"{name}: {version}")
    return "\n".join(lines) + "\n"


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _qt_version() -> str | None:
    """The Qt library PySide6 runs on; None without PySide6 (a server need not have it)."""
    try:
        from PySide6 import QtCore
    except ImportError:
        return None
    return str(QtCore.qVersion())


def database_text(db_url: str) -> str:
    """The database's address, schema revision and (SQLite) quick check; never opens a file
    that is not there (the bundle must not create a database)."""
    from counter_app.common.engine import normalise_url
    from counter_app.core.db import Database, check_file, sqlite_path
    from counter_app.core.migrate import current_revision, head_revision_cached

    url = normalise_url(db_url)
    path = sqlite_path(url)
    lines = [f"head revision of this version: {head_revision_cached() or '?'}"]
    if path is not None:
        lines.insert(0, f"sqlite file: {path}")
        if not path.exists():
            return "\n".join([*lines, "the file does not exist"]) + "\n"
        lines.append(f"size: {path.stat().st_size} bytes")
        try:
            check_file(path)
            lines.append("quick check: ok")
        except Exception as exc:
            lines.append(f"quick check: FAILED: {_describe(exc)}")
            return "\n".join(lines) + "\n"
    db = Database(url, migrate=False, check=False)
    try:
        if path is None:
            lines.insert(0, f"url: {db.engine.url.render_as_string(hide_password=True)}")
        lines.append(f"dialect: {db.dialect}")
        lines.append(f"schema revision: {current_revision(db.engine) or 'none (not migrated)'}")
    finally:
        db.dispose()
    return "\n".join(lines) + "\n"


def centre_settings_text(db_url: str) -> str:
    """The centre's settings kept in the database (secrets removed)."""
    from counter_app.core import settings
    from counter_app.core.db import Database, sqlite_path

    path = sqlite_path(db_url)
    if path is not None and not path.exists():
        return "[centre settings]\n(no database file)\n"
    db = Database(db_url, migrate=False, check=False)
    try:
        with db.read() as session:
            values = {key: settings.get(session, key) for key in settings.DEFAULTS}
    finally:
        db.dispose()
    return _section("centre settings (database)", values.items())


def ini_text(path: Path) -> str:
    """The counter PC's INI file, section by section, secrets removed."""
    if not path.exists():
        return f"[{path.name}]\n(no such file: {path})\n"
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path, encoding="utf-8")
    parts = [f"# {path}\n"]
    for name in parser.sections():
        parts.append(_section(name, parser.items(name)))
    return "\n".join(parts)


def _section(title: str, items: Iterable[tuple[str, str]]) -> str:
    lines = [f"[{title}]"]
    for key, value in items:
        lines.append(f"{key} = {REMOVED if value and is_secret(key) else value}")
    return "\n".join(lines) + "\n"


def _database_exists(db_url: str) -> bool:
    from counter_app.core.db import sqlite_path

    path = sqlite_path(db_url)
    return path is None or path.exists()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _readme(now: datetime, sources: Sequence[str], problems: Sequence[str]) -> str:
    lines = [
        "Shubbak support bundle",
        f"made: {now.isoformat(timespec='seconds')} on {platform.node() or '?'}",
        "",
        "versions.txt      program, Python, OS, Qt and library versions",
        "database.txt      database address (password hidden), schema revision, SQLite quick check",
        "sync-status.txt   the output of `shubbak sync status`",
        "settings.txt      centre settings and the counter PC's INI file; secrets removed",
        "logs/             the programs' log files, current and rotated",
        "",
        "No personal data: national IDs, phone numbers and e-mail addresses are replaced by",
        "[national-id], [phone] and [e-mail] in every file; names are never logged.",
        "",
        "log folders read:",
        *(f"  {source}" for source in sources),
    ]
    if problems:
        lines += ["", "parts that could not be made:", *(f"  {p}" for p in problems)]
    return "\n".join(lines) + "\n"


# -- the bundle -------------------------------------------------------------------------------------
def write_bundle(out: Path, *, db_url: str | None, data_dir: Path | None = None, config_path: Path | None = None,
                 sync_status: Callable[[], str] | None = None, now: datetime | None = None) -> Bundle:
    """Write the zip file ``out`` (atomically: a half-written bundle is never left under that
    name). ``sync_status`` gives the text of ``shubbak sync status``; each part that fails is
    written as its error and listed in ``README.txt``."""
    moment = (now or datetime.now()).astimezone()
    bundle = Bundle(out)
    parts: list[tuple[str, Callable[[], str]]] = [("versions.txt", versions_text)]
    if db_url:
        url = db_url
        parts.append(("database.txt", lambda: database_text(url)))
        if sync_status is not None:
            parts.append(("sync-status.txt", sync_status if _database_exists(url) else lambda: "no database file\n"))

    def settings() -> str:
        texts = []
        if db_url:
            texts.append(centre_settings_text(db_url))
        if config_path is not None:
            texts.append(ini_text(config_path))
        return "\n".join(texts) or "(no database and no INI file given)\n"

    parts.append(("settings.txt", settings))
    folders = log_dirs(data_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def put(name: str, text: str) -> None:
            archive.writestr(name, redact(text))
            bundle.files.append(name)

        for name, make in parts:
            try:
                text = make()
            except Exception as exc:  # one broken part must not cost the others
                bundle.problems.append(f"{name}: {_describe(exc)}")
                text = f"could not be made: {_describe(exc)}\n"
            put(name, text)
        for index, folder in enumerate(folders, start=1):
            for path in log_files(folder):
                try:
                    text = path.read_text(encoding="utf-8", errors="replace")
                except OSError as exc:
                    bundle.problems.append(f"{path}: {_describe(exc)}")
                    continue
                put(f"logs/{index}-{_folder_label(folder)}/{path.name}", text)
        put("README.txt", _readme(moment, [str(f) for f in folders] or ["(none found)"], bundle.problems))
    partial.replace(out)
    return bundle


def _folder_label(folder: Path) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", folder.parent.name or "root")
