"""The slot management page (sync/server/appointments/slots_page.py): in headless Chromium at desktop
size in Arabic, a governorate supervisor logs in from the page, is told what is wrong next to the
field (what was typed kept), changes a weekday's hours and closes a day, and the portal's booking
page follows; a centre viewer reads the page only (at phone size too). Over HTTP on both databases:
each wrong input's message in the page's language, the roles (a governorate's centres only, a centre
viewer's post refused and audited), a cross-site post refused, closed days added and removed."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from counter_app.common.clock import local_day, utcnow
from counter_app.common.i18n import strip_isolates
from sync.server.models import AppointmentClosure, AppointmentRule, CentralAudit, EnrolledCentre
from sync.server.sessions import COOKIE
from tests.helpers.browser import DESKTOP, ON_SQLITE, PHONE, assert_public_page, browser_page
from tests.helpers.central import ADMIN_TOKEN, PASSWORD, Central, add_person, log_in, running_central

TOKEN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
EVERY_DAY = {str(d): [["09:00", "11:00"]] for d in range(7)}
RULE: dict[str, Any] = {"hours": EVERY_DAY, "slot_minutes": 30, "places": 2, "horizon_days": 14,
                        "cutoff_days_before": 1, "cutoff_time": "18:00"}
SERVICE = "MP-REG-CERT"  # group A
PAGE = "/reports/appointments"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def add_centre(central: Central, code: str, governorate: str, name_ar: str, name_en: str) -> None:
    with central.db.sessions.begin() as s:
        s.add(EnrolledCentre(code=code, name=code, governorate=governorate, sync_public_key="-", enrolled_at=utcnow(),
                             clock_flagged=False, name_ar=name_ar, name_en=name_en))


@pytest.fixture
def central(central_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Central]:
    """The real server: two centres of Giza (one taking appointments for group A) and one of Cairo;
    a Giza supervisor and GIZ-01's viewer."""
    monkeypatch.setenv("SHUBBAK_RATE_LIMITS", "booking=2000/minute,slots=2000/minute")
    with running_central(central_url) as server:
        add_centre(server, "GIZ-01", "21", "مركز الدقي", "Dokki centre")
        add_centre(server, "GIZ-02", "21", "مركز الهرم", "Haram centre")
        add_centre(server, "CAI-01", "01", "مركز شبرا", "Shubra centre")
        answer = requests.put(server.url + "/v1/appointments/admin/rules/GIZ-01/A", json=RULE, headers=TOKEN,
                              timeout=10)
        assert answer.status_code == 200, answer.text
        add_person(server, "sara.giza", "governorate_supervisor", governorate="21")
        add_person(server, "omar.viewer", "centre_viewer", centre="GIZ-01")
        yield server


def cookies(central: Central, name: str) -> dict[str, str]:
    answer = log_in(central.url, name)
    assert answer.status_code == 303, answer.text
    return {COOKIE: str(answer.cookies.get(COOKIE))}


def rule_form(**changes: str) -> dict[str, str]:
    """The form of GIZ-01's group A as the page shows it, with ``changes``."""
    form = {"lang": "ar", "centre": "GIZ-01", "group": "A", "slot_minutes": "30", "places": "2", "horizon_days": "14",
            "cutoff_days_before": "1", "cutoff_time": "18:00"}
    for d in range(7):
        form[f"h{d}_0_from"], form[f"h{d}_0_to"] = "09:00", "11:00"
    return {**form, **changes}


def post(central: Central, path: str, form: dict[str, str], who: dict[str, str] | None,
         origin: str | None = None) -> requests.Response:
    return requests.post(central.url + path, data=form, cookies=who, timeout=10, allow_redirects=False,
                         headers={"Origin": origin or central.url})


def plain(html: str) -> str:
    return strip_isolates(re.sub(r"\s+", " ", html))


def rule_of(central: Central) -> AppointmentRule:
    with central.db.sessions() as s:
        row = s.get(AppointmentRule, ("GIZ-01", "A"))
        assert row is not None
        s.expunge(row)
        return row


def test_wrong_inputs_are_told_next_to_their_field(central: Central) -> None:
    sara = cookies(central, "sara.giza")
    before = rule_of(central).hours
    cases = [
        ({"h5_0_from": "12:00", "h5_0_to": "09:00"}, "A-h5_0-error", "يجب أن تنتهي الفترة بعد بدايتها"),
        ({"places": "0"}, "A-places-error", "اكتب عددًا صحيحًا من 1 إلى 500"),
        ({"slot_minutes": "25"}, "A-h0_0-error", "طول الفترة لا يقبل القسمة على مدة الموعد"),  # 120 minutes
        ({"h1_1_from": "10:30", "h1_1_to": "12:00"}, "A-h1_1-error", "تبدأ هذه الفترة قبل نهاية الفترة التي قبلها"),
        ({"h2_0_to": ""}, "A-h2_0-error", "اكتب بداية الفترة ونهايتها معًا"),
        ({"cutoff_time": "25:00"}, "A-cutoff_time-error", "اكتب الوقت بالصيغة ساعة:دقيقة"),
    ]
    for changes, error_id, message in cases:
        answer = post(central, PAGE + "/rule", rule_form(**changes), sara)
        assert answer.status_code == 422, (changes, answer.status_code)
        found = re.search(rf'id="{error_id}">([^<]*)<', answer.text)
        assert found and message in strip_isolates(found.group(1)), (changes, found)
        for name, value in changes.items():  # what was typed is kept
            assert re.search(rf'name="{name}" id="[^"]*" value="{re.escape(value)}"', answer.text), name
        assert "لم يُحفظ شيء" in answer.text
    assert rule_of(central).hours == before  # nothing saved
    english = post(central, PAGE + "/rule", rule_form(lang="en", places="0"), sara)
    assert english.status_code == 422 and 'lang="en"' in english.text
    assert "Type a whole number from 1 to 500" in plain(english.text)

    today = local_day(utcnow())
    closure = {"lang": "ar", "centre": "GIZ-01", "day": (today - timedelta(days=1)).isoformat(),
               "reason_ar": "صيانة", "reason_en": "Maintenance"}
    past = post(central, PAGE + "/closure", closure, sara)
    assert past.status_code == 422
    assert "هذا اليوم مضى" in plain(past.text) and 'id="closure-day-error"' in past.text
    assert 'value="صيانة"' in past.text and f'value="{closure["day"]}"' in past.text
    no_reason = post(central, PAGE + "/closure", {**closure, "day": today.isoformat(), "reason_en": ""}, sara)
    assert no_reason.status_code == 422 and 'id="closure-reason_en-error"' in no_reason.text
    bad_day = post(central, PAGE + "/closure", {**closure, "day": "2026-02-30"}, sara)
    assert bad_day.status_code == 422 and "اختر تاريخًا صحيحًا" in plain(bad_day.text)
    with central.db.sessions() as s:
        assert not s.scalars(select(AppointmentClosure)).all()


def test_roles_and_changes_with_audit(central: Central) -> None:
    sara, omar = cookies(central, "sara.giza"), cookies(central, "omar.viewer")
    assert requests.get(central.url + PAGE, timeout=10).status_code == 401  # the login form
    page = requests.get(central.url + PAGE, cookies=sara, timeout=10)
    assert page.status_code == 200
    assert "GIZ-01" in page.text and "GIZ-02" in page.text and "CAI-01" not in page.text
    other = requests.get(central.url + PAGE, params={"centre": "CAI-01"}, cookies=sara, timeout=10)
    assert other.status_code == 404 and 'action="/reports/appointments/rule"' not in other.text
    assert post(central, PAGE + "/rule", rule_form(centre="CAI-01"), sara).status_code == 403

    # a valid rule: saved, audited, back to the page with a notice
    saved = post(central, PAGE + "/rule", rule_form(places="5", h5_0_from="08:00", h5_0_to="12:00",
                                                    h5_1_from="13:00", h5_1_to="14:00"), sara)
    assert saved.status_code == 303 and saved.headers["location"].startswith(PAGE + "?lang=ar&centre=GIZ-01&done=rule")
    row = rule_of(central)
    assert row.places == 5 and row.updated_by == "user:sara.giza"
    assert '"5": [["08:00", "12:00"], ["13:00", "14:00"]]' in row.hours
    shown = requests.get(central.url + saved.headers["location"], cookies=sara, timeout=10)
    assert "حُفظت قواعد المجموعة" in plain(shown.text) and 'value="13:00"' in shown.text

    # the centre's viewer reads it, without a form; a post is refused and audited
    read = requests.get(central.url + PAGE, cookies=omar, timeout=10)
    assert read.status_code == 200 and 'id="read-only"' in read.text and "<form method=\"post\" action=\"/reports/appointments" not in read.text
    assert "13:00–14:00" in plain(read.text)
    assert post(central, PAGE + "/rule", rule_form(places="9"), omar).status_code == 403
    assert post(central, PAGE + "/closure", {"lang": "en", "centre": "GIZ-01", "day": local_day(utcnow()).isoformat(),
                                            "reason_ar": "ص", "reason_en": "M"}, omar).status_code == 403
    assert rule_of(central).places == 5
    # a post from another site is refused before anything is read
    assert post(central, PAGE + "/rule", rule_form(places="7"), sara, origin="https://evil.example").status_code == 403
    assert rule_of(central).places == 5

    # closed days: added (also told when bookings exist: none here), listed, removed; a holiday only nationally
    day = local_day(utcnow()) + timedelta(days=4)
    form = {"lang": "en", "centre": "GIZ-01", "day": day.isoformat(), "reason_ar": "صيانة", "reason_en": "Maintenance"}
    added = post(central, PAGE + "/closure", form, sara)
    assert added.status_code == 303 and "done=closure" in added.headers["location"]
    listed = requests.get(central.url + added.headers["location"], cookies=sara, timeout=10)
    assert f'data-day="{day.isoformat()}"' in listed.text and "Maintenance" in listed.text
    assert post(central, PAGE + "/closure", {**form, "target": "national"}, sara).status_code == 403
    removed = post(central, PAGE + "/closure/delete", {"lang": "en", "centre": "GIZ-01", "target": "GIZ-01",
                                                       "day": day.isoformat()}, sara)
    assert removed.status_code == 303 and "done=removed" in removed.headers["location"]
    again = post(central, PAGE + "/closure/delete", {"lang": "en", "centre": "GIZ-01", "target": "GIZ-01",
                                                     "day": day.isoformat()}, sara)
    assert again.status_code == 404 and "may have been removed" in plain(again.text)
    with central.db.sessions() as s:
        actions = [(a.actor, a.action, a.target) for a in s.scalars(select(CentralAudit).order_by(CentralAudit.id))
                   if a.action.startswith("appointment.")]
    assert ("user:sara.giza", "appointment.rule_set", "GIZ-01/A") in actions
    assert ("user:omar.viewer", "appointment.refused", "GIZ-01/A") in actions
    assert ("user:sara.giza", "appointment.refused", "CAI-01/A") in actions
    assert ("user:sara.giza", "appointment.closure_set", f"GIZ-01/{day.isoformat()}") in actions
    assert ("user:sara.giza", "appointment.closure_delete", f"GIZ-01/{day.isoformat()}") in actions


def portal_day(central: Central, page: Any, day: date) -> tuple[int, bool]:
    """The booking page's free slots of ``day`` and whether the day is offered at all."""
    page.goto(f"{central.url}/appointments?service={SERVICE}&centre=GIZ-01&day={day.isoformat()}")
    slots = page.locator("input[name=slot]").count()
    page.goto(f"{central.url}/appointments?service={SERVICE}&centre=GIZ-01")
    offered = page.locator(f'#appt-days a[href*="day={day.isoformat()}"]').count() == 1
    return slots, offered


@ON_SQLITE
def test_edit_hours_and_close_a_day_in_chromium_arabic(central: Central) -> None:
    day = local_day(utcnow()) + timedelta(days=3)
    weekday = day.weekday()
    with browser_page(DESKTOP, "ar") as (page, made):
        assert portal_day(central, page, day) == (4, True)  # 09:00-11:00 in 30 minutes
        first = page.goto(central.url + PAGE)
        assert first is not None and first.status == 401
        page.fill("input[name=username]", "sara.giza")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_url(re.compile(rf"{PAGE}\?lang=ar$"))
        assert page.title() == "مواعيد الحجز: الفترات والأيام المغلقة"
        page.select_option("#centre-choice", "GIZ-01")
        page.click("form.choose button")
        page.wait_for_selector("#group-A")
        assert_public_page(page, made, central.url, lang="ar")

        # an end before the start: told next to the period, what was typed kept
        page.fill(f"#A-h{weekday}_0-from", "12:00")
        page.fill(f"#A-h{weekday}_0-to", "10:00")
        page.click("#save-A")
        page.wait_for_selector(f"#A-h{weekday}_0-error")
        assert "يجب أن تنتهي الفترة بعد بدايتها" in strip_isolates(page.inner_text(f"#A-h{weekday}_0-error"))
        assert page.get_attribute(f"#A-h{weekday}_0-from", "aria-invalid") == "true"
        assert page.input_value(f"#A-h{weekday}_0-from") == "12:00"
        assert_public_page(page, made, central.url, lang="ar")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "slots_page_error_ar_desktop.png"), full_page=True)

        # corrected: 09:00-12:00 that weekday, and a second period 13:00-14:00
        page.fill(f"#A-h{weekday}_0-from", "09:00")
        page.fill(f"#A-h{weekday}_0-to", "12:00")
        page.fill(f"#A-h{weekday}_1-from", "13:00")
        page.fill(f"#A-h{weekday}_1-to", "14:00")
        page.click("#save-A")
        page.wait_for_selector("#done")
        assert "حُفظت قواعد المجموعة" in page.inner_text("#done")
        assert page.input_value(f"#A-h{weekday}_1-to") == "14:00"
        assert page.input_value(f"#A-h{weekday}_2-from") == ""  # room for a third period
        assert page.locator(f"#A-h{(weekday + 1) % 7}_2-from").count() == 0  # a one-period day shows two
        assert_public_page(page, made, central.url, lang="ar")
        assert portal_day(central, page, day) == (8, True)
        assert portal_day(central, page, day + timedelta(days=1)) == (4, True)  # other weekdays as they were

        # the day closed: the portal offers it no more
        page.goto(f"{central.url}{PAGE}?centre=GIZ-01")
        page.fill("#closure-day", day.isoformat())
        page.fill("#closure-reason_ar", "صيانة المبنى")
        page.fill("#closure-reason_en", "Building maintenance")
        page.click("#add-closure")
        page.wait_for_selector("#done")
        assert page.locator(f'#closures tr[data-day="{day.isoformat()}"]').count() == 1
        assert_public_page(page, made, central.url, lang="ar")
        page.screenshot(path=str(SHOTS / "slots_page_ar_desktop.png"), full_page=True)
        assert portal_day(central, page, day) == (0, False)


@ON_SQLITE
def test_a_centre_viewer_reads_only_at_phone_and_desktop(central: Central) -> None:
    for size, lang in ((PHONE, "ar"), (DESKTOP, "en")):
        with browser_page(size, lang) as (page, made):
            page.goto(f"{central.url}{PAGE}?lang={lang}")
            page.fill("input[name=username]", "omar.viewer")
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.keyboard.press("Enter")
            page.wait_for_selector("#read-only")
            assert page.locator("main form").count() == 0  # nothing to change
            assert page.locator("#group-A table").count() == 1
            assert_public_page(page, made, central.url, lang=lang)
            if size is PHONE:
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / "slots_page_viewer_ar_phone.png"), full_page=True)


def test_the_api_refuses_what_the_page_refuses(central: Central) -> None:
    """The management API shares the page's rules (sync/server/appointments/manage.py): a period that
    is no whole number of slots, a closed day in the past."""
    uneven = requests.put(central.url + "/v1/appointments/admin/rules/GIZ-01/A", headers=TOKEN, timeout=10,
                          json={**RULE, "hours": {"0": [["09:00", "10:45"]]}})
    assert uneven.status_code == 422 and uneven.json()["error"] == "bad_rule", uneven.text
    yesterday = local_day(utcnow()) - timedelta(days=1)
    past = requests.put(central.url + f"/v1/appointments/admin/closures/GIZ-01/{yesterday.isoformat()}", headers=TOKEN,
                        json={"reason_ar": "صيانة", "reason_en": "Maintenance"}, timeout=10)
    assert past.status_code == 422 and past.json()["error"] == "bad_closure", past.text
    unknown = requests.put(central.url + "/v1/appointments/admin/rules/NOPE-1/A", json=RULE, headers=TOKEN, timeout=10)
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_centre"


def test_a_public_holiday_and_a_day_already_booked(central: Central) -> None:
    """A national administrator closes every centre (a public holiday, shown to a governorate's
    supervisor without a remove button); closing a day with bookings asks first."""
    add_person(central, "nadia.admin", "national_admin")
    nadia, sara = cookies(central, "nadia.admin"), cookies(central, "sara.giza")
    reports = requests.get(central.url + "/reports", cookies=sara, timeout=10)
    assert 'href="/reports/appointments?lang=ar"' in reports.text  # found from the reports
    page = requests.get(central.url + PAGE, cookies=nadia, timeout=10)
    assert all(code in page.text for code in ("GIZ-01", "GIZ-02", "CAI-01"))
    holiday = local_day(utcnow()) + timedelta(days=5)
    form = {"lang": "ar", "centre": "GIZ-01", "target": "national", "day": holiday.isoformat(),
            "reason_ar": "عيد", "reason_en": "Feast"}
    added = post(central, PAGE + "/closure", form, nadia)
    assert added.status_code == 303, added.text
    with central.db.sessions() as s:
        [row] = s.scalars(select(AppointmentClosure)).all()
        assert (row.centre_code, row.day) == ("", holiday)
    seen = requests.get(central.url + PAGE, params={"centre": "GIZ-02"}, cookies=sara, timeout=10)
    row_html = re.search(rf'<tr data-day="{holiday.isoformat()}">.*?</tr>', seen.text, re.S)
    assert row_html and "كل المراكز (عطلة رسمية)" in row_html.group(0) and "<button" not in row_html.group(0)

    # a booked day: the supervisor is asked to confirm, the day not closed yet
    day = local_day(utcnow()) + timedelta(days=3)
    slots = requests.get(central.url + "/v1/appointments/slots", timeout=10,
                         params={"centre": "GIZ-01", "service": SERVICE, "from": day.isoformat(), "days": "1"}).json()
    start = slots["days"][0]["slots"][0]["start"]
    booked = requests.post(central.url + "/v1/appointments/bookings", timeout=10, json={
        "centre": "GIZ-01", "service": SERVICE, "slot": start, "national_id": "29001012345675", "mobile": "01012345678"})
    assert booked.status_code == 201, booked.text
    asked = post(central, PAGE + "/closure", {"lang": "ar", "centre": "GIZ-01", "day": day.isoformat(),
                                              "reason_ar": "صيانة", "reason_en": "Maintenance"}, sara)
    assert asked.status_code == 200 and 'data-count="1"' in asked.text and 'id="confirm-closure"' in asked.text
    with central.db.sessions() as s:  # not closed before the confirmation (tests/sync/test_closure_bookings.py)
        assert s.get(AppointmentClosure, ("GIZ-01", day)) is None


def test_a_new_rule_and_a_closed_day_saved_at_once_are_saved_once(central: Central) -> None:
    """Six saves of a group's first rule and of the same new closed day at the same moment (two
    supervisors, a double submit): each answered with the page, one row each, every save audited."""
    sara = cookies(central, "sara.giza")
    day = local_day(utcnow()) + timedelta(days=6)
    closure = {"lang": "ar", "centre": "GIZ-01", "day": day.isoformat(), "reason_ar": "صيانة", "reason_en": "Maintenance"}
    for path, form in ((PAGE + "/rule", rule_form(group="B")), (PAGE + "/closure", closure)):
        start = threading.Barrier(6)
        answers: list[int] = []

        def save(form: dict[str, str] = form, path: str = path, start: threading.Barrier = start,
                 answers: list[int] = answers) -> None:
            start.wait()
            answers.append(post(central, path, form, sara).status_code)

        threads = [threading.Thread(target=save) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == [303] * 6, answers
    with central.db.sessions() as s:
        assert s.get(AppointmentRule, ("GIZ-01", "B")) is not None
        assert len(s.scalars(select(AppointmentClosure)).all()) == 1
        audited = [a.action for a in s.scalars(select(CentralAudit)) if a.target in ("GIZ-01/B", f"GIZ-01/{day}")]
    assert audited.count("appointment.rule_set") == 6 and audited.count("appointment.closure_set") == 6
