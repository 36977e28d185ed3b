"""Bookings whose centre never closed its day (issue 20): with the real agent and the real central
server (SQLite and PostgreSQL), the server raises ``day_not_closed`` once the day's close is
overdue (the day after, 12:00 Cairo), once, with the day and the count; the monitor page and the
mail say them; it follows the count as check-ins arrive and clears when the centre's close (its
no-show events) is pushed. The server marks nothing no-show itself, deletes the numbers all the
same, and the KPIs count these bookings apart (``unresolved``), the no-show rate of known outcomes."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import requests
from sqlalchemy import func, insert, select, text

from counter_app.common.clock import CENTRE_TZ, as_utc
from counter_app.common.i18n import strip_isolates
from counter_app.core import booking
from counter_app.core.centre import centre_code
from counter_app.core.clock import local_day, utcnow
from counter_app.services import supervisor
from sync.agent.agent import Agent
from sync.server.alerts import (
    AlertSettings,
    day_not_closed,
    day_not_closed_query,
    evaluate,
    last_overdue_day,
    mail_text,
)
from sync.server.appointment_kpis import appointment_kpis
from sync.server.appointments import notices
from sync.server.models import Booking, CentralAlert, EnrolledCentre
from sync.server.sessions import COOKIE
from tests.helpers.appointments import nid
from tests.helpers.browser import ON_SQLITE, axe_violations, central_page
from tests.helpers.central import Central, add_person, log_in
from tests.helpers.factories import Centre
from tests.sync.test_appointment_outcomes import SERVICES, add_booking, server_row

SCREENSHOT = Path("/tmp/central_report_unresolved_ar.png")
SETTINGS = AlertSettings()


def cairo(day: date, hour: int, minute: int = 0) -> datetime:
    return as_utc(datetime.combine(day, time(hour, minute), CENTRE_TZ))


def open_day_alerts(central: Central) -> list[tuple[str, datetime, float | None]]:
    with central.db.sessions() as s:
        return [(a.centre_code, as_utc(a.since), a.value) for a in s.scalars(
            select(CentralAlert).where(CentralAlert.kind == "day_not_closed", CentralAlert.cleared_at.is_(None)))]


def round_at(central: Central, now: datetime) -> tuple[int, int]:
    """One alerts' round at ``now``: the day-not-closed alerts (raised, cleared) by it."""
    with central.db.sessions.begin() as s:
        before = {a.id: a.cleared_at for a in s.scalars(select(CentralAlert).where(CentralAlert.kind == "day_not_closed"))}
        evaluate(s, now, SETTINGS)
    with central.db.sessions() as s:
        after = {a.id: a.cleared_at for a in s.scalars(select(CentralAlert).where(CentralAlert.kind == "day_not_closed"))}
    return (len(set(after) - set(before)),
            sum(1 for i, cleared in after.items() if cleared is not None and before.get(i, 0) is None))


def test_the_grace_ends_at_noon_the_day_after() -> None:
    day = date(2026, 11, 24)
    assert last_overdue_day(cairo(day + timedelta(days=1), 11, 59)) == day - timedelta(days=1)
    assert last_overdue_day(cairo(day + timedelta(days=1), 12, 0)) == day
    assert last_overdue_day(cairo(day + timedelta(days=2), 0, 30)) == day


def test_a_day_not_closed_raises_one_alert_that_the_real_close_clears(enrolled: Centre, central: Central,
                                                                      agent: Agent) -> None:
    with enrolled.db.read() as s:
        centre = centre_code(s)
    came = add_booking(central, centre, nid(1), SERVICES[0], minutes=10)
    missed = add_booking(central, centre, nid(2), SERVICES[0], minutes=40)
    assert agent.pull_bookings() == 2
    with enrolled.db.begin() as s:  # one citizen comes; the centre neither syncs nor closes its day
        assert booking.check_in(s, nid(1)).booking_code == came
    today = local_day(server_row(central, came).slot_start)
    midnight = cairo(today, 0)

    assert round_at(central, utcnow()) == (0, 0)  # the day is not over
    assert round_at(central, cairo(today + timedelta(days=1), 11, 0)) == (0, 0)  # a centre may push in the morning
    noon = cairo(today + timedelta(days=1), 12, 5)
    assert round_at(central, noon) == (1, 0)
    assert round_at(central, noon + timedelta(minutes=1)) == (0, 0)  # once, not at every round
    assert open_day_alerts(central) == [(centre, midnight, 2.0)]
    with central.db.sessions() as s:
        assert day_not_closed(s, noon) == {centre: (today, 2)}
        alert = s.scalars(select(CentralAlert).where(CentralAlert.kind == "day_not_closed")).one()
        subject, body = mail_text(alert, s.get(EnrolledCentre, centre), central.url)
    for words in ("لم يُغلق اليوم منذ", "حجزان بلا نتيجة", "Day not closed since", "2 bookings without outcome",
                  today.isoformat()):
        assert words in strip_isolates(subject + body), words

    # the monitor page names the day and the count
    add_person(central, "nour.admin")
    login = log_in(central.url, "nour.admin")
    page = requests.get(central.url + "/monitor", params={"lang": "en"}, cookies={COOKIE: login.cookies[COOKIE]},
                        timeout=10)
    assert page.status_code == 200 and 'data-kind="day_not_closed"' in page.text
    assert f"Day not closed since {today.isoformat()}: 2 bookings without outcome" in strip_isolates(page.text)
    centre_page = requests.get(f"{central.url}/monitor/centres/{centre}", params={"lang": "ar"},
                               cookies={COOKIE: login.cookies[COOKIE]}, timeout=10)
    assert f"لم يُغلق اليوم منذ {today.isoformat()}: حجزان بلا نتيجة" in strip_isolates(centre_page.text)

    # the server decides nothing: still booked, yet the numbers are gone once the day is past
    with central.db.sessions.begin() as s:
        assert notices.forget_numbers(s, noon) == 2
    for code in (came, missed):
        row = server_row(central, code)
        assert (row.state, row.mobile) == ("booked", None)
    with central.db.sessions() as s:
        figures = appointment_kpis(s, today, today, [centre], now=noon)["overall"]
        assert appointment_kpis(s, today, today, [centre], now=utcnow())["overall"]["unresolved"] == 0
    assert {k: figures[k] for k in ("bookings", "check_ins", "no_shows", "unresolved", "no_show_rate")} == {
        "bookings": 2, "check_ins": 0, "no_shows": 0, "unresolved": 2, "no_show_rate": None}

    # the check-in arrives: the alert follows the count
    agent.sync_once()
    assert server_row(central, came).state == "checked_in"
    assert round_at(central, noon + timedelta(minutes=2)) == (0, 0)
    assert open_day_alerts(central) == [(centre, midnight, 1.0)]

    # the centre closes its day and pushes its no-show: cleared by the next round, not raised again
    supervisor.close_day(enrolled.db, enrolled.supervisor_id)
    agent.sync_once()
    assert server_row(central, missed).state == "no_show"
    assert round_at(central, noon + timedelta(minutes=3)) == (0, 1)
    assert round_at(central, noon + timedelta(minutes=4)) == (0, 0)
    assert open_day_alerts(central) == []
    with central.db.sessions() as s:
        figures = appointment_kpis(s, today, today, [centre], now=noon)["overall"]
    assert {k: figures[k] for k in ("bookings", "check_ins", "no_shows", "unresolved", "no_show_rate")} == {
        "bookings": 2, "check_ins": 1, "no_shows": 1, "unresolved": 0, "no_show_rate": 0.5}


def past_bookings(central: Central, centre: str, day: date, states: list[str], prefix: str = "PST") -> None:
    """Bookings of a past day at the server, in bulk (their slot at 09:00 Cairo)."""
    now = utcnow()
    with central.db.sessions.begin() as s:
        s.execute(insert(Booking), [
            {"code": f"{prefix}{i:05d}", "secret_digest": "0" * 64, "centre_code": centre,
             "group_letter": "A", "service_code": SERVICES[0], "slot_start": cairo(day, 9), "day": day,
             "national_id": nid(i % 90), "mobile": None, "lang": "ar", "state": state, "active_key": None,
             "created_at": now, "updated_at": now, "version": 1}
            for i, state in enumerate(states)])


def test_the_days_not_closed_are_read_by_their_index_among_50000_bookings(central: Central) -> None:
    with central.db.sessions.begin() as s:
        s.add(EnrolledCentre(code="GIZ-01", name="giza", governorate="21", sync_public_key="-", enrolled_at=utcnow(),
                             clock_flagged=False))
    today = local_day(utcnow())
    for back in range(1, 51):  # 50 days of 1,000 bookings with their outcome; one day of the centre left open
        past_bookings(central, "GIZ-01", today - timedelta(days=back),
                      ["checked_in", "no_show"] * 500 if back != 3 else ["checked_in"] * 990 + ["booked"] * 10,
                      prefix=f"D{back:02d}")
    now = utcnow()
    with central.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Booking)) == 50_000
        assert day_not_closed(s, now) == {"GIZ-01": (today - timedelta(days=3), 10)}
        compiled = day_not_closed_query(now).compile(s.get_bind(), compile_kwargs={"literal_binds": True})
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("ANALYZE booking"))
            plan = "\n".join(s.scalars(text(f"EXPLAIN {compiled}")))
        else:
            plan = "\n".join(str(row[-1]) for row in s.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "ix_booking_booked_day" in plan, plan
    assert "Seq Scan" not in plan and "SCAN booking\n" not in plan + "\n", plan


@ON_SQLITE
def test_the_report_page_shows_the_days_not_closed_in_arabic(enrolled: Centre, central: Central) -> None:
    with enrolled.db.read() as s:
        centre = centre_code(s)
    with central.db.sessions.begin() as s:
        s.get_one(EnrolledCentre, centre).governorate = "21"
    yesterday = local_day(utcnow()) - timedelta(days=1)
    past_bookings(central, centre, yesterday, ["checked_in"] * 3 + ["no_show"] + ["booked"] * 2)
    with central_page(central, f"/reports?from={yesterday}&to={yesterday}&lang=ar") as page:
        section = page.locator("section#appointments")
        head = section.locator("thead th").all_inner_texts()
        assert head[3:6] == ["لم يحضر", "أيام لم تُغلق (بلا نتيجة)", "نسبة عدم الحضور"]
        rows = [[strip_isolates(v) for v in r.locator("th, td").all_inner_texts()]
                for r in section.locator("tbody tr").all()]
        assert rows[0][:6] == ["جميع المراكز", "6", "3", "1", "2", "25%"]  # the rate of the 4 known outcomes
        assert "لا يقرر الخادم" in section.locator("p.notes").inner_text()
        violations = axe_violations(page)
        assert not violations, violations
        section.screenshot(path=str(SCREENSHOT))
