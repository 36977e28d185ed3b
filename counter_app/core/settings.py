"""Centre settings kept in the database (key/value), with typed accessors and defaults."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from counter_app.common.i18n import N_, Msg
from counter_app.core import audit
from counter_app.core.errors import ValidationFailed
from counter_app.core.models import Setting, table

DEFAULTS: dict[str, str] = {
    # "strict": priority tickets always first; "ratio:N": one priority ticket per N ordinary ones.
    "queue.fairness": "strict",
    # A called ticket becomes a no-show when it is recalled this many times without answer.
    "queue.max_recalls": "3",
    # How many recent finished tickets feed the estimate of service time.
    "queue.estimate_window": "20",
    # The SMS of a ticket's turn goes when this many tickets (or fewer) are ahead of it.
    "queue.sms_ahead": "3",
    "centre.code": "",
    # Sync with the central server (written by ``shubbak centre enrol`` and the sync agent).
    "sync.server": "",
    "sync.private_key": "",
    "sync.last_success": "",
    "sync.last_attempt": "",
    "sync.last_error": "",
    "sync.clock_skew_s": "",
    # The centre's public details for the citizens' portal (counter_app.core.centre_public).
    "centre.address_ar": "",
    "centre.address_en": "",
    "centre.opening_hours": "",
    "portal.base_url": "",
    "centre.announced": "",
    # The appointments' check-in window at the kiosk, minutes before and after the booked time
    # (counter_app.core.booking).
    "appointments.early_minutes": "30",
    "appointments.late_minutes": "15",
}

#: The name, in a sentence, of each setting a user may set (catalogue ids).
SETTING_FIELDS: dict[str, str] = {
    "queue.fairness": N_("field.queue_fairness"),
    "queue.max_recalls": N_("field.max_recalls"),
    "queue.estimate_window": N_("field.estimate_window"),
    "queue.sms_ahead": N_("sms.ticket_setting_ahead"),
    "appointments.early_minutes": N_("field.checkin_early"),
    "appointments.late_minutes": N_("field.checkin_late"),
}


#: The bounds of the numeric settings a supervisor sets (inclusive); ``ratio:N`` takes 1..RATIO_MAX.
NUMBER_LIMITS: dict[str, tuple[int, int]] = {
    "queue.max_recalls": (1, 10),
    "queue.estimate_window": (1, 200),
    "queue.sms_ahead": (1, 20),
    # the appointments' check-in window (counter_app.core.booking): minutes before and after the booked time
    "appointments.early_minutes": (0, 120),
    "appointments.late_minutes": (0, 60),
}
RATIO_MAX = 20


def invalid(key: str, value: str) -> ValidationFailed:
    return ValidationFailed("setting_invalid", setting=Msg(SETTING_FIELDS[key]), value=value)


@dataclass(frozen=True)
class Fairness:
    strict: bool
    ordinary_per_priority: int = 0

    @classmethod
    def parse(cls, value: str) -> Fairness:
        if value == "strict":
            return cls(True)
        if value.startswith("ratio:"):
            try:
                n = int(value.split(":", 1)[1])
            except ValueError:
                n = 0
            if n >= 1:
                return cls(False, n)
        raise invalid("queue.fairness", value)

    def encode(self) -> str:
        return "strict" if self.strict else f"ratio:{self.ordinary_per_priority}"


_SELECT = select(table(Setting).c.value).where(table(Setting).c.key == bindparam("key"))


def get(session: Session, key: str) -> str:
    value = session.connection().execute(_SELECT, {"key": key}).scalar()
    return DEFAULTS[key] if value is None else str(value)


def check(key: str, value: str) -> None:
    """Refuse (:class:`ValidationFailed`, naming the setting) a value a queue setting cannot take."""
    if key == "queue.fairness":
        if Fairness.parse(value).ordinary_per_priority > RATIO_MAX:
            raise invalid(key, value)
    elif key in NUMBER_LIMITS:
        low, high = NUMBER_LIMITS[key]
        if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
            raise invalid(key, value)


def put(session: Session, key: str, value: str) -> None:
    check(key, value)
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
    session.flush()  # readers use the connection directly


def lock_for_change(session: Session) -> None:
    """Serialise a supervisor's change of the settings with any other (PostgreSQL; SQLite's write
    transaction already is): called first, the values read next are those the change replaces, so
    two supervisors saving the same edit at once write and audit it once."""
    audit.lock_chain(session)


def set_queue(session: Session, values: dict[str, str], *, by: int | None) -> dict[str, str]:
    """A supervisor's change of the queue settings (keys of :data:`SETTING_FIELDS`): every value is
    checked before any is written; those that differ from the stored ones are written and audited
    together. Returns what changed (nothing: no audit entry)."""
    for key, value in values.items():
        if key not in SETTING_FIELDS:
            raise KeyError(key)
        check(key, value)
    changed = {key: value for key, value in values.items() if value != get(session, key)}
    if changed:
        before = {key: get(session, key) for key in changed}
        for key, value in changed.items():
            put(session, key, value)
        audit.record(session, user_id=by, action="settings.change", entity_type="settings", entity_id="queue",
                     detail={"before": before, "after": changed})
    return changed


def fairness(session: Session) -> Fairness:
    return Fairness.parse(get(session, "queue.fairness"))


def max_recalls(session: Session) -> int:
    return int(get(session, "queue.max_recalls"))
