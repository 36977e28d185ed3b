"""The one language mechanism of Shubbak: GNU gettext catalogues with a language per call.

Every user-facing text of every program lives in ``resources/locale/<lang>/LC_MESSAGES/shubbak.po``
(Arabic, the default, and English). The ``msgid`` of an entry is a stable dotted id such as
``counter.submitted`` (never the English text), so both languages are translations and an English
rewording never orphans the Arabic one. Templates are whole sentences with ``{named}`` fields.

* :func:`gettext` / :func:`ngettext` take the language **per call**: a receipt, an SMS or a web
  page may be in another language than the window that produced it.
* Arabic has six plural forms (zero, one, two, few 3-10, many 11-99, other); the Arabic catalogue's
  header says so and :func:`ngettext` picks the form.
* Every value that fills a field is **isolated by the mechanism** (U+2066..U+2069), so a number, a
  code or a name can never be reordered by the bidi algorithm inside a sentence of the other
  direction. Values formatted by :mod:`counter_app.common.formatting` arrive as
  :class:`Isolated` and are left alone; a :class:`Msg` is translated in the same language first.
* Digits follow the surface's policy (:data:`Digits`): Western everywhere by default; the
  waiting-hall display writes its running text in Arabic-Indic digits. Codes (ticket numbers,
  tracking codes, national IDs) are always Western: they are copied and typed.

The ``.po`` files are compiled to ``.mo`` by ``./dev.sh i18n`` (``pybabel compile``); when a ``.mo``
is missing or older than its ``.po`` it is compiled in memory at first use.
"""

from __future__ import annotations

import gettext as _gettext
import io
import string
import threading
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

Lang = Literal["ar", "en"]
LANGS: tuple[Lang, ...] = ("ar", "en")
DEFAULT_LANG: Lang = "ar"
Digits = Literal["latn", "arab"]

DOMAIN = "shubbak"
#: The calls whose literal first (or, for the window binder ``t``, second) argument is a message
#: id; Babel's extractor and the catalogue test use this list (``pybabel extract -k``).
EXTRACT_KEYWORDS: dict[str, tuple[int, ...]] = {
    "gettext": (1,), "ngettext": (1,), "N_": (1,), "Msg": (1,), "text": (1,), "ntext": (1,),
    "translate": (1,), "tr": (1,), "t": (2,), "UiError": (1,), "n": (1,),
}
#: What a message id looks like: dotted lower-case words (``counter.submitted``).
MSGID_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"
LOCALE_DIR = Path(__file__).resolve().parents[2] / "resources" / "locale"

LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
ISOLATES = (LRI, RLI, FSI, PDI)
_ARABIC_INDIC_DIGITS = "".join(chr(0x0660 + i) for i in range(10))
_ARABIC_INDIC = str.maketrans("0123456789.,", _ARABIC_INDIC_DIGITS + chr(0x066B) + chr(0x066C))  # decimal, thousands


def lang_of(value: str | None) -> Lang:
    """``"en"`` for English, Arabic for anything else (Arabic is the default)."""
    return "en" if value == "en" else "ar"


class Isolated(str):
    """A value already formatted for a sentence: isolated, digits applied. The mechanism leaves
    it exactly as it is."""


def isolate(text: str, kind: str = FSI) -> Isolated:
    """``text`` wrapped in a directional isolate: FSI (first strong, the default) for names and
    free text, LRI for numbers, codes and dates, RLI for an Arabic phrase in any context."""
    if isinstance(text, Isolated):
        return text
    if _wholly_isolated(text):
        return Isolated(text)
    return Isolated(f"{kind}{text}{PDI}")


def _wholly_isolated(text: str) -> bool:
    """Whether ``text`` is one isolate from its first character to its last (not ``⁦1⁩-⁦2⁩``)."""
    if not (text.startswith((LRI, RLI, FSI)) and text.endswith(PDI)):
        return False
    depth = 0
    for i, ch in enumerate(text):
        if ch in (LRI, RLI, FSI):
            depth += 1
        elif ch == PDI:
            depth -= 1
            if depth == 0:
                return i == len(text) - 1
    return False


def strip_isolates(text: str) -> str:
    """``text`` without isolate marks (for renderers that lay out visually, e.g. reportlab)."""
    return text.translate({ord(c): None for c in ISOLATES})


def apply_digits(text: str, digits: Digits) -> str:
    """Western digits in ``text`` as the policy wants them (with Arabic decimal and thousands
    separators alongside Arabic-Indic digits)."""
    return text.translate(_ARABIC_INDIC) if digits == "arab" else text


def western_digits(text: str) -> str:
    """Arabic-Indic (and Persian) digits typed by a user as Western ones (input normalisation)."""
    return normalise_digits(text)


# Arabic-Indic (U+0660..U+0669) and Extended Arabic-Indic / Persian (U+06F0..U+06F9) digits.
_DIGIT_TABLE: dict[int, str] = {
    **{0x0660 + i: str(i) for i in range(10)},
    **{0x06F0 + i: str(i) for i in range(10)},
}


def normalise_digits(s: str) -> str:
    """Replace Arabic-Indic and Eastern Arabic (Persian) digits by ASCII digits.

    Other characters are left untouched.
    """
    return s.translate(_DIGIT_TABLE)


class Msg:
    """A message not yet translated: an id, its fields and, for a plural message, its count.

    Used as a field value (``detail=Msg("field.applicant_name")``) it is translated in the
    sentence's language; stored by an error or a window, it is translated again after a language
    switch.
    """

    __slots__ = ("msgid", "n", "params")

    def __init__(self, msgid: str, /, *, n: int | None = None, **params: Any) -> None:
        self.msgid, self.n, self.params = msgid, n, params

    def text(self, lang: Lang, digits: Digits = "latn") -> str:
        if self.n is None:
            return gettext(self.msgid, lang, digits=digits, **self.params)
        return ngettext(self.msgid, self.n, lang, digits=digits, **self.params)

    def __repr__(self) -> str:
        return f"Msg({self.msgid!r}, n={self.n!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and (self.msgid, self.n, self.params) == (other.msgid, other.n, other.params)

    def __hash__(self) -> int:
        return hash((self.msgid, self.n))


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention for "marked, translated later"
    """Mark a message id for extraction where it is chosen at run time."""
    return msgid


# --- catalogues ------------------------------------------------------------------------------

_lock = threading.RLock()
_catalogues: dict[str, _gettext.GNUTranslations] = {}


def _compile_po(po: Path) -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalogue = read_po(handle, abort_invalid=True)
    out = io.BytesIO()
    write_mo(out, catalogue, use_fuzzy=False)
    return out.getvalue()


def catalogue(lang: Lang) -> _gettext.GNUTranslations:
    """The compiled catalogue of ``lang`` (English is Arabic's fallback for a missing entry)."""
    found = _catalogues.get(lang)
    if found is not None:
        return found
    with _lock:
        found = _catalogues.get(lang)
        if found is None:
            base = LOCALE_DIR / lang / "LC_MESSAGES"
            po, mo = base / f"{DOMAIN}.po", base / f"{DOMAIN}.mo"
            if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
                data = mo.read_bytes()
            else:
                data = _compile_po(po)
            found = _gettext.GNUTranslations(io.BytesIO(data))
            if lang != "en":
                found.add_fallback(catalogue("en"))
            _catalogues[lang] = found
    return found


def reload_catalogues() -> None:
    """Forget the loaded catalogues (after ``./dev.sh i18n`` in a running test session)."""
    with _lock:
        _catalogues.clear()


# --- filling a template ----------------------------------------------------------------------

class _Filler(string.Formatter):
    """``str.format`` whose every field value is formatted for the sentence and isolated."""

    def __init__(self, lang: Lang, digits: Digits) -> None:
        super().__init__()
        self.lang, self.digits = lang, digits

    def format_field(self, value: Any, format_spec: str) -> str:
        return field_text(value, self.lang, self.digits, format_spec)


def field_text(value: Any, lang: Lang, digits: Digits = "latn", format_spec: str = "") -> Isolated:
    """One value as it appears inside a sentence of ``lang``: isolated, digits applied."""
    if isinstance(value, Isolated):
        return value
    if isinstance(value, Msg):
        return isolate(value.text(lang, digits))
    if isinstance(value, BaseException):
        message = getattr(value, "message", None)
        if callable(message):
            return isolate(str(message(lang)))
        return isolate(gettext("error.unexpected", lang))
    if isinstance(value, bool):
        return isolate(gettext("common.yes", lang) if value else gettext("common.no", lang))
    if isinstance(value, (int, float, Decimal)):
        return isolate(apply_digits(format(value, format_spec), digits), LRI)
    if isinstance(value, datetime):
        from counter_app.common.formatting import format_datetime

        return format_datetime(value, lang, digits)
    if isinstance(value, date):
        from counter_app.common.formatting import format_date

        return format_date(value, lang, digits)
    return isolate(format(str(value), format_spec))


def fill(template: str, lang: Lang, digits: Digits, params: Mapping[str, Any]) -> str:
    try:
        return _Filler(lang, digits).vformat(template, (), params)
    except (KeyError, IndexError, ValueError):
        # A template whose fields do not match the call is a bug the catalogue tests catch;
        # at run time the user still gets the sentence, not a crash.
        return template


def gettext(msgid: str, lang: Lang = DEFAULT_LANG, /, *, digits: Digits = "latn", **params: Any) -> str:
    """The message ``msgid`` in ``lang`` with its fields filled (each value isolated). For a plural
    entry, the field ``n`` (an int) chooses the form, as :func:`ngettext` does."""
    n = params.get("n")
    if isinstance(n, int) and not isinstance(n, bool) and _is_plural(msgid, lang):
        return fill(catalogue(lang).ngettext(msgid, msgid, n), lang, digits, params)
    return fill(catalogue(lang).gettext(msgid), lang, digits, params)


def _is_plural(msgid: str, lang: Lang) -> bool:
    cat: _gettext.NullTranslations | None = catalogue(lang)
    while cat is not None:
        if (msgid, 0) in getattr(cat, "_catalog", {}):
            return True
        cat = getattr(cat, "_fallback", None)
    return False


def ngettext(msgid: str, n: int, lang: Lang = DEFAULT_LANG, /, *, digits: Digits = "latn", **params: Any) -> str:
    """The plural form of ``msgid`` for ``n`` in ``lang`` (six forms in Arabic); the template
    may use ``{n}``."""
    params.setdefault("n", n)
    return fill(catalogue(lang).ngettext(msgid, msgid, n), lang, digits, params)


def has_message(msgid: str, lang: Lang) -> bool:
    """Whether ``lang``'s own catalogue (not its fallback) holds ``msgid``."""
    cat = catalogue(lang)
    raw: dict[Any, str] = getattr(cat, "_catalog", {})
    return msgid in raw or (msgid, 0) in raw


class Translator:
    """A surface's language and digit policy, bound once: ``tr("display.counter", counter=3)``."""

    def __init__(self, lang: Lang = DEFAULT_LANG, digits: Digits = "latn") -> None:
        self.lang, self.digits = lang, digits

    def __call__(self, msgid: str, /, **params: Any) -> str:
        return gettext(msgid, self.lang, digits=self.digits, **params)

    def n(self, msgid: str, n: int, /, **params: Any) -> str:
        return ngettext(msgid, n, self.lang, digits=self.digits, **params)

    def msg(self, message: Msg) -> str:
        return message.text(self.lang, self.digits)
