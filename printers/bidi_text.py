"""Arabic shaping and bidi reordering for engines without a text shaper (reportlab).

``visual(text, rtl)`` reshapes Arabic letters into their joined presentation forms
(arabic_reshaper) and reorders the line into visual order with ``bidi.algorithm.get_display``,
which also mirrors brackets. That implementation does not know the Unicode isolates
(U+2066..U+2069), so each isolated run is reordered on its own and stands in the outer text as one
neutral placeholder, which is what an isolate means. The isolate marks are those of the language
mechanism (:mod:`counter_app.common.i18n`), which puts them around every value of a sentence.
"""

from __future__ import annotations

import arabic_reshaper
from bidi.algorithm import get_display

from counter_app.common.i18n import FSI, LRI, PDI, RLI

_OPENERS = {LRI: "L", RLI: "R", FSI: None}
_PLACEHOLDERS = [chr(cp) for cp in range(0x2FF0, 0x2FFC)]  # bidi class ON, never in our text


def _split_isolates(text: str) -> tuple[str, list[tuple[str | None, str]]]:
    """Outer text with placeholders, and the (direction, inner text) of each top-level isolate."""
    outer: list[str] = []
    runs: list[tuple[str | None, str]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _OPENERS:
            depth, j = 1, i + 1
            while j < len(text) and depth:
                if text[j] in _OPENERS:
                    depth += 1
                elif text[j] == PDI:
                    depth -= 1
                j += 1
            inner = text[i + 1 : j - 1] if depth == 0 else text[i + 1 : j]
            if len(runs) < len(_PLACEHOLDERS):
                outer.append(_PLACEHOLDERS[len(runs)])
                runs.append((_OPENERS[ch], inner))
            else:  # too many isolates: keep the text, drop the isolation
                outer.append(inner)
            i = j
        elif ch == PDI:
            i += 1
        else:
            outer.append(ch)
            i += 1
    return "".join(outer), runs


def _display(text: str, base: str | None) -> str:
    outer, runs = _split_isolates(text)
    shown = str(get_display(outer, base_dir=base)) if outer else ""
    for index, (direction, inner) in enumerate(runs):
        shown = shown.replace(_PLACEHOLDERS[index], _display(inner, direction))
    return shown


def visual(text: str, rtl: bool = True) -> str:
    """One line of logical text as shaped glyphs in left-to-right visual order."""
    return _display(arabic_reshaper.reshape(text), "R" if rtl else "L")
