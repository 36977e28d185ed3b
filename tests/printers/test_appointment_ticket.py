"""Issue 20, item 7: the printed ticket of an appointment prints its booked time (the centre's time,
isolated inside the Arabic sentence), drawn by Qt into the raster; a walk-in's ticket has no such
line. The ESC/POS bytes sent to the printer are decoded back into the picture they print."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from counter_app.common.i18n import strip_isolates
from printers.data import TicketData
from printers.devices import open_printer
from printers.documents import render_document, ticket_layout
from printers.jobs import print_document
from printers.samples import sample_ticket
from tests.helpers.bidi import assert_reads_in_order
from tests.printers.escpos_decode import decode
from tests.printers.test_reading_order import lines

BOOKED = datetime(2025, 3, 4, 8, 30, tzinfo=UTC)  # 10:30 in Cairo (UTC+2 in March)
SENTENCE = {"ar": "موعدك الساعة 10:30", "en": "Your appointment: 10:30"}


def appointment_ticket() -> TicketData:
    return dataclasses.replace(sample_ticket(priority=False), appointment_at=BOOKED)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_booked_time_is_printed_in_the_centre_s_time(lang: str) -> None:
    texts = lines(ticket_layout(appointment_ticket(), 576, lang))  # type: ignore[arg-type]
    line = next(t for t in texts if "10:30" in t)
    assert strip_isolates(line) == SENTENCE[lang]
    if lang == "ar":
        assert_reads_in_order(line, "10:30")
    walk_in = [strip_isolates(t) for t in lines(ticket_layout(sample_ticket(priority=False), 576, lang))]  # type: ignore[arg-type]
    assert SENTENCE[lang] not in walk_in


def test_a_naive_booked_time_is_refused() -> None:
    with pytest.raises(ValueError, match="appointment_at"):
        dataclasses.replace(sample_ticket(), appointment_at=datetime(2025, 3, 4, 10, 30))


@pytest.mark.parametrize("width", [384, 576])
def test_the_printed_bytes_carry_the_booked_time_line(tmp_path: Path, width: int) -> None:
    printer = open_printer(f"virtual://{tmp_path}?width={width}")
    sent = print_document(printer, appointment_ticket(), "ar", job_name="appointment")
    printed = decode(sent).image()
    assert printed.convert("1").tobytes() == render_document("ticket", appointment_ticket(), width, "ar").tobytes()
    walk_in = render_document("ticket", sample_ticket(priority=False), width, "ar")
    # the walk-in's ticket is the same paper without the line of the booked time
    assert printed.height > walk_in.height
    top = walk_in.height // 3  # the header, the service and the number are the same on both
    assert ImageChops.difference(printed.convert("L").crop((0, 0, width, top)),
                                 walk_in.convert("L").crop((0, 0, width, top))).getbbox() is None
    folder = Path(os.environ.get("SHUBBAK_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    printed.save(folder / f"ticket_appointment_ar_{width}.png")
    with Image.open(folder / f"ticket_appointment_ar_{width}.png") as again:
        assert again.size == printed.size
