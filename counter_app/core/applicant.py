"""The rules for an applicant's details, in one place (the counter's intake, the core, the tests).

Mandatory: the **full name** and the **national ID**; optional: the phone, the address and the
e-mail address (the README lists the same).

* Full name: at least four names (own, father's, grandfather's, family: the name on the national
  ID card), in Arabic letters only. A compound name (``عبد الله``) counts as two words, so more
  than four words are accepted. Each word has at least two letters (no initials). Diacritics are
  kept, the tatweel (kashida) is dropped, runs of spaces become one.
* Phone: an Egyptian mobile or landline, checked with Google's ``phonenumbers`` metadata, stored
  in E.164 (``+201012345678``). Only digits (Western or Arabic-Indic), spaces, dashes, dots,
  brackets and a leading ``+`` are accepted: ``phonenumbers`` would otherwise read letters as a
  keypad word (``01abc2345678`` would become ``01222345678``).

A refusal is an :class:`ApplicantFieldError`: its ``field`` says which input to point at and its
message says what is expected, with an example.
"""

from __future__ import annotations

import re
import unicodedata

from counter_app.common import formatting
from counter_app.core.errors import ApplicantFieldError

__all__ = ["ApplicantFieldError", "full_name", "phone_e164"]

#: The fields of an applicant a clerk must fill in.
MANDATORY_FIELDS = ("name", "national_id")
OPTIONAL_FIELDS = ("phone", "address", "email")

MIN_NAME_PARTS = 4
MIN_PART_LETTERS = 2
MAX_NAME_LENGTH = 200  # the column's size
PHONE_REGION = "EG"
#: The examples the messages show (Western digits, as on a phone's keypad).
MOBILE_EXAMPLE = "01012345678"
LANDLINE_EXAMPLE = "0223456789"

_TATWEEL = chr(0x0640)
_PHONE_CHARS = re.compile(r"^\+?[0-9\u0660-\u0669\u06f0-\u06f9 ().\-]+$")


def _refused(field: str) -> ApplicantFieldError:
    if field == "phone":
        return ApplicantFieldError("applicant_phone", field=field, mobile=formatting.phone(MOBILE_EXAMPLE),
                                   landline=formatting.phone(LANDLINE_EXAMPLE))
    return ApplicantFieldError("applicant_name", field=field)


def _arabic_letter(ch: str) -> bool:
    cp = ord(ch)
    return unicodedata.category(ch) == "Lo" and (0x0620 <= cp <= 0x064A or 0x066E <= cp <= 0x06D3
                                                 or 0x06FA <= cp <= 0x06FF or 0x0750 <= cp <= 0x077F)


def _arabic_mark(ch: str) -> bool:
    cp = ord(ch)
    return unicodedata.category(ch) == "Mn" and (0x064B <= cp <= 0x065F or cp == 0x0670)


def full_name(text: str | None) -> str:
    """The applicant's full name as stored, or :class:`ApplicantFieldError` (``field="name"``)."""
    cleaned = unicodedata.normalize("NFKC", text or "").replace(_TATWEEL, "")
    parts = cleaned.split()
    if len(parts) < MIN_NAME_PARTS:
        raise _refused("name")
    for part in parts:
        if not all(_arabic_letter(ch) or _arabic_mark(ch) for ch in part):
            raise _refused("name")
        if sum(1 for ch in part if _arabic_letter(ch)) < MIN_PART_LETTERS:
            raise _refused("name")
    name = " ".join(parts)
    if len(name) > MAX_NAME_LENGTH:
        raise _refused("name")
    return name


def phone_e164(text: str | None) -> str | None:
    """An Egyptian phone number in E.164, None when left empty, or :class:`ApplicantFieldError`."""
    import phonenumbers  # imported on first use: its metadata takes a moment to load

    raw = (text or "").strip()
    if not raw:
        return None
    if not _PHONE_CHARS.match(raw):
        raise _refused("phone")
    try:
        number = phonenumbers.parse(raw, PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise _refused("phone") from exc
    kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE,
             phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if (not phonenumbers.is_valid_number(number)
            or phonenumbers.region_code_for_number(number) != PHONE_REGION
            or phonenumbers.number_type(number) not in kinds):
        raise _refused("phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
