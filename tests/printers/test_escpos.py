from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from printers.data import ReceiptData
from printers.devices import open_printer, parse_printer_url
from printers.documents import render_document
from printers.errors import PrinterConfigError
from printers.escpos_out import FRAGMENT_HEIGHT, build_escpos, profile_for_width
from printers.jobs import print_document
from tests.printers.conftest import FakeNetworkPrinter
from tests.printers.escpos_decode import decode


def _assert_same_pixels(decoded: Image.Image, raster: Image.Image) -> None:
    assert decoded.size == raster.size
    assert decoded.tobytes() == raster.tobytes()


@pytest.mark.parametrize("kind", ["ticket", "receipt", "slip", "dayclose"])
@pytest.mark.parametrize("width", [384, 576])
def test_escpos_raster_decodes_to_the_rendered_image(
    documents: dict[str, object], kind: str, width: int
) -> None:
    raster = render_document(kind, documents[kind], width, "ar")  # type: ignore[arg-type]
    data = build_escpos(raster)
    job = decode(data)
    assert job.initialised
    assert all(wb == width // 8 for wb, _, _ in job.blocks)
    assert all(rows <= FRAGMENT_HEIGHT for _, rows, _ in job.blocks)
    _assert_same_pixels(job.image(), raster)


def test_long_receipt_is_split_into_several_raster_blocks(receipt: ReceiptData) -> None:
    many_docs = ReceiptData(
        **{**receipt.__dict__, "documents_received": [f"مستند رقم {i}" for i in range(40)]}
    )
    raster = render_document("receipt", many_docs, 576, "en")
    assert raster.height > FRAGMENT_HEIGHT
    job = decode(build_escpos(raster))
    assert len(job.blocks) >= 2
    _assert_same_pixels(job.image(), raster)


def test_cut_and_drawer_commands(receipt: ReceiptData) -> None:
    raster = render_document("receipt", receipt, 576, "ar")
    with_drawer = decode(build_escpos(raster, open_drawer=True))
    assert with_drawer.drawer_pulses == 1 and with_drawer.cuts == 1
    plain = decode(build_escpos(raster))
    assert plain.drawer_pulses == 0 and plain.cuts == 1
    no_cut = decode(build_escpos(raster, cut=False))
    assert no_cut.cuts == 0 and no_cut.feeds > 0


def test_profiles_by_width() -> None:
    assert profile_for_width(576) == "TM-T20II"
    assert profile_for_width(384) == "NT-5890K"
    with pytest.raises(PrinterConfigError):
        profile_for_width(512)


def test_raster_wider_than_the_printer_is_refused(documents: dict[str, object], virtual_dir: Path) -> None:
    printer = open_printer(f"virtual://{virtual_dir}?width=384")
    wide = render_document("ticket", documents["ticket"], 576, "ar")
    with pytest.raises(PrinterConfigError):
        printer.print_raster(wide)


def test_url_parsing() -> None:
    usb = parse_printer_url("usb://04b8:0e15?width=576&drawer=1")
    assert (usb.scheme, usb.target, usb.width, usb.open_drawer_on_cash) == ("usb", "04b8:0e15", 576, True)
    tcp = parse_printer_url("tcp://10.0.0.5")
    assert tcp.target == "10.0.0.5" and tcp.profile == "TM-T20II" and tcp.cut
    serial = parse_printer_url("serial:///dev/ttyUSB0?baudrate=19200&width=384")
    assert (serial.target, serial.options["baudrate"], serial.profile) == (
        "/dev/ttyUSB0",
        "19200",
        "NT-5890K",
    )
    assert parse_printer_url("file:///dev/usb/lp0").target == "/dev/usb/lp0"
    assert parse_printer_url("virtual://demo-out").target == "demo-out"
    for bad in ("lpt://x", "tcp://", "virtual://x?width=500", "tcp://h?width=abc"):
        with pytest.raises(PrinterConfigError):
            parse_printer_url(bad)


def test_virtual_printer_writes_png_and_bin(receipt: ReceiptData, virtual_dir: Path) -> None:
    printer = open_printer(f"virtual://{virtual_dir}?width=384&drawer=1")
    sent = print_document(printer, receipt, "en", job_name="r1")
    (png,) = virtual_dir.glob("*.png")
    (binary,) = virtual_dir.glob("*.bin")
    assert binary.read_bytes() == sent
    raster = render_document("receipt", receipt, 384, "en")
    with Image.open(png) as written:
        assert written.convert("1").tobytes() == raster.tobytes()
    job = decode(sent)
    assert job.drawer_pulses == 1  # cash receipt with drawer=1
    _assert_same_pixels(job.image(), raster)


def test_card_receipt_does_not_open_the_drawer(centre_key: object, virtual_dir: Path) -> None:
    from printers.samples import sample_receipt

    card = sample_receipt(centre_key, payment_method="card")  # type: ignore[arg-type]
    sent = print_document(open_printer(f"virtual://{virtual_dir}?drawer=1"), card, "ar")
    assert decode(sent).drawer_pulses == 0


def test_file_printer_writes_the_bytes(documents: dict[str, object], tmp_path: Path) -> None:
    target = tmp_path / "lp0"
    sent = print_document(open_printer(f"file://{target}"), documents["ticket"], "ar")
    assert target.read_bytes() == sent
    _assert_same_pixels(decode(sent).image(), render_document("ticket", documents["ticket"], 576, "ar"))


def test_tcp_printer_receives_the_bytes(
    documents: dict[str, object], network_printer: FakeNetworkPrinter
) -> None:
    printer = open_printer(f"tcp://127.0.0.1:{network_printer.port}?width=384")
    sent = print_document(printer, documents["slip"], "ar")
    assert network_printer.wait_received(1) == [sent]
    _assert_same_pixels(decode(sent).image(), render_document("slip", documents["slip"], 384, "ar"))
