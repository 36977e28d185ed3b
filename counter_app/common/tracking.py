"""Tracking codes a citizen can read over the phone: 12 digits in three groups, ISO 7064 check.

Ten random digits followed by two check digits (mod 97-10, as in IBAN), shown as
``1234-5678-9012``. Any single wrong digit or swapped pair is detected.
"""

from __future__ import annotations

import secrets

from counter_app.common.i18n import normalise_digits


def _check_digits(body: str) -> str:
    return f"{98 - (int(body) * 100) % 97:02d}"


def new_tracking_code() -> str:
    body = f"{secrets.randbelow(9 * 10**9) + 10**9:010d}"
    raw = body + _check_digits(body)
    return f"{raw[0:4]}-{raw[4:8]}-{raw[8:12]}"


def normalise_tracking_code(text: str) -> str | None:
    """The canonical ``NNNN-NNNN-NNNN`` form of what was typed or scanned, or None if invalid."""
    digits = "".join(ch for ch in normalise_digits(text) if ch.isdigit())
    if len(digits) != 12 or not digits.isascii():
        return None
    if _check_digits(digits[:10]) != digits[10:]:
        return None
    return f"{digits[0:4]}-{digits[4:8]}-{digits[8:12]}"
