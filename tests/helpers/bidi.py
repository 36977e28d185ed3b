"""Does a code read in its own order once Qt lays out the sentence around it?

Qt's text engine runs the Unicode bidi algorithm as it does on screen and on the thermal raster.
For a left-to-right code (tracking code, ticket number, national ID, amount, date) inside a
sentence, the x positions of the boundaries *inside* the code must grow from its first character to
its last: then a clerk reading the screen aloud reads the same characters in the same order as the
receipt. (The boundaries at the edges of the code are shared with the text around it, so they are
not compared.)
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QTextLayout, QTextOption

from counter_app.common.i18n import strip_isolates


def boundary_xs(text: str, start: int, length: int, rtl: bool = True) -> list[float]:
    layout = QTextLayout(text, QFont("DejaVu Sans"))
    option = QTextOption()
    option.setTextDirection(Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight)
    layout.setTextOption(option)
    layout.beginLayout()
    line = layout.createLine()
    line.setLineWidth(1_000_000)
    layout.endLayout()
    return [float(line.cursorToX(start + i)[0]) for i in range(1, length)]  # type: ignore[index]


def reads_in_order(text: str, code: str, rtl: bool = True) -> bool:
    """True when every occurrence of ``code`` in ``text`` is laid out left to right, in order."""
    assert len(code) >= 3, "a code of at least three characters"
    assert code in text, f"{code!r} is not in {strip_isolates(text)!r}"
    start = text.find(code)
    while start != -1:
        xs = boundary_xs(text, start, len(code), rtl)
        if any(b <= a for a, b in itertools.pairwise(xs)):
            return False
        start = text.find(code, start + 1)
    return True


def assert_reads_in_order(text: str, code: str, rtl: bool = True) -> None:
    assert reads_in_order(text, code, rtl), f"{code!r} reads out of order in {strip_isolates(text)!r}"


def plain(text: str) -> str:
    """What a person reads: the text without its (invisible) isolate marks."""
    return strip_isolates(text)
