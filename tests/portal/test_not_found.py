"""A path that is no portal page answers 404 with a page in the reader's language (Arabic by
default) and a link home; the API's paths keep their JSON refusals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.helpers.browser import SIZES, assert_public_page, browser_page
from tests.helpers.central import Central, running_central

SHOTS = Path("/tmp/portal-shots")
NOT_PAGES = ["/t/", "/nope", "/services/NOPE", "/centres/NOPE/more", "/r/", "/static/", "/status/x"]


def test_unknown_paths_answer_a_page_and_the_api_its_json(portal: Central) -> None:
    for path in NOT_PAGES:
        arabic = requests.get(portal.url + path, timeout=10)
        assert arabic.status_code == 404, path
        assert arabic.headers["content-type"].startswith("text/html"), path
        assert '<html lang="ar" dir="rtl">' in arabic.text, path
        assert "Content-Security-Policy" in arabic.headers
    page = requests.get(f"{portal.url}/nope", timeout=10).text
    assert "الصفحة غير موجودة" in page and 'href="/?lang=ar"' in page and "detail" not in page
    english = requests.get(f"{portal.url}/nope/deeper?lang=en", timeout=10)
    assert english.status_code == 404 and '<html lang="en" dir="ltr">' in english.text
    assert "Page not found" in english.text and 'href="/?lang=en"' in english.text
    remembered = requests.get(f"{portal.url}/nope", cookies={"lang": "en"}, timeout=10)
    assert "Page not found" in remembered.text
    assert requests.head(f"{portal.url}/nope", timeout=10).status_code == 404

    for path in ("/v1/nope", "/v1/", "/v1/status/ZZ-0000-0000/more"):
        api = requests.get(portal.url + path, timeout=10)
        assert api.status_code == 404 and api.headers["content-type"] == "application/json", path
        assert api.json() == {"error": "not_found", "message": "Not Found"}, path
    unknown = requests.get(f"{portal.url}/v1/status/AAAA-BBBB-CCCC", timeout=10)  # a route's own 404 or 422
    assert unknown.headers["content-type"] == "application/json" and "error" in unknown.json()
    asset = requests.get(f"{portal.url}/docs/assets/nope.js", timeout=10)  # a route's own ApiError
    assert asset.status_code == 404 and asset.json()["error"] == "not_found"
    posted = requests.post(f"{portal.url}/nope", data=b"x", timeout=10)  # no page is ever posted to
    assert posted.status_code == 404 and posted.json()["error"] == "not_found"
    assert requests.post(f"{portal.url}/", timeout=10).json()["error"] == "method_not_allowed"


@pytest.fixture(scope="module")
def sqlite_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Central]:
    """The browser pages test what the browser shows; the queries behind them are the same on
    both databases, so one (SQLite) is enough here."""
    with running_central(f"sqlite:///{tmp_path_factory.mktemp('notfound') / 'central.sqlite3'}") as server:
        yield server


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_not_found_in_chromium(sqlite_portal: Central, size: str, lang: str) -> None:
    with browser_page(SIZES[size], lang) as (page, requests_made):
        answer = page.goto(f"{sqlite_portal.url}/t/?lang={lang}")
        assert answer is not None and answer.status == 404
        heading = page.inner_text("h1")
        assert heading == ("الصفحة غير موجودة" if lang == "ar" else "Page not found")
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"notfound-{lang}-{size}.png"), full_page=True)
        assert_public_page(page, requests_made, sqlite_portal.url, lang=lang)
        home = "العودة إلى الصفحة الرئيسية" if lang == "ar" else "Back to the home page"
        page.get_by_role("link", name=home).click()
        page.wait_for_url(f"{sqlite_portal.url}/?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        assert ("الخدمات" if lang == "ar" else "Services") in page.inner_text("body")
