"""Issue 18 follow-up: the supervisor's «Centre settings» (services.centre_settings), without Qt, on
SQLite and PostgreSQL: only a supervisor; a save writes the queue settings and the public details
in one transaction, audited, and tells the central server (``centre.updated``); a refused value
writes nothing and says why in the user's language; saving the same edit again writes nothing;
two supervisors editing different fields keep both changes."""

from __future__ import annotations

import dataclasses
import json
import threading

import pytest
from sqlalchemy import func, select

from counter_app.common.i18n import gettext
from counter_app.core import audit, audit_view, centre_public, settings
from counter_app.core.models import AuditEntry, OutboxEvent
from counter_app.services import centre_settings
from counter_app.services.centre_settings import CentreSettings, HoursRow
from counter_app.services.errors import PermissionDenied, ValidationFailed
from tests.helpers.factories import Centre
from tests.services.conftest import error_text, said

DEMO_ROWS = (HoursRow("sun", "thu", "08:00", "15:00"), HoursRow("sat", "sat", "09:00", "13:00"))


def count(site: Centre, *, action: str | None = None, kind: str | None = None) -> int:
    with site.db.read() as s:
        if action is not None:
            return int(s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) or 0)
        return int(s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.kind == kind)) or 0)


def stored(site: Centre) -> dict[str, str]:
    keys = [*settings.SETTING_FIELDS, *centre_public.SETTING_KEYS.values()]
    with site.db.read() as s:
        return {key: settings.get(s, key) for key in keys}


def test_the_page_shows_what_is_stored(site: Centre) -> None:
    shown = centre_settings.load(site.db, site.supervisor_id)
    assert (shown.strict, shown.max_recalls, shown.estimate_window, shown.sms_ahead) == (True, 3, 20, 3)
    assert shown.hours == DEMO_ROWS and shown.hours_as_written == ""
    assert shown.address_en == "3 Murad Street, Giza, next to the Zoo" and shown.portal_url == ""
    assert centre_settings.load(site.db, site.admin_id) == shown  # an administrator supervises too


def test_a_clerk_neither_sees_nor_changes_the_settings(site: Centre) -> None:
    clerk, before = site.clerk_ids[0], stored(site)
    loaded = centre_settings.load(site.db, site.supervisor_id)
    for action in (lambda: centre_settings.load(site.db, clerk),
                   lambda: centre_settings.save(site.db, clerk, loaded, dataclasses.replace(loaded, max_recalls=9))):
        with pytest.raises(PermissionDenied) as refused:
            action()
        assert said(refused.value) == error_text("permission_denied")
    assert stored(site) == before and count(site, action="settings.change") == 0


def test_a_save_writes_audits_and_tells_the_central_server_once(site: Centre) -> None:
    loaded = centre_settings.load(site.db, site.supervisor_id)
    events = count(site, kind="centre.updated")
    edited = dataclasses.replace(
        loaded, strict=False, ratio=3, max_recalls=2, sms_ahead=5, address_en="12 Haram Street, Giza",
        hours=(HoursRow("sun", "wed", "08:30", "14:00"), HoursRow("thu", "thu", "08:30", "12:00")),
        portal_url="https://portal.example/eg/")
    saved = centre_settings.save(site.db, site.supervisor_id, loaded, edited)
    assert saved.changed and saved.queue == ("queue.fairness", "queue.max_recalls", "queue.sms_ahead")
    assert saved.details == ("address_en", "opening_hours", "portal_url")
    now = stored(site)
    assert (now["queue.fairness"], now["queue.max_recalls"], now["queue.sms_ahead"], now["queue.estimate_window"]) \
        == ("ratio:3", "2", "5", "20")
    assert now["centre.opening_hours"] == "sun-wed 08:30-14:00; thu 08:30-12:00"
    assert now["portal.base_url"] == "https://portal.example/eg"  # kept without its trailing /
    assert saved.settings == dataclasses.replace(edited, portal_url="https://portal.example/eg")
    with site.db.read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "settings.change")).one()
        assert entry.user_id == site.supervisor_id
        assert json.loads(entry.detail) == {
            "before": {"queue.fairness": "strict", "queue.max_recalls": "3", "queue.sms_ahead": "3"},
            "after": {"queue.fairness": "ratio:3", "queue.max_recalls": "2", "queue.sms_ahead": "5"}}
        public = s.scalars(select(AuditEntry).where(AuditEntry.action == "centre.public_details")
                           .order_by(AuditEntry.id.desc())).first()
        assert public is not None and public.user_id == site.supervisor_id
        assert audit.verify_chain(s).ok
        row = next(r for r in audit_view.search(s, audit_view.AuditFilter(action="settings.")))
    for lang in ("ar", "en"):  # the audit viewer says it as a sentence
        assert audit_view.describe(row, lang) == gettext("audit.entry.settings.change", lang,
                                                         user=audit_view.sentence_fields(row, lang)["user"])
    assert count(site, kind="centre.updated") == events + 1
    with site.db.read() as s:
        payload = json.loads(s.scalars(select(OutboxEvent.payload).where(OutboxEvent.kind == "centre.updated")
                                       .order_by(OutboxEvent.id.desc())).first() or "{}")
    assert payload["opening_hours"] == now["centre.opening_hours"] and payload["portal_url"] == "https://portal.example/eg"

    # the same edit saved again (a second press): nothing written, audited or sent
    again = centre_settings.save(site.db, site.supervisor_id, loaded, edited)
    assert not again.changed and stored(site) == now
    assert count(site, action="settings.change") == 1 and count(site, kind="centre.updated") == events + 1


@pytest.mark.parametrize(("change", "expected"), [
    ({"hours": (DEMO_ROWS[0], HoursRow("sat", "sat", "13:00", "09:00"))},
     {"ar": "السطر 2: يجب أن تكون ساعة الإغلاق بعد ساعة الفتح", "en": "line 2: the closing time must be after"}),
    ({"hours": (HoursRow("sun", "funday", "08:00", "15:00"),)}, {"ar": "اختر يومًا", "en": "choose a day"}),
    ({"portal_url": "ftp://portal.example"}, {"ar": "يبدأ بـ https://", "en": "starts with https://"}),
    ({"portal_url": "https://portal.example/?centre=1"}, {"ar": "بلا مسافات", "en": "without spaces, ? or #"}),
    ({"address_ar": "عنوان\x07"}, {"ar": "عنوان المركز", "en": "centre address"}),
    ({"strict": False, "ratio": 21}, {"ar": "قاعدة الأولوية", "en": "queue fairness rule"}),
    ({"max_recalls": 0}, {"ar": "الاستدعاء", "en": "maximum recalls"}),
    ({"sms_ahead": 21}, {"ar": "اقتراب الدور", "en": "SMS"}),
])
def test_a_refused_value_writes_nothing_and_says_why(site: Centre, change: dict[str, object],
                                                     expected: dict[str, str]) -> None:
    before, events = stored(site), count(site, kind="centre.updated")
    loaded = centre_settings.load(site.db, site.supervisor_id)
    # a good change beside the bad one: not written either (one save, one transaction)
    edited = dataclasses.replace(loaded, max_recalls=5, address_en="12 Haram Street, Giza")
    edited = dataclasses.replace(edited, **change)  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed) as refused:
        centre_settings.save(site.db, site.supervisor_id, loaded, edited)
    for lang, words in expected.items():
        assert words in said(refused.value, lang), said(refused.value, lang)  # type: ignore[arg-type]
    assert stored(site) == before and count(site, action="settings.change") == 0
    assert count(site, kind="centre.updated") == events


def test_two_supervisors_changing_different_fields_keep_both(site: Centre) -> None:
    first = centre_settings.load(site.db, site.supervisor_id)
    second = centre_settings.load(site.db, site.admin_id)
    centre_settings.save(site.db, site.admin_id, second, dataclasses.replace(second, address_ar="١٢ شارع الهرم"))
    centre_settings.save(site.db, site.supervisor_id, first, dataclasses.replace(first, estimate_window=40))
    now = centre_settings.load(site.db, site.supervisor_id)
    assert (now.address_ar, now.estimate_window) == ("١٢ شارع الهرم", 40)


def test_hours_written_by_hand_are_kept_until_replaced(site: Centre) -> None:
    with site.db.begin() as s:  # as an older tool may have stored them
        settings.put(s, "centre.opening_hours", "daily 9-5")
    loaded = centre_settings.load(site.db, site.supervisor_id)
    assert loaded.hours == () and loaded.hours_as_written == "daily 9-5"
    saved = centre_settings.save(site.db, site.supervisor_id, loaded, dataclasses.replace(loaded, sms_ahead=2))
    assert saved.details == () and stored(site)["centre.opening_hours"] == "daily 9-5"
    replaced = dataclasses.replace(saved.settings, hours=DEMO_ROWS, hours_as_written="")
    centre_settings.save(site.db, site.supervisor_id, saved.settings, replaced)
    assert stored(site)["centre.opening_hours"] == "sun-thu 08:00-15:00; sat 09:00-13:00"
    cleared = centre_settings.save(site.db, site.supervisor_id, replaced, dataclasses.replace(replaced, hours=()))
    assert cleared.details == ("opening_hours",) and stored(site)["centre.opening_hours"] == ""


def test_the_queue_values_match_the_core_settings(site: Centre) -> None:
    shown: CentreSettings = centre_settings.load(site.db, site.supervisor_id)
    assert shown.queue_values() == {key: stored(site)[key] for key in settings.SETTING_FIELDS}


def test_two_supervisors_saving_the_same_edit_at_once_save_it_once(site: Centre) -> None:
    """Four saves of one edit, started together on their own connections: one writes, audits and
    tells the central server; the others find nothing left to change."""
    loaded = centre_settings.load(site.db, site.supervisor_id)
    edited = dataclasses.replace(loaded, max_recalls=4, address_en="12 Haram Street, Giza")
    events = count(site, kind="centre.updated")
    start = threading.Barrier(4)
    results: list[bool] = []
    errors: list[BaseException] = []

    def worker(user_id: int) -> None:
        try:
            start.wait(timeout=30)
            results.append(centre_settings.save(site.db, user_id, loaded, edited).changed)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(uid,))
               for uid in (site.supervisor_id, site.admin_id, site.supervisor_id, site.admin_id)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and sorted(results) == [False, False, False, True]
    assert count(site, action="settings.change") == 1 and count(site, kind="centre.updated") == events + 1
    assert (stored(site)["queue.max_recalls"], stored(site)["centre.address_en"]) == ("4", "12 Haram Street, Giza")
