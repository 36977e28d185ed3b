"""Enrolment without a shared secret (sync/server/enrol_codes.py): a national administrator or the
governorate's supervisor issues a one-time code for a named centre; ``shubbak centre enrol --code``
registers the centre's key with it; a code expires after 48 hours, is used once (of ten enrolments
racing with one code exactly one wins) and is its centre's only."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update

from counter_app import cli
from counter_app.common.clock import CENTRE_TZ, as_utc, utcnow
from counter_app.common.i18n import strip_isolates
from sync import protocol
from sync.agent.agent import Agent
from sync.server import __main__ as server_main
from sync.server.models import CentralAudit, EnrolledCentre, EnrolmentCode
from sync.server.sessions import COOKIE
from tests.helpers.browser import DESKTOP, PHONE, assert_public_page, browser_page
from tests.helpers.central import ADMIN_TOKEN, PASSWORD, Central, add_person, log_in
from tests.helpers.factories import Centre


def session(central: Central, name: str) -> dict[str, str]:
    login = log_in(central.url, name)
    assert login.status_code == 303, login.text
    return {COOKIE: str(login.cookies.get(COOKIE))}


def issue(central: Central, cookies: dict[str, str] | None = None, **body: Any) -> requests.Response:
    headers = {} if cookies else {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    return requests.post(central.url + "/v1/enrolment-codes", json=body, cookies=cookies, headers=headers, timeout=10)


def enrol(site: Centre, central: Central, code: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    result = cli.main(["centre", "enrol", "--db", site.db.url, "--server", central.url, "--code", code])
    return result, capsys.readouterr().err.strip()


def test_who_may_issue_a_code_for_which_centre(central: Central) -> None:
    add_person(central, "sara.giza", "governorate_supervisor", governorate="21")
    add_person(central, "omar.cairo", "centre_viewer", centre="CAI-01")
    add_person(central, "nour.admin")
    sara = session(central, "sara.giza")
    mine = issue(central, sara, centre="GIZ-07")
    assert mine.status_code == 201, mine.text
    assert mine.json()["governorate"] == "21" and len(mine.json()["code"]) == 19  # XXXX-XXXX-XXXX-XXXX
    refused = issue(central, sara, centre="CAI-09", governorate="01")
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert issue(central, session(central, "omar.cairo"), centre="CAI-01").status_code == 403  # a viewer issues none
    assert issue(central, {COOKIE: "not a session"}, centre="GIZ-07").status_code == 401
    national = issue(central, session(central, "nour.admin"), centre="CAI-09", governorate="01")
    assert national.status_code == 201 and national.json()["governorate"] == "01"
    assert issue(central, centre="ALX-01", governorate="02").status_code == 201  # automation's token
    bad = issue(central, centre="ALX-02", governorate="99")
    assert bad.status_code == 422 and bad.json()["error"] == "bad_governorate"
    with central.db.sessions() as s:
        audited = s.execute(select(CentralAudit.actor, CentralAudit.action, CentralAudit.target)
                            .where(CentralAudit.action.like("enrol_code.%")).order_by(CentralAudit.id)).all()
        assert [tuple(a) for a in audited] == [
            ("user:sara.giza", "enrol_code.issue", "GIZ-07"), ("user:sara.giza", "enrol_code.refused", "CAI-09"),
            ("user:omar.cairo", "enrol_code.refused", "CAI-01"), ("user:nour.admin", "enrol_code.issue", "CAI-09"), ("token", "enrol_code.issue", "ALX-01")]
        codes = list(s.scalars(select(EnrolmentCode.digest)))
        assert all(mine.json()["code"] not in digest for digest in codes)  # only digests are kept


def test_a_code_enrols_its_centre_once_and_the_agent_syncs(central: Central, central_url: str, site: Centre,
                                                           capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # issued by the command on the server's machine, for another centre: refused, and left unused
    assert server_main.main(["--db", central_url, "enrol-code", "issue", "--centre", "GIZ-02",
                             "--governorate", "21"]) == 0
    other, said = capsys.readouterr().out.splitlines()
    until = (utcnow() + timedelta(hours=48)).astimezone(CENTRE_TZ)  # the operator's clock, UTC beside it
    assert re.fullmatch(r"centre GIZ-02, valid until \d{4}-\d\d-\d\d \d\d:\d\d Cairo time \(\d\d:\d\d UTC\)", said), said
    assert f"valid until {until:%Y-%m-%d} " in said
    assert enrol(site, central, other, capsys) == (
        1, "This enrolment code was issued for another centre. Check the centre's code or ask for a code for this "
           "centre.")
    assert enrol(site, central, "ABCD-EFGH-JKMN-PQRS", capsys)[0] == 1
    assert central.count(EnrolledCentre) == 0

    # expired: 48 hours after it was issued
    assert server_main.main(["--db", central_url, "enrol-code", "issue", "--centre", "GIZ-01",
                             "--governorate", "21"]) == 0
    old = capsys.readouterr().out.splitlines()[0]
    with central.db.sessions.begin() as s:
        s.execute(update(EnrolmentCode).where(EnrolmentCode.centre_code == "GIZ-01")
                  .values(expires_at=utcnow() - timedelta(seconds=1)))
    monkeypatch.setenv("SHUBBAK_LANG", "ar")
    assert enrol(site, central, old, capsys) == (
        1, "انتهت صلاحية رمز التسجيل (صالح 48 ساعة من إصداره). اطلب رمزًا جديدًا من المسؤول.")
    monkeypatch.setenv("SHUBBAK_LANG", "en")

    # a good one, typed carelessly (lower case, spaces for dashes, O for 0)
    code = issue(central, centre="GIZ-01", governorate="21").json()["code"]
    typed = code.lower().replace("-", " ").replace("0", "o")
    assert enrol(site, central, typed, capsys)[0] == 0
    with central.db.sessions() as s:
        centre = s.get(EnrolledCentre, "GIZ-01")
        assert centre is not None and centre.governorate == "21"  # the code's, not the centre's claim
    assert Agent(site.db).sync_once().sent > 0  # the registered key signs the agent's pushes
    # used: once only
    assert enrol(site, central, code, capsys) == (
        1, "This enrolment code was used already; a code works once. Ask the administrator for a new one.")
    with central.db.sessions() as s:
        refusals = list(s.scalars(select(CentralAudit.detail).where(CentralAudit.action == "centre.enrol_refused")
                                  .order_by(CentralAudit.id)))
    assert [r and r.split('"reason": "')[1].split('"')[0] for r in refusals] == [
        "wrong_centre", "unknown_code", "expired_code", "used_code"]


def test_ten_enrolments_racing_with_one_code_exactly_one_wins(central: Central) -> None:
    code = issue(central, centre="RACE-01", governorate="21").json()["code"]
    keys = [Ed25519PrivateKey.generate() for _ in range(10)]
    start = threading.Barrier(len(keys))
    answers: list[tuple[int, str, str]] = []
    lock = threading.Lock()

    def attempt(key: Ed25519PrivateKey) -> None:
        pem = protocol.public_pem(key.public_key())
        start.wait(10)
        r = requests.post(central.url + "/v1/centres/enrol-with-code", timeout=30,
                          json={"code": "RACE-01", "name": "Race", "sync_public_key": pem, "enrolment_code": code})
        with lock:
            answers.append((r.status_code, r.json().get("error", ""), pem))

    threads = [threading.Thread(target=attempt, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(a[:2] for a in answers) == [(201, "")] + [(409, "used_code")] * 9
    [winner] = [pem for status, _, pem in answers if status == 201]
    with central.db.sessions() as s:
        row = s.get(EnrolledCentre, "RACE-01")
        assert row is not None and row.sync_public_key == winner
        assert len(list(s.scalars(select(CentralAudit.id).where(CentralAudit.action == "centre.enrol")))) == 1


@pytest.mark.allow_log(r"two enrolments at the same moment", logger="sync.server.app", level="WARNING")
def test_two_codes_for_one_new_centre_racing_one_wins_the_other_is_refused_and_kept(central: Central) -> None:
    """Installers enrol the same new centre with several codes at the same moment (six, so that a
    true race happens nearly every run): the first wins (201); one that finds the centre created
    meanwhile gets a clear 409 (``enrolled_meanwhile``), its code unspent (it may re-enrol the centre
    later, replacing the key, as any code for an enrolled centre does); one that comes after the
    first committed re-enrols it (201). Never a 500."""
    codes = [issue(central, centre="RACE-02", governorate="21").json()["code"] for _ in range(6)]
    keys = [Ed25519PrivateKey.generate() for _ in codes]
    start = threading.Barrier(len(codes))
    answers: dict[str, tuple[int, dict[str, Any]]] = {}
    lock = threading.Lock()

    def attempt(code: str, key: Ed25519PrivateKey) -> None:
        pem = protocol.public_pem(key.public_key())
        start.wait(10)
        r = requests.post(central.url + "/v1/centres/enrol-with-code", timeout=30,
                          json={"code": "RACE-02", "name": "Race", "sync_public_key": pem, "enrolment_code": code})
        with lock:
            answers[pem] = (r.status_code, r.json())

    threads = [threading.Thread(target=attempt, args=pair) for pair in zip(codes, keys, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    statuses = [status for status, _ in answers.values()]
    assert len(statuses) == 6 and 201 in statuses and set(statuses) <= {201, 409}, answers
    with central.db.sessions() as s:
        row = s.get(EnrolledCentre, "RACE-02")
        assert row is not None and row.governorate == "21"
        winners = [pem for pem, (status, _) in answers.items() if status == 201]
        assert row.sync_public_key in winners
        used = sum(c.used_at is not None for c in s.scalars(select(EnrolmentCode).where(
            EnrolmentCode.centre_code == "RACE-02")))
    assert used == statuses.count(201)  # a refused code stays usable
    for status, refusal in answers.values():
        if status == 409:
            assert refusal["error"] == "enrolled_meanwhile", refusal
            assert "was not spent" in refusal["message"], refusal


def test_an_enrolment_needs_a_code_or_the_token(central: Central, site: Centre,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["centre", "enrol", "--db", site.db.url, "--server", central.url]) == 2
    assert "--code" in capsys.readouterr().err
    pem = protocol.public_pem(Ed25519PrivateKey.generate().public_key())
    missing = requests.post(central.url + "/v1/centres/enrol-with-code", json={"code": "X-1", "sync_public_key": pem},
                            timeout=10)
    assert missing.status_code == 422 and central.count(EnrolledCentre) == 0
    for forged in ({"enrolment_code": 5}, {"enrolment_code": "x" * 65}):
        r = requests.post(central.url + "/v1/centres/enrol-with-code", timeout=10,
                          json={"code": "X-1", "sync_public_key": pem, **forged})
        assert r.status_code == 422


def test_the_code_page_in_chromium_arabic(central: Central, site: Centre, capsys: pytest.CaptureFixture[str]) -> None:
    """A governorate supervisor issues a code on the page, in Arabic; the centre enrols with it."""
    add_person(central, "sara.giza", "governorate_supervisor", governorate="21")
    add_person(central, "omar.cairo", "centre_viewer", centre="CAI-01")
    viewer = requests.get(central.url + "/reports/enrolment-codes?lang=en", cookies=session(central, "omar.cairo"),
                          timeout=10)
    assert viewer.status_code == 403 and "issues no enrolment codes" in viewer.text
    assert requests.get(central.url + "/reports/enrolment-codes", timeout=10).status_code == 401  # the login form
    code = ""
    for size in (PHONE, DESKTOP):
        with browser_page(size, "ar") as (page, requests_made):
            page.goto(central.url + "/reports")
            page.fill("input[name=username]", "sara.giza")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.click("text=إصدار رمز تسجيل لمركز")
            page.wait_for_selector("input[name=centre]")
            assert page.title() == "رموز تسجيل المراكز" and page.locator("select").count() == 0  # hers only
            assert_public_page(page, requests_made, central.url, lang="ar")
            page.fill("input[name=centre]", "GIZ-01")
            page.keyboard.press("Enter")
            page.wait_for_selector("output")
            code = page.inner_text("output")
            assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code)
            status = strip_isolates(page.inner_text("p[role=status]"))
            assert "رمز تسجيل المركز GIZ-01 أدناه. يُستخدم مرة واحدة، وصالح حتى" in status
            with central.db.sessions() as s:  # the expiry in Cairo time, as every central page says times
                newest = s.scalars(select(EnrolmentCode).order_by(EnrolmentCode.issued_at.desc())).first()
                assert newest is not None
                until = as_utc(newest.expires_at).astimezone(CENTRE_TZ)
            assert f"{until:%Y-%m-%d} الساعة {until:%H:%M} بتوقيت القاهرة" in status, status
            assert_public_page(page, requests_made, central.url, lang="ar")
            page.screenshot(path=f"/tmp/central_enrol_code_ar_{size['width']}.png", full_page=True)
    assert enrol(site, central, code, capsys)[0] == 0  # the newest code; the first one stays unused
    with central.db.sessions() as s:
        assert [c.used_at is not None for c in s.scalars(select(EnrolmentCode).order_by(EnrolmentCode.issued_at))] == [
            False, True]
