"""Turn a 1-bit raster into ESC/POS bytes with python-escpos (GS v 0 raster image, cut, drawer)."""

from __future__ import annotations

from escpos.printer import Dummy
from PIL import Image

from printers.errors import PrinterConfigError

PROFILE_FOR_WIDTH = {576: "TM-T20II", 384: "NT-5890K"}
FRAGMENT_HEIGHT = 960  # rows per GS v 0 block; long receipts are sent as several blocks


def profile_for_width(width: int) -> str:
    try:
        return PROFILE_FOR_WIDTH[width]
    except KeyError:
        raise PrinterConfigError(f"no printer profile for width {width}") from None


def build_escpos(
    raster: Image.Image,
    *,
    profile: str | None = None,
    cut: bool = True,
    open_drawer: bool = False,
) -> bytes:
    """ESC/POS bytes printing ``raster`` (mode "1", 0 = black) with the printer profile for its width.

    Sequence: initialise, raster image (GS v 0, ``impl="bitImageRaster"``), optional drawer kick
    (pin 2), feed and cut.
    """
    dummy = Dummy(profile=profile or profile_for_width(raster.width))
    dummy.hw("INIT")
    dummy.image(
        raster,
        impl="bitImageRaster",
        high_density_vertical=True,
        high_density_horizontal=True,
        fragment_height=FRAGMENT_HEIGHT,
    )
    if open_drawer:
        dummy.cashdraw(2)
    if cut:
        dummy.cut()
    else:
        dummy.print_and_feed(4)
    return bytes(dummy.output)
