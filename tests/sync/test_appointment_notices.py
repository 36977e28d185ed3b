"""The central server's SMS about bookings (sync/server/appointments/notices.py): the confirmation,
move and cancel queued with the change and sent through a real HTTP SMS gateway on loopback by the
server's own round; reminders the day before and an hour before at the right times (``now``
injected); the gateway's failures retried and a refusal failed; the reminders' opt-out; the mobile
numbers deleted once each booking is over; one process of many doing the round."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from counter_app.common.clock import CENTRE_TZ, as_utc, local_day, utcnow
from counter_app.common.i18n import strip_isolates
from counter_app.notify.dispatch import dispatch, poll_deliveries
from counter_app.notify.senders import HttpSmsSender
from sync.protocol import WireEvent
from sync.server.appointments import bookings, centre_pull, notices
from sync.server.appointments.notices import (
    NoticeRunner,
    NoticeSettings,
    Store,
    forget_numbers,
    queue_reminders,
)
from sync.server.db import ServerDatabase
from sync.server.models import AppointmentRule, Booking, BookingNotice, EnrolledCentre, ServerLease
from tests.helpers.appointments import nid
from tests.helpers.browser import DESKTOP, ON_SQLITE, PHONE, assert_public_page, browser_page
from tests.helpers.central import ADMIN_TOKEN, Central, running_central, start_central_process
from tests.helpers.sms_gateway import Gateway
from tests.helpers.waiting import wait_for

SERVICE = "MP-REG-CERT"  # group A
MOBILE, E164 = "01012345678", "+201012345678"
HOURS = json.dumps({str(d): [["09:00", "12:00"]] for d in range(7)})
LIMITS = bookings.Limits(monthly=50)
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "screenshots"


def cairo(day: date, hh: int, mm: int = 0) -> datetime:
    return as_utc(datetime(day.year, day.month, day.day, hh, mm, tzinfo=CENTRE_TZ))


def add_centre(db: ServerDatabase, now: datetime) -> None:
    """GIZ-01 with group A's slots every day 09:00-12:00 (30 minutes, 5 places), bookable the same
    day until 23:59 (so a booking an hour before its slot can be made)."""
    notices._centre_names.clear()  # names of another test's GIZ-01
    with db.sessions.begin() as s:
        s.add(EnrolledCentre(code="GIZ-01", name="GIZ-01", governorate="21", sync_public_key="-", enrolled_at=now,
                             clock_flagged=False, name_ar="مركز الدقي", name_en="Dokki centre"))
        s.add(AppointmentRule(centre_code="GIZ-01", group_letter="A", hours=HOURS, slot_minutes=30, places=5,
                              horizon_days=14, cutoff_days_before=0, cutoff_time="23:59", updated_at=now,
                              updated_by="test"))


@pytest.fixture
def server_db(central_url: str) -> Iterator[ServerDatabase]:
    db = ServerDatabase(central_url)
    add_centre(db, utcnow())
    yield db
    db.dispose()


def book(db: ServerDatabase, start: datetime, now: datetime, n: int = 1, *, lang: str = "ar",
         reminders: bool = True) -> bookings.NewBooking:
    with db.sessions.begin() as s:
        return bookings.book(s, centre="GIZ-01", group="A", service=SERVICE, start=start, national_id_text=nid(n),
                             mobile_text=MOBILE, lang=lang, now=now, limits=LIMITS, reminders=reminders,
                             site="https://shubbak.example")


def kinds(db: ServerDatabase, booking_id: int | None = None, state: str | None = None) -> list[str]:
    with db.sessions() as s:
        query = select(BookingNotice.kind).order_by(BookingNotice.id)
        if booking_id is not None:
            query = query.where(BookingNotice.booking_id == booking_id)
        if state is not None:
            query = query.where(BookingNotice.state == state)
        return list(s.scalars(query))


def notice_rows(db: ServerDatabase) -> list[BookingNotice]:
    with db.sessions() as s:
        return list(s.scalars(select(BookingNotice).order_by(BookingNotice.id)))


def booking_row(db: ServerDatabase, booking_id: int) -> Booking:
    with db.sessions() as s:
        return s.get_one(Booking, booking_id)


def remind(db: ServerDatabase, now: datetime) -> int:
    with db.sessions.begin() as s:
        return queue_reminders(s, now)


# -- through the real server ------------------------------------------------------------------------
@pytest.fixture
def central(central_url: str, gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> Iterator[Central]:
    monkeypatch.setenv("SHUBBAK_RATE_LIMITS", "booking=2000/minute,slots=2000/minute")
    with running_central(central_url, notices=NoticeSettings(gateway.url, "sms-token", interval_s=0.1)) as server:
        add_centre(server.db, utcnow())
        yield server


def test_a_booking_on_the_portal_gets_its_sms_with_the_code_and_the_qr_link(central: Central,
                                                                            gateway: Gateway) -> None:
    """Book on the portal (Arabic), move, stop the reminders and cancel: each change's SMS reaches the
    gateway from the server's own round; the confirmation holds the code and the manage page's link
    (the QR code's); the numbers are gone at the end, from the booking and from every message."""
    day = local_day(utcnow()) + timedelta(days=3)  # no reminder due during the test
    form = requests.get(f"{central.url}/appointments?service={SERVICE}&centre=GIZ-01&day={day}&lang=ar",
                        timeout=10).text
    assert re.search(r'id="reminders" name="reminders" type="checkbox" value="1" checked', form)
    starts = re.findall(r'name="slot" value="([^"]+)"', form)
    made = requests.post(central.url + "/appointments/book?lang=ar", allow_redirects=False, timeout=10, data={
        "service": SERVICE, "centre": "GIZ-01", "day": day.isoformat(), "slot": starts[2], "national_id": nid(1),
        "mobile": MOBILE, "reminders_asked": "1", "reminders": "1"})
    assert made.status_code == 303, made.text
    manage = made.headers["location"].split("?")[0]
    page = requests.get(central.url + manage + "?lang=ar", timeout=10).text
    link = re.search(r'id="appt-link" href="[^"]+" dir="ltr">([^<]+)<', page)
    assert link is not None and link.group(1) == central.url + manage  # what the page's QR code holds
    wait_for(lambda: gateway.received)
    [sms] = gateway.received
    code = manage.split("/")[3]
    assert sms["to"] == E164 and sms["reference"].startswith("shubbak-")
    text = sms["text"]
    assert code in text and link.group(1) in text and "مركز الدقي" in text and "10:00" in text
    assert "\u2068" in text and "\u2069" in text  # values isolated in the Arabic sentence
    assert strip_isolates(text).startswith("شباك: حُجز موعدكم")
    # moved: the new time
    moved = requests.post(central.url + manage + "/move?lang=ar", allow_redirects=False, timeout=10,
                          data={"slot": starts[3], "day": day.isoformat()})
    assert moved.status_code == 303, moved.text
    wait_for(lambda: len(gateway.received) == 2)
    assert "10:30" in gateway.received[1]["text"] and "نُقل" in gateway.received[1]["text"]
    # the reminders stopped on the manage page, then cancelled
    stop = requests.post(central.url + manage + "/reminders?lang=en", data={"reminders": "0"}, timeout=10)
    assert stop.status_code == 200 and 'id="appt-reminders-done"' in stop.text and "Reminders stopped." in stop.text
    assert "You will get no reminders" in stop.text
    with central.db.sessions() as s:
        row = s.scalar(select(Booking).where(Booking.code == code))
        assert row is not None and row.reminders is False and row.mobile == E164
    cancel = requests.post(central.url + manage + "/cancel?lang=ar", data={"confirm": "1"}, allow_redirects=False,
                           timeout=10)
    assert cancel.status_code == 303
    wait_for(lambda: len(gateway.received) == 3)
    assert "أُلغي" in gateway.received[2]["text"] and code in gateway.received[2]["text"]
    assert kinds(central.db) == ["booked", f"moved:{row.version}", "cancelled"]
    with central.db.sessions() as s:
        after = s.scalar(select(Booking).where(Booking.code == code))
        assert after is not None and after.mobile is None
    # the gateway has the third message before the dispatcher marks it sent: wait for the mark
    wait_for(lambda: all(n.recipient is None and n.state == "sent" for n in notice_rows(central.db)))


def test_the_api_booking_in_english_and_without_reminders(central: Central, gateway: Gateway) -> None:
    """The JSON API's booking: its SMS in English without isolation marks (the GSM alphabet), the
    reminders' choice kept."""
    day = local_day(utcnow()) + timedelta(days=4)
    answer = requests.post(central.url + "/v1/appointments/bookings", timeout=10, json={
        "centre": "GIZ-01", "service": SERVICE, "slot": cairo(day, 9, 30).isoformat(), "national_id": nid(2),
        "mobile": MOBILE, "lang": "en", "reminders": False})
    assert answer.status_code == 201, answer.text
    code, secret = answer.json()["code"], answer.json()["secret"]
    wait_for(lambda: gateway.received)
    text = gateway.received[0]["text"]
    assert text.isascii() and text.startswith(f"Shubbak: appointment {code} booked for ")
    assert "09:30, Dokki centre" in text and text.endswith(central.url + notices.manage_path(code, secret))
    with central.db.sessions() as s:
        row = s.scalar(select(Booking).where(Booking.code == code))
        assert row is not None and row.reminders is False


def test_the_link_never_takes_the_host_a_request_names(central: Central, gateway: Gateway,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A booker's Host header cannot put a site of theirs into the centres' SMS: without a public
    address configured the confirmation goes without its link; with one (--public-url), the link is
    on it whatever the request named."""
    day = local_day(utcnow()) + timedelta(days=4)

    def book_as(host: str, n: int, minute: int) -> tuple[str, str]:
        answer = requests.post(central.url + "/v1/appointments/bookings", timeout=10, headers={"Host": host}, json={
            "centre": "GIZ-01", "service": SERVICE, "slot": cairo(day, 9, minute).isoformat(),
            "national_id": nid(n), "mobile": MOBILE, "lang": "en"})
        assert answer.status_code == 201, answer.text
        return answer.json()["code"], answer.json()["secret"]

    code, _secret = book_as("evil.example", 3, 0)
    wait_for(lambda: len(gateway.received) == 1)
    text = gateway.received[0]["text"]
    assert text.startswith(f"Shubbak: appointment {code} booked for ") and text.endswith(" at 09:00, Dokki centre.")
    assert "evil" not in text and "http" not in text
    monkeypatch.setenv(notices.PUBLIC_URL_ENV, "https://shubbak.example/")
    code, secret = book_as("evil.example", 4, 30)
    wait_for(lambda: len(gateway.received) == 2)
    assert gateway.received[1]["text"].endswith("https://shubbak.example" + notices.manage_path(code, secret))
    assert "evil" not in gateway.received[1]["text"]


def test_a_public_url_is_an_address(capsys: pytest.CaptureFixture[str]) -> None:
    from sync.server.__main__ import main

    with pytest.raises(SystemExit) as refused:
        main(["--db", "sqlite://", "--public-url", "shubbak.example"])
    assert refused.value.code == 2 and "--public-url is an address such as https://" in capsys.readouterr().err


# -- reminders --------------------------------------------------------------------------------------
def test_reminders_the_day_before_and_an_hour_before(server_db: ServerDatabase) -> None:
    db = server_db
    day = local_day(utcnow()) + timedelta(days=5)
    start = cairo(day, 10)
    eve = day - timedelta(days=1)
    early = book(db, start, cairo(eve, 12), 1)  # booked before 18:00 the day before
    late = book(db, start, cairo(eve, 19), 2)  # after it: no day-before reminder
    close = book(db, cairo(day, 10, 30), cairo(day, 9, 15), 3)  # 75 minutes ahead: no hour-before reminder
    silent = book(db, start, cairo(eve, 12), 4, reminders=False)
    assert remind(db, cairo(eve, 17, 59)) == 0
    assert remind(db, cairo(eve, 18, 0)) == 1
    assert remind(db, cairo(eve, 18, 5)) == 0  # queued once
    slot = start.strftime("%Y%m%dT%H%MZ")
    assert kinds(db, early.booking.id) == ["booked", f"day:{slot}"]
    assert kinds(db, late.booking.id) == kinds(db, silent.booking.id) == ["booked"]
    assert remind(db, cairo(day, 8, 59)) == 0  # more than an hour before
    assert remind(db, cairo(day, 9, 0)) == 2  # early and late, not silent
    assert remind(db, cairo(day, 9, 10)) == 0
    assert kinds(db, late.booking.id) == ["booked", f"hour:{slot}"]
    assert remind(db, cairo(day, 9, 30)) == 0  # close was chosen 75 minutes before its slot
    assert kinds(db, close.booking.id) == ["booked"]
    with db.sessions() as s:
        day_text, hour_text = s.scalars(select(BookingNotice.body).where(
            BookingNotice.booking_id == early.booking.id, BookingNotice.kind != "booked")
            .order_by(BookingNotice.id)).all()
    assert strip_isolates(day_text) == f"شباك: تذكير بموعدكم {early.code} غدًا الساعة 10:00 في مركز الدقي."
    assert strip_isolates(hour_text) == f"شباك: موعدكم {early.code} الساعة 10:00 في مركز الدقي، بعد 60 دقيقة."


def test_reminders_stopped_after_one_was_queued(server_db: ServerDatabase) -> None:
    """Stopped on the manage page once the day-before reminder is queued (not yet sent): it is
    dropped, and no hour-before reminder comes; resumed, the next one does."""
    db = server_db
    day = local_day(utcnow()) + timedelta(days=5)
    made = book(db, cairo(day, 10), cairo(day - timedelta(days=2), 12), 1)
    assert remind(db, cairo(day - timedelta(days=1), 18, 0)) == 1
    with db.sessions.begin() as s:
        notices.set_reminders(s, bookings.find(s, made.code, made.secret, lock=True), False, utcnow())
    slot = cairo(day, 10).strftime("%Y%m%dT%H%MZ")
    assert kinds(db, made.booking.id, "void") == [f"day:{slot}"]
    assert all(n.recipient is None for n in notice_rows(db) if n.state == "void")
    assert remind(db, cairo(day, 9, 0)) == 0
    with db.sessions.begin() as s:
        notices.set_reminders(s, bookings.find(s, made.code, made.secret, lock=True), True, utcnow())
    assert remind(db, cairo(day, 9, 1)) == 1
    assert kinds(db, made.booking.id, "pending") == ["booked", f"hour:{slot}"]


def test_the_hour_reminders_plural_and_english(server_db: ServerDatabase) -> None:
    db = server_db
    day = local_day(utcnow()) + timedelta(days=5)
    made = book(db, cairo(day, 11), cairo(day - timedelta(days=2), 12), 1, lang="en")
    made_ar = book(db, cairo(day, 11), cairo(day - timedelta(days=2), 12), 2)
    assert remind(db, cairo(day, 10, 40)) == 2  # the round was late: twenty minutes before
    with db.sessions() as s:
        texts = dict(s.execute(select(BookingNotice.booking_id, BookingNotice.body).where(
            BookingNotice.kind.like("hour:%"))).all())
    assert texts[made.booking.id] == f"Shubbak: appointment {made.code} at 11:00, Dokki centre, in 20 minutes."
    assert strip_isolates(texts[made_ar.booking.id]).endswith("بعد 20 دقيقة.")


def test_a_moved_booking_is_reminded_of_its_new_time_a_cancelled_or_checked_in_one_not(
        server_db: ServerDatabase) -> None:
    db = server_db
    day = local_day(utcnow()) + timedelta(days=5)
    eve, long_before = day - timedelta(days=1), cairo(day - timedelta(days=3), 12)
    moving = book(db, cairo(day, 9), long_before, 1)
    cancelling = book(db, cairo(day, 9), long_before, 2)
    arriving = book(db, cairo(day, 9), long_before, 3)
    assert remind(db, cairo(eve, 18, 30)) == 3
    with db.sessions.begin() as s:  # moved later that evening, to the next day's 11:00
        bookings.move(s, moving.code, moving.secret, cairo(day + timedelta(days=1), 11), cairo(eve, 20), LIMITS)
    with db.sessions.begin() as s:
        bookings.cancel(s, cancelling.code, cancelling.secret, cairo(eve, 20))
    old_slot = cairo(day, 9).strftime("%Y%m%dT%H%MZ")
    # the pending reminders of the old time and of the cancelled booking are dropped
    assert kinds(db, moving.booking.id, "void") == [f"day:{old_slot}"]
    assert kinds(db, cancelling.booking.id, "void") == ["booked", f"day:{old_slot}"]
    # the next evening: the moved booking's day-before reminder of its new time (chosen at 20:00 the
    # evening before, so before this evening's 18:00)
    assert remind(db, cairo(day, 18, 30)) == 1
    new_slot = cairo(day + timedelta(days=1), 11).strftime("%Y%m%dT%H%MZ")
    assert kinds(db, moving.booking.id)[-1] == f"day:{new_slot}"
    # the hour before the old time: only the booking still there gets it; then it checks in
    assert remind(db, cairo(day, 8, 0)) == 1
    assert kinds(db, arriving.booking.id)[-1].startswith("hour:")
    event = WireEvent("e-1", 1, "booking.checked_in", arriving.code, cairo(day, 8, 40).isoformat(),
                      {"booking": arriving.code, "at": cairo(day, 8, 40).isoformat()})
    with db.sessions.begin() as s:
        assert centre_pull.record_check_ins(s, "GIZ-01", [event]) == 1
    assert booking_row(db, arriving.booking.id).mobile is None
    assert kinds(db, arriving.booking.id, "void") == ["booked", f"day:{old_slot}", f"hour:{old_slot}"]
    assert all(n.recipient is None for n in notice_rows(db) if n.booking_id == arriving.booking.id)
    assert remind(db, cairo(day, 8, 50)) == 0


# -- sending ----------------------------------------------------------------------------------------
@pytest.mark.allow_log("booking SMS .* failed for good", logger="sync.server.appointments.notices", level="WARNING")
def test_gateway_failures_are_retried_a_refusal_fails(server_db: ServerDatabase, gateway: Gateway) -> None:
    db = server_db
    day = local_day(utcnow()) + timedelta(days=5)
    now = utcnow()
    first = book(db, cairo(day, 9), now, 1)
    second = book(db, cairo(day, 9, 30), now, 2)
    store, sms = Store(db), HttpSmsSender(gateway.url, "sms-token")
    try:
        gateway.answers = [(503, "{}"), (400, '{"error": "bad number +201012345678"}')]
        report = dispatch(store, {"sms": sms}, now=now)
        assert (report.retried, report.failed, report.sent) == (1, 1, 0)
        first_row, second_row = notice_rows(db)
        assert first_row.state == "pending" and first_row.recipient == E164 and first_row.attempts == 1
        assert as_utc(first_row.next_attempt_at) == now + timedelta(minutes=1)
        assert second_row.state == "failed" and second_row.recipient is None
        assert "+20" not in (second_row.last_error or "")  # the gateway's words without the number
        assert dispatch(store, {"sms": sms}, now=now + timedelta(seconds=30)).sent == 0  # not due yet
        assert dispatch(store, {"sms": sms}, now=now + timedelta(minutes=1)).sent == 1
        first_row = notice_rows(db)[0]
        assert first_row.state == "sent" and first_row.recipient is None and first_row.provider_id == "g-1"
        gateway.status["g-1"] = "delivered"
        assert poll_deliveries(store, sms, now + timedelta(minutes=2)) == 1
        assert notice_rows(db)[0].state == "delivered"
        assert [m["text"] for m in gateway.received] == [first_row.body]
        assert first.code in first_row.body and second.code in second_row.body
    finally:
        sms.close()


@pytest.mark.allow_log("booking SMS .* failed for good", logger="sync.server.appointments.notices", level="WARNING")
def test_a_gateway_down_for_a_day_fails_the_message(server_db: ServerDatabase) -> None:
    db = server_db
    now = utcnow()
    book(db, cairo(local_day(now) + timedelta(days=5), 9), now, 1)
    store, sms = Store(db), HttpSmsSender("http://127.0.0.1:9/v1/messages", "sms-token", timeout=2)
    try:
        moment = now
        while notice_rows(db)[0].state == "pending":
            moment = as_utc(notice_rows(db)[0].next_attempt_at)
            dispatch(store, {"sms": sms}, now=moment)
        row = notice_rows(db)[0]
        assert row.state == "failed" and row.recipient is None and "unreachable" in (row.last_error or "")
        assert now + timedelta(hours=23) <= moment <= now + timedelta(days=1)
    finally:
        sms.close()


# -- numbers ----------------------------------------------------------------------------------------
def test_numbers_are_deleted_once_each_booking_is_over(server_db: ServerDatabase) -> None:
    """Cancelled (at once), checked in (the fold, above), a no-show (the centre's fold sets the state:
    the round deletes the number) and a day past (the round)."""
    db = server_db
    now = utcnow()
    day = local_day(now) + timedelta(days=2)
    cancelled = book(db, cairo(day, 9), now, 1)
    no_show = book(db, cairo(day, 9), now, 2)
    past = book(db, cairo(day, 9), now, 3)
    kept = book(db, cairo(day + timedelta(days=1), 9), now, 4)
    with db.sessions.begin() as s:
        bookings.cancel(s, cancelled.code, cancelled.secret, now)
    assert booking_row(db, cancelled.booking.id).mobile is None
    with db.sessions.begin() as s:
        s.get_one(Booking, no_show.booking.id).state = "no_show"
    with db.sessions.begin() as s:
        assert forget_numbers(s, now) == 1
    assert booking_row(db, no_show.booking.id).mobile is None and booking_row(db, past.booking.id).mobile == E164
    by_booking = {(n.booking_id, n.kind): n for n in notice_rows(db)}
    # the cancel's own message waits with its number (until sent, or its slot begins); the booking's
    # confirmations never sent are void, without the number
    assert by_booking[(cancelled.booking.id, "cancelled")].recipient == E164
    assert by_booking[(cancelled.booking.id, "booked")].state == "void"
    assert by_booking[(no_show.booking.id, "booked")].state == "void"
    assert by_booking[(no_show.booking.id, "booked")].recipient is None
    with db.sessions.begin() as s:  # the day after the slot's day
        assert forget_numbers(s, cairo(day + timedelta(days=1), 0, 5)) == 1
    assert booking_row(db, past.booking.id).mobile is None and booking_row(db, kept.booking.id).mobile == E164
    by_booking = {(n.booking_id, n.kind): n for n in notice_rows(db)}
    assert by_booking[(cancelled.booking.id, "cancelled")].state == "void"  # its slot began, never sent
    assert by_booking[(past.booking.id, "booked")].state == "void"
    assert by_booking[(kept.booking.id, "booked")].state == "pending"
    assert [n.booking_id for n in notice_rows(db) if n.recipient] == [kept.booking.id]


# -- one process of many ----------------------------------------------------------------------------
def test_one_runner_of_many_does_the_round(server_db: ServerDatabase, gateway: Gateway) -> None:
    settings = NoticeSettings(gateway.url, "sms-token", interval_s=30)
    runners = [NoticeRunner(server_db, settings) for _ in range(3)]
    book(server_db, cairo(local_day(utcnow()) + timedelta(days=5), 9), utcnow(), 1)
    try:
        assert [r.run_once() for r in runners] == [True, False, False]
        assert len(gateway.received) == 1
        runners[0].stop()  # gives the lease back: the next one takes over at once
        assert runners[1].run_once() is True
    finally:
        for r in runners[1:]:
            r.stop()
    assert len(gateway.received) == 1


# -- the pages in a browser -------------------------------------------------------------------------
@ON_SQLITE
def test_the_reminders_choice_in_the_pages_at_phone_size_in_arabic(central: Central, gateway: Gateway) -> None:
    """The booking form's box (ticked by default; unticked it stays so after a refusal, and the
    booking has no reminders), then the manage page's switch back on; axe and the page's rules."""
    day = local_day(utcnow()) + timedelta(days=3)
    with browser_page(PHONE, "ar") as (page, made):
        page.goto(f"{central.url}/appointments?service={SERVICE}&centre=GIZ-01&day={day}&lang=ar")
        assert page.locator("#reminders").is_checked()
        assert "تذكير" in page.inner_text("label[for=reminders]")
        page.locator("input[name=slot]:not([disabled])").first.check()
        page.fill("#national_id", nid(1))
        page.fill("#mobile", "0123")  # refused: the choice is kept
        page.locator("#reminders").uncheck()
        page.click("#appt-book")
        assert page.locator("#mobile").get_attribute("aria-invalid") == "true"
        assert not page.locator("#reminders").is_checked()
        assert_public_page(page, made, central.url, lang="ar")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "portal_appointment_reminders_form_ar_phone.png"), full_page=True)
        page.fill("#mobile", MOBILE)
        page.click("#appt-book")
        page.wait_for_selector("#appt-code")
        assert "لن تصلك رسائل تذكير" in page.inner_text("#appt-reminders")
        page.click("#appt-reminders-change")
        page.wait_for_selector("#appt-reminders-done")
        assert "ستصلك رسائل التذكير" in page.inner_text("#appt-reminders-done")
        assert page.inner_text("#appt-reminders-change") == "إيقاف رسائل التذكير"
        assert_public_page(page, made, central.url, lang="ar")
        page.screenshot(path=str(SHOTS / "portal_appointment_reminders_ar_phone.png"), full_page=True)
    with central.db.sessions() as s:
        [row] = s.scalars(select(Booking)).all()
        assert row.reminders is True
    wait_for(lambda: gateway.received)  # the confirmation, whatever the reminders' choice


@ON_SQLITE
def test_the_reminders_switch_at_desktop_size_in_english(central: Central, gateway: Gateway) -> None:
    now = utcnow()
    made_booking = book(central.db, cairo(local_day(now) + timedelta(days=4), 9), now, 1, lang="en")
    with browser_page(DESKTOP, "en") as (page, made):
        page.goto(central.url + notices.manage_path(made_booking.code, made_booking.secret) + "?lang=en")
        assert "You will get an SMS reminder" in page.inner_text("#appt-reminders")
        page.click("#appt-reminders-change")
        page.wait_for_selector("#appt-reminders-done")
        assert page.inner_text("#appt-reminders-done") == "Reminders stopped."
        assert_public_page(page, made, central.url, lang="en")
    assert booking_row(central.db, made_booking.booking.id).reminders is False


# -- several processes --------------------------------------------------------------------------------
def test_two_rounds_at_once_queue_each_reminder_once(server_db: ServerDatabase) -> None:
    """Two processes' rounds at the same moment (a lease handed over): every reminder queued once
    (the unique booking and kind). Run ten times on both databases."""
    db = server_db
    day = local_day(utcnow()) + timedelta(days=5)
    made = [book(db, cairo(day, 9 + n % 3), cairo(day - timedelta(days=2), 12), n) for n in range(1, 7)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def round_() -> None:
        try:
            barrier.wait(10)
            remind(db, cairo(day - timedelta(days=1), 18, 1))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=round_) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    for m in made:
        assert kinds(db, m.booking.id) == ["booked", f"day:{m.booking.slot_start.strftime('%Y%m%dT%H%MZ')}"]


def lease_expiry(url: str) -> datetime:
    db = ServerDatabase(url, migrate=False)
    try:
        with db.sessions() as s:
            return as_utc(s.get_one(ServerLease, notices.LEASE).expires_at)
    finally:
        db.dispose()


def test_the_server_program_sends_through_the_gateway_given(central_url: str, gateway: Gateway) -> None:
    """``central-server --workers 2 --sms-url U --sms-token T``: a booking's confirmation reaches the
    gateway once, sent by one of the two processes."""
    proc, url = start_central_process(central_url, ADMIN_TOKEN, cwd=ROOT, env={
        "SHUBBAK_NOTICE_INTERVAL_S": "0.2", "SHUBBAK_RATE_LIMITS": "booking=2000/minute"},
        args=("--workers", "2", "--sms-url", gateway.url, "--sms-token", "sms-token"))
    try:
        db = ServerDatabase(central_url, migrate=False)
        try:
            add_centre(db, utcnow())
        finally:
            db.dispose()
        day = local_day(utcnow()) + timedelta(days=4)
        answer = requests.post(url + "/v1/appointments/bookings", timeout=10, json={
            "centre": "GIZ-01", "service": SERVICE, "slot": cairo(day, 10).isoformat(), "national_id": nid(1),
            "mobile": MOBILE})
        assert answer.status_code == 201, answer.text
        wait_for(lambda: gateway.received)
        code, secret = answer.json()["code"], answer.json()["secret"]
        assert gateway.received[0]["text"].endswith(url + notices.manage_path(code, secret) + "\u2069")
        rounds = lease_expiry(central_url)
        # a second later (five rounds of 0.2 s, by whichever worker holds the lease): sent once
        wait_for(lambda: lease_expiry(central_url) > rounds + timedelta(seconds=1))
        assert len(gateway.received) == 1
    finally:
        proc.terminate()
        proc.wait(30)
