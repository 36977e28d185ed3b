"""The portal's receipt page (/r/<payload>, what a phone opens from the receipt's QR code): genuine
with the centre, tracking code, amount and date; a changed amount, a forged signature, an unknown
centre and nonsense are not; the JSON check answers the same (one function); rate-limited; in
Chromium on a phone and a desktop, Arabic and English, with axe-core. Real signing keys, a real
centre enrolled with its receipt key."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from counter_app.common.signing import generate_key, save_private_key, sign_receipt
from sync.server import ratelimit
from sync.server.portal.receipts import payload_from_path
from tests.helpers.browser import ON_SQLITE, SIZES, assert_public_page, browser_page
from tests.helpers.central import Central, enrol_site
from tests.helpers.factories import Centre

SHOTS = Path("/tmp/portal-shots")
TRACKING = "1057-7987-7013"
PAID = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)  # 11:30 in Cairo


def signed(site: Centre, portal: Central, tmp_path: Path) -> tuple[str, str]:
    """The centre's code and a genuine payload of 150.00 EGP."""
    key = generate_key()
    save_private_key(key, tmp_path / "receipt.pem")
    code = enrol_site(portal, site.db, receipt_key=tmp_path / "receipt.pem")
    return code, sign_receipt(key, code, TRACKING, 15000, PAID)


def url_of(portal: Central, payload: str) -> str:
    return f"{portal.url}/r/{quote(payload, safe='')}"


def test_the_url_forms_decode_to_the_payload() -> None:
    payload = "SHB1|GZ-01|1057-7987-7013|15000|2026-11-23T09:30:00Z|c2ln"
    b64 = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    assert payload_from_path(payload) == payload_from_path(b64) == payload
    assert payload_from_path("nonsense") == "nonsense"


def test_genuine_changed_forged_unknown_and_nonsense(site: Centre, portal: Central, tmp_path: Path) -> None:
    code, genuine = signed(site, portal, tmp_path)
    page = requests.get(url_of(portal, genuine), timeout=10)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "إيصال أصلي" in page.text and TRACKING in page.text and "150.00" in page.text
    assert "2026-11-23 11:30" in page.text  # the date and time in Cairo
    b64 = base64.urlsafe_b64encode(genuine.encode()).decode().rstrip("=")
    assert "إيصال أصلي" in requests.get(f"{portal.url}/r/{b64}", timeout=10).text  # the base64url form
    raw = requests.get(f"{portal.url}/r/{genuine}?lang=en", timeout=10)  # "|" as a camera may send it
    assert "Genuine receipt" in raw.text and "EGP" in raw.text
    json_answer = requests.post(portal.url + "/v1/receipts/verify", json={"payload": genuine}, timeout=10).json()
    assert json_answer == {"valid": True, "centre": code, "tracking_code": TRACKING, "total_piastres": 15000,
                           "paid_at": "2026-11-23T09:30:00+00:00"}

    changed = requests.get(url_of(portal, genuine.replace("|15000|", "|1500|")), timeout=10)
    assert "هذا الإيصال غير أصلي" in changed.text and "غُيِّر المبلغ" in changed.text
    assert "إيصال أصلي" not in changed.text.replace("غير أصلي", "") and "15.00" not in changed.text
    forged = requests.get(url_of(portal, sign_receipt(generate_key(), code, TRACKING, 15000, PAID)), timeout=10)
    assert "هذا الإيصال غير أصلي" in forged.text
    unknown = requests.get(url_of(portal, sign_receipt(generate_key(), "XXX-99", TRACKING, 1, PAID)), timeout=10)
    assert unknown.status_code == 404 and "مركزًا لا نعرفه" in unknown.text
    for nonsense in ("nonsense", "SHB1|", "x" * 5000):
        answer = requests.get(url_of(portal, nonsense), timeout=10)
        assert answer.status_code == 404 and "ليس إيصالًا" in answer.text
    assert not [p for p in requests.get(f"{portal.url}/openapi.json", timeout=10).json()["paths"] if p.startswith("/r/")]


def test_the_page_is_rate_limited(portal: Central) -> None:
    limit = ratelimit.policy("")["receipts"].amount
    answers = [requests.get(f"{portal.url}/r/nonsense", timeout=10) for _ in range(limit)]
    assert {a.status_code for a in answers} == {404}
    refused = requests.get(f"{portal.url}/r/nonsense?lang=en", timeout=10)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "Too many requests" in refused.text and "try again in a minute" in refused.text


@ON_SQLITE
@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_receipt_in_chromium(site: Centre, portal: Central, tmp_path: Path, size: str, lang: str) -> None:
    _, genuine = signed(site, portal, tmp_path)
    SHOTS.mkdir(exist_ok=True)
    with browser_page(SIZES[size], lang) as (page, requests_made):
        page.goto(url_of(portal, genuine) + f"?lang={lang}")
        body = page.inner_text("main")
        assert ("إيصال أصلي" if lang == "ar" else "Genuine receipt") in body and TRACKING in body
        page.screenshot(path=str(SHOTS / f"receipt-{lang}-{size}.png"), full_page=True)
        assert_public_page(page, requests_made, portal.url, lang=lang)
        page.goto(url_of(portal, genuine.replace("|15000|", "|1500|")) + f"?lang={lang}")
        assert ("غير أصلي" if lang == "ar" else "not genuine") in page.inner_text("main")
        page.screenshot(path=str(SHOTS / f"receipt-bad-{lang}-{size}.png"), full_page=True)
        assert_public_page(page, requests_made, portal.url, lang=lang)
        page.click("header a.lang")  # the switch keeps the payload
        assert page.locator("html").get_attribute("lang") == ("en" if lang == "ar" else "ar")
