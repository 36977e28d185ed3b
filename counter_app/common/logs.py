"""One logging set-up for every program: counter app, waiting-hall display, ``shubbak``, printers,
sync agent and central server. No Qt here (the Qt message handler and the window's error message
live in ``counter_app/ui/shell/crash.py``).

:func:`configure_logging` gives each program

* a rotating file ``<program>.log`` (:data:`MAX_BYTES` × :data:`BACKUPS` old files) in
  :func:`log_dir`: ``$SHUBBAK_LOG_DIR`` when set, else ``<data_dir>/logs``, else the user's log
  directory (``platformdirs``, e.g. ``~/.local/state/shubbak/log``);
* stderr, which for a service started by systemd is the journal: then the lines carry the
  journal's priority prefix (``<3>``) instead of a time, so ``journalctl -p warning`` works;
* one line format: local time with its UTC offset, level, logger name (``__name__`` of the module),
  thread, message, and the full traceback of an exception;
* no personal data: every line goes through :func:`redact` (national IDs, phone numbers, e-mail
  addresses). The code never puts them in a log message and the database hides statement
  parameters from its errors; the redaction is the safety net;
* Python warnings and uncaught exceptions (main thread and other threads) in the log.

Calling it again replaces what the previous call installed (no handler twice). A bare console
handler that a library's ``logging.basicConfig()`` put on the root logger is removed; other
handlers (pytest's) are left alone. :func:`reset_logging` undoes it.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType

__all__ = ["BACKUPS", "LOG_DIR_ENV", "MAX_BYTES", "RedactingFormatter", "configure_logging", "default_log_dir",
           "log_dir", "log_files", "redact", "reset_logging"]

#: Overrides where every program writes its log file (a service's ``/var/log/shubbak``, the tests).
LOG_DIR_ENV = "SHUBBAK_LOG_DIR"
MAX_BYTES = 2 * 1024 * 1024
BACKUPS = 4

FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
#: The journal stamps the time and the process itself.
JOURNAL_FORMAT = "%(levelname)s %(name)s [%(threadName)s] %(message)s"

_PROGRAM = re.compile(r"[a-z][a-z0-9-]*")

# -- redaction ------------------------------------------------------------------------------------
#: An e-mail address.
_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
#: Any run of exactly 14 digits (Western or Arabic-Indic: ``\d`` is Unicode): an Egyptian national
#: ID, valid or mistyped.
_NATIONAL_ID = re.compile(r"(?<!\d)\d{14}(?!\d)")
#: A phone number: international (``+20…``, ``0020…``), national (``01012345678``,
#: ``0223456789``), digits possibly grouped by single spaces or dashes, or an Egyptian mobile
#: without its leading zero (``1012345678``).
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)\d(?:[ -]?\d){8,13}(?!\d)|(?<![\w+])0(?:[ -]?\d){8,10}(?!\d)"
                    r"|(?<![\w+])1[0125]\d{8}(?!\d)")

REDACTED_EMAIL = "[e-mail]"
REDACTED_NATIONAL_ID = "[national-id]"
REDACTED_PHONE = "[phone]"


def redact(text: str) -> str:
    """``text`` with national IDs, phone numbers and e-mail addresses replaced by a placeholder."""
    text = _EMAIL.sub(REDACTED_EMAIL, text)
    text = _NATIONAL_ID.sub(REDACTED_NATIONAL_ID, text)
    return _PHONE.sub(REDACTED_PHONE, text)


#: Bidi isolates (U+2066..U+2069) that a translated message carries around its values: invisible
#: on screen, noise in a text file and a terminal.
_NO_ISOLATES = dict.fromkeys(range(0x2066, 0x206A))


class RedactingFormatter(logging.Formatter):
    """The one line format; the whole line (message, arguments, traceback) is redacted, and the
    bidi isolates of translated messages are dropped."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record)).translate(_NO_ISOLATES)


class JournalFormatter(RedactingFormatter):
    """For stderr read by systemd-journald: each line starts with its syslog priority."""

    PRIORITIES = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))

    def format(self, record: logging.LogRecord) -> str:
        priority = next((p for level, p in self.PRIORITIES if record.levelno >= level), 7)
        prefix = f"<{priority}>"
        return prefix + super().format(record).replace("\n", "\n" + prefix)


class _StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is when a record comes (a test swaps it; a GUI started
    without a console has none)."""

    def emit(self, record: logging.LogRecord) -> None:
        stream = sys.stderr
        if stream is None:
            return
        try:
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:
            self.handleError(record)


# -- where --------------------------------------------------------------------------------------
def default_log_dir() -> Path:
    """The user's log directory (``platformdirs``), for a program without a data directory."""
    import platformdirs

    return Path(platformdirs.user_log_dir("shubbak", appauthor=False))


def log_dir(data_dir: Path | None) -> Path:
    """Where the programs write their logs: ``$SHUBBAK_LOG_DIR``, else ``<data_dir>/logs``, else
    :func:`default_log_dir`."""
    override = os.environ.get(LOG_DIR_ENV)
    if override:
        return Path(override)
    if data_dir is not None:
        return Path(data_dir) / "logs"
    return default_log_dir()


def log_files(folder: Path) -> list[Path]:
    """The log files in ``folder``, current and rotated (``x.log``, ``x.log.1``…), sorted by name."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and (p.suffix == ".log" or re.fullmatch(r".+\.log\.\d+", p.name)))


def _stderr_is_journal() -> bool:
    """True when stderr is connected to systemd-journald (``JOURNAL_STREAM`` names its device and inode)."""
    expected = os.environ.get("JOURNAL_STREAM", "")
    if not expected or sys.stderr is None:
        return False
    try:
        st = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return f"{st.st_dev}:{st.st_ino}" == expected


# -- uncaught exceptions ------------------------------------------------------------------------
_log = logging.getLogger(__name__)

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]
ThreadHook = Callable[[threading.ExceptHookArgs], object]


def log_uncaught(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """``sys.excepthook`` of a program without windows: the traceback goes to the log (and so to
    stderr); Ctrl+C stays quiet as usual."""
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    _log.critical("uncaught exception", exc_info=(exc_type, exc, tb))


def log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    """``threading.excepthook``: an exception that ended a thread, with the thread's name."""
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    _log.error("uncaught exception in thread %s", name,
               exc_info=(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback))


# -- set-up -------------------------------------------------------------------------------------
class _State:
    handlers: list[logging.Handler] = []
    hooks: tuple[ExceptHook, ThreadHook] | None = None
    root_level: int | None = None
    file: Path | None = None


def configure_logging(program: str, *, data_dir: Path | None, verbose: bool = False,
                      console_level: int = logging.INFO, log_to_file: bool = True,
                      max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> Path | None:
    """Set up logging for ``program`` (``counter-app``, ``queue-display``, ``shubbak``,
    ``sync-agent``, ``central-server``, ``printers``); returns the log file, or None when there is
    none (``log_to_file=False``, or its folder cannot be written: then stderr says so).

    The file gets INFO and above, stderr ``console_level`` and above (the command line passes
    WARNING so its output stays its own); ``verbose`` lowers both to DEBUG."""
    if not _PROGRAM.fullmatch(program):
        raise ValueError(f"not a program name: {program!r}")
    reset_logging()
    root = logging.getLogger()
    for handler in list(root.handlers):
        # A bare console handler on the root is a library's ``logging.basicConfig()`` (python-escpos
        # calls it when imported): it would print every record a second time, in another format.
        if type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
    file_level = logging.DEBUG if verbose else logging.INFO
    stderr_level = logging.DEBUG if verbose else console_level

    stderr: logging.Handler = _StderrHandler(stderr_level)
    stderr.setFormatter(JournalFormatter(JOURNAL_FORMAT) if _stderr_is_journal() else RedactingFormatter(FILE_FORMAT))
    handlers: list[logging.Handler] = [stderr]
    path: Path | None = None
    problem = ""
    if log_to_file:
        folder = log_dir(data_dir)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{program}.log"
            file = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups,
                                                        encoding="utf-8")
        except OSError as exc:
            path, problem = None, f"no log file in {folder}: {exc}"
        else:
            file.setLevel(file_level)
            file.setFormatter(RedactingFormatter(FILE_FORMAT))
            handlers.append(file)
    for handler in handlers:
        root.addHandler(handler)
    _State.root_level = root.level
    root.setLevel(min(h.level for h in handlers))
    logging.captureWarnings(True)
    _State.handlers, _State.file = handlers, path
    _State.hooks = (sys.excepthook, threading.excepthook)
    sys.excepthook = log_uncaught
    threading.excepthook = log_uncaught_in_thread
    if problem:
        _log.warning("%s", problem)
    _log.info("%s started (pid %d, Python %s)", program, os.getpid(), sys.version.split()[0])
    return path


def reset_logging() -> None:
    """Remove and close what :func:`configure_logging` installed and give back the hooks it
    replaced (those replaced since stay)."""
    root = logging.getLogger()
    for handler in _State.handlers:
        root.removeHandler(handler)
        handler.close()
    if _State.hooks is not None:
        excepthook, thread_hook = _State.hooks
        if sys.excepthook is log_uncaught:
            sys.excepthook = excepthook
        if threading.excepthook is log_uncaught_in_thread:
            threading.excepthook = thread_hook
        logging.captureWarnings(False)
    if _State.root_level is not None:
        root.setLevel(_State.root_level)
    _State.handlers, _State.hooks, _State.root_level, _State.file = [], None, None, None


def current_log_file() -> Path | None:
    """The file the last :func:`configure_logging` writes to (None before, or without one)."""
    return _State.file
