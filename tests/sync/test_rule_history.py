"""Appointment rules keep their history (issue 20): the places offered on a past day are those of
the rule in force that day (``appointment_rule_version``), not of today's rule; a deleted rule keeps
its past; s0017 seeds one version per existing rule. The figures end to end (JSON and report page)
follow in this file's last test."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests
from alembic import command
from sqlalchemy import insert, select

from counter_app.common.clock import local_day, utcnow
from counter_app.common.i18n import strip_isolates
from sync.server.accounts import NATIONAL, Scope
from sync.server.appointment_kpis import _offered, _slots_by_weekday, appointment_kpis
from sync.server.appointments import bookings, manage, slots
from sync.server.appointments.errors import AppointmentError
from sync.server.db import ServerDatabase, alembic_config
from sync.server.models import (
    AppointmentClosure,
    AppointmentRule,
    AppointmentRuleVersion,
    Booking,
    CentralAudit,
    EnrolledCentre,
)
from sync.server.sessions import COOKIE
from tests.helpers.appointments import nid
from tests.helpers.central import ADMIN_TOKEN, Central, add_person, log_in

CENTRE = "HIS-01"
ADMIN = Scope(actor="token", role=NATIONAL)
D0 = date(2026, 3, 2)  # a Monday
TOKEN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def rule(places: int, *, slot_minutes: int = 30, weekdays: range = range(7)) -> slots.Rule:
    return slots.parse_rule({"hours": {str(d): [["09:00", "12:00"]] for d in weekdays}, "slot_minutes": slot_minutes,
                             "places": places, "horizon_days": 14, "cutoff_days_before": 1, "cutoff_time": "18:00"})


def at(day: date, hour: int = 10) -> datetime:
    """``hour`` o'clock Cairo (UTC+2 in March) of ``day``, in UTC."""
    return datetime(day.year, day.month, day.day, hour - 2, tzinfo=UTC)


@pytest.fixture
def db(central_url: str) -> Iterator[ServerDatabase]:
    database = ServerDatabase(central_url)
    with database.sessions.begin() as s:
        s.add(EnrolledCentre(code=CENTRE, name="Centre", governorate="21", sync_public_key="-", enrolled_at=at(D0),
                             clock_flagged=False))
    yield database
    database.dispose()


def set_rule(db: ServerDatabase, when: datetime, places: int, **kwargs: Any) -> None:
    with db.sessions.begin() as s:
        manage.set_rule(s, ADMIN, CENTRE, "A", rule(places, **kwargs), when, None)


def offered(db: ServerDatabase, first: date, last: date) -> int:
    with db.sessions() as s:
        return int(appointment_kpis(s, first, last, [CENTRE])["overall"]["places"]["offered"])


def test_a_rule_changed_mid_period_counts_each_day_by_the_rule_of_that_day(db: ServerDatabase) -> None:
    set_rule(db, at(D0), 2)  # 6 slots a day of 2 places
    set_rule(db, at(D0 + timedelta(days=10), 8), 4)
    set_rule(db, at(D0 + timedelta(days=10), 15), 10)  # the same day again: the last change holds all day
    with db.sessions() as s:
        assert [(v.valid_from, v.places) for v in s.scalars(select(AppointmentRuleVersion).order_by(
            AppointmentRuleVersion.valid_from))] == [(D0, 2), (D0 + timedelta(days=10), 10)]
    assert offered(db, D0, D0 + timedelta(days=19)) == 10 * 6 * 2 + 10 * 6 * 10
    assert offered(db, D0 - timedelta(days=5), D0 - timedelta(days=1)) == 0  # before any rule
    assert offered(db, D0 + timedelta(days=8), D0 + timedelta(days=11)) == 2 * 12 + 2 * 60
    # closed days (a public holiday before the change, the centre's own after it) offer nothing
    with db.sessions.begin() as s:
        for code, day in (("", D0 + timedelta(days=3)), (CENTRE, D0 + timedelta(days=12))):
            s.add(AppointmentClosure(centre_code=code, day=day, reason_ar="-", reason_en="-", created_at=at(D0),
                                     created_by="token"))
    assert offered(db, D0, D0 + timedelta(days=19)) == 9 * 6 * 2 + 9 * 6 * 10
    # today's rule (the last one) no longer decides the past: raising it leaves March as it was
    set_rule(db, at(D0 + timedelta(days=40)), 50)
    assert offered(db, D0, D0 + timedelta(days=19)) == 9 * 6 * 2 + 9 * 6 * 10


def test_a_deleted_rule_keeps_its_past(db: ServerDatabase) -> None:
    set_rule(db, at(D0), 2)
    with db.sessions.begin() as s:
        manage.delete_rule(s, ADMIN, CENTRE, "A", at(D0 + timedelta(days=10)), None)
    with db.sessions() as s:
        assert s.get(AppointmentRule, (CENTRE, "A")) is None
        assert s.scalars(select(CentralAudit.action).order_by(CentralAudit.id.desc())).first() == \
            "appointment.rule_delete"
    assert offered(db, D0, D0 + timedelta(days=19)) == 10 * 6 * 2
    assert offered(db, D0 + timedelta(days=10), D0 + timedelta(days=19)) == 0
    set_rule(db, at(D0 + timedelta(days=15)), 1)  # set again later
    assert offered(db, D0, D0 + timedelta(days=19)) == 10 * 6 * 2 + 5 * 6 * 1
    with db.sessions.begin() as s, pytest.raises(AppointmentError) as refused:
        manage.delete_rule(s, ADMIN, CENTRE, "B", at(D0 + timedelta(days=16)), None)
    assert refused.value.key == "not_found"


def test_the_offered_places_equal_a_day_by_day_count(db: ServerDatabase) -> None:
    """The stretch arithmetic (weekdays counted per version) against counting every day, for
    random histories of two groups, weekday-only hours and closures, over random periods."""
    chance = random.Random(20)
    with db.sessions.begin() as s:
        for _ in range(40):
            group, valid_from = chance.choice("AB"), D0 + timedelta(days=chance.randrange(60))
            if s.get(AppointmentRuleVersion, (CENTRE, group, valid_from)) is not None:
                continue
            deleted = chance.random() < 0.2
            hours = {str(d): [["08:00", "11:00"]] for d in range(chance.randrange(1, 8))}
            s.add(AppointmentRuleVersion(centre_code=CENTRE, group_letter=group, valid_from=valid_from,
                                         hours=None if deleted else json.dumps(hours),
                                         slot_minutes=None if deleted else chance.choice((15, 30, 60)),
                                         places=None if deleted else chance.randrange(1, 9), set_at=at(D0),
                                         set_by="token"))
        for _ in range(6):
            s.merge(AppointmentClosure(centre_code=chance.choice(("", CENTRE)),
                                       day=D0 + timedelta(days=chance.randrange(70)), reason_ar="-",
                                       reason_en="-", created_at=at(D0), created_by="token"))
    with db.sessions() as s:
        versions = list(s.scalars(select(AppointmentRuleVersion)))
        shut = set(s.scalars(select(AppointmentClosure.day)))

    def by_day(first: date, last: date) -> int:
        total, day = 0, first
        while day <= last:
            for group in "AB":
                now = max((v for v in versions if v.group_letter == group and v.valid_from <= day),
                          key=lambda v: v.valid_from, default=None)
                if day not in shut and now is not None and now.places and now.hours and now.slot_minutes:
                    total += now.places * _slots_by_weekday(now.hours, now.slot_minutes).get(day.weekday(), 0)
            day += timedelta(days=1)
        return total

    for _ in range(30):
        first = D0 + timedelta(days=chance.randrange(-10, 80))
        last = first + timedelta(days=chance.randrange(0, 40))
        with db.sessions() as s:
            assert _offered(s, first, last, [CENTRE]).get(CENTRE, 0) == by_day(first, last), (first, last)


def test_the_migration_seeds_one_version_per_rule(db: ServerDatabase) -> None:
    """A rule changed on 20 March whose group was booked from 5 March is taken from 5 March (its
    history before unknown); one without bookings from the Cairo day of its change (23:30 UTC on
    the 9th is the 10th in Cairo)."""
    command.downgrade(alembic_config(db.engine), "s0017-1")  # the revision before s0017
    hours = json.dumps({str(d): [["09:00", "12:00"]] for d in range(7)})
    common = {"centre_code": CENTRE, "hours": hours, "slot_minutes": 30, "horizon_days": 14,
              "cutoff_days_before": 1, "cutoff_time": "18:00", "updated_by": "user:sara"}
    booked_day = date(2026, 3, 5)
    with db.engine.begin() as conn:
        conn.execute(insert(AppointmentRule), [
            {**common, "group_letter": "A", "places": 3, "updated_at": datetime(2026, 3, 20, 9, tzinfo=UTC)},
            {**common, "group_letter": "B", "places": 1, "updated_at": datetime(2026, 3, 9, 23, 30, tzinfo=UTC)}])
        for group, day in (("A", booked_day), ("A", date(2026, 3, 25)), ("C", date(2026, 3, 1))):
            slot = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
            conn.execute(insert(Booking).values(
                code=f"H{group}{day.day:02d}", secret_digest="0" * 64, centre_code=CENTRE, group_letter=group,
                service_code="MP-REG-CERT", slot_start=slot, day=day, national_id=nid(day.day), mobile=None,
                lang="ar", state=bookings.CHECKED_IN, active_key=None, version=1, created_at=slot, updated_at=slot))
    command.upgrade(alembic_config(db.engine), "head")
    with db.sessions() as s:
        seeded = [(v.group_letter, v.valid_from, v.places, v.slot_minutes, v.hours, v.set_by)
                  for v in s.scalars(select(AppointmentRuleVersion).order_by(AppointmentRuleVersion.group_letter))]
    assert seeded == [("A", booked_day, 3, 30, hours, "user:sara"), ("B", date(2026, 3, 10), 1, 30, hours, "user:sara")]
    assert offered(db, date(2026, 3, 1), date(2026, 3, 31)) == 27 * 6 * 3 + 22 * 6 * 1


def test_the_report_figures_keep_a_changed_rule_s_past(central: Central) -> None:
    """Over HTTP: the KPIs JSON and the report page count last week by the rule of last week after
    the rule is raised today, and after it is deleted today."""
    today = local_day(utcnow())
    week_ago = today - timedelta(days=7)
    with central.db.sessions.begin() as s:
        s.add(EnrolledCentre(code=CENTRE, name="Centre", governorate="21", sync_public_key="-", enrolled_at=utcnow(),
                             clock_flagged=False))
        s.add(AppointmentRuleVersion(centre_code=CENTRE, group_letter="A", valid_from=week_ago,
                                     hours=json.dumps({str(d): [["09:00", "12:00"]] for d in range(7)}),
                                     slot_minutes=30, places=2, set_at=utcnow(), set_by="token"))
    body: dict[str, Any] = {"hours": {str(d): [["09:00", "12:00"]] for d in range(7)}, "slot_minutes": 30, "places": 10,
            "horizon_days": 14, "cutoff_days_before": 1, "cutoff_time": "18:00"}
    assert requests.put(f"{central.url}/v1/appointments/admin/rules/{CENTRE}/A", json=body, headers=TOKEN,
                        timeout=10).status_code == 200
    period = {"from": week_ago.isoformat(), "to": today.isoformat()}
    add_person(central, "nour.admin")
    cookies = {COOKIE: log_in(central.url, "nour.admin").cookies[COOKIE]}

    def figures() -> tuple[int, list[str]]:
        answer = requests.get(central.url + "/v1/reports/kpis", params=period, headers=TOKEN, timeout=30)
        assert answer.status_code == 200, answer.text
        page = requests.get(central.url + "/reports", params={**period, "lang": "en"}, cookies=cookies, timeout=30)
        assert page.status_code == 200
        section = strip_isolates(page.text.split('<section id="appointments">')[1].split("</section>")[0])
        overall = section.split("<tbody>")[1].split("</tr>")[0]  # all centres: name, ..., offered, share used
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.split(r"</t[hd]>", overall)][:-1]
        return int(answer.json()["appointments"]["overall"]["places"]["offered"]), cells


    offered_now, cells = figures()
    assert offered_now == 7 * 6 * 2 + 6 * 10  # seven days at 2 places, today at 10
    assert cells[-2:] == ["144", "0%"], cells
    deleted = requests.delete(f"{central.url}/v1/appointments/admin/rules/{CENTRE}/A", headers=TOKEN, timeout=10)
    assert deleted.status_code == 200 and deleted.json() == {"centre": CENTRE, "group": "A", "deleted": True}
    offered_now, cells = figures()
    assert offered_now == 7 * 6 * 2  # today's deletion leaves last week's places
    assert cells[-2:] == ["84", "0%"], cells
    assert requests.delete(f"{central.url}/v1/appointments/admin/rules/{CENTRE}/A", headers=TOKEN,
                           timeout=10).status_code == 404
