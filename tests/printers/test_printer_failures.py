"""Issue 15, items 23 and 24: a printer that is not really there is reported as failed.

23: a raw TCP printer that accepts the connection and then drops it, or never reads, is caught by
the paper status query that is now on by default (``status=0`` turns it off). The printers are real
TCP servers on 127.0.0.1; every wait is bounded by the URL's ``timeout`` or an event.
24: without libusb, pyusb raises ``NoBackendError``: the same clear "printer offline" error as an
offline printer, from the print queue and from ``shubbak print sample`` (no traceback, exit 1).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_app.common.i18n import gettext
from printers.cli import add_print_commands, run
from printers.devices import open_printer, parse_printer_url
from printers.errors import PrinterOffline
from printers.jobs import PrintQueue, SQLiteJobStore, print_document
from printers.samples import sample_ticket

ROOT = Path(__file__).resolve().parents[2]
OFFLINE_AR, OFFLINE_EN = gettext("print.err.offline", "ar"), gettext("print.err.offline", "en")


class BadPrinter:
    """A TCP server on 127.0.0.1 that accepts connections and then closes each at once ("close") or
    keeps it open without reading a byte until the test ends ("silent")."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = int(self.server.getsockname()[1])
        self.accepted = 0
        self._accepted_changed = threading.Condition()
        self.held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._accepted_changed:
                self.accepted += 1
                self._accepted_changed.notify_all()
            if self.behaviour == "close":
                conn.close()
            else:
                self.held.append(conn)

    def wait_accepted(self, count: int, timeout: float = 5.0) -> int:
        """The number of connections accepted once it reaches ``count`` (or the timeout passes): the
        kernel completes a connection before ``accept()`` returns, so a client can finish sending
        before this server's thread has counted it."""
        with self._accepted_changed:
            self._accepted_changed.wait_for(lambda: self.accepted >= count, timeout)
            return self.accepted

    def url(self, options: str = "") -> str:
        return f"tcp://127.0.0.1:{self.port}?timeout=1{options}"

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for conn in self.held:
            conn.close()
        self.server.close()


@pytest.fixture(params=["close", "silent"])
def bad_printer(request: pytest.FixtureRequest) -> Iterator[BadPrinter]:
    printer = BadPrinter(request.param)
    yield printer
    printer.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shubbak")
    add_print_commands(parser.add_subparsers(dest="command", required=True))
    return parser


def test_status_checking_is_on_by_default_where_the_printer_can_answer() -> None:
    assert parse_printer_url("tcp://10.0.0.5:9100").check_status
    assert parse_printer_url("usb://04b8:0e15").check_status
    assert not parse_printer_url("tcp://10.0.0.5:9100?status=0").check_status
    assert not parse_printer_url("usb://04b8:0e15?status=off").check_status
    assert not parse_printer_url("serial:///dev/ttyUSB0").check_status  # many serial cables are one-way
    assert parse_printer_url("serial:///dev/ttyUSB0?status=1").check_status
    assert not parse_printer_url("file:///dev/usb/lp0?status=1").check_status


def test_a_printer_that_drops_or_never_reads_is_offline(bad_printer: BadPrinter) -> None:
    with pytest.raises(PrinterOffline):
        print_document(open_printer(bad_printer.url()), sample_ticket(), "ar")
    assert bad_printer.wait_accepted(1) == 1, "the connection itself was accepted"


def test_print_sample_exits_non_zero_on_such_a_printer(
    bad_printer: BadPrinter, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(_parser().parse_args(["print", "sample", "--printer", bad_printer.url()])) == 1
    err = capsys.readouterr().err
    assert OFFLINE_AR in err and OFFLINE_EN in err


@pytest.mark.expect_log(r"^print job \w+ failed: The printer is offline\.", logger="printers.jobs")
def test_the_print_queue_keeps_the_job_as_failed(bad_printer: BadPrinter, tmp_path: Path) -> None:
    queue = PrintQueue(SQLiteJobStore(tmp_path))
    queue.start()
    try:
        job_id = queue.submit(sample_ticket(), bad_printer.url(), "en")
        assert queue.wait_idle(20)
        job = queue.get(job_id)
        assert (job.status, job.error_kind, job.error_en) == ("error", "environment", OFFLINE_EN)
    finally:
        queue.stop()


def test_status_zero_turns_the_check_off() -> None:
    """A printer that answers nothing but takes the bytes (a printer without status support)."""
    printer = BadPrinter("silent")
    try:
        sent = print_document(open_printer(printer.url("&status=0")), sample_ticket(), "ar")
        assert sent
        assert printer.wait_accepted(1) == 1
    finally:
        printer.close()


def test_no_usb_backend_is_the_offline_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import usb.core

    def no_backend(**_kwargs: object) -> None:
        raise usb.core.NoBackendError("No backend available")

    monkeypatch.setattr(usb.core, "find", no_backend)
    with pytest.raises(PrinterOffline) as caught:
        print_document(open_printer("usb://04b8:0e15"), sample_ticket(), "ar")
    assert "libusb" in caught.value.detail
    assert caught.value.message("ar") == OFFLINE_AR and caught.value.message("en") == OFFLINE_EN


def test_print_sample_without_usb_backend_says_offline(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import usb.core

    def no_backend(**_kwargs: object) -> None:
        raise usb.core.NoBackendError("No backend available")

    monkeypatch.setattr(usb.core, "find", no_backend)
    assert run(_parser().parse_args(["print", "sample", "--printer", "usb://04b8:0e15"])) == 1
    err = capsys.readouterr().err
    assert OFFLINE_AR in err and OFFLINE_EN in err and "Traceback" not in err


def test_shubbak_print_sample_on_an_absent_usb_printer() -> None:
    """The real command on this machine, with or without libusb: a printer error, never a traceback."""
    shubbak = Path(sys.executable).with_name("shubbak")
    result = subprocess.run(
        [str(shubbak), "print", "sample", "--printer", "usb://04b8:0e15"],
        cwd=ROOT, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    known = [gettext(msgid, "en") for msgid in ("print.err.offline", "print.err.not_found", "print.err.permission")]
    assert any(message in result.stderr for message in known), result.stderr
