"""Issue 15, item 20: the thermal Z report's times are a table, each value under its column's name.

The check runs on the raster decoded back from the ESC/POS bytes. A cell is located by rendering the
report twice with only that cell changed (a value, or a column's name) and taking the box of the
pixels that differ."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from PIL import Image, ImageChops

from counter_app.common.i18n import Lang, gettext
from printers import documents, samples
from printers import layout as layout_blocks
from printers.data import DayCloseData
from printers.documents import dayclose_layout
from printers.escpos_out import build_escpos
from printers.render import render_layout
from tests.helpers.bidi import plain
from tests.printers.escpos_decode import decode

Box = tuple[int, int, int, int]
COLUMNS = ("print.dayclose.col.mean", "print.dayclose.col.median", "print.dayclose.col.p90")


def _printed(data: DayCloseData, width: int, lang: Lang) -> Image.Image:
    return decode(build_escpos(render_layout(dayclose_layout(data, width, lang)))).image()


def _diff(a: Image.Image, b: Image.Image, band: int = 0) -> Box:
    """The box of the pixels that differ; with ``band``, only the first ``band`` rows from the first
    difference (a longer or shorter name may wrap differently and move what follows)."""
    height = min(a.height, b.height)
    difference = ImageChops.difference(a.convert("L").crop((0, 0, a.width, height)),
                                       b.convert("L").crop((0, 0, b.width, height)))
    box = difference.getbbox()
    assert box is not None, "the change is not printed at all"
    if band:
        top = box[1]
        first = difference.crop((0, top, a.width, top + band)).getbbox()
        assert first is not None
        return first[0], top + first[1], first[2], top + first[3]
    assert a.size == b.size, "changing one value must not move the rest of the report"
    return box


def _value_cell(data: DayCloseData, width: int, lang: Lang, row: str, column: int) -> Box:
    values = list(getattr(data, row))
    values[column] = 88.8 if values[column] != 88.8 else 11.1
    changes: dict[str, Any] = {row: tuple(values)}
    changed = dataclasses.replace(data, **changes)
    return _diff(_printed(data, width, lang), _printed(changed, width, lang))


def _header_cell(data: DayCloseData, width: int, lang: Lang, msgid: str, monkeypatch: pytest.MonkeyPatch) -> Box:
    before = _printed(data, width, lang)

    def renamed(message: str, language: Lang, **fields: Any) -> str:
        text = gettext(message, language, **fields)
        return "W" if message == msgid else text

    with monkeypatch.context() as patch:
        patch.setattr(documents, "gettext", renamed)
        after = _printed(data, width, lang)
    return _diff(before, after, band=documents.SIZES[width].body)


def _centre(box: Box) -> float:
    return (box[0] + box[2]) / 2


@pytest.mark.parametrize("width", [576, 384])
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_each_time_stands_under_its_column_name(width: int, lang: Lang, monkeypatch: pytest.MonkeyPatch) -> None:
    data = samples.sample_dayclose()
    headers = [_header_cell(data, width, lang, msgid, monkeypatch) for msgid in COLUMNS]
    for row in ("wait_minutes", "service_minutes"):
        cells = [_value_cell(data, width, lang, row, column) for column in range(3)]
        for header, cell in zip(headers, cells, strict=True):
            assert header[3] <= cell[1], "the column names are a header row above the values"
            assert header[0] <= _centre(cell) <= header[2], f"{row}: a value is not under its column's name"
        # the columns follow the reading direction: mean first (rightmost in Arabic, leftmost in English)
        centres = [_centre(cell) for cell in cells]
        assert centres == sorted(centres, reverse=lang == "ar"), f"{row} columns out of reading order"
        for left, right in zip(sorted(cells), sorted(cells)[1:], strict=False):
            assert left[2] <= right[0], "two values share a column"


def test_the_times_table_keeps_the_values_of_both_measures() -> None:
    layout = dayclose_layout(samples.sample_dayclose(), 576, "ar")
    tables = [block for block in layout.blocks if isinstance(block, layout_blocks.Table)]
    assert len(tables) == 1
    assert [[plain(cell) for cell in row] for row in tables[0].rows] == [
        [gettext("print.dayclose.wait", "ar"), "11.4", "9.0", "23.5"],
        [gettext("print.dayclose.service", "ar"), "6.2", "5.5", "12.0"],
    ]
