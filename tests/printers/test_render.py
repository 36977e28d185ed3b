from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from PIL import Image, ImageChops

from counter_app.common.i18n import Lang
from printers.data import TicketData
from printers.documents import SIZES, render_document, ticket_layout
from printers.layout import Layout, Pair, Text
from printers.render import render_layout
from tests.printers.conftest import ink_columns

KINDS = ["ticket", "receipt", "slip", "dayclose"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("width", [384, 576])
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_every_layout_renders_at_printer_width(
    documents: dict[str, object], kind: str, width: int, lang: Lang
) -> None:
    image = render_document(kind, documents[kind], width, lang)  # type: ignore[arg-type]
    assert image.mode == "1"
    assert image.width == width
    assert 300 < image.height < 3000
    histogram = image.histogram()
    black_ratio = histogram[0] / (image.width * image.height)
    assert 0.03 < black_ratio < 0.5, black_ratio


def _single(text: str, rtl: bool, width: int = 576, align: str = "start") -> Image.Image:
    layout = Layout(width=width, rtl=rtl, margin=12)
    layout.add(Text(text, 30, align=align))  # type: ignore[arg-type]
    return render_layout(layout)


def test_arabic_start_aligned_text_is_on_the_right() -> None:
    left, right = ink_columns(_single("مركز خدمة", rtl=True))
    assert right >= 576 - 12 - 6, "Arabic text should start at the right margin"
    assert left > 576 // 2


def test_english_start_aligned_text_is_on_the_left() -> None:
    left, right = ink_columns(_single("Centre", rtl=False))
    assert left <= 12 + 6
    assert right < 576 // 2


def test_arabic_is_shaped_lam_alef_ligature_is_narrower_than_separated_letters() -> None:
    joined = ink_columns(_single("لا", rtl=True))
    separated = ink_columns(_single("ل\u200cا", rtl=True))  # ZWNJ prevents the ligature
    assert joined[1] - joined[0] < separated[1] - separated[0]


def test_arabic_letters_join() -> None:
    """Connected letters in a word leave no gap: ink is continuous across the word."""
    image = _single("سسس", rtl=True)
    left, right = ink_columns(image)
    columns_with_ink = {
        x for x in range(left, right + 1) if image.crop((x, 0, x + 1, image.height)).getextrema()[0] == 0
    }
    assert columns_with_ink == set(range(left, right + 1))


def test_pair_puts_label_at_start_and_value_at_end_in_rtl() -> None:
    layout = Layout(width=576, rtl=True, margin=12)
    layout.add(Pair("الإجمالي", "\u206640.00\u2069", 28))
    image = render_layout(layout)
    left_half = image.crop((0, 0, 288, image.height))
    right_half = image.crop((288, 0, 576, image.height))
    assert ink_columns(left_half)[0] <= 12 + 4  # value flush with the left margin
    assert ink_columns(right_half)[1] >= 288 - 12 - 6  # label flush with the right margin


def test_isolated_number_keeps_its_order_inside_arabic() -> None:
    """'A-042' isolated inside Arabic text renders exactly as 'A-042' alone (same glyph run)."""
    alone = _single("\u2066A-042\u2069", rtl=True, align="center")
    inside = _single("رقم \u2066A-042\u2069", rtl=True)
    a_left, a_right = ink_columns(alone)
    run = alone.crop((a_left, 0, a_right + 1, alone.height))
    i_left, _ = ink_columns(inside)  # in RTL the isolated run is the leftmost thing
    candidate = inside.crop((i_left, 0, i_left + run.width, inside.height))
    assert ImageChops.difference(run.convert("L"), candidate.convert("L")).getbbox() is None


def test_margins_stay_blank_without_bands(documents: dict[str, object]) -> None:
    image = render_document("slip", documents["slip"], 576, "ar")
    body = image.crop((0, 120, 576, image.height))  # below the inverse title band
    left, right = ink_columns(body)
    assert left >= SIZES[576].margin - 1 and right <= 576 - SIZES[576].margin


def test_huge_ticket_number_shrinks_to_fit(ticket: TicketData) -> None:
    long_number = TicketData(**{**ticket.__dict__, "ticket_number": "PRIORITY-A-00042"})
    layout = ticket_layout(long_number, 384, "ar")
    image = render_layout(layout)
    left, right = ink_columns(image)
    assert left >= 0 and right < 384


def test_priority_mark_adds_an_inverse_band(ticket: TicketData) -> None:
    plain = render_document("ticket", TicketData(**{**ticket.__dict__, "priority": False}), 576, "ar")
    marked = render_document("ticket", ticket, 576, "ar")
    assert marked.height > plain.height
    full_black_rows = [
        y for y in range(marked.height) if marked.crop((0, y, 576, y + 1)).getextrema() == (0, 0)
    ]
    assert full_black_rows, "the priority band should contain rows of solid black"


def test_rendering_in_a_worker_thread_gives_the_same_raster(documents: dict[str, object]) -> None:
    expected = render_document("receipt", documents["receipt"], 576, "ar")
    result: list[Image.Image] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            result.append(render_document("receipt", documents["receipt"], 576, "ar"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(30)
    assert not errors and result
    assert result[0].tobytes() == expected.tobytes()


def test_languages_differ_and_unknown_width_is_rejected(ticket: TicketData) -> None:
    assert (
        render_document("ticket", ticket, 576, "ar").tobytes()
        != render_document("ticket", ticket, 576, "en").tobytes()
    )
    with pytest.raises(ValueError):
        render_document("ticket", ticket, 500, "ar")
    with pytest.raises(TypeError):
        render_document("receipt", ticket, 576, "ar")


def test_naive_datetimes_are_refused(ticket: TicketData) -> None:
    with pytest.raises(ValueError):
        TicketData(**{**ticket.__dict__, "issued_at": datetime(2025, 1, 1, 10, 0)})
    assert ticket.issued_at.tzinfo is UTC
