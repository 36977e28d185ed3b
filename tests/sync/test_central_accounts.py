"""People and roles at the central server (sync/server/accounts.py): a governorate supervisor never
sees another governorate's centre, by page or by API; a centre viewer one centre; lockout after
five failed logins; every action audited; ``central-server user ...``; the login page in Chromium."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select, update

from counter_app.common.clock import utcnow
from counter_app.common.i18n import strip_isolates
from sync.server import __main__ as server_main
from sync.server.db import ServerDatabase
from sync.server.models import CentralAudit, CentralUser, ReportSession
from sync.server.sessions import COOKIE
from tests.helpers.browser import DESKTOP, PHONE, assert_public_page, browser_page
from tests.helpers.central import ADMIN_TOKEN, PASSWORD, Central, add_person, log_in, start_central_process
from tests.sync.test_central_reports import DAY, World, world  # noqa: F401 - a fixture

REFUSED = r"^reports login refused from "
ROOT = Path(__file__).resolve().parents[2]
PERIOD = {"from": str(DAY), "to": str(DAY)}


def cookie_of(url: str, name: str) -> str:
    login = log_in(url, name)
    assert login.status_code == 303, login.text
    value = login.cookies.get(COOKIE)
    assert isinstance(value, str) and value
    return value


def kpis(url: str, cookie: str) -> dict[str, Any]:
    r = requests.get(url + "/v1/reports/kpis", params=PERIOD, cookies={COOKIE: cookie}, timeout=30)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def actions(central: Central, actor: str) -> list[str]:
    with central.db.sessions() as s:
        return list(s.scalars(select(CentralAudit.action).where(CentralAudit.actor == actor).order_by(CentralAudit.id)))


def test_each_role_sees_only_its_centres_by_api_and_by_page(world: World) -> None:  # noqa: F811
    central, url = world.central, world.central.url
    add_person(central, "sara.giza", "governorate_supervisor", governorate="21")
    add_person(central, "omar.cairo", "centre_viewer", centre="CAI-01")
    add_person(central, "nour.admin")
    everything = requests.get(url + "/v1/reports/kpis", params=PERIOD, timeout=30,
                              headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()  # automation: national

    giza = kpis(url, cookie_of(url, "sara.giza"))
    assert [c["centre"] for c in giza["by_centre"]] == ["GIZ-01", "GIZ-02"]
    assert [g["governorate"] for g in giza["by_governorate"]] == ["21"]
    assert giza["overall"]["tickets"]["issued"] == 5 and giza["overall"]["money"]["total"] == 76500
    assert giza["by_governorate"][0] == next(g for g in everything["by_governorate"] if g["governorate"] == "21")

    cairo = kpis(url, cookie_of(url, "omar.cairo"))
    assert [c["centre"] for c in cairo["by_centre"]] == ["CAI-01"]
    assert [g["governorate"] for g in cairo["by_governorate"]] == ["01"]
    assert cairo["overall"]["tickets"]["issued"] == 3 and cairo["overall"]["money"]["total"] == 307000

    national = kpis(url, cookie_of(url, "nour.admin"))
    assert national["overall"] == everything["overall"] and national["overall"]["tickets"]["issued"] == 8
    assert [c["centre"] for c in national["by_centre"]] == ["CAI-01", "GIZ-01", "GIZ-02"]

    # the page: another governorate's centre is nowhere on it, in either language
    sara = cookie_of(url, "sara.giza")
    for lang, mine, theirs in (("en", "Giza Technology Centre", "Cairo"), ("ar", "الجيزة", "القاهرة")):
        page = requests.get(url + "/reports", params={**PERIOD, "lang": lang}, cookies={COOKIE: sara}, timeout=30)
        assert page.status_code == 200 and mine in page.text
        assert "CAI-01" not in page.text and theirs not in page.text and "3,070.00" not in page.text
    assert "sara.giza" in page.text and "مشرف محافظة الجيزة" in strip_isolates(page.text)
    assert actions(central, "user:sara.giza") == ["login", "report.kpis", "login", "report.page", "report.page"]
    assert actions(central, "token") == ["centre.enrol"] * 3 + ["report.kpis"]


@pytest.mark.allow_log(REFUSED, logger="sync.server.reports")
def test_five_failed_logins_lock_the_account_for_fifteen_minutes(central: Central) -> None:
    add_person(central, "sara.giza", "governorate_supervisor", governorate="21")
    for _ in range(5):
        wrong = log_in(central.url, "sara.giza", "not her password")
        assert wrong.status_code == 401 and "Wrong user name or password." in wrong.text
        assert COOKIE not in wrong.cookies and 'value="sara.giza"' in wrong.text  # the name typed is kept
    locked = log_in(central.url, "sara.giza")  # the right password, but locked
    assert locked.status_code == 401 and COOKIE not in locked.cookies
    assert "locked after 5 failed logins in a row. Try again in 15 minutes." in strip_isolates(locked.text)
    with central.db.sessions() as s:
        user = s.scalar(select(CentralUser).where(CentralUser.username == "sara.giza"))
        assert user is not None and user.locked_until is not None
        until = user.locked_until if user.locked_until.tzinfo else user.locked_until.replace(tzinfo=UTC)
        assert timedelta(minutes=14) < until - utcnow() <= timedelta(minutes=15)
    unknown = log_in(central.url, "nobody", "whatever it is")
    assert unknown.status_code == 401 and "Wrong user name or password." in unknown.text  # not told apart
    odd = log_in(central.url, "sara\x00giza", "\x00")  # a byte PostgreSQL refuses: a refusal, not a 500
    assert odd.status_code == 401 and "Wrong user name or password." in odd.text
    assert actions(central, "user:sara.giza") == ["login.refused"] * 4 + ["login.locked", "login.refused"]
    assert actions(central, "user:nobody") == actions(central, "user:?") == ["login.refused"]
    with central.db.sessions.begin() as s:  # fifteen minutes later
        s.execute(update(CentralUser).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert log_in(central.url, "sara.giza").status_code == 303
    with central.db.sessions() as s:
        assert s.scalar(select(CentralUser.failed_logins)) == 0


@pytest.mark.allow_log(REFUSED, logger="sync.server.reports")
def test_logout_disable_and_a_new_password_end_sessions(central: Central, central_url: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    add_person(central, "nour.admin")
    add_person(central, "sara.giza", "governorate_supervisor", governorate="21")

    def page(cookie: str) -> int:
        return requests.get(central.url + "/reports", cookies={COOKIE: cookie}, timeout=10).status_code

    first, second = cookie_of(central.url, "nour.admin"), cookie_of(central.url, "nour.admin")
    out = requests.post(central.url + "/reports/logout", cookies={COOKIE: first}, timeout=10, allow_redirects=False)
    assert out.status_code == 303 and page(first) == 401 and page(second) == 200
    sara = cookie_of(central.url, "sara.giza")
    monkeypatch.setattr("sys.stdin", io.StringIO("another long password\n"))
    assert server_main.main(["--db", central_url, "user", "reset-password", "nour.admin", "--password-stdin"]) == 0
    assert page(second) == 401 and page(sara) == 200
    assert log_in(central.url, "nour.admin", "another long password").status_code == 303
    assert server_main.main(["--db", central_url, "user", "disable", "sara.giza"]) == 0
    assert page(sara) == 401
    assert log_in(central.url, "sara.giza").status_code == 401
    with central.db.sessions() as s:
        assert s.scalar(select(ReportSession.user_id).limit(1)) is not None  # nour's newest only
        assert len(list(s.scalars(select(ReportSession.digest)))) == 1
    assert actions(central, "cli") == ["user.add", "user.add", "user.reset_password", "user.disable"]
    assert actions(central, "user:nour.admin")[:3] == ["login", "login", "logout"]


def test_the_user_commands(central_url: str, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    def run(*argv: str, stdin: str = "") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return server_main.main(["--db", central_url, *argv])

    assert run("user", "add", "Sara.Giza", "--role", "governorate_supervisor", "--governorate", "21",
               "--password-stdin", stdin="a long enough one\n") == 0
    assert run("user", "add", "omar", "--role", "centre_viewer", "--centre", "CAI-01", "--password-stdin",
               stdin="a long enough one\n") == 0
    capsys.readouterr()
    # refused, with the reason, and nothing stored
    assert run("user", "add", "short", "--role", "national_admin", "--password-stdin", stdin="short\n") == 1
    assert "at least 10 characters" in capsys.readouterr().err
    assert run("user", "add", "g", "--role", "governorate_supervisor", "--governorate", "99", "--password-stdin",
               stdin="a long enough one\n") == 1
    assert "governorate" in capsys.readouterr().err
    assert run("user", "add", "sara.giza", "--role", "national_admin", "--password-stdin",
               stdin="a long enough one\n") == 1
    assert "exists already" in capsys.readouterr().err
    assert run("user", "disable", "nobody") == 1 and "no user nobody" in capsys.readouterr().err
    assert run("user", "disable", "omar") == 0
    capsys.readouterr()
    # where her alerts are mailed: checked, set, changed, cleared; each audited with the old and new
    for bad in ("sara", "sara@giza", "a@b.org, c@d.org", "Sara <sara@giza.example>", "sara @giza.example",
                "sara@giza..example", "sara@@giza.example", "sara@giza.example\r\nBcc: x@y.org"):
        assert run("user", "set-email", "sara.giza", bad) == 1, bad
        assert "is not an e-mail address" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # neither an address nor --clear; or both; or an empty one
        run("user", "set-email", "sara.giza")
    with pytest.raises(SystemExit):
        run("user", "set-email", "sara.giza", "s@giza.example", "--clear")
    with pytest.raises(SystemExit):
        run("user", "set-email", "sara.giza", " ")
    assert "--clear" in capsys.readouterr().err
    assert run("user", "set-email", "nobody", "n@giza.example") == 1 and "no user nobody" in capsys.readouterr().err
    assert run("user", "set-email", "Sara.Giza", " sara@giza.example ") == 0
    assert capsys.readouterr().out == "alerts for sara.giza are mailed to sara@giza.example\n"
    assert run("user", "set-email", "omar", "omar@cairo.example") == 0
    assert run("user", "set-email", "omar", "--clear") == 0
    assert capsys.readouterr().out.splitlines()[-1] == "no e-mail address for omar"
    assert run("user", "list") == 0
    assert capsys.readouterr().out.splitlines() == ["omar\tcentre_viewer\tCAI-01\tdisabled\t-",
                                                    "sara.giza\tgovernorate_supervisor\t21\tactive\tsara@giza.example"]
    check = ServerDatabase(central_url, migrate=False)
    try:
        with check.sessions() as s:
            changes = [(a.actor, a.target, json.loads(a.detail or "{}")) for a in s.scalars(
                select(CentralAudit).where(CentralAudit.action == "user.set_email").order_by(CentralAudit.id))]
    finally:
        check.dispose()
    assert changes == [("cli", "sara.giza", {"email": "sara@giza.example", "previous": None}),
                       ("cli", "omar", {"email": "omar@cairo.example", "previous": None}),
                       ("cli", "omar", {"email": None, "previous": "omar@cairo.example"})]


@pytest.mark.allow_log(REFUSED, logger="sync.server.reports")
def test_the_login_page_in_chromium_arabic(world: World) -> None:  # noqa: F811
    url = world.central.url
    add_person(world.central, "sara.giza", "governorate_supervisor", governorate="21")
    for size in (PHONE, DESKTOP):
        with browser_page(size, "ar") as (page, requests_made):
            first = page.goto(f"{url}/reports?from={DAY}&to={DAY}")
            assert first is not None and first.status == 401
            assert page.title() == "الدخول إلى التقارير والمتابعة المركزية"
            assert_public_page(page, requests_made, url, lang="ar")
            page.fill("input[name=username]", "sara.giza")
            page.fill("input[name=password]", "not her password")
            page.keyboard.press("Enter")
            page.wait_for_selector("p.error")
            assert page.inner_text("p.error") == "اسم المستخدم أو كلمة المرور غير صحيحة."
            assert page.input_value("input[name=username]") == "sara.giza"
            assert_public_page(page, requests_made, url, lang="ar")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(re.compile(rf"/reports\?from={DAY}&to={DAY}&lang=ar$"))
            text = strip_isolates(page.inner_text("body"))
            assert "مشرف محافظة الجيزة" in text and "GIZ-01" in text and "GIZ-02" in text
            assert "CAI-01" not in text and "القاهرة" not in text
            page.screenshot(path=f"/tmp/central_login_ar_{size['width']}.png", full_page=True)
    with browser_page(DESKTOP, "ar") as (page, requests_made):  # locked: the rule said in Arabic
        page.goto(f"{url}/reports")
        for _ in range(5):
            page.fill("input[name=username]", "sara.giza")
            page.fill("input[name=password]", "still not it")
            page.click("button[type=submit]")
            page.wait_for_selector("p.error")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("p.error")
        assert strip_isolates(page.inner_text("p.error")) == ("الحساب مقفل بعد محاولات دخول خاطئة متتالية (الحد المسموح: 5). "
                                              "حاول مرة أخرى بعد 15 دقيقة.")
        page.screenshot(path="/tmp/central_login_locked_ar.png", full_page=True)


def test_central_server_still_serves_beside_its_subcommands(tmp_path: Path) -> None:
    """``central-server --db URL`` serves as before; ``central-server --db URL user ...`` manages people."""
    url = f"sqlite:///{tmp_path / 'central.sqlite3'}"
    env = {"PYTHONPATH": str(ROOT)}
    added = subprocess.run([sys.executable, "-m", "sync.server", "--db", url, "user", "add", "nour.admin", "--role",
                            "national_admin", "--password-stdin"], input=PASSWORD + "\n", capture_output=True,
                           text=True, cwd=tmp_path, env={**os.environ, **env}, timeout=60)
    assert added.returncode == 0 and "user nour.admin added" in added.stdout, added.stderr
    proc, server = start_central_process(url, ADMIN_TOKEN, cwd=tmp_path, env=env)
    try:
        login = log_in(server, "nour.admin")
        assert login.status_code == 303
        assert requests.get(server + "/reports", cookies={COOKIE: str(login.cookies.get(COOKIE))},
                            timeout=10).status_code == 200
    finally:
        proc.terminate()
        proc.wait(20)
