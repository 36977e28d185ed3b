"""The portal's home page: Arabic right to left by default, English by the switch; a phone and a
desktop; no request leaves the server; axe-core finds nothing serious."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.helpers.browser import ON_SQLITE, SIZES, assert_public_page, browser_page
from tests.helpers.central import Central

SHOTS = Path("/tmp/portal-shots")


def test_home_headers_and_languages(portal: Central) -> None:
    arabic = requests.get(f"{portal.url}/", timeout=10)
    assert arabic.status_code == 200
    assert '<html lang="ar" dir="rtl">' in arabic.text and "خدمات حكومية من شباك واحد" in arabic.text
    csp = arabic.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert arabic.headers["X-Content-Type-Options"] == "nosniff"
    english = requests.get(f"{portal.url}/?lang=en", timeout=10)
    assert '<html lang="en" dir="ltr">' in english.text and "Government services at one counter" in english.text
    assert english.cookies.get("lang") == "en"
    again = requests.get(f"{portal.url}/", cookies={"lang": "en"}, timeout=10)  # the switch is remembered
    assert '<html lang="en" dir="ltr">' in again.text
    css = requests.get(f"{portal.url}/static/portal.css?v=1", timeout=10)
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert requests.get(f"{portal.url}/static/..%2Fapp.py", timeout=10).status_code == 404
    assert "/" not in [p for p in requests.get(f"{portal.url}/openapi.json", timeout=10).json()["paths"]]


@ON_SQLITE
@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_home_in_chromium(portal: Central, size: str, lang: str) -> None:
    with browser_page(SIZES[size], lang) as (page, requests_made):
        page.goto(f"{portal.url}/?lang={lang}")
        text = page.inner_text("body")
        assert ("الخدمات" if lang == "ar" else "Services") in text
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"home-{lang}-{size}.png"), full_page=True)
        assert_public_page(page, requests_made, portal.url, lang=lang)
