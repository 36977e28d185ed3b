"""The supervisor's «Centre settings» page, without Qt: the queue settings (fairness, recalls before
a no-show, the estimate's window, the turn-is-near SMS, the appointments' check-in window) and the centre's public details for the
citizens' portal (address in Arabic and English, opening hours, portal address).

The opening hours are edited as rows a supervisor reads (a day or a range of days, the opening and
the closing time) and kept in the language-neutral form of :mod:`counter_app.common.portal`
(``sun-thu 08:00-15:00; sat 09:00-13:00``). A save is one transaction: every value is checked
first (a refusal names the field in the user's language and writes nothing), then only the values
the supervisor changed since the page loaded are written, so two supervisors editing different
fields do not undo each other; each part is audited (``settings.change``,
``centre.public_details``) and a change of the public details tells the central server
(``centre.updated``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from counter_app.common.i18n import Msg
from counter_app.common.portal import (
    WEEK,
    InvalidOpeningHours,
    InvalidPortalUrl,
    normalise_base_url,
    opening_hours_entries,
)
from counter_app.core import centre_public, settings
from counter_app.core.db import Database
from counter_app.core.errors import ValidationFailed
from counter_app.services.supervisor import acting

#: The longest address the central server keeps (characters).
ADDRESS_MAX = centre_public.LIMITS["address_ar"]
#: Bounds of the numbers, as the form's spin boxes take them.
NUMBER_LIMITS = settings.NUMBER_LIMITS
RATIO_MAX = settings.RATIO_MAX


@dataclass(frozen=True)
class HoursRow:
    """One line of the opening hours: ``first``..``last`` (day keys of :data:`WEEK`), ``HH:MM`` times."""

    first: str
    last: str
    opens: str
    closes: str


@dataclass(frozen=True)
class CentreSettings:
    strict: bool  # priority tickets always first; else one priority ticket per ``ratio`` ordinary ones
    ratio: int
    max_recalls: int
    estimate_window: int
    sms_ahead: int
    address_ar: str
    address_en: str
    hours: tuple[HoursRow, ...]
    portal_url: str
    #: The stored opening hours when they are not in the form (written by hand): shown, kept unless edited.
    hours_as_written: str = ""
    #: The appointments' check-in window: minutes before and after the booked time (the kiosk's next check-in).
    early_minutes: int = 30
    late_minutes: int = 15

    def queue_values(self) -> dict[str, str]:
        fairness = settings.Fairness(self.strict, 0 if self.strict else self.ratio).encode()
        return {"queue.fairness": fairness, "queue.max_recalls": str(self.max_recalls),
                "queue.estimate_window": str(self.estimate_window), "queue.sms_ahead": str(self.sms_ahead),
                "appointments.early_minutes": str(self.early_minutes),
                "appointments.late_minutes": str(self.late_minutes)}


@dataclass(frozen=True)
class Saved:
    queue: tuple[str, ...]  # the queue settings written (keys)
    details: tuple[str, ...]  # the public details written (address_ar, address_en, opening_hours, portal_url)
    settings: CentreSettings  # as stored now

    @property
    def changed(self) -> bool:
        return bool(self.queue or self.details)


def hours_text(rows: tuple[HoursRow, ...]) -> str:
    """The rows in the stored form; refuses (in the user's language, naming the line) a line that
    closes before it opens or names a day not of the week."""
    parts = []
    for number, row in enumerate(rows, start=1):
        if row.first not in WEEK or row.last not in WEEK:
            raise ValidationFailed(detail=Msg("supervisor.settings_hours_day", row=number))
        if row.closes <= row.opens:
            raise ValidationFailed(detail=Msg("supervisor.settings_hours_order", row=number))
        days = row.first if row.first == row.last else f"{row.first}-{row.last}"
        parts.append(f"{days} {row.opens}-{row.closes}")
    return "; ".join(parts)


def _hours_rows(value: str) -> tuple[tuple[HoursRow, ...], str]:
    try:
        return tuple(HoursRow(*entry) for entry in opening_hours_entries(value)), ""
    except InvalidOpeningHours:
        return (), value


def _minutes(session: Session, key: str) -> int:
    """A check-in window's setting as the page shows it (a stored value out of bounds: its bound)."""
    low, high = NUMBER_LIMITS[key]
    value = settings.get(session, key)
    figure = int(value) if value.isascii() and value.isdigit() else int(settings.DEFAULTS[key])
    return min(max(figure, low), high)


def load(db: Database, user_id: int) -> CentreSettings:
    """The settings as stored now (a supervisor only)."""
    with db.read() as s:
        acting(s, user_id)
        fairness = settings.fairness(s)
        details = {name: settings.get(s, key) for name, key in centre_public.SETTING_KEYS.items()}
        hours, as_written = _hours_rows(details["opening_hours"])
        return CentreSettings(
            strict=fairness.strict, ratio=fairness.ordinary_per_priority or 2,
            max_recalls=settings.max_recalls(s), estimate_window=int(settings.get(s, "queue.estimate_window")),
            sms_ahead=int(settings.get(s, "queue.sms_ahead")), address_ar=details["address_ar"],
            address_en=details["address_en"], hours=hours, portal_url=details["portal_url"],
            hours_as_written=as_written, early_minutes=_minutes(s, "appointments.early_minutes"),
            late_minutes=_minutes(s, "appointments.late_minutes"))


def _check_portal(value: str) -> str:
    try:
        return normalise_base_url(value)
    except InvalidPortalUrl:
        raise ValidationFailed(detail=Msg("supervisor.settings_portal_form")) from None


def save(db: Database, user_id: int, loaded: CentreSettings, edited: CentreSettings) -> Saved:
    """Write what the supervisor changed from ``loaded`` to ``edited``, in one transaction; every
    value is checked before anything is written. Saving the same edit again changes nothing."""
    queue_before, queue_after = loaded.queue_values(), edited.queue_values()
    for key, value in queue_after.items():
        settings.check(key, value)
    portal = _check_portal(edited.portal_url)
    hours = hours_text(edited.hours) if edited.hours or not edited.hours_as_written else edited.hours_as_written
    before_hours = hours_text(loaded.hours) if loaded.hours else loaded.hours_as_written
    details: dict[str, str | None] = {
        "address_ar": edited.address_ar if edited.address_ar != loaded.address_ar else None,
        "address_en": edited.address_en if edited.address_en != loaded.address_en else None,
        "opening_hours": hours if hours != before_hours else None,
        "portal_url": portal if portal != loaded.portal_url else None,
    }
    with db.begin() as s:
        by = acting(s, user_id).id
        settings.lock_for_change(s)
        queue = settings.set_queue(s, {k: v for k, v in queue_after.items() if v != queue_before[k]}, by=by)
        stored = {name: settings.get(s, key) for name, key in centre_public.SETTING_KEYS.items()}
        centre_public.set_details(s, **details, by=by)
        written = tuple(name for name, key in centre_public.SETTING_KEYS.items()
                        if settings.get(s, key) != stored[name])
    return Saved(tuple(sorted(queue)), written, load(db, user_id))

