"""Notifications to citizens: queued with the state change, sent through a real SMTP server
(aiosmtpd) and a real HTTP SMS gateway on loopback, with failures, retries for a day and
delivery reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from counter_app.common.i18n import strip_isolates
from counter_app.core import applications as apps
from counter_app.core import notifications
from counter_app.core.clock import utcnow
from counter_app.core.db import Database
from counter_app.core.errors import DomainError
from counter_app.core.models import Application, ApplicationState, Notification, NotificationState, User
from counter_app.core.notifications import Store
from counter_app.notify.dispatch import dispatch, poll_deliveries
from counter_app.notify.senders import HttpSmsSender, SmtpSender, international_phone
from tests.helpers.applications import NAME, NID, submitted
from tests.helpers.bidi import assert_reads_in_order, reads_in_order
from tests.helpers.central import free_port
from tests.helpers.factories import Centre
from tests.helpers.notifying import Mailbox, approve_and_ready
from tests.helpers.sms_gateway import Gateway


def notes(db: Database, app_id: int | None = None) -> list[Notification]:
    with db.read() as s:
        query = select(Notification).order_by(Notification.id)
        if app_id is not None:
            query = query.where(Notification.application_id == app_id)
        return list(s.scalars(query))


# -- queueing -----------------------------------------------------------------------------------
def test_ready_returned_and_rejected_queue_sms_and_email_without_personal_data(site: Centre) -> None:
    ready, returned, rejected = submitted(site), submitted(site, mail=None), submitted(site, phone=None)
    approve_and_ready(site.db, ready)
    with site.db.begin() as s:
        for app_id in (returned, rejected):
            reviewer = s.get_one(User, s.get_one(Application, app_id).reviewer_id)
            apps.start_review(s, app_id, reviewer=reviewer)
        app = s.get_one(Application, returned)
        apps.return_for_documents(s, returned, reviewer=s.get_one(User, app.reviewer_id),
                                  missing=[app.documents[0].code])
        apps.reject(s, rejected, reviewer=s.get_one(User, s.get_one(Application, rejected).reviewer_id),
                    reason="other: test")
        codes = {i: s.get_one(Application, i).tracking_code for i in (ready, returned, rejected)}
        first_doc = s.get_one(Application, returned).documents[0].name_ar
    got = {(n.application_id, n.channel): n for n in notes(site.db)}
    assert set(got) == {(ready, "sms"), (ready, "email"), (returned, "sms"), (rejected, "email")}
    assert "جاهز للاستلام" in got[ready, "sms"].body and codes[ready] in got[ready, "sms"].body
    assert first_doc in got[returned, "sms"].body and "رُفض" in got[rejected, "email"].body
    for note in got.values():
        assert note.state == NotificationState.PENDING
        assert NAME not in note.body and NID not in note.body and "29001010" not in note.body
        assert note.recipient in ("+201012345678", "citizen@example.org")  # phones are stored in E.164


def test_the_tracking_code_reads_in_order_in_the_arabic_sms(qapp: QApplication, site: Centre) -> None:
    """Laid out by Qt as a phone lays it out, the code in the Arabic SMS reads like the receipt's;
    without the isolate the bidi algorithm turns its groups around."""
    returned = submitted(site, mail=None)
    with site.db.begin() as s:
        app = s.get_one(Application, returned)
        apps.start_review(s, returned, reviewer=s.get_one(User, app.reviewer_id))
        apps.return_for_documents(s, returned, reviewer=s.get_one(User, app.reviewer_id),
                                  missing=[d.code for d in app.documents if d.mandatory][:2])
        code = app.tracking_code
        missing = [d.name_ar for d in app.documents if d.mandatory][:2]
    approve_and_ready(site.db, ready := submitted(site, mail=None))
    with site.db.read() as s:
        ready_code = s.get_one(Application, ready).tracking_code
    bodies = {n.application_id: n.body for n in notes(site.db)}
    for app_id, tracking in ((returned, code), (ready, ready_code)):
        body = bodies[app_id]
        assert f"\u2066{tracking}\u2069" in body
        assert_reads_in_order(body, tracking, rtl=True)
        assert not reads_in_order(strip_isolates(body), tracking, rtl=True)  # what the old SMS showed
    assert len(missing) == 2 and "، ".join(missing) in strip_isolates(bodies[returned])
    assert strip_isolates(bodies[returned]).startswith("شباك: أُعيد طلبكم (")


def test_a_message_in_english_on_request(site: Centre) -> None:
    app_id = submitted(site)
    with site.db.begin() as s:
        app = s.get_one(Application, app_id)
        for d in app.documents:
            d.received = False
        ready = notifications.render(app, ApplicationState.READY, "Registration certificate", "Giza Centre", "en")
        back = notifications.render(app, ApplicationState.RETURNED, "Registration certificate", "Giza Centre", "en")
        mandatory = [d.name_en for d in app.documents if d.mandatory]
        code = app.tracking_code
    assert ready.subject == "Your application is ready for collection"
    assert strip_isolates(ready.body) == (
        f"Shubbak: your application (Registration certificate), tracking code {code}, is ready for collection at "
        "Giza Centre. Please bring your national ID card.")
    assert f"was returned for documents: {', '.join(mandatory)}. Please" in strip_isolates(back.body)
    assert not any("\u0600" <= c <= "\u06ff" for c in ready.body + back.body)


def test_opt_out_and_a_bad_email(site: Centre) -> None:
    app_id = submitted(site, opt_out=True)
    approve_and_ready(site.db, app_id)
    assert notes(site.db, app_id) == []
    with pytest.raises(DomainError) as error:
        submitted(site, mail="not an address")
    assert error.value.code == "email_invalid" and "not an address" in error.value.message("en")


def test_international_phone() -> None:
    assert international_phone("01012345678") == "+201012345678"
    assert international_phone("+20 101 234 5678") == "+201012345678"
    assert international_phone("00201012345678") == "+201012345678"


# -- SMTP -----------------------------------------------------------------------------------------
def test_email_through_a_real_smtp_server_with_retries(site: Centre, smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    app_id = submitted(site, phone=None)
    approve_and_ready(site.db, app_id)
    sender = SmtpSender("127.0.0.1", port, sender="no-reply@shubbak.example")
    box.refuse = ["451 4.3.0 try again later"]
    now = utcnow()
    report = dispatch(Store(site.db), {"email": sender}, now=now)
    assert (report.sent, report.retried) == (0, 1) and box.messages == []
    (note,) = notes(site.db, app_id)
    assert note.state == NotificationState.PENDING and "451" in (note.last_error or "")
    assert dispatch(Store(site.db), {"email": sender}, now=now).sent == 0  # not due before its backoff
    report = dispatch(Store(site.db), {"email": sender}, now=now + timedelta(minutes=2))
    assert report.sent == 1
    (message,) = box.messages
    assert message["To"] == "citizen@example.org" and message["Subject"] == "طلبكم جاهز للاستلام"
    assert "جاهز للاستلام" in message.get_content()
    (note,) = notes(site.db, app_id)
    assert note.state == NotificationState.SENT and note.attempts == 2 and note.provider_id


@pytest.mark.expect_log(r"^notification \d+ \(email\) failed for good: recipient refused: ", logger="counter_app.core.notifications")
def test_a_refused_address_fails_at_once_and_a_dead_server_is_retried(site: Centre,
                                                                      smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    first, second = submitted(site, phone=None), submitted(site, phone=None)
    approve_and_ready(site.db, first)
    box.refuse = ["550 5.1.1 no such user"]
    assert dispatch(Store(site.db), {"email": SmtpSender("127.0.0.1", port, sender="a@b.example")}).failed == 1
    assert notes(site.db, first)[0].state == NotificationState.FAILED
    approve_and_ready(site.db, second)
    dead = SmtpSender("127.0.0.1", free_port(), sender="a@b.example", timeout=2)
    assert dispatch(Store(site.db), {"email": dead}).retried == 1
    (note,) = notes(site.db, second)
    assert note.state == NotificationState.PENDING and "unreachable" in (note.last_error or "")


# -- SMS gateway ----------------------------------------------------------------------------------
def test_sms_through_a_gateway_with_failures_retries_and_delivery(site: Centre, gateway: Gateway) -> None:
    app_id = submitted(site, mail=None)
    approve_and_ready(site.db, app_id)
    sms = HttpSmsSender(gateway.url, "sms-token")
    gateway.answers = [(503, "{}"), (200, "not json")]
    now = utcnow()
    assert dispatch(Store(site.db), {"sms": sms}, now=now).retried == 1
    assert dispatch(Store(site.db), {"sms": sms}, now=now + timedelta(minutes=2)).retried == 1
    report = dispatch(Store(site.db), {"sms": sms}, now=now + timedelta(minutes=10))
    assert report.sent == 1
    (sent,) = gateway.received
    assert sent["to"] == "+201012345678" and "جاهز للاستلام" in sent["text"] and NAME not in sent["text"]
    (note,) = notes(site.db, app_id)
    assert note.state == NotificationState.SENT and note.provider_id == "g-1" and note.attempts == 3
    assert poll_deliveries(Store(site.db), sms) == 0  # the gateway does not know yet
    gateway.status["g-1"] = "delivered"
    assert poll_deliveries(Store(site.db), sms) == 1
    (note,) = notes(site.db, app_id)
    assert note.state == NotificationState.DELIVERED and note.delivered_at is not None
    sms.close()


@pytest.mark.expect_log(r"^notification \d+ \(sms\) failed for good: SMS gateway (refused|answered)\b", logger="counter_app.core.notifications")
def test_refused_by_the_gateway_and_retries_stop_after_a_day(site: Centre, gateway: Gateway) -> None:
    refused, flaky = submitted(site, mail=None), submitted(site, mail=None)
    approve_and_ready(site.db, refused)
    gateway.answers = [(400, '{"error": "bad number"}')]
    sms = HttpSmsSender(gateway.url, "sms-token")
    assert dispatch(Store(site.db), {"sms": sms}).failed == 1
    approve_and_ready(site.db, flaky)
    now = utcnow()
    moment, attempts = now, 0
    gateway.answers = [(500, "{}")] * 100
    while True:
        report = dispatch(Store(site.db), {"sms": sms}, now=moment)
        attempts += report.retried + report.failed
        if report.failed:
            break
        moment += timedelta(minutes=61)
        assert moment < now + timedelta(days=2)
    (note,) = notes(site.db, flaky)
    assert note.state == NotificationState.FAILED and note.attempts == attempts
    assert timedelta(hours=22) < moment - now <= timedelta(days=1)
    assert gateway.received == []
    # a wrong token is the deployment's mistake: refused for good, said clearly
    other = submitted(site, mail=None)
    approve_and_ready(site.db, other)
    gateway.answers = []
    assert dispatch(Store(site.db), {"sms": HttpSmsSender(gateway.url, "wrong")}).failed == 1
    assert "401" in (notes(site.db, other)[0].last_error or "")
    sms.close()


def test_dispatch_command(site: Centre, smtp: tuple[Mailbox, int], gateway: Gateway,
                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from counter_app import cli

    box, port = smtp
    app_id = submitted(site)
    approve_and_ready(site.db, app_id)
    monkeypatch.setenv("SHUBBAK_SMS_TOKEN", "sms-token")
    assert cli.main(["notify", "dispatch", "--db", site.db.url, "--once"]) == 2
    assert cli.main(["notify", "dispatch", "--db", site.db.url, "--once", "--smtp-host", "127.0.0.1",
                     "--smtp-port", str(port), "--smtp-from", "no-reply@shubbak.example",
                     "--sms-url", gateway.url]) == 0
    assert "sent 2" in capsys.readouterr().out
    assert len(box.messages) == 1 and len(gateway.received) == 1
    assert {n.state for n in notes(site.db, app_id)} == {NotificationState.SENT}
