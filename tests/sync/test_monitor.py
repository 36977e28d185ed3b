"""Live monitoring (issue 19, item 4): the page and its JSON by role, alerts raised and cleared
once from a real agent's heartbeats, mailed once through a real SMTP server, one worker by the
lease; the real central server on loopback, both databases."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update

from counter_app.common.i18n import strip_isolates
from counter_app.core import queue
from counter_app.core.clock import as_utc, utcnow
from counter_app.notify.senders import SmtpSender
from sync import protocol
from sync.agent.agent import Agent
from sync.agent.heartbeat import Heartbeats
from sync.server import __main__ as server_main
from sync.server.accounts import add_user
from sync.server.alerts import AlertRunner, AlertSettings, evaluate, is_open
from sync.server.db import ServerDatabase
from sync.server.leases import take_lease
from sync.server.models import CentralAlert, CentralUser, EnrolledCentre, ServerLease
from sync.server.sessions import COOKIE
from tests.helpers.central import ADMIN_TOKEN, Central, add_person, log_in, start_central_process
from tests.helpers.factories import Centre
from tests.helpers.notifying import Mailbox

ROOT = Path(__file__).resolve().parents[2]


def enrol_centre(central: Central, code: str, governorate: str, name: str, services: list[str] | None = None) -> None:
    """A centre enrolled as automation enrols one (the API with the administrator token)."""
    key = Ed25519PrivateKey.generate().public_key()
    answer = requests.post(central.url + "/v1/centres/enrol", timeout=10,
                           headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                           json={"code": code, "name": name, "name_ar": name, "name_en": name,
                                 "governorate": governorate, "sync_public_key": protocol.public_pem(key),
                                 **({"services": services} if services is not None else {})})
    assert answer.status_code == 201, answer.text


def session_of(central: Central, name: str) -> requests.Session:
    answer = log_in(central.url, name, next="/monitor")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/monitor?"), answer.headers
    http = requests.Session()
    http.cookies.update(answer.cookies)
    return http


def test_a_governorate_supervisor_sees_only_the_centres_of_their_governorate(central: Central) -> None:
    enrol_centre(central, "2101", "21", "Giza One")
    enrol_centre(central, "2102", "21", "Giza Two", services=["MP-REG-CERT"])
    enrol_centre(central, "0101", "01", "Cairo One")
    add_person(central, "giza", "governorate_supervisor", governorate="21")
    add_person(central, "viewer", "centre_viewer", centre="0101")
    add_person(central, "nation")
    giza = session_of(central, "giza")

    page = giza.get(central.url + "/monitor", timeout=10)
    assert page.status_code == 200 and '<script src="/static/monitor.js' in page.text
    assert "script-src 'self';" in page.headers["content-security-policy"]  # no inline script
    assert giza.get(central.url + "/static/monitor.js", timeout=10).status_code == 200
    assert 'data-centre="2101"' in page.text and 'data-centre="2102"' in page.text
    assert "0101" not in page.text and "Cairo One" not in page.text
    assert giza.get(central.url + "/monitor/centres/0101", timeout=10).status_code == 404
    assert giza.get(central.url + "/monitor/centres/2101", timeout=10).status_code == 200
    rows = giza.get(central.url + "/v1/monitor/centres", timeout=10).json()["centres"]
    assert sorted(r["centre"] for r in rows) == ["2101", "2102"]
    # a service filter keeps the centres that offer it (one without a list offers every service)
    offering = giza.get(central.url + "/v1/monitor/centres", params={"service": "LU-BUILD-PERMIT"}, timeout=10)
    assert [r["centre"] for r in offering.json()["centres"]] == ["2101"]
    page = giza.get(central.url + "/monitor", params={"service": "MP-REG-CERT", "lang": "en"}, timeout=10)
    assert 'data-centre="2101"' in page.text and 'data-centre="2102"' in page.text
    assert '<option value="MP-REG-CERT" selected>' in page.text
    # a filter for another governorate shows nothing of it
    other = giza.get(central.url + "/monitor", params={"governorate": "01"}, timeout=10)
    assert "0101" not in other.text and "Cairo One" not in other.text

    viewer = session_of(central, "viewer")
    assert [r["centre"] for r in viewer.get(central.url + "/v1/monitor/centres", timeout=10).json()["centres"]] == [
        "0101"]
    assert viewer.get(central.url + "/monitor/centres/2101", timeout=10).status_code == 404
    national = session_of(central, "nation").get(central.url + "/v1/monitor/centres", timeout=10).json()["centres"]
    assert sorted(r["centre"] for r in national) == ["0101", "2101", "2102"]
    assert all(not r["online"] for r in national)  # no heartbeat yet: offline
    filtered = session_of(central, "nation").get(central.url + "/v1/monitor/centres", params={"governorate": "01"},
                                                 timeout=10).json()["centres"]
    assert [r["centre"] for r in filtered] == ["0101"]
    # nobody logged in: the login form, which comes back here
    anonymous = requests.get(central.url + "/monitor", timeout=10)
    assert anonymous.status_code == 401 and 'name="next" value="/monitor"' in anonymous.text
    assert requests.get(central.url + "/v1/monitor/centres", timeout=10).status_code == 401


def test_bad_input_and_no_rights_get_clear_answers(central: Central, central_url: str) -> None:
    """Unknown filters: the page answers 400 saying which (in the person's language), the API 422
    with a code; an unknown or unprintable centre code: 404 with the page's message; no session, a
    forged one or a disabled account: 401 (the login form, or the API's JSON)."""
    enrol_centre(central, "2101", "21", "Giza One")
    add_person(central, "giza", "governorate_supervisor", governorate="21")
    giza = session_of(central, "giza")
    for params, field in (({"governorate": "99"}, "governorate"), ({"governorate": "Giza"}, "governorate"),
                          ({"service": "NO-SUCH"}, "service"), ({"service": "x" * 300}, "service")):
        page = giza.get(central.url + "/monitor", params={**params, "lang": "en"}, timeout=10)
        assert page.status_code == 400, (params, page.status_code)
        shown = strip_isolates(page.text)
        value = str(next(iter(params.values())))[:40]
        assert (f"There is no governorate with the code {value}." in shown if field == "governorate"
                else f"The service {value} is not in the published catalogue." in shown), shown
        assert 'data-refresh' not in page.text and "Giza One" not in page.text  # a message, not a page that reloads
        api = giza.get(central.url + "/v1/monitor/centres", params=params, timeout=10)
        assert api.status_code == 422 and api.json()["error"] in (f"bad_{field}", "invalid"), api.text
    arabic = giza.get(central.url + "/monitor", params={"governorate": "99"}, timeout=10)
    assert arabic.status_code == 400 and "لا توجد محافظة بالكود 99" in strip_isolates(arabic.text)
    assert giza.get(central.url + "/v1/monitor/centres", params={"governorate": "99"}, timeout=10).json() == {
        "error": "bad_governorate", "message": "unknown governorate code '99' (two digits, e.g. 21)"}
    # empty filters (the form's "all") are no filter
    assert giza.get(central.url + "/monitor", params={"governorate": "", "service": ""}, timeout=10).status_code == 200
    # unknown centres: the page's message, whatever the code looks like
    for code in ("NOPE", "2101%00", "a" * 200, "%D8%A7"):
        unknown = giza.get(central.url + f"/monitor/centres/{code}?lang=en", timeout=10)
        assert unknown.status_code == 404 and "data-refresh" not in unknown.text, code
        assert "<title>" in unknown.text and 'role="alert"' in unknown.text
    # no rights: no session, a forged one, a disabled account's
    forged = requests.Session()
    forged.cookies.set(COOKIE, "forged")
    for who in (requests.Session(), forged):
        assert who.get(central.url + "/monitor/centres/2101", timeout=10).status_code == 401
        answer = who.get(central.url + "/v1/monitor/centres", timeout=10)
        assert answer.status_code == 401 and answer.json()["error"] == "unauthenticated", answer.text
    assert requests.get(central.url + "/v1/monitor/centres", headers={"Authorization": "Bearer wrong"},
                        timeout=10).status_code == 401
    assert server_main.main(["--db", central_url, "user", "disable", "giza"]) == 0
    assert giza.get(central.url + "/v1/monitor/centres", timeout=10).status_code == 401
    assert giza.get(central.url + "/monitor", timeout=10).status_code == 401


def test_opening_hours_decide_whether_silence_is_an_alert() -> None:
    from datetime import datetime

    from counter_app.common.clock import CENTRE_TZ

    sunday_10 = datetime(2026, 11, 22, 10, 0, tzinfo=CENTRE_TZ)  # a Sunday
    assert is_open("sun-thu 08:00-15:00", sunday_10)
    assert not is_open("sun-thu 08:00-15:00", sunday_10 + timedelta(hours=6))
    assert not is_open("sun-thu 08:00-15:00", sunday_10 - timedelta(days=2))  # Friday
    assert is_open("sat-wed 09:00-13:00", sunday_10)  # wraps over the week's end
    assert is_open(None, sunday_10) and is_open("not hours", sunday_10)


def centre_of(central: Central) -> EnrolledCentre:
    with central.db.sessions() as s:
        return s.scalars(select(EnrolledCentre)).one()


def alerts(central: Central) -> list[tuple[str, bool, str | None]]:
    with central.db.sessions() as s:
        return [(a.kind, a.cleared_at is None, a.emailed_to)
                for a in s.scalars(select(CentralAlert).order_by(CentralAlert.id))]


def test_alerts_are_raised_cleared_and_mailed_once_from_a_real_agents_heartbeats(
        enrolled: Centre, central: Central, smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    centre = centre_of(central)
    with central.db.sessions.begin() as s:  # always open: the offline rule below does not depend on the weekday
        row = s.get_one(EnrolledCentre, centre.code)
        row.opening_hours, row.governorate = None, "01"
    add_person(central, "super", "governorate_supervisor", governorate="01")
    add_person(central, "other", "governorate_supervisor", governorate="04")
    with central.db.sessions.begin() as s:
        s.execute(update(CentralUser).where(CentralUser.username == "super").values(email="super@example.org"))
        s.execute(update(CentralUser).where(CentralUser.username == "other").values(email="other@example.org"))
    now = utcnow()
    with enrolled.db.begin() as s:  # a citizen waiting for 50 minutes
        queue.issue_ticket(s, "A", at=now - timedelta(minutes=50))
    agent = Agent(enrolled.db)
    beats = Heartbeats(agent)
    beats.send_once()
    settings = AlertSettings(wait_s=30 * 60, page_url=central.url)
    sender = SmtpSender("127.0.0.1", port, sender="monitor@example.org", timeout=5)
    first, second = AlertRunner(central.db, settings, sender), AlertRunner(central.db, settings, sender)

    assert first.run_once() and not second.run_once()  # one process holds the lease
    assert alerts(central) == [("long_wait", True, "super@example.org")]
    assert first.run_once()  # again: nothing new, nothing mailed again
    assert alerts(central) == [("long_wait", True, "super@example.org")]
    assert len(box.messages) == 1
    mail = box.messages[0]
    assert mail["To"] == "super@example.org" and "انتظار طويل" in mail["Subject"] and "Long wait" in mail["Subject"]
    assert f"/monitor/centres/{centre.code}" in mail.get_content()

    with enrolled.db.begin() as s:  # served: the next heartbeat has no long wait
        assert queue.call_next(s, enrolled.counter_ids[0], enrolled.clerk_ids[0]) is not None
    beats.send_once()
    assert first.run_once() and first.run_once()
    assert alerts(central) == [("long_wait", False, "super@example.org")]

    # silent for 20 minutes (the server's clock moved on): offline, raised once, mailed once
    later = utcnow() + timedelta(minutes=20)
    assert first.run_once(later) and first.run_once(later + timedelta(seconds=30))
    assert alerts(central) == [("long_wait", False, "super@example.org"), ("offline", True, "super@example.org")]
    assert len(box.messages) == 2
    # the lease expired (three intervals): the other process takes over, and raises nothing again
    assert second.run_once(later + timedelta(minutes=5))
    assert len(alerts(central)) == 2 and len(box.messages) == 2
    beats.send_once()  # back: cleared by the next round
    assert second.run_once()
    assert alerts(central)[-1][:2] == ("offline", False)
    assert all(m["To"] == "super@example.org" for m in box.messages)

    http = session_of(central, "super")
    page = http.get(central.url + f"/monitor/centres/{centre.code}", params={"lang": "en"}, timeout=10)
    assert page.status_code == 200 and 'data-kind="long_wait"' in page.text and 'data-kind="offline"' in page.text
    beats.http.close()
    agent.close()


def test_several_workers_evaluating_at_once_raise_each_alert_once(central: Central) -> None:
    for n in range(6):
        enrol_centre(central, f"21{n:02d}", "21", f"Centre {n}")
    later = utcnow() + timedelta(hours=1)  # none sent a heartbeat: all offline (no opening hours: always open)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(10)
            with central.db.sessions.begin() as s:
                evaluate(s, later, AlertSettings())
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert sorted(alerts(central)) == [("offline", True, None)] * 6
    with central.db.sessions.begin() as s:
        assert take_lease(s, "a", later, 60, "alerts") and not take_lease(s, "b", later, 60, "alerts")
        assert take_lease(s, "b", later + timedelta(seconds=61), 60, "alerts")


def test_the_server_processes_evaluate_alerts_by_themselves_and_mail_once(
        central_url: str, tmp_path: Path, smtp: tuple[Mailbox, int]) -> None:
    """``central-server --workers 2``: each worker runs the alerts' thread, the lease lets one
    evaluate; a centre silent for an hour is raised once and mailed once to its supervisor."""
    box, port = smtp
    db = ServerDatabase(central_url)
    try:
        with db.sessions.begin() as s:
            s.add(EnrolledCentre(code="2101", name="Giza One", governorate="21", sync_public_key="-",
                                 enrolled_at=utcnow() - timedelta(hours=1), clock_flagged=False))
            add_user(s, "giza", "a long test password", "governorate_supervisor", utcnow(), actor="cli",
                     governorate="21", email="giza@example.org")
    finally:
        db.dispose()
    proc, _url = start_central_process(central_url, ADMIN_TOKEN, cwd=ROOT, args=("--workers", "2"), env={
        "SHUBBAK_ALERT_SMTP": f"127.0.0.1:{port}", "SHUBBAK_ALERT_INTERVAL_S": "0.3",
        "SHUBBAK_ALERT_FROM": "monitor@example.org"})
    try:
        deadline = time.monotonic() + 60
        while not box.messages:
            assert time.monotonic() < deadline, "no alert was mailed"
            time.sleep(0.05)
        check = ServerDatabase(central_url, migrate=False)
        try:
            def lease() -> datetime:
                with check.sessions() as s:
                    return as_utc(s.get_one(ServerLease, "alerts").expires_at)

            first = lease()
            while lease() < first + timedelta(seconds=1.2):  # four more rounds (0.3 s each) have run
                assert time.monotonic() < deadline, "the alerts' rounds stopped"
                time.sleep(0.05)
            assert len(box.messages) == 1 and box.messages[0]["To"] == "giza@example.org"
            with check.sessions() as s:
                assert [(a.kind, a.centre_code) for a in s.scalars(select(CentralAlert))] == [("offline", "2101")]
        finally:
            check.dispose()
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.allow_log(r"^an alert's mail was not sent", logger="sync.server.alerts", level="WARNING")
def test_a_mail_the_server_could_not_send_is_sent_at_the_next_round_once(
        central: Central, smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    enrol_centre(central, "2101", "21", "Giza One")
    add_person(central, "giza", "governorate_supervisor", governorate="21")
    with central.db.sessions.begin() as s:
        s.execute(update(CentralUser).where(CentralUser.username == "giza").values(email="giza@example.org"))
    runner = AlertRunner(central.db, AlertSettings(), SmtpSender("127.0.0.1", port, sender="m@example.org", timeout=5))
    box.refuse.append("451 4.3.0 try again later")
    later = utcnow() + timedelta(hours=1)  # silent for an hour
    assert runner.run_once(later)
    assert not box.messages and alerts(central) == [("offline", True, None)]  # the claim was given back
    assert runner.run_once(later + timedelta(minutes=1)) and runner.run_once(later + timedelta(minutes=2))
    assert len(box.messages) == 1 and alerts(central) == [("offline", True, "giza@example.org")]


def test_the_alerts_go_to_the_address_set_by_the_command_and_to_the_administrators_once_cleared(
        central: Central, central_url: str, smtp: tuple[Mailbox, int], capsys: pytest.CaptureFixture[str]) -> None:
    """``central-server user set-email``: the next alert of the supervisor's governorate goes to the
    new address; once cleared, to the national administrators' (nobody of the governorate has one)."""
    box, port = smtp
    enrol_centre(central, "2101", "21", "Giza One")
    add_person(central, "giza", "governorate_supervisor", governorate="21")
    add_person(central, "nour", "national_admin")
    assert server_main.main(["--db", central_url, "user", "set-email", "giza", "giza.new@example.org"]) == 0
    assert server_main.main(["--db", central_url, "user", "set-email", "nour", "nour@example.org"]) == 0
    capsys.readouterr()
    runner = AlertRunner(central.db, AlertSettings(), SmtpSender("127.0.0.1", port, sender="m@example.org", timeout=5))
    later = utcnow() + timedelta(hours=1)  # silent for an hour
    assert runner.run_once(later)
    assert [m["To"] for m in box.messages] == ["giza.new@example.org"]
    assert server_main.main(["--db", central_url, "user", "set-email", "giza", "--clear"]) == 0
    enrol_centre(central, "2102", "21", "Giza Two")
    assert runner.run_once(later + timedelta(minutes=1)) and runner.run_once(later + timedelta(minutes=2))
    assert [m["To"] for m in box.messages] == ["giza.new@example.org", "nour@example.org"]
    assert alerts(central) == [("offline", True, "giza.new@example.org"), ("offline", True, "nour@example.org")]
