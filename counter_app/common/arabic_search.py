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

_ALEF, _HEH, _YEH, _WAW, _KAF = "\u0627", "\u0647", "\u064a", "\u0648", "\u0643"
_LETTERS = str.maketrans({
    "\u0623": _ALEF, "\u0625": _ALEF, "\u0622": _ALEF, "\u0671": _ALEF, "\u0672": _ALEF, "\u0673": _ALEF,
    "\u0629": _HEH,  # taa marbuta
    "\u0649": _YEH, "\u06cc": _YEH, "\u0626": _YEH,  # alef maqsura, Farsi yeh, yeh with hamza
    "\u0624": _WAW,  # waw with hamza
    "\u06a9": _KAF,  # keheh (a Persian keyboard's kaf)
    "\u0621": None, "\u0640": None,  # a lone hamza, tatweel
    **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
    **{chr(0x06F0 + d): str(d) for d in range(10)},  # Persian digits
})
#: Harakat, shadda, sukun, superscript alef and the Quranic annotation marks.
_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed]")
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
