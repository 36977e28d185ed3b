"""Closing a day that already has bookings (issue 20; sync/server/appointments/manage.py
``set_closure``): the slot page asks first, with the number of the day's bookings, and a Confirm
cancels them (state ``closed``), gives their places back and texts each citizen once in the
booking's language with the reason and the portal's link, through a real SMS gateway on loopback
(Chromium, Arabic, desktop and phone). Over HTTP on both databases: the API's 409
``day_has_bookings`` and ``cancel_bookings``; a public holiday over every centre; a governorate
supervisor refused another governorate's day and the nation; a double submit of Confirm cancels
and texts once; reopening the day revives nothing; no reminder, not counted in the figures or the
monthly cap. With the real agent: the pull brings the cancellations to the centre, where the
booking is neither checked in nor a no-show."""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Collection, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from counter_app.common.clock import CENTRE_TZ, local_day, utcnow
from counter_app.common.i18n import strip_isolates
from counter_app.core import booking as local_booking
from counter_app.core.centre import centre_code
from counter_app.core.errors import DomainError
from counter_app.core.models import Booking as LocalBooking
from counter_app.core.models import OutboxEvent
from counter_app.services import supervisor
from sync.agent.agent import Agent
from sync.server.appointment_kpis import appointment_kpis
from sync.server.appointments import bookings, notices
from sync.server.appointments.notices import NoticeSettings, forget_numbers, queue_reminders
from sync.server.models import (
    AppointmentClosure,
    AppointmentSlot,
    Booking,
    BookingNotice,
    CentralAudit,
    EnrolledCentre,
)
from sync.server.sessions import COOKIE
from tests.helpers.appointments import nid
from tests.helpers.browser import DESKTOP, ON_SQLITE, PHONE, assert_public_page, browser_page
from tests.helpers.central import ADMIN_TOKEN, Central, add_person, log_in, running_central
from tests.helpers.factories import Centre
from tests.helpers.sms_gateway import Gateway
from tests.helpers.waiting import wait_for

TOKEN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SERVICE = "MP-REG-CERT"  # group A
RULE: dict[str, Any] = {"hours": {str(d): [["09:00", "11:00"]] for d in range(7)}, "slot_minutes": 30, "places": 3,
                        "horizon_days": 14, "cutoff_days_before": 1, "cutoff_time": "18:00"}
PAGE = "/reports/appointments"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
REASONS = {"reason_ar": "صيانة المبنى", "reason_en": "Building maintenance"}


def add_centre(central: Central, code: str, governorate: str, name_ar: str, name_en: str) -> None:
    with central.db.sessions.begin() as s:
        s.add(EnrolledCentre(code=code, name=code, governorate=governorate, sync_public_key="-", enrolled_at=utcnow(),
                             clock_flagged=False, name_ar=name_ar, name_en=name_en))
    answer = requests.put(f"{central.url}/v1/appointments/admin/rules/{code}/A", json=RULE, headers=TOKEN, timeout=10)
    assert answer.status_code == 200, answer.text


@pytest.fixture
def texting(central_url: str, gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> Iterator[Central]:
    """The real server sending its SMS to ``gateway``: GIZ-01 (Giza) and CAI-01 (Cairo) taking
    appointments for group A; a Giza supervisor and a national administrator."""
    monkeypatch.setenv("SHUBBAK_RATE_LIMITS", "booking=2000/minute,slots=2000/minute")
    notices._centre_names.clear()  # names of another test's centres
    with running_central(central_url, notices=NoticeSettings(gateway.url, "sms-token", interval_s=0.1)) as server:
        add_centre(server, "GIZ-01", "21", "مركز الدقي", "Dokki centre")
        add_centre(server, "CAI-01", "01", "مركز شبرا", "Shubra centre")
        add_person(server, "sara.giza", "governorate_supervisor", governorate="21")
        add_person(server, "nadia.admin", "national_admin")
        yield server


def cookies(central: Central, name: str) -> dict[str, str]:
    answer = log_in(central.url, name)
    assert answer.status_code == 303, answer.text
    return {COOKIE: str(answer.cookies.get(COOKIE))}


def post(central: Central, path: str, form: dict[str, str], who: dict[str, str]) -> requests.Response:
    return requests.post(central.url + path, data=form, cookies=who, timeout=30, allow_redirects=False,
                         headers={"Origin": central.url})


def book(central: Central, centre: str, n: int, day: date, *, lang: str = "ar", slot: int = 0,
         secrets: dict[str, str] | None = None) -> str:
    """A citizen's booking through the API; its code (its manage secret into ``secrets``)."""
    found = requests.get(central.url + "/v1/appointments/slots", timeout=10, params={
        "centre": centre, "service": SERVICE, "from": day.isoformat(), "days": "1"})
    assert found.status_code == 200, found.text
    start = found.json()["days"][0]["slots"][slot]["start"]
    made = requests.post(central.url + "/v1/appointments/bookings", timeout=30, json={
        "centre": centre, "service": SERVICE, "slot": start, "national_id": nid(n), "mobile": "01012345678",
        "lang": lang})
    assert made.status_code == 201, made.text
    if secrets is not None:
        secrets[made.json()["code"]] = made.json()["secret"]
    return str(made.json()["code"])


def states(central: Central) -> dict[str, str]:
    with central.db.sessions() as s:
        return {row.code: row.state for row in s.scalars(select(Booking))}


def texts_of(gateway: Gateway, code: str) -> list[str]:
    """The SMS the gateway received of the booking ``code`` other than its confirmation."""
    return [strip_isolates(m["text"]) for m in gateway.received
            if code in strip_isolates(m["text"]) and "حُجز" not in m["text"] and " booked for " not in m["text"]]


def all_texted(gateway: Gateway, codes: Collection[str]) -> bool:
    return all(texts_of(gateway, c) for c in codes)


def closure_sets(central: Central) -> list[dict[str, Any]]:
    with central.db.sessions() as s:
        return [json.loads(d or "{}") for d in s.scalars(select(CentralAudit.detail).where(
            CentralAudit.action == "appointment.closure_set").order_by(CentralAudit.id))]


def free_places(central: Central, centre: str, day: date) -> int:
    answer = requests.get(central.url + "/v1/appointments/slots", timeout=10, params={
        "centre": centre, "service": SERVICE, "from": day.isoformat(), "days": "1"}).json()
    return sum(int(s["free"]) for d in answer["days"] for s in d["slots"])


@ON_SQLITE
def test_the_page_asks_then_cancels_and_texts_in_chromium_arabic(texting: Central, gateway: Gateway) -> None:
    for size, name, offset in ((DESKTOP, "desktop", 3), (PHONE, "phone", 4)):
        day = local_day(utcnow()) + timedelta(days=offset)
        codes = {book(texting, "GIZ-01", 10 * offset + 1, day, lang="ar"),
                 book(texting, "GIZ-01", 10 * offset + 2, day, lang="en", slot=1)}
        before = free_places(texting, "GIZ-01", day)
        with browser_page(size, "ar") as (page, made):
            page.context.add_cookies([{"name": COOKIE, "value": cookies(texting, "sara.giza")[COOKIE],
                                       "url": texting.url}])
            page.goto(f"{texting.url}{PAGE}?centre=GIZ-01")
            page.fill("#closure-day", day.isoformat())
            page.fill("#closure-reason_ar", REASONS["reason_ar"])
            page.fill("#closure-reason_en", REASONS["reason_en"])
            page.click("#add-closure")
            page.wait_for_selector("#closure-confirm")
            assert page.get_attribute("#closure-confirm-count", "data-count") == "2"
            asked = strip_isolates(page.inner_text("#closure-confirm"))
            assert re.search(r"حجوزات يوم .+: 2\.", asked) and "يلغيها" in asked, asked
            assert states(texting) == {**states(texting), **dict.fromkeys(codes, "booked")}
            assert_public_page(page, made, texting.url, lang="ar")
            # the week's hours within the screen, at phone size too: nothing to scroll sideways
            assert page.evaluate("() => [...document.querySelectorAll('section, fieldset, table')]"
                                 ".every(e => e.scrollWidth <= e.clientWidth + 1)"), name
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), name
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"closure_confirm_ar_{name}.png"), full_page=True)
            page.click("#confirm-closure")
            page.wait_for_selector("#done")
            done = strip_isolates(page.inner_text("#done"))
            assert "الحجوزات الملغاة" in done and "2" in done, done
            assert page.locator(f'#closures tr[data-day="{day.isoformat()}"]').count() == 1
            assert_public_page(page, made, texting.url, lang="ar")
            page.screenshot(path=str(SHOTS / f"closure_done_ar_{name}.png"), full_page=True)
        assert {c: states(texting)[c] for c in codes} == dict.fromkeys(codes, "closed")
        assert before == 4 * RULE["places"] - 2 and free_places(texting, "GIZ-01", day) == 0  # closed
        midnight = datetime.combine(day, time(0), CENTRE_TZ)
        with texting.db.sessions() as s:  # the places given back
            assert s.scalar(select(func.sum(AppointmentSlot.booked)).where(
                AppointmentSlot.centre_code == "GIZ-01", AppointmentSlot.slot_start >= midnight,
                AppointmentSlot.slot_start < midnight + timedelta(days=1))) == 0
        wait_for(functools.partial(all_texted, gateway, codes), timeout=20)
        for code in codes:
            [text] = texts_of(gateway, code)  # once each
            with texting.db.sessions() as s:
                row = s.scalars(select(Booking).where(Booking.code == code)).one()
                assert row.mobile is None
            if row.lang == "ar":
                assert text.startswith("شباك: مركز الدقي مغلق يوم") and "صيانة المبنى" in text, text
                assert text.endswith(f"لحجز يوم آخر: {texting.url}/appointments"), text
            else:
                assert text.startswith("Shubbak: Dokki centre is closed on") and "Building maintenance" in text, text
                assert text.endswith(f"Book another day: {texting.url}/appointments?lang=en"), text
    wait_for(lambda: not notices_pending(texting))
    with texting.db.sessions() as s:  # sent: no number kept
        assert s.scalar(select(func.count()).select_from(BookingNotice).where(
            BookingNotice.kind == "closed", BookingNotice.recipient.is_not(None))) == 0


def notices_pending(central: Central) -> int:
    with central.db.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(BookingNotice).where(BookingNotice.state == "pending")) or 0)


def test_the_api_refuses_a_booked_day_then_cancels_when_asked(texting: Central, gateway: Gateway) -> None:
    day = local_day(utcnow()) + timedelta(days=2)
    secrets: dict[str, str] = {}
    codes = [book(texting, "GIZ-01", n, day, slot=n % 2, secrets=secrets) for n in (1, 2, 3)]
    other = book(texting, "CAI-01", 4, day)
    wait_for(lambda: len(gateway.received) == 4, timeout=20)  # the confirmations
    url = f"{texting.url}/v1/appointments/admin/closures/GIZ-01/{day.isoformat()}"
    refused = requests.put(url, json=REASONS, headers=TOKEN, timeout=10)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "day_has_bookings" and refused.json()["bookings"] == 3
    with texting.db.sessions() as s:
        assert s.get(AppointmentClosure, ("GIZ-01", day)) is None
    done = requests.put(url, json={**REASONS, "cancel_bookings": True}, headers=TOKEN, timeout=30)
    assert done.status_code == 200 and done.json()["bookings_cancelled"] == 3, done.text
    assert states(texting) == {**dict.fromkeys(codes, "closed"), other: "booked"}
    assert closure_sets(texting)[-1]["bookings_cancelled"] == 3
    wait_for(lambda: all(texts_of(gateway, c) for c in codes), timeout=20)
    assert texts_of(gateway, other) == []
    # again (a new reason): nothing left to cancel, nothing texted again
    again = requests.put(url, json={**REASONS, "reason_en": "Flooding", "cancel_bookings": True}, headers=TOKEN,
                         timeout=10)
    assert again.status_code == 200 and again.json()["bookings_cancelled"] == 0
    # the citizen's manage page says why, and offers neither move nor cancel
    page = requests.get(f"{texting.url}{notices.manage_path(codes[0], secrets[codes[0]])}?lang=ar", timeout=10)
    assert "ملغى: المركز مغلق ذلك اليوم" in strip_isolates(page.text) and "/cancel" not in page.text
    # reopened: the bookings stay cancelled; the day is bookable again, every place free
    assert requests.delete(url, headers=TOKEN, timeout=10).status_code == 200
    assert states(texting) == {**dict.fromkeys(codes, "closed"), other: "booked"}
    assert free_places(texting, "GIZ-01", day) == 4 * RULE["places"]
    with texting.db.sessions.begin() as s:
        assert queue_reminders(s, utcnow() + timedelta(days=2)) == 0  # none for a closed booking
        forget_numbers(s, utcnow())
    with texting.db.sessions() as s:
        kinds = s.execute(select(Booking.code, BookingNotice.kind).join(Booking, Booking.id == BookingNotice.booking_id)
                          .where(Booking.code.in_(codes))).all()
        assert sorted(k for _c, k in kinds) == ["booked"] * 3 + ["closed"] * 3
        figures = appointment_kpis(s, day, day)
    assert figures["overall"]["bookings"] == 1  # CAI-01's; the closed ones are no bookings, nor no-shows
    assert figures["overall"]["no_shows"] == 0
    # the citizen books that day again: neither the one-a-day rule nor the month's cap counts the closed one
    assert book(texting, "GIZ-01", 1, day)
    with texting.db.sessions() as s:
        actions = [a for a in s.scalars(select(CentralAudit.action)) if a.startswith("appointment.closure")]
    assert actions == ["appointment.closure_set", "appointment.closure_set", "appointment.closure_delete"]


def test_a_holiday_over_every_centre_and_a_supervisor_kept_to_their_governorate(texting: Central) -> None:
    day = local_day(utcnow()) + timedelta(days=5)
    giza, cairo = book(texting, "GIZ-01", 1, day), book(texting, "CAI-01", 2, day)
    sara, nadia = cookies(texting, "sara.giza"), cookies(texting, "nadia.admin")
    base = f"{texting.url}/v1/appointments/admin/closures"
    # Sara may close neither Cairo's centre nor the nation, asked or confirmed, by the API or the page
    for centre in ("CAI-01", "national"):
        bodies: tuple[dict[str, Any], ...] = (REASONS, {**REASONS, "cancel_bookings": True})
        for body in bodies:
            answer = requests.put(f"{base}/{centre}/{day.isoformat()}", json=body, cookies=sara, timeout=10,
                                  headers={"Origin": texting.url})
            assert answer.status_code == 403 and answer.json()["error"] == "forbidden", answer.text
    for form in ({"centre": "CAI-01"}, {"centre": "GIZ-01", "target": "national"}):
        answer = post(texting, PAGE + "/closure", {"lang": "ar", "day": day.isoformat(), "confirm": "1", **REASONS,
                                                   **form}, sara)
        assert answer.status_code == 403, answer.text
    assert states(texting) == {giza: "booked", cairo: "booked"}
    with texting.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AppointmentClosure)) == 0
    # the national administrator's holiday: both centres' bookings counted, then cancelled
    form = {"lang": "en", "centre": "GIZ-01", "target": "national", "day": day.isoformat(), **REASONS}
    asked = post(texting, PAGE + "/closure", form, nadia)
    assert asked.status_code == 200 and 'data-count="2"' in asked.text and "at every centre" in asked.text
    done = post(texting, PAGE + "/closure", {**form, "confirm": "1"}, nadia)
    assert done.status_code == 303 and "done=closure_cancelled" in done.headers["location"]
    assert "n=2" in done.headers["location"]
    shown = requests.get(texting.url + done.headers["location"], cookies=nadia, timeout=10)
    assert "Bookings cancelled, each citizen texted: 2." in strip_isolates(shown.text)
    assert states(texting) == {giza: "closed", cairo: "closed"}
    # a day without bookings closes at once, as before
    quiet = post(texting, PAGE + "/closure", {"lang": "ar", "centre": "GIZ-01", "day": (day + timedelta(days=1))
                                              .isoformat(), **REASONS}, sara)
    assert quiet.status_code == 303 and "done=closure#" in quiet.headers["location"]


def test_a_double_submit_of_confirm_cancels_and_texts_once(texting: Central, gateway: Gateway) -> None:
    day = local_day(utcnow()) + timedelta(days=6)
    codes = [book(texting, "GIZ-01", n, day, slot=n % 4) for n in range(1, 6)]
    wait_for(lambda: len(gateway.received) == 5, timeout=20)
    sara = cookies(texting, "sara.giza")
    form = {"lang": "ar", "centre": "GIZ-01", "day": day.isoformat(), "confirm": "1", **REASONS}
    start = threading.Barrier(3)
    answers: list[requests.Response] = []

    def press() -> None:
        start.wait()
        answers.append(post(texting, PAGE + "/closure", form, sara))

    pressing = [threading.Thread(target=press) for _ in range(3)]
    for t in pressing:
        t.start()
    for t in pressing:
        t.join(60)
    assert [a.status_code for a in answers] == [303] * 3, [a.text[:300] for a in answers]
    assert states(texting) == dict.fromkeys(codes, "closed")
    assert sum(d["bookings_cancelled"] for d in closure_sets(texting)) == 5
    with texting.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(BookingNotice).where(BookingNotice.kind == "closed")) == 5
        assert s.scalar(select(func.coalesce(func.sum(AppointmentSlot.booked), 0)).where(
            AppointmentSlot.centre_code == "GIZ-01")) == 0  # each place given back once
    wait_for(lambda: all(texts_of(gateway, c) for c in codes), timeout=20)
    wait_for(lambda: not notices_pending(texting))
    assert all(len(texts_of(gateway, c)) == 1 for c in codes)


def test_the_agents_pull_brings_the_cancellations_to_the_centre(enrolled: Centre, central: Central,
                                                                 agent: Agent) -> None:
    with enrolled.db.read() as s:
        centre = centre_code(s)
    assert requests.put(f"{central.url}/v1/appointments/admin/rules/{centre}/A", json=RULE, headers=TOKEN,
                        timeout=10).status_code == 200
    now = utcnow()
    today = local_day(now)
    made = []
    for n in (1, 2):  # today's bookings (made directly: today is past the booking cutoff)
        start = (now + timedelta(minutes=30 * n)).replace(second=0, microsecond=0)
        code = f"CLSDXY{n + 1}A"
        with central.db.sessions.begin() as s:
            s.add(Booking(code=code, secret_digest="0" * 64, centre_code=centre, group_letter="A", service_code=SERVICE,
                          slot_start=start, day=local_day(start), national_id=nid(n), mobile="+201012345678",
                          lang="ar", state=bookings.BOOKED, active_key=f"{nid(n)}|{SERVICE}|{local_day(start)}",
                          created_at=now, updated_at=now, version=bookings.next_version(s, centre)))
        made.append((code, local_day(start)))
    assert agent.pull_bookings() == 2
    for day in sorted({d for _c, d in made}):
        answer = requests.put(f"{central.url}/v1/appointments/admin/closures/{centre}/{day.isoformat()}",
                              json={**REASONS, "cancel_bookings": True}, headers=TOKEN, timeout=10)
        assert answer.status_code == 200, answer.text
    assert agent.pull_bookings() == 2
    with enrolled.db.read() as s:
        assert {c: s.get_one(LocalBooking, c).state for c, _d in made} == dict.fromkeys((c for c, _d in made), "closed")
    if all(d == today for _c, d in made):  # at the kiosk: refused as cancelled; at the day's close: no no-show
        with enrolled.db.begin() as s, pytest.raises(DomainError) as refused:
            local_booking.check_in(s, made[0][0])
        assert refused.value.code == "booking_cancelled"
        supervisor.close_day(enrolled.db, enrolled.supervisor_id)
        with enrolled.db.read() as s:
            assert s.scalar(select(func.count()).select_from(OutboxEvent)
                            .where(OutboxEvent.kind == "booking.no_show")) == 0
            assert {s.get_one(LocalBooking, c).state for c, _d in made} == {"closed"}


def test_a_booking_that_lands_on_a_day_closed_meanwhile_is_closed_by_the_round(texting: Central,
                                                                              gateway: Gateway) -> None:
    """A booking whose request looked its day up just before the closure committed and took its
    place just after (made here directly on the closed day) is closed by the SMS round and texted."""
    day = local_day(utcnow()) + timedelta(days=4)
    url = f"{texting.url}/v1/appointments/admin/closures/GIZ-01/{day.isoformat()}"
    assert requests.put(url, json=REASONS, headers=TOKEN, timeout=10).status_code == 200  # no bookings yet
    now = utcnow()
    start = datetime.combine(day, time(9, 30), CENTRE_TZ)
    with texting.db.sessions.begin() as s:
        s.add(Booking(code="LATE2345", secret_digest="0" * 64, centre_code="GIZ-01", group_letter="A",
                      service_code=SERVICE, slot_start=start, day=day, national_id=nid(9), mobile="+201012345678",
                      lang="en", state=bookings.BOOKED, active_key=f"{nid(9)}|{SERVICE}|{day}", created_at=now,
                      updated_at=now, version=bookings.next_version(s, "GIZ-01")))
    wait_for(lambda: states(texting)["LATE2345"] == "closed")
    wait_for(lambda: texts_of(gateway, "LATE2345"), timeout=20)
    [text] = texts_of(gateway, "LATE2345")
    assert text.startswith("Shubbak: Dokki centre is closed on") and "Building maintenance" in text, text
