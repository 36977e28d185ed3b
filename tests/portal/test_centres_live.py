"""The centres' pages: the list by governorate (address, hours, services) and a centre's live
waiting per service group as its real agent reports it; a centre silent for 15 minutes says "no
live data since HH:MM" (Cairo time). Chromium at a phone's and a desktop's size, Arabic and English."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from counter_app.common.clock import to_local
from counter_app.core import centre_public, queue
from counter_app.core.centre import centre_code
from counter_app.core.clock import local_day, utcnow
from sync.server.models import EnrolledCentre
from tests.helpers.bidi import plain
from tests.helpers.browser import ON_SQLITE, SIZES, assert_public_page, browser_page
from tests.helpers.factories import Centre
from tests.portal.live import Live, running_live

SHOTS = Path("/tmp/portal-shots")


@pytest.fixture
def live(site: Centre, portal_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    with site.db.begin() as s:  # the centre's public details, sent with its enrolment
        centre_public.set_details(s, address_ar="١٢ شارع الهرم، الجيزة", address_en="12 Haram Street, Giza",
                                  opening_hours="sun-thu 08:00-15:00")
    with running_live(site, portal_url, monkeypatch) as centre:
        with site.db.read() as s:
            code = centre_code(s)
        with centre.central.db.sessions.begin() as s:
            s.get_one(EnrolledCentre, code).governorate = "21"  # given at enrolment (shubbak centre enrol)
        yield centre


def code_of(live: Live) -> str:
    with live.site.db.read() as s:
        return centre_code(s)


def test_a_centre_shows_its_live_waiting_per_group(live: Live) -> None:
    for group in "AAAB":
        live.issue(group)
    live.call_next(0)
    live.wait_equal()
    code = code_of(live)
    with live.site.db.read() as s:
        core_counts = queue.waiting_counts(s, local_day(utcnow()))
    listing = plain(requests.get(f"{live.central.url}/centres", timeout=10).text)
    assert "الجيزة" in listing and f'href="/centres/{code}"' in listing and "١٢ شارع الهرم، الجيزة" in listing
    assert "الأحد – الخميس 08:00–15:00" in listing and "13 خدمة" in listing
    english = plain(requests.get(f"{live.central.url}/centres", params={"lang": "en"}, timeout=10).text)
    assert "Sunday – Thursday 08:00–15:00" in english
    page = requests.get(f"{live.central.url}/centres/{code}", timeout=10)
    assert page.status_code == 200
    text = plain(page.text)
    assert f'<tr data-group="A"><th scope="row">القوى العاملة</th><td class="num">{core_counts["A"]}</td>' in text
    assert "شهادة القيد" in text and "آخر تحديث" in text
    assert "الأحد – الخميس 08:00–15:00" in text
    # the catalogue of this centre has only group A's service, but B has people waiting: shown too
    assert f'<tr data-group="B"><th scope="row">المباني والتخطيط العمراني</th><td class="num">{core_counts["B"]}' in text
    assert requests.get(f"{live.central.url}/centres/NOPE", timeout=10).status_code == 404


def test_a_silent_centre_says_since_when(live: Live) -> None:
    live.issue("A")
    live.wait_equal()
    live.agent.stop()  # the centre goes offline
    code = code_of(live)
    silent_since = utcnow() - timedelta(minutes=16)
    with live.central.db.sessions.begin() as s:
        s.get_one(EnrolledCentre, code).last_seen = silent_since
    text = plain(requests.get(f"{live.central.url}/centres/{code}?lang=en", timeout=10).text)
    assert f"No live data since {to_local(silent_since):%H:%M}" in text and 'id="centre-live"' not in text
    text = plain(requests.get(f"{live.central.url}/centres/{code}", timeout=10).text)
    assert f"لا بيانات حية منذ {to_local(silent_since):%H:%M}" in text


@ON_SQLITE
@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_centre_pages_in_chromium(live: Live, size: str, lang: str) -> None:
    live.issue("A")
    live.issue("A", priority=True)
    live.wait_equal()
    code = code_of(live)
    SHOTS.mkdir(exist_ok=True)
    with browser_page(SIZES[size], lang) as (page, made):
        page.goto(f"{live.central.url}/centres?lang={lang}")
        assert ("الجيزة" if lang == "ar" else "Giza") in plain(page.inner_text("main"))
        page.screenshot(path=str(SHOTS / f"centres-{lang}-{size}.png"), full_page=True)
        assert_public_page(page, made, live.central.url, lang=lang)
        page.goto(f"{live.central.url}/centres/{code}?lang={lang}")
        assert plain(page.inner_text('tr[data-group="A"] td.num')) == "2"
        assert ("الانتظار الآن" if lang == "ar" else "The wait now") in plain(page.inner_text("main"))
        page.screenshot(path=str(SHOTS / f"centre-{lang}-{size}.png"), full_page=True)
        assert_public_page(page, made, live.central.url, lang=lang)
