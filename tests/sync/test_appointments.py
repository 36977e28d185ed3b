"""Appointments at the central server (sync/server/appointments): slot rules and closures managed by
role with audit entries, free slots, booking, the manage link's cancel and move, the citizen's
limits, and the last place of a slot sold once under 50 concurrent bookers over HTTP."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select

from counter_app.common.clock import CENTRE_TZ, local_day, utcnow
from counter_app.common.i18n import strip_isolates
from sync.server.appointments.bookings import CODE_ALPHABET
from sync.server.models import AppointmentSlot, Booking, CentralAudit, EnrolledCentre
from tests.helpers.appointments import add_no_shows, nid
from tests.helpers.central import ADMIN_TOKEN, Central, add_person, running_central
from tests.sync.test_enrol_codes import session as login_cookies

TOKEN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
EVERY_DAY = {str(d): [["09:00", "12:00"]] for d in range(7)}
RULE = {"hours": EVERY_DAY, "slot_minutes": 30, "places": 2, "horizon_days": 14, "cutoff_days_before": 1,
        "cutoff_time": "18:00"}
SERVICE = "MP-REG-CERT"  # group A


@pytest.fixture
def central(central_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Central]:
    """The real server; its bookings' rate limit raised (every booker here is 127.0.0.1) and a
    monthly cap of 3 (read when the app is made)."""
    monkeypatch.setenv("SHUBBAK_RATE_LIMITS", "booking=2000/minute")
    monkeypatch.setenv("SHUBBAK_APPOINTMENT_LIMITS", "monthly=3")
    with running_central(central_url) as server:
        yield server


def add_centre(central: Central, code: str, governorate: str) -> None:
    with central.db.sessions.begin() as s:
        s.add(EnrolledCentre(code=code, name=code, governorate=governorate, sync_public_key="-",
                             enrolled_at=utcnow(), clock_flagged=False))


def mobile(n: int) -> str:
    return f"0101{n:07d}"


def put(central: Central, path: str, body: dict[str, Any], cookies: dict[str, str] | None = None) -> requests.Response:
    return requests.put(central.url + path, json=body, headers=None if cookies else TOKEN, cookies=cookies, timeout=10)


def slots_of(central: Central, day: date, centre: str = "GIZ-01", days: int = 1) -> list[dict[str, Any]]:
    answer = requests.get(central.url + "/v1/appointments/slots", timeout=10,
                          params={"centre": centre, "service": SERVICE, "from": day.isoformat(), "days": str(days)})
    assert answer.status_code == 200, answer.text
    return [slot for d in answer.json()["days"] for slot in d["slots"]]


def book(central: Central, slot: str, n: int, **extra: Any) -> requests.Response:
    body = {"centre": "GIZ-01", "service": SERVICE, "slot": slot, "national_id": nid(n), "mobile": mobile(n), **extra}
    return requests.post(central.url + "/v1/appointments/bookings", json=body, timeout=30)


def soon() -> date:
    return local_day(utcnow()) + timedelta(days=3)


def test_rules_and_closures_by_role_with_audit(central: Central) -> None:
    add_centre(central, "GIZ-01", "21")
    add_centre(central, "CAI-01", "01")
    add_person(central, "sara.giza", "governorate_supervisor", governorate="21")
    add_person(central, "omar.viewer", "centre_viewer", centre="GIZ-01")
    sara, omar = login_cookies(central, "sara.giza"), login_cookies(central, "omar.viewer")
    assert put(central, "/v1/appointments/admin/rules/GIZ-01/A", RULE, sara).status_code == 200
    refused = put(central, "/v1/appointments/admin/rules/CAI-01/A", RULE, sara)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert put(central, "/v1/appointments/admin/rules/GIZ-01/A", RULE, omar).status_code == 403  # read-only
    read = requests.get(central.url + "/v1/appointments/admin/rules", params={"centre": "GIZ-01"}, cookies=omar,
                        timeout=10)
    assert read.status_code == 200 and read.json()[0]["places"] == 2 and read.json()[0]["updated_by"] == "user:sara.giza"
    assert requests.get(central.url + "/v1/appointments/admin/rules", params={"centre": "CAI-01"}, cookies=omar,
                        timeout=10).status_code == 403
    assert requests.get(central.url + "/v1/appointments/admin/rules", params={"centre": "GIZ-01"},
                        timeout=10).status_code == 401
    bad = put(central, "/v1/appointments/admin/rules/GIZ-01/A", {**RULE, "hours": {"0": [["12:00", "09:00"]]}})
    assert bad.status_code == 422 and bad.json()["error"] == "bad_rule"
    # a public holiday: the national administrator's only; a centre's own closure: its supervisor's
    day = soon()
    holiday = {"reason_ar": "عيد", "reason_en": "Holiday"}
    assert put(central, f"/v1/appointments/admin/closures/national/{day}", holiday, sara).status_code == 403
    assert put(central, f"/v1/appointments/admin/closures/national/{day}", holiday).status_code == 200
    assert put(central, f"/v1/appointments/admin/closures/GIZ-01/{day + timedelta(days=1)}", holiday,
               sara).status_code == 200
    listed = requests.get(central.url + "/v1/appointments/admin/closures", params={"centre": "GIZ-01"},
                          cookies=omar, timeout=10).json()
    assert [(c["centre"], c["day"]) for c in listed] == [("national", day.isoformat()),
                                                         ("GIZ-01", (day + timedelta(days=1)).isoformat())]
    assert slots_of(central, day, days=3)[0]["start"].startswith((day + timedelta(days=2)).isoformat()[:8])
    assert len(slots_of(central, day, days=3)) == 6  # two closed days, then a day of six 30-minute slots
    assert requests.delete(central.url + f"/v1/appointments/admin/closures/national/{day}", headers=TOKEN,
                           timeout=10).status_code == 200
    assert len(slots_of(central, day, days=3)) == 12
    with central.db.sessions() as s:
        audited = [tuple(r) for r in s.execute(select(CentralAudit.actor, CentralAudit.action, CentralAudit.target)
                                                .where(CentralAudit.action.like("appointment.%"))
                                                .order_by(CentralAudit.id))]
    assert audited == [
        ("user:sara.giza", "appointment.rule_set", "GIZ-01/A"),
        ("user:sara.giza", "appointment.refused", "CAI-01/A"),
        ("user:omar.viewer", "appointment.refused", "GIZ-01/A"),
        ("user:sara.giza", "appointment.refused", f"national/{day}"),
        ("token", "appointment.closure_set", f"national/{day}"),
        ("user:sara.giza", "appointment.closure_set", f"GIZ-01/{day + timedelta(days=1)}"),
        ("token", "appointment.closure_delete", f"national/{day}"),
    ]


def test_book_look_up_move_cancel(central: Central) -> None:
    add_centre(central, "GIZ-01", "21")
    assert put(central, "/v1/appointments/admin/rules/GIZ-01/A", RULE).status_code == 200
    day = soon()
    first, second = slots_of(central, day)[:2]
    local = datetime.fromisoformat(first["start"]).astimezone(CENTRE_TZ)
    assert (local.date(), local.hour, local.minute) == (day, 9, 0) and first["free"] == 2 and first["time"] == "09:00"
    made = book(central, first["start"], 1)
    assert made.status_code == 201, made.text
    code, secret = made.json()["code"], made.json()["secret"]
    assert len(code) == 8 and set(code) <= set(CODE_ALPHABET) and not set(code) & set("0O1I")
    assert slots_of(central, day)[0]["free"] == 1
    # the same citizen, the same service and day: refused, in Arabic by default and in English
    again = book(central, second["start"], 1)
    assert again.status_code == 409 and again.json()["error"] == "already_booked"
    assert strip_isolates(again.json()["localised"]) == "لديك حجز لهذه الخدمة في هذا اليوم بالفعل."
    assert "already have a booking" in book(central, second["start"], 1, lang="en").json()["localised"]
    looked = requests.get(central.url + f"/v1/appointments/bookings/{code.lower()}",
                          headers={"X-Booking-Secret": secret}, timeout=10)
    assert looked.status_code == 200 and looked.json()["state"] == "booked" and looked.json()["mobile"] == "…001"
    assert "national_id" not in looked.json()
    wrong = requests.get(central.url + f"/v1/appointments/bookings/{code}", headers={"X-Booking-Secret": "guess"},
                         timeout=10)
    assert wrong.status_code == 404 and wrong.json()["error"] == "unknown_booking"
    moved = requests.post(central.url + f"/v1/appointments/bookings/{code}/move",
                          json={"secret": secret, "slot": second["start"]}, timeout=10)
    assert moved.status_code == 200, moved.text
    assert [s["free"] for s in slots_of(central, day)[:2]] == [2, 1]
    cancelled = requests.post(central.url + f"/v1/appointments/bookings/{code}/cancel", json={"secret": secret},
                              timeout=10)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert [s["free"] for s in slots_of(central, day)[:2]] == [2, 2]
    twice = requests.post(central.url + f"/v1/appointments/bookings/{code}/cancel", json={"secret": secret}, timeout=10)
    assert twice.status_code == 409 and twice.json()["error"] == "not_active"
    with central.db.sessions() as s:
        row = s.scalar(select(Booking).where(Booking.code == code))
        assert row is not None and row.mobile is None and row.active_key is None and row.version == 3
    # bad input: a clear reason, in the citizen's language
    bad_id = book(central, first["start"], 2, national_id="2900101210")
    assert bad_id.status_code == 422 and bad_id.json()["error"] == "bad_national_id"
    assert strip_isolates(bad_id.json()["localised"]).startswith("الرقم القومي غير صحيح: ")
    bad_mobile = book(central, first["start"], 2, mobile="0223456789", lang="en")  # a landline
    assert bad_mobile.status_code == 422 and "Egyptian mobile" in bad_mobile.json()["localised"]
    off = datetime.fromisoformat(first["start"]) + timedelta(minutes=10)
    assert book(central, off.isoformat(), 2).json()["error"] == "not_a_slot"
    far = slots_of(central, day)[0]["start"].replace(day.isoformat(), (day + timedelta(days=30)).isoformat())
    assert book(central, far, 2).json()["error"] == "too_far"
    past = slots_of(central, day)[0]["start"].replace(day.isoformat(), local_day(utcnow()).isoformat())
    assert book(central, past, 2).json()["error"] == "too_late"  # until 18:00 the evening before
    assert book(central, "9999-12-31T23:30:00+00:00", 2).json()["error"] == "not_a_slot"  # no overflow, no 500
    assert slots_of(central, date(9999, 12, 31)) == []
    assert requests.get(central.url + "/v1/appointments/admin/closures", params={"centre": "GIZ-01", "from": "9999-12-31"},
                        headers=TOKEN, timeout=10).json() == []
    closed = slots_of(central, day)[0]["start"].replace(day.isoformat(), (day + timedelta(days=1)).isoformat())
    assert put(central, f"/v1/appointments/admin/closures/GIZ-01/{day + timedelta(days=1)}",
               {"reason_ar": "صيانة", "reason_en": "Maintenance"}).status_code == 200
    assert book(central, closed, 2).json()["error"] == "closed_day"
    assert requests.get(central.url + "/v1/appointments/slots", params={"centre": "GIZ-01", "service": "LU-OCCUPANCY"},
                        timeout=10).json()["error"] == "no_appointments"  # group C has no rule


def test_monthly_cap_and_no_shows(central: Central) -> None:
    add_centre(central, "GIZ-01", "21")
    assert put(central, "/v1/appointments/admin/rules/GIZ-01/A", RULE).status_code == 200
    days = [soon() + timedelta(days=i) for i in range(4)]
    days = [d for d in days if d.month == days[0].month][:4]
    if len(days) < 4:  # near a month's end: take the next month's first days
        first_next = (days[0].replace(day=1) + timedelta(days=32)).replace(day=1)
        days = [first_next + timedelta(days=i) for i in range(4)]
    for day in days[:3]:
        assert book(central, slots_of(central, day)[0]["start"], 7).status_code == 201
    capped = book(central, slots_of(central, days[3])[0]["start"], 7, lang="en")
    assert capped.status_code == 409 and capped.json()["error"] == "monthly_cap"
    assert strip_isolates(capped.json()["localised"]) == "You have reached this month's limit: 3 bookings per national ID."
    assert strip_isolates(book(central, slots_of(central, days[3])[0]["start"], 7).json()["localised"]) == \
        "بلغت الحد المسموح به هذا الشهر: 3 حجوزات لكل رقم قومي."
    # three no-shows in 90 days: refused until 30 days after the last one
    add_no_shows(central.db, nid(8), SERVICE)
    today = local_day(utcnow())
    blocked = book(central, slots_of(central, days[0])[0]["start"], 8)
    assert blocked.status_code == 403 and blocked.json()["error"] == "no_show_block"
    assert blocked.json()["until"] == (today + timedelta(days=25)).isoformat()
    assert (today + timedelta(days=25)).isoformat() in strip_isolates(blocked.json()["localised"])


def test_the_last_place_is_never_sold_twice(central: Central, central_url: str) -> None:
    """50 citizens book one slot of 10 places at once over HTTP: exactly 10 bookings, 40 told
    ``full`` (no 500), the slot's count 10."""
    add_centre(central, "GIZ-01", "21")
    assert put(central, "/v1/appointments/admin/rules/GIZ-01/A", {**RULE, "places": 10}).status_code == 200
    slot = slots_of(central, soon())[0]["start"]
    answers: list[requests.Response] = []
    lock, start = threading.Lock(), threading.Barrier(50)

    def booker(n: int) -> None:
        start.wait()
        answer = book(central, slot, 100 + n)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=booker, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    counts = Counter((a.status_code, a.json().get("error")) for a in answers)
    assert counts == {(201, None): 10, (409, "full"): 40}, counts
    with central.db.sessions() as s:
        assert s.scalar(select(AppointmentSlot.booked)) == 10
        assert len(list(s.scalars(select(Booking.id).where(Booking.state == "booked")))) == 10
    assert slots_of(central, soon())[0]["free"] == 0


def test_two_moves_crossing_both_succeed(central: Central) -> None:
    """Two citizens swap slots at the same moment, twenty times: each move takes one slot's place and
    gives back the other's, the rows in time order, so neither waits for the other (no deadlock,
    no 500) and the places add up."""
    add_centre(central, "GIZ-01", "21")
    assert put(central, "/v1/appointments/admin/rules/GIZ-01/A", RULE).status_code == 200
    first, second = slots_of(central, soon())[:2]
    made = [book(central, first["start"], 31).json(), book(central, second["start"], 32).json()]
    where = [first["start"], second["start"]]

    def mover(k: int, barrier: threading.Barrier, answers: list[requests.Response]) -> None:
        barrier.wait()
        answers.append(requests.post(central.url + f"/v1/appointments/bookings/{made[k]['code']}/move",
                                     json={"secret": made[k]["secret"], "slot": where[1 - k]}, timeout=30))

    for _round in range(20):
        answers: list[requests.Response] = []
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=mover, args=(k, barrier, answers)) for k in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(a.status_code for a in answers) == [200, 200], [a.text for a in answers]
        where.reverse()
    assert [s["free"] for s in slots_of(central, soon())[:2]] == [1, 1]
