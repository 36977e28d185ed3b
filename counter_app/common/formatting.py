"""One formatter per domain type: each returns an :class:`~counter_app.common.i18n.Isolated`
value, ready for a sentence of either direction, with the surface's digit policy applied.

Digit policy (see the README): ticket numbers, tracking codes, national IDs, phone numbers and
receipt references are **always Western digits** on every surface, because citizens copy and type
them. Running numbers (counts, minutes, money, dates, times, counter numbers) follow the surface:
Western (``"latn"``) in the windows, on paper, in PDFs, SMS/e-mail and on the central pages;
Arabic-Indic (``"arab"``) in the Arabic waiting-hall display.

Dates, weekdays and months come from Babel's CLDR data (``ar_EG``, ``en_GB``); times are stored in
UTC and shown in Africa/Cairo.
"""

from __future__ import annotations

from datetime import date, datetime

from counter_app.common.clock import to_local
from counter_app.common.i18n import (
    FSI,
    LRI,
    RLI,
    Digits,
    Isolated,
    Lang,
    apply_digits,
    gettext,
    isolate,
)

BABEL_LOCALES: dict[str, str] = {"ar": "ar_EG", "en": "en_GB"}


def to_centre_time(moment: datetime) -> datetime:
    """``moment`` (aware, or naive UTC as SQLite returns it) in the centre's zone."""
    return to_local(moment)


# --- codes: always Western digits, always left to right ---------------------------------------

def code(text: str) -> Isolated:
    """A code read and typed character by character, left to right in any sentence."""
    return isolate(str(text), LRI)


def ticket_number(letter: str, number: int) -> Isolated:
    """``A-007``."""
    return code(f"{letter}-{number:03d}")


def ticket_label(label: str) -> Isolated:
    """An already composed ticket number (``A-007``)."""
    return code(label)


def tracking_code(value: str) -> Isolated:
    return code(value)


def national_id(value: str) -> Isolated:
    return code(value)


def phone(value: str) -> Isolated:
    return code(value)


# --- numbers ----------------------------------------------------------------------------------

def number(value: int | float, digits: Digits = "latn", *, decimals: int | None = None) -> Isolated:
    """A count or a measure; thousands grouped from 10,000 on."""
    if decimals is not None:
        text = f"{value:,.{decimals}f}"
    elif isinstance(value, int) and abs(value) >= 10_000:
        text = f"{value:,}"
    else:
        text = str(value)
    return isolate(apply_digits(text, digits), LRI)


def counter_number(value: int | str, digits: Digits = "latn") -> Isolated:
    return isolate(apply_digits(str(value), digits), LRI)


def amount(piastres: int, digits: Digits = "latn") -> Isolated:
    """Integer piastres as pounds with two decimals: 1250 -> ``12.50``; ``1,234.50``."""
    sign = "-" if piastres < 0 else ""
    pounds, rest = divmod(abs(piastres), 100)
    return isolate(apply_digits(f"{sign}{pounds:,}.{rest:02d}", digits), LRI)


def money(piastres: int, lang: Lang, digits: Digits = "latn") -> Isolated:
    """``12.50 ج.م`` (amount first in reading order) or ``EGP 12.50``; figure and whole isolated."""
    text = gettext("money.amount", lang, digits=digits, amount=amount(piastres, digits))
    return isolate(text, RLI if lang == "ar" else LRI)


def percent(ratio: float, lang: Lang, digits: Digits = "latn") -> Isolated:
    from babel.numbers import format_percent

    return isolate(apply_digits(format_percent(ratio, locale=BABEL_LOCALES[lang]), digits), LRI)


# --- dates and times --------------------------------------------------------------------------

def format_date(day: date | datetime, lang: Lang, digits: Digits = "latn", style: str = "numeric") -> Isolated:
    """``numeric``: ``2026-11-25`` (unambiguous, sorts); ``long``: ``الأربعاء 25 نوفمبر 2026`` /
    ``Wednesday 25 November 2026``; ``medium``: ``25 نوفمبر 2026``; ``month``: ``نوفمبر 2026``."""
    from babel.dates import format_date as babel_date

    if isinstance(day, datetime):
        day = to_centre_time(day).date()
    if style == "numeric":
        return isolate(apply_digits(day.isoformat(), digits), LRI)
    pattern = {"long": "EEEE d MMMM y", "medium": "d MMMM y", "month": "MMMM y", "weekday": "EEEE"}[style]
    text = babel_date(day, pattern, locale=BABEL_LOCALES[lang])
    return isolate(apply_digits(text, digits), FSI)


def format_time(moment: datetime, lang: Lang, digits: Digits = "latn", *, seconds: bool = False) -> Isolated:
    """``14:05`` in the centre's zone (24-hour clock, as on Egyptian government forms)."""
    local = to_centre_time(moment)
    return isolate(apply_digits(local.strftime("%H:%M:%S" if seconds else "%H:%M"), digits), LRI)


def elapsed(seconds: int, digits: Digits = "latn") -> Isolated:
    """A running time as ``mm:ss`` (minutes may pass 59: ``61:09``), one isolated value: formatted
    as two fields joined by a colon, bidi shows ``09:61`` in an Arabic sentence."""
    minutes, rest = divmod(max(0, int(seconds)), 60)
    return isolate(apply_digits(f"{minutes:02d}:{rest:02d}", digits), LRI)


def format_datetime(moment: datetime, lang: Lang, digits: Digits = "latn") -> Isolated:
    """``2026-11-25 14:05`` in the centre's zone."""
    local = to_centre_time(moment)
    return isolate(apply_digits(local.strftime("%Y-%m-%d %H:%M"), digits), LRI)


def weekday_name(day: date, lang: Lang) -> str:
    from babel.dates import format_date as babel_date

    return babel_date(day, "EEEE", locale=BABEL_LOCALES[lang])


def month_name(month: int, lang: Lang) -> str:
    from babel.dates import get_month_names

    return str(get_month_names("wide", locale=BABEL_LOCALES[lang])[month])


def name(value: str) -> Isolated:
    """A person's, centre's or service's name: first-strong isolate."""
    return isolate(value, FSI)


def join(items: list[str], lang: Lang) -> str:
    """A list in running text: ``أ، ب، ج`` or ``a, b, c``."""
    return gettext("common.list_separator", lang).join(items)
