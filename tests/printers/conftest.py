"""Shared fixtures of the printers tests. Rendering runs on the offscreen Qt platform."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import socket  # noqa: E402
import threading  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from PIL import Image  # noqa: E402

from counter_app.common.signing import generate_key  # noqa: E402
from printers import samples  # noqa: E402
from printers.data import DayCloseData, ReceiptData, SlipData, TicketData  # noqa: E402
from printers.devices import PAPER_STATUS_QUERY  # noqa: E402
from printers.qt import ensure_qt  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def qt_ready() -> None:
    ensure_qt()


@pytest.fixture(scope="session")
def centre_key() -> Ed25519PrivateKey:
    return generate_key()


@pytest.fixture
def ticket() -> TicketData:
    return samples.sample_ticket()


@pytest.fixture
def receipt(centre_key: Ed25519PrivateKey) -> ReceiptData:
    return samples.sample_receipt(centre_key)


@pytest.fixture
def slip() -> SlipData:
    return samples.sample_slip()


@pytest.fixture
def dayclose() -> DayCloseData:
    return samples.sample_dayclose()


@pytest.fixture
def documents(
    ticket: TicketData, receipt: ReceiptData, slip: SlipData, dayclose: DayCloseData
) -> dict[str, object]:
    return {"ticket": ticket, "receipt": receipt, "slip": slip, "dayclose": dayclose}


@pytest.fixture
def virtual_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "virtual"
    directory.mkdir()
    return directory


def free_port() -> int:
    """A TCP port on 127.0.0.1 with nothing listening on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FakeNetworkPrinter:
    """Accepts ESC/POS connections on 127.0.0.1:port, answers the paper status query as a printer
    with paper does, and keeps what each connection sent after it."""

    def __init__(self, port: int = 0) -> None:
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", port))
        self.server.listen(4)
        self.server.settimeout(0.2)
        self.port = int(self.server.getsockname()[1])
        self.received: list[bytes] = []
        self._received_changed = threading.Condition()
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
            with conn:
                chunks = []
                conn.settimeout(5)
                while chunk := conn.recv(65536):
                    chunks.append(chunk)
                    if b"".join(chunks) == PAPER_STATUS_QUERY:  # DLE EOT 4: paper present
                        conn.sendall(b"\x12")
                        chunks.clear()
                with self._received_changed:
                    self.received.append(b"".join(chunks))
                    self._received_changed.notify_all()

    def wait_received(self, count: int = 1, timeout: float = 5.0) -> list[bytes]:
        """What the printer received once ``count`` connections have ended (or the timeout passes)."""
        with self._received_changed:
            self._received_changed.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.server.close()


@pytest.fixture
def network_printer() -> Iterator[FakeNetworkPrinter]:
    fake = FakeNetworkPrinter()
    yield fake
    fake.close()


def black(image: Image.Image) -> set[tuple[int, int]]:
    """Coordinates of the black (printed) pixels of a mode "1" image."""
    width = image.width
    return {(i % width, i // width) for i, value in enumerate(image.getdata()) if value == 0}


def ink_columns(image: Image.Image) -> tuple[int, int]:
    """Leftmost and rightmost column holding ink."""
    box = image.point(lambda v: 255 - v).getbbox()
    assert box is not None, "no ink at all"
    return box[0], box[2] - 1
