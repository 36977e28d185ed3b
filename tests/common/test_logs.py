"""The one logging set-up of every program (counter_app/common/logs.py): where the file is, the
format, rotation, idempotence, redaction of personal data, uncaught exceptions, the journal."""

from __future__ import annotations

import logging
import re
import sys
import threading
from pathlib import Path

import pytest

from counter_app.common import logs
from counter_app.common.logs import LOG_DIR_ENV, configure_logging, redact, reset_logging
from tests.helpers.logfail import Expectations

NATIONAL_ID = "29901011234567"
ARABIC_NATIONAL_ID = "٢٩٩٠١٠١١٢٣٤٥٦٧"
PHONES = ("+201012345678", "01012345678", "010 1234 5678", "0223456789", "00201012345678")
EMAIL = "mona.ali+x@example.com"
#: "2025-06-01T10:15:03.123+03:00 INFO counter_app.x [MainThread] message"
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d (\w+) ([\w.]+) \[([^\]]+)\] (.*)$")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(LOG_DIR_ENV, raising=False)
    return tmp_path / "data"


def test_the_file_is_in_the_data_directory_one_format_and_called_twice_no_handler_twice(data_dir: Path) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    path = configure_logging("counter-app", data_dir=data_dir)
    again = configure_logging("counter-app", data_dir=data_dir)
    assert path == again == data_dir / "logs" / "counter-app.log"
    assert len([h for h in root.handlers if h not in before]) == 2  # stderr and the file, once
    logging.getLogger("counter_app.ui.example").info("the clerk pressed %s", "F2")
    lines = path.read_text(encoding="utf-8").splitlines()
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert ("INFO", "counter_app.ui.example", "MainThread", "the clerk pressed F2") in [m.groups() for m in parsed if m]
    logging.getLogger("counter_app.ui.example").info("damaged file \u2066%s\u2069", "/data/centre.sqlite3")
    assert path.read_text(encoding="utf-8").endswith(" damaged file /data/centre.sqlite3\n")  # no bidi isolates
    reset_logging()
    assert set(root.handlers) <= set(before)


def test_without_a_data_directory_the_user_log_directory_and_the_override(data_dir: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    assert logs.log_dir(None) == logs.default_log_dir()
    assert "shubbak" in logs.default_log_dir().parts
    monkeypatch.setenv(LOG_DIR_ENV, str(data_dir / "elsewhere"))
    assert configure_logging("sync-agent", data_dir=data_dir) == data_dir / "elsewhere" / "sync-agent.log"
    with pytest.raises(ValueError):
        configure_logging("../x", data_dir=data_dir)


def test_levels_file_info_console_as_asked_verbose_debug(data_dir: Path) -> None:
    configure_logging("shubbak", data_dir=data_dir, console_level=logging.WARNING)
    stderr, file = logs._State.handlers
    assert (stderr.level, file.level) == (logging.WARNING, logging.INFO)
    assert logging.getLogger().level == logging.INFO
    configure_logging("shubbak", data_dir=data_dir, verbose=True, console_level=logging.WARNING)
    assert [h.level for h in logs._State.handlers] == [logging.DEBUG, logging.DEBUG]


def test_a_traceback_is_logged_in_full(data_dir: Path) -> None:
    path = configure_logging("queue-display", data_dir=data_dir)
    assert path is not None
    table: dict[str, int] = {}
    try:
        table["missing"]
    except KeyError:
        logging.getLogger("queue_display.example").info("lookup failed", exc_info=True)
    text = path.read_text(encoding="utf-8")
    assert "lookup failed\nTraceback (most recent call last):" in text
    assert "test_a_traceback_is_logged_in_full" in text and "KeyError: 'missing'" in text


def test_no_national_id_phone_or_email_reaches_the_file(data_dir: Path) -> None:
    path = configure_logging("counter-app", data_dir=data_dir)
    assert path is not None
    log = logging.getLogger("counter_app.example")
    log.info("applicant %s / %s, phones %s, mail %s", NATIONAL_ID, ARABIC_NATIONAL_ID, ", ".join(PHONES), EMAIL)
    try:
        raise ValueError(f"bad national id {NATIONAL_ID} for {EMAIL}")
    except ValueError:
        log.info("refused", exc_info=True)
    text = path.read_text(encoding="utf-8")
    for value in (NATIONAL_ID, ARABIC_NATIONAL_ID, EMAIL, *PHONES):
        assert value not in text
    assert text.count("[national-id]") >= 3 and "[phone]" in text and "[e-mail]" in text


def test_redaction_leaves_what_a_technician_needs() -> None:
    line = ("2025-06-01T10:15:03.123+03:00 INFO printers.devices [print-1] printed receipt on tcp://10.0.0.5:9100 "
            "(2048 bytes), ticket A-042, job 17, 0.35 s, revision 0008, port 8080")
    assert redact(line) == line
    assert redact(f"id {NATIONAL_ID}.") == "id [national-id]."
    assert redact("call +20 10 1234 5678 now") == "call [phone] now"


def test_rotation_keeps_a_few_files_of_a_few_bytes(data_dir: Path) -> None:
    path = configure_logging("counter-app", data_dir=data_dir, max_bytes=2_000, backups=2)
    assert path is not None
    for i in range(200):
        logging.getLogger("counter_app.example").info("line %d of the day's work", i)
    names = sorted(p.name for p in logs.log_files(path.parent))
    assert names == ["counter-app.log", "counter-app.log.1", "counter-app.log.2"]
    assert all(p.stat().st_size <= 2_000 for p in path.parent.iterdir())


def test_a_library_basic_config_does_not_print_twice(data_dir: Path) -> None:
    """python-escpos calls ``logging.basicConfig()`` when imported: its bare console handler goes."""
    root = logging.getLogger()
    stray = logging.StreamHandler(sys.stderr)
    root.addHandler(stray)
    try:
        configure_logging("shubbak", data_dir=data_dir)
        assert stray not in root.handlers
    finally:
        root.removeHandler(stray)


def test_a_folder_that_cannot_be_written_leaves_stderr_and_says_so(tmp_path: Path, expect_log: Expectations,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LOG_DIR_ENV, raising=False)
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data directory should be")
    with expect_log("no log file in", logger="counter_app.common.logs"):
        assert configure_logging("counter-app", data_dir=blocker) is None
    assert len(logs._State.handlers) == 1


def test_uncaught_exceptions_main_thread_and_other_threads_are_logged(data_dir: Path,
                                                                      expect_log: Expectations) -> None:
    path = configure_logging("sync-agent", data_dir=data_dir)
    assert path is not None
    assert sys.excepthook is logs.log_uncaught
    try:
        raise RuntimeError("the agent tripped")
    except RuntimeError as exc:
        with expect_log("uncaught exception", level=logging.CRITICAL):
            sys.excepthook(type(exc), exc, exc.__traceback__)

    def work() -> None:
        raise OSError("the network went away")

    with expect_log("uncaught exception in thread pusher", level=logging.ERROR):
        thread = threading.Thread(target=work, name="pusher")
        thread.start()
        thread.join()
    text = path.read_text(encoding="utf-8")
    assert "RuntimeError: the agent tripped" in text and "OSError: the network went away" in text
    assert "in work\n" in text  # the thread's own frame, not just the message
    reset_logging()
    assert sys.excepthook is not logs.log_uncaught and threading.excepthook is not logs.log_uncaught_in_thread


def test_the_journal_gets_priorities_and_no_time() -> None:
    formatter = logs.JournalFormatter(logs.JOURNAL_FORMAT)
    record = logging.LogRecord("sync.agent", logging.WARNING, __file__, 1, "two\nlines %s", (NATIONAL_ID,), None)
    assert formatter.format(record) == "<4>WARNING sync.agent [MainThread] two\n<4>lines [national-id]"
    record.levelno, record.levelname = logging.ERROR, "ERROR"
    assert formatter.format(record).startswith("<3>ERROR")
