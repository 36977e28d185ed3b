"""The monitoring pages in headless Chromium, Arabic first (phone and desktop, axe-core): a
governorate supervisor logs in from the page, sees their centres worst first with the open alerts,
opens a centre's page; nothing of another governorate; no script."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, update

from counter_app.common.clock import local_day, utcnow
from counter_app.common.i18n import strip_isolates
from sync import protocol
from sync.server import monitor_page
from sync.server.alerts import AlertSettings, evaluate
from sync.server.heartbeats import record
from sync.server.models import EnrolledCentre, ReportSession
from tests.helpers.browser import DESKTOP, ON_SQLITE, PHONE, assert_public_page, browser_page
from tests.helpers.central import PASSWORD, Central, add_person
from tests.sync.test_monitor import enrol_centre


def beat(code: str, *, waiting: dict[str, int], longest: int | None, backlog: int = 0,
         oldest: int | None = None) -> protocol.Heartbeat:
    now = utcnow()
    return protocol.Heartbeat(
        centre=code, clock=now, version="1.9.0",
        backlog=protocol.HeartbeatBacklog(events=backlog, oldest_age_s=oldest, rejected=0),
        queue=protocol.HeartbeatQueue(day=local_day(now), waiting=waiting, longest_wait_s=longest,
                                      counters_open=2, counters_active=3))


def log_in_at_monitor(page: Any, url: str, query: str, lang: str) -> None:
    """Open the monitoring page logged out (the login form, 401), log in as mona.giza by the
    keyboard: back on the page, in ``lang``."""
    first = page.goto(f"{url}/monitor{query}")
    assert first is not None and first.status == 401
    page.fill("input[name=username]", "mona.giza")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():  # the login form answered at /monitor: back to it
        page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/monitor\?lang={lang}$"))


@ON_SQLITE
def test_the_monitoring_page_in_chromium_arabic(central: Central, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    enrol_centre(central, "2101", "21", "الجيزة الأول")
    enrol_centre(central, "2102", "21", "الجيزة الثاني")
    enrol_centre(central, "2103", "21", "الجيزة الثالث")  # silent: offline
    enrol_centre(central, "0101", "01", "القاهرة الأول")
    with central.db.sessions.begin() as s:
        record(s, beat("2101", waiting={"A": 3, "B": 1}, longest=600), utcnow())
        record(s, beat("2102", waiting={"A": 12}, longest=3600, backlog=40, oldest=90_000), utcnow())
        record(s, beat("0101", waiting={"A": 1}, longest=60), utcnow())
    with central.db.sessions.begin() as s:  # 2103 enrolled an hour ago and silent since
        s.execute(update(EnrolledCentre).where(EnrolledCentre.code == "2103")
                  .values(enrolled_at=utcnow() - timedelta(hours=1)))
    with central.db.sessions.begin() as s:
        evaluate(s, utcnow(), AlertSettings())  # 2103 offline; 2102 a long wait and an old backlog
    add_person(central, "mona.giza", "governorate_supervisor", governorate="21")
    url = central.url
    for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        with browser_page(size, "ar") as (page, requests_made):
            log_in_at_monitor(page, url, "", "ar")
            assert page.title() == "المتابعة الحية للمراكز"
            assert page.locator("script:not([src])").count() == 0  # no inline script
            order = page.eval_on_selector_all("#centres tbody tr", "rows => rows.map(r => r.dataset.centre)")
            assert order == ["2102", "2103", "2101"], order  # worst first: two alerts, then one (offline)
            text = strip_isolates(page.inner_text("body"))
            assert "القاهرة الأول" not in text and "0101" not in text
            assert "انتظار طويل" in text and "منقطع في ساعات العمل" in text and "غير متصل" in text
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # no sideways page
            assert_public_page(page, requests_made, url, lang="ar")
            page.screenshot(path=str(tmp_path / f"monitor-ar-{name}.png"), full_page=True)
            if name == "desktop":
                # it refreshes by itself: a new heartbeat shows without a reload, until paused
                monkeypatch.setattr(monitor_page, "REFRESH_S", 1)
                page.reload()
                page.wait_for_selector("#monitor-pause:not([hidden])")
                with central.db.sessions.begin() as s:
                    record(s, beat("2101", waiting={"A": 7}, longest=600), utcnow())
                cell = '#centres tr[data-centre="2101"] td:nth-of-type(7)'  # waiting now
                expect(page.locator(cell)).to_have_text("7", timeout=10_000)
                page.keyboard.press("Tab")  # the language link, the links, the logout button, then pause
                page.click("#monitor-pause")
                assert page.get_attribute("#monitor-pause", "aria-pressed") == "true"
                with central.db.sessions.begin() as s:
                    record(s, beat("2101", waiting={"A": 9}, longest=600), utcnow())
                page.wait_for_timeout(2500)  # two turns of the refresh: paused, nothing changes
                assert page.inner_text(cell) == "7"
                page.click("#monitor-pause")
                expect(page.locator(cell)).to_have_text("9", timeout=10_000)
            page.click('#centres a[href^="/monitor/centres/2102"]')
            page.wait_for_url(re.compile(r"/monitor/centres/2102"))
            assert page.locator("#queue").count() == 1 and page.locator("#trend tbody tr").count() == 14
            assert "أحداث لم تُرسل منذ أكثر من يوم" in strip_isolates(page.inner_text("body"))
            assert_public_page(page, requests_made, url, lang="ar")
            page.screenshot(path=str(tmp_path / f"monitor-centre-ar-{name}.png"), full_page=True)
            not_theirs = page.goto(f"{url}/monitor/centres/0101")
            assert not_theirs is not None and not_theirs.status == 404
    keep_shots(tmp_path)


def keep_shots(folder: Path) -> None:
    if os.environ.get("SHUBBAK_SHOTS"):  # to look at them: SHUBBAK_SHOTS=/some/folder
        for png in folder.glob("*.png"):
            (Path(os.environ["SHUBBAK_SHOTS"]) / png.name).write_bytes(png.read_bytes())


def a_governorate(central: Central) -> None:
    """Giza's three centres (a long wait and an old backlog; a quiet one; a silent one) and Cairo's."""
    enrol_centre(central, "2101", "21", "Giza One")
    enrol_centre(central, "2102", "21", "Giza Two")
    enrol_centre(central, "2103", "21", "Giza Three")
    enrol_centre(central, "0101", "01", "Cairo One")
    with central.db.sessions.begin() as s:
        record(s, beat("2101", waiting={"A": 3, "B": 1}, longest=600), utcnow())
        record(s, beat("2102", waiting={"A": 12}, longest=3600, backlog=40, oldest=90_000), utcnow())
        record(s, beat("0101", waiting={"A": 1}, longest=60), utcnow())
        s.execute(update(EnrolledCentre).where(EnrolledCentre.code == "2103")
                  .values(enrolled_at=utcnow() - timedelta(hours=1)))
    with central.db.sessions.begin() as s:
        evaluate(s, utcnow(), AlertSettings())


@ON_SQLITE
def test_the_monitoring_pages_in_chromium_english(central: Central, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The same pages in English, left to right, on a phone and a desktop: the texts, the order,
    the figures, axe-core; the phone's table scrolls inside its section, the page does not."""
    a_governorate(central)
    add_person(central, "mona.giza", "governorate_supervisor", governorate="21")
    url = central.url
    for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        with browser_page(size, "en") as (page, requests_made):
            log_in_at_monitor(page, url, "?lang=en", "en")
            page.wait_for_selector("#centres")
            assert page.title() == "Live monitoring of the centres"
            assert page.get_attribute("html", "dir") == "ltr" and page.get_attribute("html", "lang") == "en"
            order = page.eval_on_selector_all("#centres tbody tr", "rows => rows.map(r => r.dataset.centre)")
            assert order == ["2102", "2103", "2101"], order
            text = page.inner_text("body")
            assert "Cairo One" not in text and "0101" not in text
            assert "Long wait" in text and "Offline during opening hours" in text and "Giza Two" in text
            assert page.inner_text('#centres tr[data-centre="2102"] td:nth-of-type(7)') == "12"
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # no sideways page
            assert_public_page(page, requests_made, url, lang="en")
            page.screenshot(path=str(tmp_path / f"monitor-en-{name}.png"), full_page=True)
            page.click('#centres a[href^="/monitor/centres/2102"]')
            page.wait_for_url(re.compile(r"/monitor/centres/2102\?lang=en"))
            assert page.get_attribute("html", "dir") == "ltr"
            assert page.locator("#queue").count() == 1 and page.locator("#trend tbody tr").count() == 14
            assert "Events unsent for more than a day" in page.inner_text("body")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            assert_public_page(page, requests_made, url, lang="en")
            page.screenshot(path=str(tmp_path / f"monitor-centre-en-{name}.png"), full_page=True)
            if name == "desktop":
                # the session ends while the page refreshes itself: it says so, stops, and does not loop
                monkeypatch.setattr(monitor_page, "REFRESH_S", 1)
                page.goto(f"{url}/monitor?lang=en")
                page.wait_for_selector("#monitor-pause:not([hidden])")
                with central.db.sessions.begin() as s:
                    s.execute(delete(ReportSession))
                status = page.locator("#monitor-status")
                expect(status).to_be_visible(timeout=10_000)
                assert status.inner_text() == ("Your session has ended, so this page no longer refreshes itself; the "
                                               "figures shown may be out of date. Log in again")
                assert page.get_attribute("#monitor-status a", "href") == f"{url}/monitor?lang=en"
                assert page.locator("#monitor-pause").is_hidden() and page.locator("#centres").count() == 1
                asked = len([u for u in requests_made if "/monitor?" in u])
                page.wait_for_timeout(2500)  # two more turns of the refresh: nothing asked, nothing reloaded
                assert len([u for u in requests_made if "/monitor?" in u]) == asked
                assert_public_page(page, requests_made, url, lang="en")
                page.screenshot(path=str(tmp_path / "monitor-en-session-ended.png"), full_page=True)
                page.click("#monitor-status a")
                page.wait_for_selector("input[name=username]")  # the login form, which comes back here
    keep_shots(tmp_path)
