"""The citizens' portal address of a centre (``[portal] base_url`` in the counter's INI, the
``--portal`` option of ``shubbak centre enrol`` and ``shubbak print sample``) and the links the
printed QR codes carry:

* a ticket: ``{base_url}/t/{public token}`` (the ticket's unguessable public token, never its uuid);
* a receipt or refund slip: ``{base_url}/r/{signed payload}`` (:func:`counter_app.common.signing.receipt_url`).

A base URL is ``http`` or ``https`` with a host, an optional path, and no query, fragment or
credentials; it is kept without its trailing ``/``.

A centre's opening hours are kept in one language-neutral form, so that each portal page says them
in its own language (:func:`opening_hours_text`): entries separated by ``;``, each a day or a range
of days (``sat`` ``sun`` ``mon`` ``tue`` ``wed`` ``thu`` ``fri``) and a span of 24-hour times, e.g.
``sun-thu 08:00-15:00; sat 09:00-13:00`` (:func:`normalise_opening_hours` checks it).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from babel.dates import get_day_names

from counter_app.common.i18n import LRI, isolate

#: The central server keeps a centre's portal address in a column of this size (s0005).
MAX_BASE_URL = 200


class InvalidPortalUrl(ValueError):
    """Not a usable portal address; the message says why (English, for logs and the command line)."""


def normalise_base_url(text: str | None) -> str:
    """``text`` as a portal base URL without its trailing ``/``; ``""`` for nothing given.

    Raises :class:`InvalidPortalUrl` for anything else than an http(s) URL with a host and no
    query, fragment or user name."""
    value = (text or "").strip()
    if not value:
        return ""
    if not value.isascii() or not value.isprintable() or any(ch.isspace() for ch in value):
        raise InvalidPortalUrl(f"the portal address must be a plain http(s) URL (an Arabic domain in its xn-- form): "
                              f"{value!r}")
    try:
        parts = urlsplit(value)
        port = parts.port  # raises on a bad port
    except ValueError as exc:
        raise InvalidPortalUrl(f"the portal address is not a URL: {value!r}") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidPortalUrl(f"the portal address must start with https:// (or http://) and name a host: {value!r}")
    if parts.query or "?" in value or parts.fragment or "#" in value:
        raise InvalidPortalUrl(f"the portal address must not have a query or a fragment: {value!r}")
    if parts.username is not None or parts.password is not None:
        raise InvalidPortalUrl(f"the portal address must not carry credentials: {value!r}")
    del port
    value = parts.scheme.lower() + value[len(parts.scheme):].rstrip("/")
    if len(value) > MAX_BASE_URL:
        raise InvalidPortalUrl(f"the portal address is longer than {MAX_BASE_URL} characters")
    return value


def ticket_url(base_url: str, token: str) -> str:
    """The ticket's live page, or ``""`` (no QR code) without a portal address or a token."""
    base = base_url.rstrip("/")
    return f"{base}/t/{token}" if base and token else ""


#: Day keys, in Babel's order (Monday first).
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ENTRY = re.compile(r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))? +(?P<opens>\d{1,2}:\d{2})-(?P<closes>\d{1,2}:\d{2})$")


class InvalidOpeningHours(ValueError):
    """Not in the form ``sun-thu 08:00-15:00; sat 09:00-13:00``."""


def _time(text: str) -> str:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise InvalidOpeningHours(f"not a time of day: {text!r}")
    return f"{hours:02d}:{minutes:02d}"


def _entries(text: str) -> list[tuple[str, str, str, str]]:
    entries = []
    for part in text.split(";"):
        part = " ".join(part.strip().lower().replace("\u2013", "-").split())
        if not part:
            continue
        found = _ENTRY.match(part.replace(" - ", "-"))
        if found is None or found["first"] not in DAYS or (found["last"] or found["first"]) not in DAYS:
            raise InvalidOpeningHours(f"opening hours are written like 'sun-thu 08:00-15:00; sat 09:00-13:00': "
                                      f"{part!r}")
        opens, closes = _time(found["opens"]), _time(found["closes"])
        if closes <= opens:
            raise InvalidOpeningHours(f"closes before it opens: {part!r}")
        entries.append((found["first"], found["last"] or found["first"], opens, closes))
    return entries


def normalise_opening_hours(text: str | None) -> str:
    """The opening hours in their one written form; ``""`` for none; :class:`InvalidOpeningHours` else."""
    entries = _entries(text or "")
    return "; ".join(f"{first}-{last} {opens}-{closes}" if first != last else f"{first} {opens}-{closes}"
                     for first, last, opens, closes in entries)


def opening_hours_text(value: str, lang: str) -> str:
    """The opening hours for a page in ``lang`` (``en``: «Sunday – Thursday 08:00–15:00 · Saturday ...»);
    each span of times isolated left to right (inside an Arabic sentence "08:00–15:00" would show as
    "15:00–08:00"); a value not in the form (written by hand elsewhere) is shown as it is."""
    try:
        entries = _entries(value)
    except InvalidOpeningHours:
        return value
    names = get_day_names("wide", locale="ar" if lang == "ar" else "en")
    parts = []
    for first, last, opens, closes in entries:
        days = names[DAYS.index(first)] if first == last else f"{names[DAYS.index(first)]} – {names[DAYS.index(last)]}"
        parts.append(f"{days} {isolate(f'{opens}–{closes}', LRI)}")
    return " · ".join(parts)


#: The days of a centre's week (Saturday first, as in Egypt), for a form that edits the hours.
WEEK = ("sat", "sun", "mon", "tue", "wed", "thu", "fri")


def day_name(day: str, lang: str) -> str:
    """A day key's full name in ``lang`` (``sun`` → «الأحد» / «Sunday»)."""
    return str(get_day_names("wide", locale="ar" if lang == "ar" else "en")[DAYS.index(day)])


def opening_hours_entries(value: str) -> list[tuple[str, str, str, str]]:
    """Each entry of the opening hours as (first day, last day, opens, closes), times ``HH:MM``;
    :class:`InvalidOpeningHours` for a value not in the form."""
    return _entries(value)
