"""Printers named by URL, sending ESC/POS bytes through python-escpos connections.

    usb://04b8:0e15[?timeout=5000&in_ep=0x82&out_ep=0x01]
    tcp://192.168.1.50[:9100][?timeout=5]
    serial:///dev/ttyUSB0[?baudrate=19200]
    file:///dev/usb/lp0
    virtual:///var/lib/shubbak/printout   (or virtual://relative/dir)

Common query options: ``width=384|576`` (default 576), ``profile=NAME`` (escpos profile, default
from the width), ``drawer=1`` (kick the cash drawer on cash receipts), ``cut=0`` (no cutter),
``status=0|1`` (ask the printer for its paper status before printing).

Status checking is on by default for ``tcp://`` and ``usb://`` printers, whose connection carries
the printer's answer back: a printer that accepts the connection and then drops it, or never reads,
gives no answer and the job fails as "printer offline" instead of being reported printed. ``status=0``
turns it off (a printer that does not answer DLE EOT); ``serial://`` printers check only with
``status=1``, since many serial cables carry no data back.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import File, Network, Serial, Usb
from PIL import Image

from printers.errors import (
    PaperOut,
    PrinterConfigError,
    PrinterEnvironmentError,
    PrinterNotFound,
    PrinterOffline,
    PrinterPermissionDenied,
)
from printers.escpos_out import PROFILE_FOR_WIDTH, build_escpos
from printers.render import SUPPORTED_WIDTHS

log = logging.getLogger(__name__)
SCHEMES = ("usb", "tcp", "serial", "file", "virtual")
STATUS_BY_DEFAULT = ("tcp", "usb")  # connections that carry the printer's answer back
STATUS_CAPABLE = ("tcp", "usb", "serial")
PAPER_STATUS_QUERY = b"\x10\x04\x04"  # DLE EOT 4: the paper roll sensor, answered at once
_NO_PAPER = 0x60  # bits 5 and 6 of the answer: paper end detected


@dataclass(frozen=True)
class PrinterConfig:
    url: str
    scheme: str
    target: str  # host[:port], VID:PID, device path or directory
    width: int = 576
    profile: str = "TM-T20II"
    open_drawer_on_cash: bool = False
    cut: bool = True
    check_status: bool = True
    options: dict[str, str] = field(default_factory=dict)


def _flag(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def parse_printer_url(url: str) -> PrinterConfig:
    """Parse and validate a printer URL (raises PrinterConfigError)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise PrinterConfigError(f"unknown printer URL scheme in {url!r}; use one of {', '.join(SCHEMES)}")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    target = unquote(parts.netloc + parts.path) if scheme in ("virtual", "file", "serial") else parts.netloc
    if not target:
        raise PrinterConfigError(f"printer URL {url!r} names no device")
    try:
        width = int(query.get("width", "576"))
    except ValueError:
        raise PrinterConfigError(f"bad width in {url!r}") from None
    if width not in SUPPORTED_WIDTHS:
        raise PrinterConfigError(f"width must be one of {SUPPORTED_WIDTHS}, not {width}")
    return PrinterConfig(
        url=url,
        scheme=scheme,
        target=target,
        width=width,
        profile=query.get("profile", PROFILE_FOR_WIDTH[width]),
        open_drawer_on_cash=_flag(query.get("drawer"), False),
        cut=_flag(query.get("cut"), True),
        check_status=scheme in STATUS_CAPABLE and _flag(query.get("status"), scheme in STATUS_BY_DEFAULT),
        options=query,
    )


def _errors_in(exc: BaseException) -> Iterator[BaseException]:
    seen: BaseException | None = exc
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__


def environment_error(exc: BaseException, config: PrinterConfig) -> PrinterEnvironmentError | None:
    """Classify a low-level failure as a printer environment error, or None if it looks like a bug."""
    where = f"{config.scheme}://{config.target}"
    chain = list(_errors_in(exc))
    for err in chain:  # the most specific cause first: the OS error under escpos' wrapper
        if isinstance(err, PrinterEnvironmentError):
            return err
        if isinstance(err, PermissionError):
            return PrinterPermissionDenied(f"{where}: {err}")
        if isinstance(err, (FileNotFoundError, IsADirectoryError, NotADirectoryError, socket.gaierror)):
            return PrinterNotFound(f"{where}: {err}")
        if isinstance(err, (ConnectionError, TimeoutError)):
            return PrinterOffline(f"{where}: {err}")
        if type(err).__name__ in ("USBTimeoutError", "SerialTimeoutException"):
            return PrinterOffline(f"{where}: {err}")
        if type(err).__name__ == "NoBackendError":  # pyusb without libusb: no USB printer can be reached
            return PrinterOffline(f"{where}: no USB backend (install libusb-1.0-0): {err}")
    for err in chain:
        if type(err).__name__ in ("USBError", "SerialException") or isinstance(err, DeviceNotFoundError):
            return PrinterNotFound(f"{where}: {err}")
        if isinstance(err, OSError):
            return PrinterOffline(f"{where}: {err}")
    return None


class _Network(Network):  # type: ignore[misc]
    """escpos' Network leaks the socket when connect() fails; connect first, then hand it over."""

    def open(self, raise_not_found: bool = True) -> None:
        self.device = socket.create_connection((self.host, self.port), timeout=self.timeout)


class Printer:
    """One printer. ``print_raster`` renders nothing: it sends an already rendered raster."""

    def __init__(self, config: PrinterConfig) -> None:
        self.config = config

    @property
    def width(self) -> int:
        return self.config.width

    def escpos_bytes(self, raster: Image.Image, *, cash: bool = False) -> bytes:
        if raster.width > self.config.width:
            raise PrinterConfigError(f"raster is {raster.width} dots wide; printer takes {self.config.width}")
        return build_escpos(
            raster,
            profile=self.config.profile,
            cut=self.config.cut,
            open_drawer=cash and self.config.open_drawer_on_cash,
        )

    def print_raster(self, raster: Image.Image, *, job_name: str = "job", cash: bool = False) -> bytes:
        """Send ``raster`` to the printer; returns the bytes sent. Raises PrinterEnvironmentError."""
        data = self.escpos_bytes(raster, cash=cash)
        self.send(data, raster=raster, job_name=job_name)
        return data

    def send(self, data: bytes, *, raster: Image.Image | None = None, job_name: str = "job") -> None:
        connection = self._connection()
        try:
            connection.open(raise_not_found=True)
            if self.config.check_status:
                self._check_status(connection)
            connection._raw(data)
        except PrinterEnvironmentError:
            raise
        except Exception as exc:
            mapped = environment_error(exc, self.config)
            if mapped is None:
                raise
            raise mapped from exc
        finally:
            try:
                connection.close()
            except Exception:  # closing a half-open device must not hide the real error
                log.debug("closing %s failed", self.config.url, exc_info=True)
        log.info("printed %s on %s (%d bytes)", job_name, self.config.url, len(data))

    def _check_status(self, connection: Escpos) -> None:
        """Ask the printer for its paper status; no answer (the connection closed, or nothing came
        back before the timeout) means the printer is not there to print."""
        connection._raw(PAPER_STATUS_QUERY)
        answer = bytes(connection._read())
        if not answer:
            raise PrinterOffline(f"{self.config.url}: the printer closed the connection without answering "
                                 "its status query")
        if answer[0] & _NO_PAPER == _NO_PAPER:
            raise PaperOut(self.config.url)

    def _connection(self) -> Escpos:
        c, opts = self.config, self.config.options
        kwargs: dict[str, Any] = {"profile": c.profile}
        try:
            if c.scheme == "tcp":
                host, _, port = c.target.rpartition(":") if ":" in c.target else (c.target, "", "9100")
                return _Network(host, int(port or 9100), timeout=float(opts.get("timeout", 5)), **kwargs)
            if c.scheme == "usb":
                vid, _, pid = c.target.partition(":")
                return Usb(
                    int(vid, 16),
                    int(pid, 16),
                    timeout=int(opts.get("timeout", 5000)),
                    in_ep=int(opts.get("in_ep", "0x82"), 0),
                    out_ep=int(opts.get("out_ep", "0x01"), 0),
                    **kwargs,
                )
            if c.scheme == "serial":
                return Serial(c.target, baudrate=int(opts.get("baudrate", 9600)), timeout=5, **kwargs)
            return File(c.target, **kwargs)
        except ValueError as exc:
            raise PrinterConfigError(f"bad printer URL {c.url!r}: {exc}") from exc


class VirtualPrinter(Printer):
    """Writes each job to a directory as ``<stamp>-<job>.png`` (the raster) and ``.bin`` (ESC/POS)."""

    @property
    def directory(self) -> Path:
        return Path(self.config.target)

    def send(self, data: bytes, *, raster: Image.Image | None = None, job_name: str = "job") -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        base = self.directory / f"{stamp}-{job_name}"
        try:
            if not self.directory.is_dir():
                raise PrinterNotFound(f"virtual printer directory {self.directory} does not exist")
            base.with_suffix(".bin").write_bytes(data)
            if raster is not None:
                raster.save(base.with_suffix(".png"))
        except PrinterEnvironmentError:
            raise
        except OSError as exc:
            mapped = environment_error(exc, self.config)
            raise (mapped or PrinterOffline(str(exc))) from exc
        log.info("virtual printer wrote %s (%d bytes)", base, len(data))


def open_printer(url: str) -> Printer:
    """A printer for ``url`` (nothing is opened until a job is sent)."""
    config = parse_printer_url(url)
    return VirtualPrinter(config) if config.scheme == "virtual" else Printer(config)
