"""Egyptian national ID (الرقم القومي) validation and decoding.

Pure Python, standard library only.

Structure of the 14 digits: ``C YYMMDD GG SSSS K``

* ``C``      century of birth: 2 = 1900-1999, 3 = 2000-2099
* ``YYMMDD`` birth date
* ``GG``     governorate of birth registration (88 = born abroad)
* ``SSSS``   sequence; its last digit (the 13th digit of the ID) gives the sex:
  odd = male, even = female
* ``K``      check digit

The check digit is deliberately NOT verified: the Civil Status Organisation has not published
the algorithm, and guessing one would reject genuine IDs at the counter. Only the structure,
the birth date, the governorate and the sex digit are checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from counter_app.common import formatting
from counter_app.common.governorates import GOVERNORATES
from counter_app.common.i18n import N_, Msg, gettext, lang_of, ngettext, normalise_digits

__all__ = [
    "GOVERNORATES",
    "NATIONAL_ID_LENGTH",
    "NationalIdError",
    "NationalIdErrorCode",
    "NationalIdInfo",
    "mask_national_id",
    "normalise_digits",
    "parse_national_id",
]

NATIONAL_ID_LENGTH = 14

NationalIdErrorCode = Literal["empty", "non_digit", "length", "century", "date", "future_date", "governorate"]
Sex = Literal["male", "female"]

_CENTURIES: dict[str, int] = {"2": 1900, "3": 2000}

# Separators people type or paste: spaces (incl. no-break and narrow), dashes of every kind,
# and invisible bidi marks that come along when copying from right-to-left text.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u00a0\u202f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]+")

#: The catalogue id of each error code's message (``nid.<code>``), marked for extraction.
#: Fields: ``{n}`` the expected length (plural), ``{found}`` the digits entered, ``{century}``
#: the century digit, ``{governorate}`` the governorate code.
MESSAGE_IDS: dict[NationalIdErrorCode, str] = {
    "empty": N_("nid.empty"),
    "non_digit": N_("nid.non_digit"),
    "length": N_("nid.length"),
    "century": N_("nid.century"),
    "date": N_("nid.date"),
    "future_date": N_("nid.future_date"),
    "governorate": N_("nid.governorate"),
}


class NationalIdError(ValueError):
    """A national ID failed validation. ``code`` says which check failed."""

    def __init__(self, code: NationalIdErrorCode, /, **params: object) -> None:
        self.code: NationalIdErrorCode = code
        self.params: dict[str, object] = dict(params)
        super().__init__(self.message("en"))

    def message(self, lang: str = "ar") -> str:
        """The message for the user in ``lang`` ("ar" or "en"; anything else falls back to Arabic).

        Digits the user typed and the governorate code are isolated codes; the lengths are
        counts (plural forms). A missing parameter shows as "?" rather than failing.
        """
        language = lang_of(lang)
        msgid = MESSAGE_IDS[self.code]
        params = self.params
        if self.code == "length":
            expected = params.get("expected", NATIONAL_ID_LENGTH)
            found = params.get("found")
            count = expected if isinstance(expected, int) else NATIONAL_ID_LENGTH
            entered = Msg("nid.digits_entered", n=found) if isinstance(found, int) else "?"
            return ngettext(msgid, count, language, found=entered)
        fields: dict[str, Any] = {key: formatting.code(str(params[key])) if key in params else "?" for key in ("century", "governorate")}
        return gettext(msgid, language, **fields)

    def __str__(self) -> str:
        return self.message("en")


@dataclass(frozen=True)
class NationalIdInfo:
    national_id: str
    birth_date: date
    governorate_code: str
    governorate_ar: str
    governorate_en: str
    sex: Sex


def _clean(raw: str) -> str:
    return _SEPARATORS.sub("", normalise_digits(raw))


def parse_national_id(raw: str, *, today: date | None = None) -> NationalIdInfo:
    """Validate an Egyptian national ID and decode what it tells.

    Accepts ASCII, Arabic-Indic and Persian digits, with spaces and dashes anywhere.
    Raises :class:`NationalIdError` on the first check that fails, in this order:
    empty, non_digit, length, century, date, future_date, governorate.
    """
    if today is None:
        today = date.today()
    nid = _clean(raw or "")
    if not nid:
        raise NationalIdError("empty")
    # str.isdigit() accepts superscripts and other scripts' digits; only ASCII is valid here.
    if not (nid.isascii() and nid.isdigit()):
        raise NationalIdError("non_digit")
    if len(nid) != NATIONAL_ID_LENGTH:
        raise NationalIdError("length", expected=NATIONAL_ID_LENGTH, found=len(nid))

    century_digit = nid[0]
    base_year = _CENTURIES.get(century_digit)
    if base_year is None:
        raise NationalIdError("century", century=century_digit)

    try:
        birth = date(base_year + int(nid[1:3]), int(nid[3:5]), int(nid[5:7]))
    except ValueError:
        raise NationalIdError("date") from None
    if birth > today:
        raise NationalIdError("future_date")

    gov_code = nid[7:9]
    names = GOVERNORATES.get(gov_code)
    if names is None:
        raise NationalIdError("governorate", governorate=gov_code)

    sex: Sex = "male" if int(nid[12]) % 2 == 1 else "female"
    return NationalIdInfo(
        national_id=nid,
        birth_date=birth,
        governorate_code=gov_code,
        governorate_ar=names[0],
        governorate_en=names[1],
        sex=sex,
    )


def mask_national_id(nid: str) -> str:
    """Mask a national ID for the review window: keep the first digit and the last two.

    ``"29001010112334"`` -> ``"2***********34"``. Input is normalised first; a value too
    short to keep three digits is masked entirely.
    """
    clean = _clean(nid or "")
    if len(clean) <= 3:
        return "*" * len(clean)
    return clean[0] + "*" * (len(clean) - 3) + clean[-2:]
