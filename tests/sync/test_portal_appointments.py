"""The citizens' booking pages of the portal (sync/server/portal/appointments_pages.py): the whole
flow in headless Chromium at phone size in Arabic (service, centre, day, slot, a wrong mobile told
next to its field with the values kept, the code and the QR of the manage link, move, cancel with
its confirmation) and at desktop size in English (a slot taken meanwhile); over HTTP on both
databases: a refusal of the citizen's limits in the page's language, a cross-site post refused, an
unknown manage link."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from counter_app.common.clock import as_utc, local_day, utcnow
from counter_app.common.i18n import strip_isolates
from sync.server.models import Booking, EnrolledCentre
from tests.helpers.appointments import add_no_shows, nid
from tests.helpers.browser import DESKTOP, ON_SQLITE, PHONE, assert_public_page, browser_page
from tests.helpers.central import ADMIN_TOKEN, Central, running_central

TOKEN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
EVERY_DAY = {str(d): [["09:00", "11:00"]] for d in range(7)}
RULE: dict[str, Any] = {"hours": EVERY_DAY, "slot_minutes": 30, "places": 2, "horizon_days": 14, "cutoff_days_before": 1,
        "cutoff_time": "18:00"}
SERVICE = "MP-REG-CERT"  # group A
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture
def central(central_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Central]:
    """The real server with one centre taking appointments for group A (every booker is 127.0.0.1:
    the booking pages' limits raised)."""
    monkeypatch.setenv("SHUBBAK_RATE_LIMITS", "booking=2000/minute,slots=2000/minute")
    with running_central(central_url) as server:
        with server.db.sessions.begin() as s:
            s.add(EnrolledCentre(code="GIZ-01", name="GIZ-01", governorate="21", sync_public_key="-",
                                 enrolled_at=utcnow(), clock_flagged=False, name_ar="مركز الدقي",
                                 name_en="Dokki centre", address_ar="١٢ شارع التحرير، الدقي",
                                 address_en="12 Tahrir Street, Dokki"))
        answer = requests.put(server.url + "/v1/appointments/admin/rules/GIZ-01/A", json=RULE, headers=TOKEN,
                              timeout=10)
        assert answer.status_code == 200, answer.text
        yield server


def bookings_of(central: Central) -> list[Booking]:
    with central.db.sessions() as s:
        return list(s.scalars(select(Booking).order_by(Booking.id)))


def form_url(central: Central, days_ahead: int = 3, lang: str = "ar") -> str:
    day = (local_day(utcnow()) + timedelta(days=days_ahead)).isoformat()
    return f"{central.url}/appointments?service={SERVICE}&centre=GIZ-01&day={day}&lang={lang}"


def qr_text(page: Any) -> str:
    """The QR code of the page as a phone's camera would read it (zbar on its screenshot)."""
    from PIL import Image
    from pyzbar.pyzbar import decode

    [found] = decode(Image.open(io.BytesIO(page.locator("#appt-qr").screenshot())))
    return str(found.data.decode("utf-8"))


def page_text(page: Any, selector: str) -> str:
    return strip_isolates(page.locator(selector).inner_text())


@ON_SQLITE
def test_book_move_cancel_at_phone_size_in_arabic(central: Central) -> None:
    with browser_page(PHONE, "ar") as (page, made):
        page.goto(central.url + "/appointments")
        assert_public_page(page, made, central.url, lang="ar")
        page.locator("#appt-services a").first.click()
        page.locator("#appt-centres a", has_text="مركز الدقي").click()
        assert_public_page(page, made, central.url, lang="ar")
        page.locator("#appt-days a").first.click()
        first_free = page.locator("input[name=slot]:not([disabled])").first
        chosen = first_free.get_attribute("value")
        first_free.check()
        page.fill("#national_id", nid(1))
        page.fill("#mobile", "0123")  # not a mobile number
        page.click("#appt-book")
        assert page.locator("#mobile").get_attribute("aria-invalid") == "true"
        assert "محمول" in page_text(page, "#mobile-error")
        assert page.input_value("#national_id") == nid(1) and page.input_value("#mobile") == "0123"
        assert page.locator(f"input[name=slot][value='{chosen}']").is_checked()
        assert_public_page(page, made, central.url, lang="ar")
        assert not bookings_of(central)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "portal_appointment_form_ar_phone.png"), full_page=True)

        page.fill("#mobile", "01012345678")
        page.click("#appt-book")
        page.wait_for_selector("#appt-code")
        [row] = bookings_of(central)
        assert page_text(page, "#appt-code") == row.code and row.mobile == "+201012345678"
        assert as_utc(row.slot_start).isoformat() == chosen
        assert "١٢ شارع التحرير" in page.inner_text("#appt-facts")
        assert page.locator("#appt-qr").get_attribute("src", timeout=1000).startswith("data:image/svg+xml;base64,")
        link = page.locator("#appt-link").get_attribute("href")
        assert link is not None and link.startswith(f"/appointments/m/{row.code}/")
        assert qr_text(page) == central.url + link  # the QR code, read off the screen, is the manage link
        assert_public_page(page, made, central.url, lang="ar")
        page.screenshot(path=str(SHOTS / "portal_appointment_ar_phone.png"), full_page=True)

        # the manage link as the citizen opens it later: move to another day
        page.goto(central.url + link)
        page.click("#appt-move")
        assert_public_page(page, made, central.url, lang="ar")
        page.locator("#appt-days a").nth(1).click()
        target = page.locator("input[name=slot]:not([disabled])").last
        new_start = target.get_attribute("value")
        target.check()
        page.screenshot(path=str(SHOTS / "portal_appointment_move_ar_phone.png"), full_page=True)
        page.click("#appt-move-button")
        page.wait_for_selector("#appt-done")
        assert "تم تغيير موعدك" in page.inner_text("#appt-done")
        [row] = bookings_of(central)
        assert as_utc(row.slot_start).isoformat() == new_start != chosen

        # cancel, after its confirmation step (the first click changes nothing)
        page.click("#appt-cancel")
        assert_public_page(page, made, central.url, lang="ar")
        assert bookings_of(central)[0].state == "booked"
        page.click("#appt-cancel-yes")
        page.wait_for_selector("#appt-done")
        assert page_text(page, "#appt-state") == "ملغى"
        assert bookings_of(central)[0].state == "cancelled"
        assert page.locator("#appt-cancel").count() == 0
        assert_public_page(page, made, central.url, lang="ar")


@ON_SQLITE
def test_a_slot_taken_meanwhile_at_desktop_size_in_english(central: Central) -> None:
    with browser_page(DESKTOP, "en") as (page, made):
        page.goto(form_url(central, lang="en"))
        assert_public_page(page, made, central.url, lang="en")
        slot = page.locator("input[name=slot]:not([disabled])").first
        start = slot.get_attribute("value")
        slot.check()
        page.fill("#national_id", nid(2))
        page.fill("#mobile", "01112345678")
        for n in (3, 4):  # two others take the slot's two places meanwhile
            answer = requests.post(central.url + "/v1/appointments/bookings", timeout=10, json={
                "centre": "GIZ-01", "service": SERVICE, "slot": start, "national_id": nid(n),
                "mobile": f"0101000000{n}"})
            assert answer.status_code == 201, answer.text
        page.click("#appt-book")
        assert "fully booked" in page_text(page, "#appt-error")
        assert page.input_value("#national_id") == nid(2)
        assert page.locator(f"input[name=slot][value='{start}']").is_disabled()
        assert_public_page(page, made, central.url, lang="en")
        page.click("a.lang")  # the other language after a refusal: the same day's form, in Arabic
        assert page.locator("html").get_attribute("lang") == "ar"
        assert page.locator(f"input[name=slot][value='{start}']").is_disabled()
        page.click("a.lang")
        page.fill("#national_id", nid(2))
        page.fill("#mobile", "01112345678")
        page.locator("input[name=slot]:not([disabled])").first.check()
        page.dblclick("#appt-book")  # pressed twice: one booking, and its page
        page.wait_for_selector("#appt-code")
        assert page.locator("h1").inner_text() == "Your booking is confirmed"
        assert "12 Tahrir Street" in page.inner_text("#appt-facts")
        assert_public_page(page, made, central.url, lang="en")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "portal_appointment_en_desktop.png"))
    assert len(bookings_of(central)) == 3


def post_form(central: Central, path: str, fields: dict[str, str], **headers: str) -> requests.Response:
    return requests.post(central.url + path, data=fields, headers=headers, timeout=10, allow_redirects=False)


def test_refusals_in_the_pages_language(central: Central) -> None:
    """Over HTTP on both databases: the limit of one booking per ID, service and day told in Arabic
    and in English on the form; the slot list's missing choice; a bad national ID next to its field."""
    html = requests.get(form_url(central), timeout=10).text
    starts = re.findall(r'name="slot" value="([^"]+)"', html)
    fields = {"service": SERVICE, "centre": "GIZ-01", "day": starts[0][:10], "national_id": nid(5),
              "mobile": "01012345678"}
    first = post_form(central, "/appointments/book?lang=ar", {**fields, "slot": starts[0]})
    assert first.status_code == 303 and first.headers["location"].startswith("/appointments/m/")
    assert first.headers["Referrer-Policy"] == "no-referrer"
    for lang, words in (("ar", "حجز"), ("en", "already")):
        again = post_form(central, f"/appointments/book?lang={lang}", {**fields, "slot": starts[1]})
        assert again.status_code == 409
        error = re.search(r'id="appt-error">([^<]+)<', again.text)
        assert error and words in error.group(1), again.text
    none = post_form(central, "/appointments/book?lang=en", fields)
    assert none.status_code == 422 and "Choose one of the free times" in none.text
    bad = post_form(central, "/appointments/book?lang=en", {**fields, "slot": starts[2], "national_id": "123"})
    assert bad.status_code == 422 and 'id="national_id-error"' in bad.text and 'value="123"' in bad.text
    # three no-shows in 90 days: refused, with the day the block ends, in Arabic
    add_no_shows(central.db, nid(8), SERVICE)
    today = local_day(utcnow())
    blocked = post_form(central, "/appointments/book?lang=ar", {**fields, "slot": starts[2], "national_id": nid(8)})
    assert blocked.status_code == 403
    error = re.search(r'id="appt-error">([^<]+)<', blocked.text)
    assert error and (today + timedelta(days=25)).isoformat() in strip_isolates(error.group(1))
    assert f'value="{nid(8)}"' in blocked.text
    assert len(bookings_of(central)) == 4


def test_cross_site_posts_and_unknown_links_are_refused(central: Central) -> None:
    html = requests.get(form_url(central), timeout=10).text
    start = re.findall(r'name="slot" value="([^"]+)"', html)[0]
    fields = {"service": SERVICE, "centre": "GIZ-01", "day": start[:10], "slot": start, "national_id": nid(6),
              "mobile": "01012345678"}
    refused = post_form(central, "/appointments/book", fields, **{"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403 and not bookings_of(central)
    made = post_form(central, "/appointments/book", fields)
    manage = made.headers["location"].split("?")[0]
    cross = post_form(central, manage + "/cancel", {"confirm": "1"}, Origin="https://evil.example")
    assert cross.status_code == 403 and bookings_of(central)[0].state == "booked"
    wrong = requests.get(central.url + manage[: manage.rfind("/")] + "/not-the-secret?lang=en", timeout=10)
    assert wrong.status_code == 404 and "Booking not found" in wrong.text
    page = requests.get(central.url + manage, timeout=10)
    assert page.status_code == 200 and nid(6) not in page.text  # nothing personal on the page


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_past_the_limit_a_page_in_the_citizens_language(central_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``booking`` rule counts the manage pages and the posts; past it, the portal's page (429)."""
    monkeypatch.setenv("SHUBBAK_RATE_LIMITS", "booking=2/minute")
    with running_central(central_url) as server:
        answers = [requests.get(server.url + "/appointments/m/ABCDEFGH/nothing?lang=en", timeout=10)
                   for _ in range(3)]
        assert [a.status_code for a in answers] == [404, 404, 429]
        assert answers[2].headers["content-type"].startswith("text/html") and "Retry-After" in answers[2].headers
        assert '<html lang="en"' in answers[2].text
        refused = requests.post(server.url + "/appointments/book?lang=ar", data={"slot": "x"}, timeout=10)
        assert refused.status_code == 429 and '<html lang="ar"' in refused.text


def test_the_form_sent_twice_at_once_books_once_and_shows_that_booking(central: Central) -> None:
    """A double press (two posts of one form racing) and the post sent again later: one booking,
    and every answer leads to its page."""
    html = requests.get(form_url(central), timeout=10).text
    start = re.findall(r'name="slot" value="([^"]+)"', html)[0]
    once = re.search(r'name="once" value="([^"]+)"', html)
    assert once is not None
    fields = {"service": SERVICE, "centre": "GIZ-01", "day": start[:10], "slot": start, "national_id": nid(9),
              "mobile": "01012345678", "once": once.group(1)}
    barrier = threading.Barrier(2)
    answers: list[requests.Response] = []

    def press() -> None:
        barrier.wait()
        answers.append(post_form(central, "/appointments/book", fields))

    presses = [threading.Thread(target=press) for _ in range(2)]
    for t in presses:
        t.start()
    for t in presses:
        t.join(timeout=30)
    again = post_form(central, "/appointments/book", fields)
    assert [a.status_code for a in [*answers, again]] == [303, 303, 303], [a.text[:300] for a in answers]
    assert len({a.headers["location"] for a in [*answers, again]}) == 1
    [row] = bookings_of(central)
    assert answers[0].headers["location"].startswith(f"/appointments/m/{row.code}/")
    other = post_form(central, "/appointments/book", {**fields, "once": "another-form"})
    assert other.status_code == 409  # another form of the same citizen: the limit, as before
