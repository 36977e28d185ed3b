"""Central reports: three centres in two governorates push a hand-made day through their real sync
agents; the central server's figures (JSON, and the web page in headless Chromium) are checked
against values computed by hand and against each centre's own KPIs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from counter_app import cli
from counter_app.common.i18n import LANGS, gettext, has_message, strip_isolates
from counter_app.core import applications as apps
from counter_app.core import kpis, outbox, queue, settings, users
from counter_app.core.centre import setup_centre
from counter_app.core.clock import CENTRE_TZ
from counter_app.core.db import Database
from counter_app.core.demo import ensure_demo_centre
from counter_app.core.models import Application, ApplicationState, PaymentMethod, User
from sync.agent.agent import Agent
from sync.server.report_page import render_report
from sync.server.sessions import COOKIE
from tests.helpers.browser import ON_SQLITE
from tests.helpers.central import ADMIN_TOKEN, Central, add_person, log_in
from tests.helpers.central import PASSWORD as PERSON_PASSWORD
from tests.helpers.factories import CHEAP_HASHER, PASSWORD, Centre

DAY = date(2026, 11, 23)
NEXT = DAY + timedelta(days=1)
REG, SHOP, BUILD = "MP-REG-CERT", "LU-SHOP-LICENCE", "LU-BUILD-PERMIT"  # fees 25, 740 and 3,070 EGP
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOT = Path("/tmp/central_report_ar.png")
PHONE_SCREENSHOT = Path("/tmp/central_report_ar_phone.png")
#: The centre x of each character of ``value`` where it occurs in the text of ``selector``'s element
#: (one list per occurrence), as Chromium laid it out.
CHARACTER_XS = """([selector, value]) => {
    const root = document.querySelector(selector);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const nodes = [];
    let text = "";
    while (walker.nextNode()) { nodes.push([walker.currentNode, text.length]); text += walker.currentNode.data; }
    const found = [];
    for (let start = text.indexOf(value); start !== -1; start = text.indexOf(value, start + 1)) {
        const xs = [];
        for (let i = start; i < start + value.length; i++) {
            const [node, base] = nodes.filter(([, b]) => b <= i).pop();
            const range = document.createRange();
            range.setStart(node, i - base);
            range.setEnd(node, i - base + 1);
            const rect = range.getClientRects()[0];
            xs.push(rect.left + rect.width / 2);
        }
        found.push(xs);
    }
    return found;
}"""


def at(hh: int, mm: int, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=CENTRE_TZ)


@dataclass
class World:
    central: Central
    centres: dict[str, Centre]


def build(db: Database, code: str, name_ar: str, name_en: str) -> Centre:
    users.set_hasher(CHEAP_HASHER)
    with db.begin() as s:
        setup_centre(s, code=code, name_ar=name_ar, name_en=name_en)
    demo = ensure_demo_centre(db, counters=2, clerks=2, reviewers_per_department=1, password=PASSWORD, code=code)
    return Centre(db, demo.clerk_ids, demo.reviewer_ids, demo.supervisor_id, demo.admin_id, demo.counter_ids)


def take(s: Any, service: str, clerk: User, counter: int, moment: datetime) -> Application:
    """An application with every document received."""
    app = apps.start_application(s, service_code=service, clerk=clerk, counter_id=counter, at=moment,
                                 applicant=apps.Applicant("محمد أحمد علي حسن", "29001010112355"))
    apps.set_documents(s, app.id, [d.code for d in app.documents], clerk=clerk, at=moment)
    return app


def called(s: Any, counter: int, clerk: int, moment: datetime, expected: int) -> None:
    ticket = queue.call_next(s, counter, clerk, at=moment)
    assert ticket is not None and ticket.id == expected


def giza_one(c: Centre) -> None:
    """Waits 10, 6, 10 min; services 10, 18 min; one no-show. Cash 25 (submitted), card 740 (draft)."""
    (c1, c2), (k1, k2) = c.counter_ids[:2], c.clerk_ids[:2]
    with c.db.begin() as s:
        t1 = queue.issue_ticket(s, "A", service_code=REG, at=at(9, 0)).ticket.id
        t2 = queue.issue_ticket(s, "A", service_code=REG, at=at(9, 5)).ticket.id
        t3 = queue.issue_ticket(s, "B", service_code=BUILD, at=at(9, 30)).ticket.id
        called(s, c1, k1, at(9, 10), t1)
        called(s, c2, k2, at(9, 11), t2)
        clerk = s.get_one(User, k1)
        a1 = take(s, REG, clerk, c1, at(9, 15))
        apps.record_payment(s, a1.id, "cash", clerk=clerk, at=at(9, 16))
        apps.submit(s, a1.id, clerk=clerk, at=at(9, 17))
        queue.finish(s, t1, c1, k1, at=at(9, 20))
        a2 = take(s, SHOP, s.get_one(User, k2), c2, at(9, 25))
        apps.record_payment(s, a2.id, "card", clerk=s.get_one(User, k2), reference="POS-77", at=at(9, 26))
        queue.finish(s, t2, c2, k2, at=at(9, 29))
        called(s, c1, k1, at(9, 40), t3)
        for i in range(settings.max_recalls(s)):
            queue.recall(s, t3, c1, k1, at=at(9, 41 + i))
        queue.no_show(s, t3, c1, k1, at=at(9, 50))


def giza_two(c: Centre) -> None:
    """Waits 4 (to the first call, then a transfer) and 20 min; services 15 (from the last call) and
    5 min; an unpaid draft. The next day: a wait of 3 and a service of 7 min."""
    (c1, c2), (k1, k2) = c.counter_ids[:2], c.clerk_ids[:2]
    with c.db.begin() as s:
        moved = queue.issue_ticket(s, "A", service_code=REG, at=at(10, 0)).ticket.id
        plain = queue.issue_ticket(s, "C", service_code=SHOP, at=at(10, 1)).ticket.id
        called(s, c1, k1, at(10, 4), moved)
        queue.transfer(s, moved, c1, k1, to_counter_id=c2, at=at(10, 6))
        called(s, c2, k2, at(10, 20), moved)
        called(s, c1, k1, at(10, 21), plain)
        queue.finish(s, plain, c1, k1, at=at(10, 26))
        take(s, REG, s.get_one(User, k1), c1, at(10, 30))
        queue.finish(s, moved, c2, k2, at=at(10, 35))
    with c.db.begin() as s:
        later = queue.issue_ticket(s, "A", service_code=REG, at=at(9, 0, NEXT)).ticket.id
        called(s, c1, k1, at(9, 3, NEXT), later)
        queue.finish(s, later, c1, k1, at=at(9, 10, NEXT))


def cairo(c: Centre) -> None:
    """Waits 30 and 5 min; services 12 and 25 min (the last one ends after midnight); a ticket of a
    group without a service never called. E-payment 3,070 (approved); the next day cash 25."""
    (c1, c2), (k1, _k2) = c.counter_ids[:2], c.clerk_ids[:2]
    with c.db.begin() as s:
        t6 = queue.issue_ticket(s, "A", service_code=REG, at=at(11, 0)).ticket.id
        called(s, c1, k1, at(11, 30), t6)
        clerk = s.get_one(User, k1)
        a3 = take(s, BUILD, clerk, c1, at(11, 35))
        apps.record_payment(s, a3.id, "epayment", clerk=clerk, reference="EP-1", at=at(11, 36))
        apps.submit(s, a3.id, clerk=clerk, at=at(11, 37))
        queue.finish(s, t6, c1, k1, at=at(11, 42))
        reviewer = s.get_one(User, a3.reviewer_id)
        apps.start_review(s, a3.id, reviewer=reviewer, at=at(12, 0))
        apps.approve(s, a3.id, reviewer=reviewer, at=at(12, 30))
        t9 = queue.issue_ticket(s, "B", service_code=BUILD, at=at(23, 50)).ticket.id
        called(s, c2, k1, at(23, 55), t9)
        queue.issue_ticket(s, "C", at=at(23, 58))
        queue.finish(s, t9, c2, k1, at=at(0, 20, NEXT))
        a4 = take(s, REG, clerk, c1, at(9, 0, NEXT))
        apps.record_payment(s, a4.id, "cash", clerk=clerk, at=at(9, 1, NEXT))


def push(c: Centre, central: Central, governorate: str) -> None:
    """Enrolled with its governorate (``shubbak centre enrol``), then one round of the real agent."""
    assert cli.main(["centre", "enrol", "--db", c.db.url, "--server", central.url, "--admin-token", ADMIN_TOKEN,
                     "--governorate", governorate]) == 0
    report = Agent(c.db).sync_once()
    assert report.sent > 0 and report.rejected == report.retry == 0
    with c.db.read() as s:
        assert outbox.pending_count(s) == 0


def another_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest, name: str) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
    return str(request.getfixturevalue("pg_cluster").create_database())


@pytest.fixture
def world(db: Database, db_url: str, tmp_path: Path, request: pytest.FixtureRequest,
          central: Central) -> Iterator[World]:
    others = [Database(another_url(db_url, tmp_path, request, name)) for name in ("giz2", "cai1")]
    try:
        centres = {"GIZ-01": build(db, "GIZ-01", "المركز التكنولوجي بالجيزة", "Giza Technology Centre"),
                   "GIZ-02": build(others[0], "GIZ-02", "مركز خدمة المواطنين بالدقي", "Dokki Service Centre"),
                   "CAI-01": build(others[1], "CAI-01", "مركز خدمة المواطنين بالقاهرة", "Cairo Service Centre")}
        for script, code, governorate in ((giza_one, "GIZ-01", "21"), (giza_two, "GIZ-02", "21"),
                                          (cairo, "CAI-01", "01")):
            script(centres[code])
            push(centres[code], central, governorate)
        yield World(central, centres)
    finally:
        for other in others:
            other.dispose()


def d(count: int, mean: float, median: float, p90: float) -> dict[str, Any]:
    return {"count": count, "mean_s": mean, "median_s": median, "p90_s": p90}


def figures(tickets: tuple[int, int, int], waiting: dict[str, Any], service: dict[str, Any],
            states: dict[str, int], methods: dict[str, int], payments: int) -> dict[str, Any]:
    return {"tickets": {"issued": tickets[0], "served": tickets[1], "no_shows": tickets[2], "skipped": 0},
            "waiting_time": waiting, "service_time": service,
            "applications": {"received": sum(states.values()), "by_state": states},
            "money": {"total": sum(methods.values()), "payments": payments, "by_method": methods}}


GIZ1 = figures((3, 2, 1), d(3, 520.0, 600.0, 600.0), d(2, 840.0, 840.0, 1080.0),
               {"draft": 1, "submitted": 1}, {"card": 74000, "cash": 2500}, 2)
GIZ2 = figures((2, 2, 0), d(2, 720.0, 720.0, 1200.0), d(2, 600.0, 600.0, 900.0), {"draft": 1}, {}, 0)
CAI1 = figures((3, 2, 0), d(2, 1050.0, 1050.0, 1800.0), d(2, 1110.0, 1110.0, 1500.0),
               {"approved": 1}, {"epayment": 307000}, 1)
GIZA = figures((5, 4, 1), d(5, 600.0, 600.0, 1200.0), d(4, 720.0, 750.0, 1080.0),
               {"draft": 2, "submitted": 1}, {"card": 74000, "cash": 2500}, 2)
OVERALL = figures((8, 6, 1), d(7, 5100 / 7, 600.0, 1800.0), d(6, 850.0, 810.0, 1500.0),
                  {"approved": 1, "draft": 2, "submitted": 1}, {"card": 74000, "cash": 2500, "epayment": 307000}, 3)
BY_SERVICE = {
    REG: figures((4, 4, 0), d(4, 750.0, 480.0, 1800.0), d(4, 825.0, 810.0, 1080.0),
                 {"draft": 1, "submitted": 1}, {"cash": 2500}, 1),
    SHOP: figures((1, 1, 0), d(1, 1200.0, 1200.0, 1200.0), d(1, 300.0, 300.0, 300.0), {"draft": 1}, {"card": 74000}, 1),
    BUILD: figures((2, 1, 1), d(2, 450.0, 450.0, 600.0), d(1, 1500.0, 1500.0, 1500.0),
                   {"approved": 1}, {"epayment": 307000}, 1),
    None: figures((1, 0, 0), d(0, 0.0, 0.0, 0.0), d(0, 0.0, 0.0, 0.0), {}, {}, 0),
}


def get_kpis(central: Central, first: date, last: date) -> dict[str, Any]:
    r = requests.get(f"{central.url}/v1/reports/kpis", params={"from": str(first), "to": str(last)},
                     headers=AUTH, timeout=30)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def without_labels(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("tickets", "waiting_time", "service_time", "applications", "money")}


def test_the_figures_per_governorate_centre_and_service_are_the_hand_computed_ones(world: World) -> None:
    k = get_kpis(world.central, DAY, DAY)
    assert (k["from"], k["to"]) == ("2026-11-23", "2026-11-23")
    assert k["overall"] == OVERALL
    assert [(c["centre"], c["name"], c["governorate"]) for c in k["by_centre"]] == [
        ("CAI-01", "Cairo Service Centre", "01"), ("GIZ-01", "Giza Technology Centre", "21"),
        ("GIZ-02", "Dokki Service Centre", "21")]
    assert [(c["name_ar"], c["name_en"]) for c in k["by_centre"]] == [  # the page shows its language's
        ("مركز خدمة المواطنين بالقاهرة", "Cairo Service Centre"), ("المركز التكنولوجي بالجيزة", "Giza Technology Centre"),
        ("مركز خدمة المواطنين بالدقي", "Dokki Service Centre")]
    assert [without_labels(c) for c in k["by_centre"]] == [CAI1, GIZ1, GIZ2]
    assert [(g["governorate"], g["name_ar"], g["name_en"], g["centres"]) for g in k["by_governorate"]] == [
        ("01", "القاهرة", "Cairo", ["CAI-01"]), ("21", "الجيزة", "Giza", ["GIZ-01", "GIZ-02"])]
    assert [without_labels(g) for g in k["by_governorate"]] == [CAI1, GIZA]
    assert [(s["service"], s["name_ar"]) for s in k["by_service"]] == [
        (BUILD, "ترخيص بناء"), (SHOP, "ترخيص محل تجاري"), (REG, "شهادة القيد"), (None, None)]
    assert {s["service"]: without_labels(s) for s in k["by_service"]} == BY_SERVICE

    # each centre's row is what the centre computes for itself from its own database
    for row in k["by_centre"]:
        with world.centres[row["centre"]].db.read() as s:
            own = kpis.compute(s, DAY, now=at(23, 59))
        t = row["tickets"]
        assert (t["issued"], t["served"], t["no_shows"], t["skipped"]) == (
            own.tickets_issued, own.tickets_served, own.no_shows, own.skipped)
        assert (row["waiting_time"], row["service_time"]) == (asdict(own.waiting.overall), asdict(own.service.overall))
        assert row["applications"]["by_state"] == own.applications_by_state
        assert (row["money"]["by_method"], row["money"]["payments"]) == (own.money.by_method, own.money.payments)

    # two days: the next day's ticket, wait 3 and service 7 minutes, and the next day's cash
    both = get_kpis(world.central, DAY, NEXT)
    giza_two = next(c for c in both["by_centre"] if c["centre"] == "GIZ-02")
    assert giza_two["tickets"]["issued"] == 3 and giza_two["waiting_time"] == d(3, 540.0, 240.0, 1200.0)
    assert giza_two["service_time"] == d(3, 540.0, 420.0, 900.0)
    assert both["overall"]["money"]["by_method"] == {"card": 74000, "cash": 5000, "epayment": 307000}
    assert both["overall"]["applications"]["received"] == 5
    # the day before has nothing, yet every enrolled centre and governorate has its row of zeros
    before = get_kpis(world.central, DAY - timedelta(days=1), DAY - timedelta(days=1))
    assert before["overall"]["tickets"]["issued"] == 0 and before["by_service"] == []
    assert [c["centre"] for c in before["by_centre"]] == ["CAI-01", "GIZ-01", "GIZ-02"]
    assert [g["governorate"] for g in before["by_governorate"]] == ["01", "21"]

    # the web page shows these figures, on both databases (Chromium reads it on SQLite, below)
    add_person(world.central, "nour.admin")
    login = log_in(world.central.url, "nour.admin", lang="ar", **{"from": str(DAY), "to": str(DAY)})
    assert login.status_code == 303
    page = requests.get(world.central.url + login.headers["location"], cookies={COOKIE: login.cookies[COOKIE]},
                        timeout=10)
    assert page.status_code == 200 and '<html lang="ar" dir="rtl">' in page.text
    text = strip_isolates(page.text)
    for shown in ("3,835.00", "3,070.00", "765.00", "مركز خدمة المواطنين بالقاهرة", "المركز التكنولوجي بالجيزة",
                  "مركز خدمة المواطنين بالدقي", "الجيزة", "القاهرة", "شهادة القيد", "بدون خدمة محددة"):
        assert shown in text, shown


@pytest.mark.expect_log(r"^reports login refused from ")
def test_reports_need_the_administrator_and_a_sound_period(central: Central, site: Centre,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["centre", "enrol", "--db", site.db.url, "--server", central.url, "--admin-token", ADMIN_TOKEN,
                     "--governorate", "99"]) == 1
    assert "unknown governorate code '99'" in capsys.readouterr().err
    url = f"{central.url}/v1/reports/kpis"
    day = {"from": "2026-11-23", "to": "2026-11-23"}
    assert requests.get(url, params=day, timeout=10).status_code == 401
    wrong = requests.get(url, params=day, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    page = requests.get(f"{central.url}/reports", params=day, timeout=10)
    assert page.status_code == 401 and 'name="password"' in page.text and '<html lang="ar" dir="rtl">' in page.text
    assert requests.get(url, params=day, headers=AUTH, timeout=10).status_code == 200

    for params, message in (({"from": "2026-13-01", "to": "2026-12-01"}, "'from' is not a date"),
                            ({"from": "2026-11-23", "to": "23/11/2026"}, "'to' is not a date"),
                            ({"from": "20261123"}, "'from' is not a date"),
                            ({"from": "2026-11-24", "to": "2026-11-23"}, "is after 'to'"),
                            ({"from": "2025-01-01", "to": "2026-01-02"}, "longer than 366 days")):
        r = requests.get(url, params=params, headers=AUTH, timeout=10)
        assert r.status_code == 422 and message in r.json()["message"], (params, r.text)
    leap = requests.get(url, params={"from": "2024-01-01", "to": "2024-12-31"}, headers=AUTH, timeout=10)
    assert leap.status_code == 200 and leap.json()["overall"]["tickets"]["issued"] == 0  # 366 days
    bad_page = requests.get(f"{central.url}/reports", params={"from": "2026-02-30"}, headers=AUTH, timeout=10)
    assert bad_page.status_code == 422 and "التاريخ غير صحيح" in bad_page.text

    # the session cookie: only a live server-side session opens the reports (test_report_sessions.py)
    for value in ("4102444800.00ff", ADMIN_TOKEN, "x" * 300, ""):
        assert requests.get(url, params=day, cookies={COOKIE: value}, timeout=10).status_code == 401, value
    add_person(central, "nour.admin")
    refused = log_in(central.url, "nour.admin", "not the password")
    assert refused.status_code == 401 and COOKIE not in refused.cookies and "Wrong user name or password" in refused.text
    login = log_in(central.url, "nour.admin", lang="ar", **day)
    assert login.status_code == 303 and "password" not in login.headers["location"]
    assert login.headers["location"] == "/reports?from=2026-11-23&to=2026-11-23&lang=ar"
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and PERSON_PASSWORD not in cookie


def test_the_page_escapes_what_centres_sent(central: Central) -> None:
    body = requests.get(f"{central.url}/v1/reports/kpis", params={"from": "2026-11-23"}, headers=AUTH, timeout=10).json()
    hostile = "<script>alert(1)</script>"
    body["by_centre"] = [{"centre": "X<b>", "name": hostile, "governorate": None, **without_labels(body["overall"])}]
    body["by_service"] = [{"service": "S\"'", "name_ar": hostile, "name_en": None, **without_labels(body["overall"])}]
    for lang in ("ar", "en"):
        page = render_report(body, lang)
        assert "<script" not in page and "<b>" not in page and "&lt;script&gt;" in page and "S&quot;&#x27;" in page


def rows(page: Any, section: str) -> list[list[str]]:
    cells: list[list[str]] = page.eval_on_selector_all(
        f"#{section} tbody tr", "trs => trs.map(tr => [...tr.cells].map(c => c.innerText.trim()))")
    return cells


def header_boxes(page: Any, section: str) -> dict[str, Any]:
    boxes: dict[str, Any] = page.evaluate("""section => {
        const box = e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right}; };
        const ths = [...document.querySelectorAll(`#${section} thead th`)];
        return {first: box(ths[0]), last: box(ths[ths.length - 1]),
                table: box(document.querySelector(`#${section} table`)),
                width: document.documentElement.clientWidth};
    }""", section)
    return boxes


def character_xs(page: Any, selector: str, value: str) -> list[list[float]]:
    found: list[list[float]] = page.evaluate(CHARACTER_XS, [selector, value])
    return found


def increasing(xs: list[float]) -> bool:
    return all(b > a for a, b in zip(xs, xs[1:], strict=False))


def assert_in_order(page: Any, selector: str, value: str, occurrences: int = 1) -> None:
    """Each occurrence of ``value`` in the element is laid out left to right, character by character."""
    found = character_xs(page, selector, value)
    assert len(found) == occurrences, (selector, value, found)
    for xs in found:
        assert increasing(xs), (selector, value, xs)


def test_the_page_speaks_the_glossary() -> None:
    """One word per thing on every surface: «approved» معتمد, «card» بطاقة بنكية; every state and
    payment method the centres send has its name in both languages."""
    assert gettext("central.state.approved", "ar") == "معتمد"
    assert gettext("payment.card", "ar") == "بطاقة بنكية"
    assert gettext("central.state.returned", "ar") == "مُعاد لاستكمال المستندات"
    for lang in LANGS:
        assert all(has_message(f"central.state.{s.value}", lang) for s in ApplicationState), lang
        assert all(has_message(f"payment.{m.value}", lang) for m in PaymentMethod), lang
    page = render_report({"from": "2026-11-23", "to": "2026-11-23", "overall": OVERALL, "by_governorate": [],
                          "by_centre": [], "by_service": []}, "ar")
    assert "<th scope=\"row\">معتمد</th>" in page and "<th scope=\"row\">بطاقة بنكية</th>" in page


@ON_SQLITE  # what the browser checks does not depend on the database; the figures test reads the page on both
def test_the_web_page_in_headless_chromium_is_arabic_right_to_left(world: World) -> None:
    from playwright.sync_api import sync_playwright

    url = world.central.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            page = context.new_page()
            first = page.goto(f"{url}/reports?from={DAY}&to={DAY}")
            assert first is not None and first.status == 401  # the login form, in Arabic
            assert page.evaluate("document.documentElement.dir") == "rtl"
            add_person(world.central, "nour.admin")
            page.fill("input[name=username]", "nour.admin")
            page.fill("input[name=password]", PERSON_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(re.compile(r"/reports\?from=2026-11-23&to=2026-11-23&lang=ar$"))
            assert PERSON_PASSWORD.replace(" ", "+") not in page.url and "password" not in page.url
            [cookie] = context.cookies()
            assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"]) == (COOKIE, True, "Strict")
            assert page.evaluate("document.cookie") == ""  # out of the page scripts' reach

            html = page.locator("html")
            assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
            assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
            assert page.evaluate("document.characterSet") == "UTF-8"
            text = page.inner_text("body")
            for label in ("تقرير الأداء المركزي لمراكز خدمة المواطنين", "الفترة من 2026-11-23 إلى 2026-11-23",
                          "حسب المحافظة", "حسب المركز", "حسب الخدمة", "التذاكر الصادرة", "متوسط الانتظار (دقيقة)",
                          "المحصل (جنيه)", "الجيزة", "القاهرة", "شهادة القيد", "بدون خدمة محددة",
                          "نقدًا", "بطاقة بنكية", "دفع إلكتروني", "مُقدَّم", "معتمد", "مسودة"):
                assert label in text, label
            assert not re.search("[\u0660-\u0669\u06f0-\u06f9]", text)  # Western digits only
            assert page.title() == "تقرير الأداء المركزي لمراكز خدمة المواطنين"

            for section in ("overall", "by_governorate", "by_centre", "by_service"):
                box = header_boxes(page, section)
                assert abs(box["first"]["right"] - box["table"]["right"]) < 2, (section, box)
                assert box["first"]["left"] > box["last"]["right"], (section, box)
                assert box["table"]["left"] >= 0 and box["width"] - 40 < box["table"]["right"] <= box["width"]
            assert rows(page, "overall") == [
                ["جميع المراكز", "8", "6", "1", "12.1", "10.0", "30.0", "14.2", "13.5", "25.0", "4", "3,835.00"]]
            assert rows(page, "by_centre") == [
                ["مركز خدمة المواطنين بالقاهرة CAI-01", "3", "2", "0", "17.5", "17.5", "30.0", "18.5", "18.5", "25.0", "1",
                 "3,070.00"],
                ["المركز التكنولوجي بالجيزة GIZ-01", "3", "2", "1", "8.7", "10.0", "10.0", "14.0", "14.0", "18.0", "2",
                 "765.00"],
                ["مركز خدمة المواطنين بالدقي GIZ-02", "2", "2", "0", "12.0", "12.0", "20.0", "10.0", "10.0", "15.0", "1",
                 "0.00"]]
            assert [r[:4] for r in rows(page, "by_governorate")] == [["القاهرة 01", "3", "2", "0"],
                                                                      ["الجيزة 21", "5", "4", "1"]]
            assert rows(page, "by_service")[-1] == ["بدون خدمة محددة", "1", "0", "0", "—", "—", "—", "—", "—", "—",
                                                    "0", "0.00"]
            assert rows(page, "by_method") == [["بطاقة بنكية", "740.00"], ["نقدًا", "25.00"],
                                               ["دفع إلكتروني", "3,070.00"]]
            # the dates inside the Arabic sentence, and the figures in the cells, read left to right
            assert_in_order(page, "p.period", str(DAY), occurrences=2)
            assert_in_order(page, "#overall tbody", "3,835.00")
            assert_in_order(page, "#by_governorate tbody tr:first-child th", "01")
            assert_in_order(page, "#by_centre tbody tr:first-child th", "CAI-01")
            assert page.get_attribute("nav a[href='/monitor?lang=ar']", "href") is not None  # the live view
            page.screenshot(path=str(SCREENSHOT), full_page=True)
            page.set_viewport_size({"width": 390, "height": 844})  # a phone
            assert_in_order(page, "p.period", str(DAY), occurrences=2)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the tables scroll, not the page
            page.screenshot(path=str(PHONE_SCREENSHOT), full_page=True)
            page.set_viewport_size({"width": 1440, "height": 900})
            # the check sees a date the bidi algorithm reorders: the same sentence without its isolates
            page.evaluate("""text => document.body.insertAdjacentHTML('beforeend', `<p id="bare">${text}</p>`)""",
                          f"الفترة من {DAY} إلى {DAY}")
            bare = character_xs(page, "#bare", str(DAY))
            assert bare and not any(increasing(xs) for xs in bare), bare

            too_long = page.goto(f"{url}/reports?from=2025-01-01&to=2026-01-02")
            assert too_long is not None and too_long.status == 422
            assert "الفترة أطول من 366 يومًا." in strip_isolates(page.inner_text("p.error"))
            assert_in_order(page, "p.error", "366")

            english = page.goto(f"{url}/reports?from={DAY}&to={DAY}&lang=en")
            assert english is not None and english.status == 200
            assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("en", "ltr")
            text = page.inner_text("body")
            for label in ("Central performance report", "By governorate", "Tickets issued", "Giza", "Cairo",
                          "Registration certificate", "Period from 2026-11-23 to 2026-11-23",
                          "Giza Technology Centre", "Live monitoring of the centres"):
                assert label in text, label
            box = header_boxes(page, "by_centre")
            assert abs(box["first"]["left"] - box["table"]["left"]) < 2 and box["first"]["right"] < box["last"]["left"]
            page.screenshot(path="/tmp/central_report_en.png", full_page=True)

            page.click("nav form button[type=submit]")  # log out
            page.wait_for_url(re.compile(r"/reports\?lang=en$"))
            assert context.cookies() == [] and page.locator("input[name=password]").count() == 1
        finally:
            browser.close()
