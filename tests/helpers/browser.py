"""Pages in headless Chromium (Debian's, driven by Playwright), as a citizen's phone or a desktop
opens them, with the checks every public page must pass:

* ``dir``/``lang`` of the document;
* no request leaves the server (every request the page makes is recorded; only the server's own
  origin is allowed);
* no horizontal scroll at the phone's width;
* an accessibility audit with axe-core (the npm package, installed by ``./dev.sh`` into
  ``.venv/node_modules``, injected into the page) with no serious or critical violation.

Use::

    @ON_SQLITE
    def test_a_page_in_chromium(...):
        with browser_page(PHONE, "ar") as (page, requests):
            page.goto(url)
            assert_public_page(page, requests, server_url, lang="ar")

A browser test runs on one database, SQLite (:data:`ON_SQLITE`): what the browser checks (the
layout, the script, the audit) does not depend on the database, and Chromium is the slowest part
of the suite. The queries behind every page still run on PostgreSQL in that page's tests without
the browser (``requests``), which take both databases (``db_url``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 768}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
#: A test that opens a browser: on SQLite only (the ``db_url`` fixture of tests/conftest.py).
ON_SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
#: A test that checks over HTTP, without the browser, what a browser test checks on SQLite.
ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
AXE = Path(__file__).resolve().parents[2] / ".venv" / "node_modules" / "axe-core" / "axe.min.js"


@contextmanager
def browser_page(viewport: dict[str, int], lang: str = "ar") -> Iterator[tuple[Any, list[str]]]:
    """A fresh browser page of ``viewport`` size whose Accept-Language is ``lang``, and the list of
    every URL it requests (filled as it goes)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=cast(Any, viewport), locale="ar-EG" if lang == "ar" else "en-GB",
                                          is_mobile=viewport["width"] < 600, has_touch=viewport["width"] < 600)
            page = context.new_page()
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            yield page, requests
        finally:
            browser.close()


@contextmanager
def central_page(central: Any, path: str, lang: str = "ar", viewport: dict[str, int] = DESKTOP,
                 person: str = "nour.admin") -> Iterator[Any]:
    """``path`` of the central server (a :class:`tests.helpers.central.Central`) open in Chromium,
    logged in as ``person``, a national administrator added for it; the page answered 200."""
    from sync.server.sessions import COOKIE
    from tests.helpers.central import add_person, log_in

    add_person(central, person)
    login = log_in(central.url, person)
    with browser_page(viewport, lang) as (page, _requests):
        page.context.add_cookies([{"name": COOKIE, "value": login.cookies[COOKIE], "url": central.url}])
        shown = page.goto(central.url + path)
        assert shown is not None and shown.status == 200
        yield page


def only_own_requests(requests: list[str], server_url: str) -> None:
    """Every request went to the server itself (no CDN, no font service, no tracker)."""
    own = urlsplit(server_url).netloc
    strangers = [url for url in requests if urlsplit(url).scheme not in ("data", "blob")
                 and urlsplit(url).netloc != own]
    assert not strangers, strangers


def no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"the page is {width} px wide in a {viewport} px viewport"


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """axe-core's violations of these impacts on the page as it is now."""
    assert AXE.is_file(), f"axe-core is not installed ({AXE}): run ./dev.sh test once"
    # Evaluated by the DevTools protocol, as the test's own script: the page's Content-Security-Policy
    # (no inline script) stays on and refuses a <script> tag, as it should.
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("async () => JSON.stringify((await axe.run(document)).violations)")
    violations = [v for v in json.loads(result) if v.get("impact") in impacts]
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n.get("target") for n in v.get("nodes", [])][:5]} for v in violations]


def assert_public_page(page: Any, requests: list[str], server_url: str, *, lang: str) -> None:
    """The checks every public page passes, in this order (axe last: it injects a script)."""
    html = page.locator("html")
    assert html.get_attribute("lang") == lang
    assert html.get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    assert page.evaluate("getComputedStyle(document.body).direction") == ("rtl" if lang == "ar" else "ltr")
    only_own_requests(requests, server_url)
    if page.viewport_size and page.viewport_size["width"] < 600:
        no_horizontal_scroll(page)
    violations = axe_violations(page)
    assert not violations, violations
