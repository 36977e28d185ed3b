"""Search that forgives how a citizen spells Arabic (and English case): the portal's service search.

Both the query and the searched texts go through :func:`fold`:

* alef forms أ إ آ ٱ (and the hamza-less ٲ ٳ) -> ا; ة -> ه; ى -> ي; ؤ -> و; ئ -> ي; a lone ء is dropped;
* diacritics (tashkeel, the superscript alef, Quranic marks) and tatweel (ـ) are dropped;
* Arabic-Indic and Persian digits -> Western; letters are case-folded (English, any Latin);
* every run of punctuation or space becomes one space.

A text matches when every word of the query is found in it (in any order, as a part of a word:
"رخصه" finds "رخصة" and "الرخصة"). Standard library only, no Qt.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["fold", "matches", "words"]

# Code points, not literals: the project keeps Arabic text in the message catalogue only.
_ALEF, _HEH, _YEH, _WAW, _KAF = chr(0x0627), chr(0x0647), chr(0x064A), chr(0x0648), chr(0x0643)
_FOLDS: dict[int, str | None] = {
    0x0623: _ALEF, 0x0625: _ALEF, 0x0622: _ALEF, 0x0671: _ALEF, 0x0672: _ALEF, 0x0673: _ALEF,  # hamza, madda, wasla
    0x0629: _HEH,  # taa marbuta
    0x0649: _YEH, 0x06CC: _YEH, 0x0626: _YEH,  # alef maqsura, Farsi yeh, yeh with hamza
    0x0624: _WAW,  # waw with hamza
    0x06A9: _KAF,  # keheh (a Persian keyboard's kaf)
    0x0621: None, 0x0640: None,  # a lone hamza, tatweel
    **{0x0660 + d: str(d) for d in range(10)},  # Arabic-Indic digits
    **{0x06F0 + d: str(d) for d in range(10)},  # Persian digits
}
_LETTERS = str.maketrans(_FOLDS)
#: Harakat, hamza/madda above and below, shadda, sukun, superscript alef and the Quranic marks.
_MARK_RANGES = ((0x0610, 0x061A), (0x064B, 0x065F), (0x0670, 0x0670), (0x06D6, 0x06DC), (0x06DF, 0x06E8),
                (0x06EA, 0x06ED))
_MARKS = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in _MARK_RANGES) + "]")
_SEPARATORS = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """``text`` in the one spelling both sides of a search are compared in."""
    text = unicodedata.normalize("NFKC", text)
    text = _MARKS.sub("", text).translate(_LETTERS).casefold()
    return _SEPARATORS.sub(" ", text).strip()


def words(query: str) -> list[str]:
    """The query's folded words (none for an empty or punctuation-only query)."""
    return fold(query).split()


def matches(query: str, texts: Iterable[str]) -> bool:
    """Every word of ``query`` is in one of ``texts`` (all of them searched as one)."""
    wanted = words(query)
    if not wanted:
        return False
    haystack = " ".join(fold(t) for t in texts)
    return all(w in haystack for w in wanted)
