"""HSTS over TLS, security headers on the pages, and /docs with nothing loaded from elsewhere
(issue 17, item 7), against the real server on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.helpers.central import ADMIN_TOKEN, PASSWORD, Central, add_person, running_central
from tests.sync.test_catalogue_tls import certificates  # noqa: F401 - a fixture
from tests.sync.test_central_reports import CHROMIUM, CHROMIUM_ARGS

PAGES_AND_REFUSALS = ("/v1/health", "/v1/nowhere", "/reports", "/v1/quarantine", "/docs", "/openapi.json")


@pytest.fixture
def tls_central(central_url: str, certificates: dict[str, str]) -> Iterator[Central]:  # noqa: F811
    with running_central(central_url, certfile=certificates["cert"], keyfile=certificates["key"]) as server:
        yield server


def test_every_answer_over_tls_carries_hsts(tls_central: Central, certificates: dict[str, str]) -> None:  # noqa: F811
    for path in PAGES_AND_REFUSALS:
        r = requests.get(tls_central.url + path, verify=certificates["ca"], timeout=10)
        hsts = r.headers.get("Strict-Transport-Security", "")
        assert re.fullmatch(r"max-age=(\d+); includeSubDomains", hsts), (path, r.status_code, hsts)
        assert int(hsts.split("=")[1].split(";")[0]) >= 365 * 24 * 3600
    add_person(tls_central, "nour.admin")
    login = requests.post(tls_central.url + "/reports/login", data={"username": "nour.admin", "password": PASSWORD},
                          verify=certificates["ca"], allow_redirects=False, timeout=10)
    assert login.status_code == 303 and "Strict-Transport-Security" in login.headers


def test_no_hsts_over_plain_http(central: Central) -> None:
    for path in PAGES_AND_REFUSALS:
        r = requests.get(central.url + path, timeout=10)
        assert "Strict-Transport-Security" not in r.headers, path
        assert r.headers["X-Content-Type-Options"] == "nosniff", path


@pytest.mark.expect_log("reports login refused", logger="sync.server.reports")
def test_html_pages_cannot_be_framed_sniffed_or_leak_their_address(central: Central) -> None:
    pages = [requests.get(central.url + "/reports", timeout=10),
             requests.get(central.url + "/reports", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10),
             requests.get(central.url + "/reports?from=nonsense", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                          timeout=10),
             requests.post(central.url + "/reports/login", data={"username": "x", "password": "wrong"}, timeout=10),
             requests.get(central.url + "/docs", timeout=10)]
    assert [p.status_code for p in pages] == [401, 200, 422, 401, 200]
    for page in pages:
        assert page.headers["content-type"].startswith("text/html")
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        # never sent to another site (the report pages keep it for their own posts' Origin check)
        assert page.headers["Referrer-Policy"] in {"same-origin", "no-referrer"}


def test_docs_load_nothing_from_elsewhere(central: Central) -> None:
    page = requests.get(central.url + "/docs", timeout=10)
    assert page.status_code == 200
    references = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert references and all(urlsplit(ref).netloc == "" for ref in references), references
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<script>" not in page.text  # no inline script: the policy allows none
    for ref in references + ["/docs/init.js"]:
        asset = requests.get(urljoin(central.url, ref), timeout=10)
        assert asset.status_code == 200 and asset.content, ref
        assert not re.search(rb"https?://(?:cdn|unpkg|fonts\.)", asset.content[:4096]), ref
    assert requests.get(central.url + "/redoc", timeout=10).status_code == 404  # FastAPI's, from a CDN
    assert requests.get(central.url + "/docs/assets/../app.py", timeout=10).status_code == 404
    assert requests.get(central.url + "/docs/assets/index.html", timeout=10).status_code == 404


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_docs_render_in_chromium_with_no_request_elsewhere(central: Central) -> None:
    """Swagger UI draws every operation, offline: each request the page makes goes to the server
    itself, and the Content-Security-Policy blocks nothing it needs."""
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda request: requested.append(request.url))
            page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
            page.goto(central.url + "/docs")
            page.wait_for_selector(".opblock-summary-path", timeout=20_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
        finally:
            browser.close()
    assert "/v1/events" in " ".join(paths) and len(paths) >= 13, paths
    assert requested and all(url.startswith(central.url) or url.startswith("data:") for url in requested), requested
    assert problems == [], problems
