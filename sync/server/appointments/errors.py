"""The one refusal of the appointments' functions: a stable ``key`` (for a program, and for the
message in the citizen's language, :func:`message`), an HTTP status and the refusal's values."""

from __future__ import annotations

from typing import Any

from counter_app.common import formatting
from counter_app.common.i18n import N_, gettext, lang_of, ngettext

#: Each refusal key's catalogue id.
REASON_IDS: dict[str, str] = {
    "bad_national_id": N_("appt.bad_national_id"),
    "bad_mobile": N_("appt.bad_mobile"),
    "no_appointments": N_("appt.no_appointments"),
    "not_a_slot": N_("appt.not_a_slot"),
    "closed_day": N_("appt.closed_day"),
    "too_late": N_("appt.too_late"),
    "too_far": N_("appt.too_far"),
    "full": N_("appt.full"),
    "already_booked": N_("appt.already_booked"),
    "monthly_cap": N_("appt.monthly_cap"),
    "no_show_block": N_("appt.no_show_block"),
    "unknown_booking": N_("appt.unknown_booking"),
    "not_active": N_("appt.not_active"),
}

STATUS = {"unknown_booking": 404, "full": 409, "already_booked": 409, "monthly_cap": 409, "no_show_block": 403,
          "not_active": 409, "day_has_bookings": 409, "no_appointments": 404, "unknown_centre": 404, "not_found": 404}


class AppointmentError(ValueError):
    """A refused booking action. ``key``: see :data:`REASON_IDS` (or ``bad_rule``, ``bad_closure``
    and ``forbidden`` of the management, English only); ``detail``: the message as given (a
    national ID's own message), else :func:`message` makes it from ``values``."""

    def __init__(self, key: str, english: str, *, detail_ar: str | None = None, **values: Any) -> None:
        super().__init__(english)
        self.key, self.detail_ar, self.values = key, detail_ar, values

    @property
    def status(self) -> int:
        return STATUS.get(self.key, 403 if self.key == "forbidden" else 422)

    def message(self, lang: str) -> str:
        """For the citizen, in ``lang`` (Arabic unless ``en``)."""
        language = lang_of(lang)
        if self.key == "bad_national_id" and self.detail_ar is not None:
            reason = self.detail_ar if language == "ar" else str(self)
            return gettext(REASON_IDS[self.key], language, reason=reason)
        msgid = REASON_IDS.get(self.key)
        if msgid is None:
            return str(self)
        if self.key == "monthly_cap":
            return ngettext(msgid, int(self.values.get("cap", 0)), language)
        fields: dict[str, Any] = {}
        if "until" in self.values:
            fields["until"] = formatting.format_date(self.values["until"], language)
        return gettext(msgid, language, **fields)
