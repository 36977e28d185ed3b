"""Issue 20 item 6's no-shows and item 7's central appointment figures, with the real agent and the
real central server on loopback (SQLite and PostgreSQL): the supervisor closes the day, the
bookings not checked in become no-shows at the centre and, pushed, at the server (mobile deleted,
version bumped, counted toward the no-show block); a day closed twice or an event sent twice
counts once; the appointment ticket's first call gives the punctuality; the reports' JSON and page
show the figures by role, the same as the centre's own report."""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import event, func, select

from counter_app.common.clock import as_utc
from counter_app.common.i18n import strip_isolates
from counter_app.core import booking, queue
from counter_app.core.centre import centre_code
from counter_app.core.clock import local_day, utcnow
from counter_app.core.models import Booking as LocalBooking
from counter_app.core.models import OutboxEvent
from counter_app.services import reports as centre_reports
from counter_app.services import supervisor
from sync.agent.agent import Agent
from sync.protocol import WireEvent
from sync.server import ingest
from sync.server.appointment_kpis import appointment_kpis
from sync.server.appointments import bookings
from sync.server.models import Booking, EnrolledCentre
from sync.server.sessions import COOKIE
from tests.helpers.appointments import nid
from tests.helpers.browser import ON_SQLITE, axe_violations, central_page
from tests.helpers.central import ADMIN_TOKEN, Central, add_person, log_in
from tests.helpers.factories import Centre

TOKEN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SERVICES = ("MP-REG-CERT", "MP-BIRTH-CERT", "MP-DEATH-CERT")  # one booking a day per service and ID
RULE: dict[str, Any] = {"hours": {str(d): [["09:00", "12:00"]] for d in range(7)}, "slot_minutes": 30, "places": 2,
        "horizon_days": 14, "cutoff_days_before": 1, "cutoff_time": "18:00"}
SCREENSHOT = Path("/tmp/central_report_appointments_ar.png")


def add_booking(central: Central, centre: str, national_id: str, service: str, *, minutes: int = 10,
                mobile: str | None = "+201012345678") -> str:
    """A booking of today at the server (made directly: today is past the booking cutoff), taking
    the centre's next version as every change does."""
    code = "".join(secrets.choice(bookings.CODE_ALPHABET) for _ in range(bookings.CODE_LENGTH))
    now = utcnow()
    start = (now + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    with central.db.sessions.begin() as s:
        s.add(Booking(code=code, secret_digest="0" * 64, centre_code=centre, group_letter="A", service_code=service,
                      slot_start=start, day=local_day(start), national_id=national_id, mobile=mobile, lang="ar",
                      state=bookings.BOOKED, active_key=f"{national_id}|{service}|{local_day(start)}",
                      created_at=now, updated_at=now, version=bookings.next_version(s, centre)))
    return code


def server_row(central: Central, code: str) -> Booking:
    with central.db.sessions() as s:
        row = s.scalars(select(Booking).where(Booking.code == code)).one()
        s.expunge(row)
        return row


def no_show_events(site: Centre) -> int:
    with site.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(OutboxEvent)
                            .where(OutboxEvent.kind == "booking.no_show")) or 0)


def book(central: Central, centre: str, n: int) -> requests.Response:
    day = local_day(utcnow()) + timedelta(days=3)
    slots = requests.get(central.url + "/v1/appointments/slots", timeout=10, params={
        "centre": centre, "service": SERVICES[0], "from": day.isoformat(), "days": "1"})
    assert slots.status_code == 200, slots.text
    start = slots.json()["days"][0]["slots"][0]["start"]
    return requests.post(central.url + "/v1/appointments/bookings", timeout=30, json={
        "centre": centre, "service": SERVICES[0], "slot": start, "national_id": nid(n), "mobile": "01012345678"})


def a_day_of_appointments(enrolled: Centre, central: Central, agent: Agent) -> tuple[str, list[str], str]:
    """Three bookings of one citizen missed, one of another checked in on time and called; the day
    closed by the supervisor and synced. Returns the centre, the missed codes and the kept one."""
    with enrolled.db.read() as s:
        centre = centre_code(s)
    with central.db.sessions.begin() as s:
        s.get_one(EnrolledCentre, centre).governorate = "21"
        s.add(EnrolledCentre(code="OTHER-01", name="other", governorate="01", sync_public_key="-",
                             enrolled_at=utcnow(), clock_flagged=False))
    assert requests.put(f"{central.url}/v1/appointments/admin/rules/{centre}/A", json=RULE, headers=TOKEN,
                        timeout=10).status_code == 200
    missed = [add_booking(central, centre, nid(1), service, minutes=20 + 30 * i) for i, service in enumerate(SERVICES)]
    kept = add_booking(central, centre, nid(2), SERVICES[0], minutes=10)
    other = add_booking(central, "OTHER-01", nid(3), SERVICES[0])
    assert agent.pull_bookings() == 4
    with enrolled.db.begin() as s:
        done = booking.check_in(s, nid(2))
    assert done.booking_code == kept and done.reason is None
    with enrolled.db.begin() as s:
        called = queue.call_next(s, enrolled.counter_ids[0], enrolled.clerk_ids[0])
    assert called is not None and called.uuid == done.issued.ticket.uuid

    supervisor.close_day(enrolled.db, enrolled.supervisor_id)
    with enrolled.db.read() as s:
        assert {c: s.get_one(LocalBooking, c).state for c in (*missed, kept)} == {
            **dict.fromkeys(missed, "no_show"), kept: "checked_in"}
    assert no_show_events(enrolled) == 3
    before = {code: server_row(central, code).version for code in missed}
    agent.sync_once()
    for code in missed:
        row = server_row(central, code)
        assert (row.state, row.mobile, row.active_key) == ("no_show", None, None)
        assert row.version > before[code]  # the centre's pull sees the change
    row = server_row(central, kept)
    assert (row.state, row.ticket_uuid) == ("checked_in", done.issued.ticket.uuid)
    assert row.called_at is not None and abs((row.called_at - row.slot_start).total_seconds() + 600) < 120
    assert server_row(central, other).state == "booked"
    return centre, missed, kept


def test_no_shows_at_day_close_reach_the_server_once_and_block_the_citizen(enrolled: Centre, central: Central,
                                                                            agent: Agent) -> None:
    centre, missed, _kept = a_day_of_appointments(enrolled, central, agent)
    # the pull brings the server's changes back; a no-show stays a no-show
    assert agent.pull_bookings() == 4
    with enrolled.db.read() as s:
        assert {s.get_one(LocalBooking, c).state for c in missed} == {"no_show"}
    # the day reopened and closed again: nothing more to mark, no second event
    supervisor.reopen_day(enrolled.db, enrolled.supervisor_id, "مواطنون في القاعة")
    supervisor.close_day(enrolled.db, enrolled.supervisor_id)
    assert no_show_events(enrolled) == 3
    agent.sync_once()
    # the same no-show sent again (another event, as a centre restored from a backup would): counted once
    versions = {code: server_row(central, code).version for code in missed}
    again = WireEvent(str(uuid.uuid4()), 10**6, "booking.no_show", missed[0], utcnow().isoformat(),
                      {"booking": missed[0], "day": local_day(utcnow()).isoformat(), "at": utcnow().isoformat()})
    with central.db.sessions.begin() as s:
        assert [r.status for r in ingest.ingest(s, centre, [again], utcnow())] == ["stored"]
    assert {code: server_row(central, code).version for code in missed} == versions
    with central.db.sessions() as s:
        assert appointment_kpis(s, local_day(utcnow()), local_day(utcnow()), [centre])["overall"]["no_shows"] == 3
    # three no-shows within 90 days: the portal refuses this citizen's next booking
    blocked = book(central, centre, 1)
    assert blocked.status_code == 403 and blocked.json()["error"] == "no_show_block", blocked.text
    assert book(central, centre, 2).status_code == 201


def called_event(ticket: str, at: str, **extra: Any) -> dict[str, Any]:
    return {"ticket": ticket, "number": "A-001", "day": local_day(utcnow()).isoformat(), "group": "A",
            "priority": False, "event": "called", "at": at, "counter_id": 1, "user_id": 1, "service": SERVICES[0],
            **extra}


def test_only_the_calls_of_appointment_tickets_read_bookings(enrolled: Centre, central: Central,
                                                             agent: Agent) -> None:
    """The call of an appointment ticket says so (schema 5); the server looks up the booking of
    those calls only: a batch of walk-ins' calls reads no booking. A centre of schema 4 does not say
    it: its calls are still looked up."""
    centre, _missed, kept = a_day_of_appointments(enrolled, central, agent)
    with enrolled.db.read() as s:
        calls = [json.loads(e.payload) for e in s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "ticket.called"))]
    assert [c.get("appointment") for c in calls] == [True]  # the appointment ticket's call
    supervisor.reopen_day(enrolled.db, enrolled.supervisor_id, "مواطنون في القاعة")
    with enrolled.db.begin() as s:  # a walk-in, called: no flag
        queue.issue_ticket(s, "A")
    with enrolled.db.begin() as s:
        queue.call_next(s, enrolled.counter_ids[0], enrolled.clerk_ids[0])
    with enrolled.db.read() as s:
        calls = [json.loads(e.payload) for e in s.scalars(
            select(OutboxEvent).where(OutboxEvent.kind == "ticket.called").order_by(OutboxEvent.id))]
    assert "appointment" not in calls[-1]

    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    walk_ins = [WireEvent(str(uuid.uuid4()), 10**6 + i, "ticket.called", ticket, utcnow().isoformat(),
                          called_event(ticket, utcnow().isoformat()))
                for i, ticket in enumerate(str(uuid.uuid4()) for _ in range(20))]
    event.listen(central.db.engine, "before_cursor_execute", seen)
    try:
        with central.db.sessions.begin() as s:
            assert {r.status for r in ingest.ingest(s, centre, walk_ins, utcnow())} == {"stored"}
    finally:
        event.remove(central.db.engine, "before_cursor_execute", seen)
    assert statements and not [q for q in statements if "booking" in q.lower()], statements

    # a centre of schema 4: the call carries no flag, and is looked up all the same
    ticket, at = str(uuid.uuid4()), utcnow() - timedelta(minutes=3)
    with central.db.sessions.begin() as s:
        s.scalars(select(Booking).where(Booking.code == kept)).one().called_at = None
        s.scalars(select(Booking).where(Booking.code == kept)).one().ticket_uuid = ticket
    old = WireEvent(str(uuid.uuid4()), 2 * 10**6, "ticket.called", ticket, at.isoformat(),
                    called_event(ticket, at.isoformat()), 4)
    with central.db.sessions.begin() as s:
        assert [r.status for r in ingest.ingest(s, centre, [old], utcnow())] == ["stored"]
    called_at = server_row(central, kept).called_at
    assert called_at is not None and abs((as_utc(called_at) - at).total_seconds()) < 1


def expected(offered: int) -> dict[str, Any]:
    return {"bookings": 4, "check_ins": 1, "no_shows": 3, "unresolved": 0, "no_show_rate": 0.75,
            "punctuality": {"count": 1, "median_s": pytest.approx(-600, abs=120), "within_10_min": 1.0},
            "places": {"offered": offered, "used": 1, "used_share": pytest.approx(1 / offered)}}


def test_central_appointment_figures_by_role_agree_with_the_centre_report(enrolled: Centre, central: Central,
                                                                           agent: Agent) -> None:
    centre, _missed, _kept = a_day_of_appointments(enrolled, central, agent)
    today = local_day(utcnow())
    period = {"from": today.isoformat(), "to": today.isoformat()}
    offered = 6 * int(RULE["places"])  # 09:00-12:00 in 30 minutes: 6 slots
    answer = requests.get(central.url + "/v1/reports/kpis", params=period, headers=TOKEN, timeout=30)
    assert answer.status_code == 200, answer.text
    figures = answer.json()["appointments"]
    assert figures["overall"] == {**expected(offered), "bookings": 5}  # OTHER-01's booking still booked
    by_centre = {c["centre"]: c for c in figures["by_centre"]}
    assert {k: by_centre[centre][k] for k in expected(offered)} == expected(offered)
    assert by_centre["OTHER-01"]["bookings"] == 1 and by_centre["OTHER-01"]["no_show_rate"] is None
    giza = next(g for g in figures["by_governorate"] if g["governorate"] == "21")
    assert {k: giza[k] for k in expected(offered)} == expected(offered) and giza["name_en"] == "Giza"
    # a public holiday offers no places that day
    with central.db.sessions() as s:
        assert appointment_kpis(s, today, today + timedelta(days=1), [centre])["overall"]["places"]["offered"] == 2 * offered

    # by role: a governorate supervisor sees its governorate's centres, a centre viewer its own
    add_person(central, "sara.giza", "governorate_supervisor", governorate="21")
    add_person(central, "omar.other", "centre_viewer", centre="OTHER-01")
    for name, centres in (("sara.giza", [centre]), ("omar.other", ["OTHER-01"])):
        login = log_in(central.url, name)
        seen = requests.get(central.url + "/v1/reports/kpis", params=period, cookies={COOKIE: login.cookies[COOKIE]},
                            timeout=30).json()["appointments"]
        assert [c["centre"] for c in seen["by_centre"]] == centres
    # the page in English, over HTTP (the Arabic one in Chromium below)
    add_person(central, "nour.admin")
    login = log_in(central.url, "nour.admin")
    page = requests.get(central.url + "/reports", params={**period, "lang": "en"},
                        cookies={COOKIE: login.cookies[COOKIE]}, timeout=30)
    assert page.status_code == 200 and '<section id="appointments">' in page.text
    for words in ("Booked appointments", "No-show rate", "Called within 10 minutes", "Share of places used", "75%"):
        assert words in strip_isolates(page.text), words
    # the centre's own report: the same figures
    with enrolled.db.read() as s:
        report = centre_reports.build(s, today, today)
    assert (report.bookings, report.check_ins, report.booking_no_shows, report.no_show_rate,
            report.punctual_share) == (4, 1, 3, 0.75, 1.0)
    assert report.punctuality_min == pytest.approx(figures["overall"]["punctuality"]["median_s"] / 60, abs=0.1)


@ON_SQLITE
def test_the_report_page_shows_the_appointments_in_arabic(enrolled: Centre, central: Central, agent: Agent) -> None:
    centre, _missed, _kept = a_day_of_appointments(enrolled, central, agent)
    today = local_day(utcnow()).isoformat()
    with central_page(central, f"/reports?from={today}&to={today}&lang=ar") as page:
        section = page.locator("section#appointments")
        assert section.locator("h2").inner_text() == "المواعيد المحجوزة"
        head = section.locator("thead th").all_inner_texts()
        assert head[1:6] == ["الحجوزات", "الحضور (تسجيل الوصول)", "لم يحضر", "أيام لم تُغلق (بلا نتيجة)",
                             "نسبة عدم الحضور"]
        rows = [r.locator("th, td").all_inner_texts() for r in section.locator("tbody tr").all()]
        overall = [strip_isolates(v) for v in rows[0]]
        assert overall[:6] == ["جميع المراكز", "5", "1", "3", "0", "75%"]
        assert overall[6].startswith("-") and overall[7:] == ["100%", "12", "8%"]
        assert any(centre in r[0] for r in rows)
        assert page.evaluate("getComputedStyle(document.querySelector('#appointments table')).direction") == "rtl"
        # the figures read left to right inside the right-to-left table
        cell = section.locator("tbody tr").first.locator("td").nth(4).locator("bdi")
        assert cell.get_attribute("dir") == "ltr"
        violations = axe_violations(page)
        assert not violations, violations
        section.screenshot(path=str(SCREENSHOT))


def test_the_centre_keeps_past_bookings_without_their_national_ids(site: Centre) -> None:
    """The agent's daily forgetting erases the national IDs of days past and keeps the rows (the
    report's bookings and no-shows); a day never closed has its bookings marked when the next opens."""
    today = local_day(utcnow())
    with site.db.begin() as s:
        booking.apply_pulled(s, [booking.PulledBooking("OLDB2345", nid(4), SERVICES[0], "A", utcnow(), today,
                                                       "booked", 1)])
    with site.db.begin() as s:  # the first ticket of tomorrow closes today by itself
        queue.issue_ticket(s, "A", at=utcnow() + timedelta(days=1))
    with site.db.begin() as s:
        assert booking.forget_before(s, today + timedelta(days=1)) == 1
        assert booking.forget_before(s, today + timedelta(days=1)) == 0
    with site.db.read() as s:
        row = s.get_one(LocalBooking, "OLDB2345")
        assert (row.national_id, row.state) == ("", "no_show")
    assert no_show_events(site) == 1


def test_a_pull_never_undoes_a_no_show_the_server_has_not_heard_of(site: Centre) -> None:
    """The server's newer version of a booking the centre marked no-show: still ``booked`` the same
    day (the no-show not pushed yet) keeps the no-show; cancelled, or moved to another day, wins."""
    today = local_day(utcnow())
    codes = ("SAME2345", "CANC2345", "MOVE2345")
    with site.db.begin() as s:
        booking.apply_pulled(s, [booking.PulledBooking(code, nid(5 + i), SERVICES[0], "A", utcnow(), today, "booked", 1)
                                 for i, code in enumerate(codes)])
        assert booking.mark_no_shows(s, today, utcnow()) == 3
        assert booking.mark_no_shows(s, today, utcnow()) == 0
    tomorrow = utcnow() + timedelta(days=1)
    with site.db.begin() as s:
        assert booking.apply_pulled(s, [
            booking.PulledBooking("SAME2345", nid(5), SERVICES[0], "A", utcnow(), today, "booked", 2),
            booking.PulledBooking("CANC2345", nid(6), SERVICES[0], "A", utcnow(), today, "cancelled", 3),
            booking.PulledBooking("MOVE2345", nid(7), SERVICES[0], "A", tomorrow, local_day(tomorrow), "booked", 4)]) == 3
    with site.db.read() as s:
        assert [s.get_one(LocalBooking, c).state for c in codes] == ["no_show", "cancelled", "booked"]
    assert no_show_events(site) == 3
