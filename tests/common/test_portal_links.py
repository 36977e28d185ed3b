"""Issue 18 (PRINT): the portal's address and the links printed in QR codes, without Qt.

The receipt link is ``{base_url}/r/{percent-encoded signed payload}``: the payload comes back from
either form (``payload_from_scan``) and verifies; a changed amount in the link does not."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counter_app.common.portal import (
    InvalidOpeningHours,
    InvalidPortalUrl,
    normalise_base_url,
    normalise_opening_hours,
    opening_hours_text,
    ticket_url,
)
from counter_app.common.signing import (
    InvalidReceiptPayload,
    payload_from_scan,
    receipt_url,
    sign_receipt,
    verify_receipt,
)
from counter_app.services.config import AppConfig, load_config

PAID = datetime(2025, 3, 4, 8, 15, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.mark.parametrize(("given", "kept"), [
    ("https://portal.example", "https://portal.example"),
    ("  https://portal.example/  ", "https://portal.example"),
    ("HTTPS://Portal.example/citizens/", "https://Portal.example/citizens"),
    ("http://10.0.0.5:8080", "http://10.0.0.5:8080"),
    ("", ""),
    (None, ""),
])
def test_a_portal_address_is_kept_without_its_trailing_slash(given: str | None, kept: str) -> None:
    assert normalise_base_url(given) == kept


@pytest.mark.parametrize("bad", [
    "portal.example", "ftp://portal.example", "https://", "https://portal.example/?x=1", "https://portal.example?",
    "https://portal.example/#top", "https://user:pw@portal.example", "https://portal example", "https://بوابة.مصر",
    "https://portal.example:99999", "https://" + "a" * 200 + ".example", "javascript:alert(1)",
])
def test_a_portal_address_that_is_not_a_plain_http_url_is_refused(bad: str) -> None:
    with pytest.raises(InvalidPortalUrl):
        normalise_base_url(bad)


def test_a_ticket_link_carries_the_public_token_or_nothing() -> None:
    assert ticket_url("https://portal.example/", "Xq3vJ8kLm2Np5Rt7Wy9zAb") == "https://portal.example/t/Xq3vJ8kLm2Np5Rt7Wy9zAb"
    assert ticket_url("", "Xq3vJ8kLm2Np5Rt7Wy9zAb") == ""
    assert ticket_url("https://portal.example", "") == "", "a ticket of before the token: no QR"


@pytest.mark.parametrize("tracking", ["6843-1812-1322", "R:6843-1812-1322"])  # a receipt, a refund slip
@pytest.mark.parametrize("base", ["https://portal.example", "https://portal.example/", "http://10.0.0.5:8080/eg"])
def test_the_receipt_link_round_trips_to_the_signed_payload(key: Ed25519PrivateKey, tracking: str,
                                                            base: str) -> None:
    payload = sign_receipt(key, "GZ01", tracking, 4000, PAID)
    url = receipt_url(base, payload)
    assert url.startswith(base.rstrip("/") + "/r/SHB1%7CGZ01%7C")
    assert "|" not in url and " " not in url and url.isascii()
    assert len(url) - len(base) < len(payload) + 30, "percent-encoding adds a few characters only"
    for scanned in (url, f" {url}\n", url + "?utm=camera", url + "#x", payload, quote(payload, safe="")):
        assert payload_from_scan(scanned) == payload
    claim = verify_receipt(payload_from_scan(url), key.public_key())
    assert (claim.centre_code, claim.tracking_code, claim.total_piastres, claim.paid_at) == ("GZ01", tracking, 4000,
                                                                                              PAID)


def test_a_changed_amount_in_the_link_is_not_genuine(key: Ed25519PrivateKey) -> None:
    url = receipt_url("https://portal.example", sign_receipt(key, "GZ01", "6843-1812-1322", 4000, PAID))
    changed = url.replace("%7C4000%7C", "%7C400%7C")
    assert changed != url
    with pytest.raises(InvalidReceiptPayload):
        verify_receipt(payload_from_scan(changed), key.public_key())
    with pytest.raises(InvalidReceiptPayload):
        verify_receipt(payload_from_scan("https://portal.example/services"), key.public_key())
    with pytest.raises(ValueError):
        receipt_url("", "SHB1|x")


def test_opening_hours_are_kept_in_one_form_and_said_in_each_language() -> None:
    kept = normalise_opening_hours(" Sun-Thu 8:00-15:00 ;sat 09:00 - 13:00 ")
    assert kept == "sun-thu 08:00-15:00; sat 09:00-13:00"
    # each span of times isolated left to right: in an Arabic line "08:00–15:00" would read "15:00–08:00"
    assert opening_hours_text(kept, "ar") == "الأحد – الخميس \u206608:00–15:00\u2069 · السبت \u206609:00–13:00\u2069"
    assert opening_hours_text(kept, "en") == "Sunday – Thursday \u206608:00–15:00\u2069 · Saturday \u206609:00–13:00\u2069"
    assert normalise_opening_hours("") == ""
    assert opening_hours_text("by appointment", "en") == "by appointment", "hand-written: shown as it is"
    for bad in ("sun-thu", "sunday 08:00-15:00", "sun 15:00-08:00", "sun 25:00-26:00", "sun 08:00-15:00 extra"):
        with pytest.raises(InvalidOpeningHours):
            normalise_opening_hours(bad)


def test_the_ini_portal_section(tmp_path: Path) -> None:
    ini = tmp_path / "counter.ini"
    ini.write_text("[app]\nlang = ar\n\n[portal]\nbase_url = https://portal.example/eg/\n", encoding="utf-8")
    config = load_config(ini)
    assert config.portal_base_url == "https://portal.example/eg"
    config.save()
    assert load_config(ini).portal_base_url == "https://portal.example/eg"
    assert load_config(None).portal_base_url == "" and AppConfig().portal_base_url == ""
    ini.write_text("[app]\nlang = ar\n", encoding="utf-8")
    assert load_config(ini).portal_base_url == "", "no [portal] section: codes as before"


@pytest.mark.allow_log(r"\[portal\] base_url ignored", logger="counter_app.services.config", level=logging.ERROR)
def test_a_wrong_ini_portal_is_refused_loudly_and_not_used(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ini = tmp_path / "counter.ini"
    ini.write_text("[portal]\nbase_url = https://portal.example/?centre=GZ01\n", encoding="utf-8")
    assert load_config(ini).portal_base_url == ""
    assert any("query" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
