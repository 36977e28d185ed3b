"""Issue 20 item 4's rule (counter_app.core.booking): check-in by code, national ID or the scanned
manage link; within the window an appointment ticket with the booked time, outside it an ordinary
ticket and the reason; a booking checks in once; unknown, cancelled and other days' bookings are
refused with a clear message; the pulled copy keeps a local check-in."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from counter_app.common.i18n import strip_isolates
from counter_app.core import booking, settings
from counter_app.core.clock import as_utc, local_day
from counter_app.core.db import Database
from counter_app.core.errors import DomainError, ValidationFailed
from counter_app.core.models import Booking, OutboxEvent, Setting
from tests.core.test_queue import T0
from tests.helpers.factories import Centre

NID = "29001012345675"


def pulled(code: str, minutes: int, *, version: int = 1, state: str = "booked", nid: str = NID,
           days: int = 0) -> booking.PulledBooking:
    start = T0 + timedelta(days=days, minutes=minutes)
    return booking.PulledBooking(code=code, national_id=nid, service_code="MP-REG-CERT", group_letter="A",
                                 booked_at=start, day=local_day(start), state=state, version=version)


def store(db: Database, *rows: booking.PulledBooking) -> int:
    with db.begin() as s:
        return booking.apply_pulled(s, rows)


def test_entries_a_code_a_link_or_a_national_id() -> None:
    assert booking.entry_code("abcd 2345") == "ABCD2345"
    assert booking.entry_code("https://portal.example/appointments/manage/ABCD2345?secret=xyz") == "ABCD2345"
    assert booking.entry_code("https://portal.example/a?code=ABCD2345&secret=Q1w2e3r4t5") == "ABCD2345"
    assert booking.entry_code("ABCD234") is None and booking.entry_code("ABCD2340") is None  # no 0 in codes
    assert booking.entry_national_id("٢٩٠٠١٠١٢٣٤٥٦٧٥") == NID
    assert booking.entry_national_id("2900101234567") is None


def test_check_in_within_the_window_gives_an_appointment_ticket_once(db: Database, site: Centre) -> None:
    assert store(db, pulled("ABCD2345", 30)) == 1
    with db.begin() as s:  # 09:10 for 09:30: 20 minutes early, within the default 30
        done = booking.check_in(s, "abcd-2345", at=T0 + timedelta(minutes=10))
    assert done.reason is None and done.issued.ticket.group_letter == "A"
    assert done.issued.ticket.appointment_at is not None and done.booked_at == T0 + timedelta(minutes=30)
    with db.read() as s:
        row = s.get_one(Booking, "ABCD2345")
        assert row.state == "checked_in" and row.ticket_uuid == done.issued.ticket.uuid
        event = s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "booking.checked_in")).one()
    payload = json.loads(event.payload)
    assert payload["booking"] == "ABCD2345" and payload["on_time"] is True and NID not in event.payload
    with db.begin() as s, pytest.raises(DomainError) as refused:  # the second attempt: by national ID this time
        booking.check_in(s, NID, at=T0 + timedelta(minutes=11))
    assert refused.value.code == "booking_checked_in"
    assert "ABCD2345" in strip_isolates(refused.value.message("ar"))
    assert "already been checked in" in refused.value.message("en")


@pytest.mark.parametrize(("minutes", "reason"), [(-31, "early"), (16, "late"), (-30, None), (15, None)])
def test_outside_the_window_an_ordinary_ticket_and_the_reason(db: Database, site: Centre, minutes: int,
                                                              reason: str | None) -> None:
    store(db, pulled("ABCD2345", 60))
    with db.begin() as s:
        done = booking.check_in(s, "ABCD2345", at=T0 + timedelta(minutes=60 + minutes))
    assert done.reason == reason
    assert (done.issued.ticket.appointment_at is None) == (reason is not None)


def test_the_window_is_the_centres_setting(db: Database, site: Centre) -> None:
    store(db, pulled("ABCD2345", 60))
    with db.begin() as s:
        settings.put(s, booking.EARLY_KEY, "10")
        settings.put(s, booking.LATE_KEY, "0")
        assert booking.window(s) == booking.Window(timedelta(minutes=10), timedelta(0))
    with db.begin() as s:
        assert booking.check_in(s, "ABCD2345", at=T0 + timedelta(minutes=45)).reason == "early"
    # a value stored beyond what the settings allow (by hand, in the database): the nearest bound
    with db.begin() as s:
        s.get_one(Setting, booking.EARLY_KEY).value = "500"
        s.get_one(Setting, booking.LATE_KEY).value = "200"
        s.flush()
        assert booking.window(s) == booking.Window(timedelta(minutes=120), timedelta(minutes=60))


def test_refusals_unknown_cancelled_other_day_and_bad_entry(db: Database, site: Centre) -> None:
    store(db, pulled("CANC2345", 30, state="cancelled"), pulled("TMRW2345", 30, days=1, nid="29001012345683"))
    at = T0 + timedelta(minutes=20)
    for text, code in (("ZZZZ2345", "booking_unknown"), ("CANC2345", "booking_cancelled"),
                       ("TMRW2345", "booking_other_day"), ("29001012345683", "booking_unknown")):
        with db.begin() as s, pytest.raises(DomainError) as refused:
            booking.check_in(s, text, at=at)
        assert refused.value.code == code, text
        assert refused.value.message("ar") != refused.value.message("en")
    with db.begin() as s, pytest.raises(ValidationFailed) as bad:
        booking.check_in(s, "hello", at=at)
    assert "national ID" in bad.value.message("en")
    with db.read() as s:
        assert s.scalar(select(OutboxEvent.id).where(OutboxEvent.kind == "booking.checked_in")) is None


def test_a_pull_updates_but_never_undoes_a_local_check_in(db: Database, site: Centre) -> None:
    store(db, pulled("ABCD2345", 30), pulled("MOVE2345", 30))
    with db.begin() as s:
        booking.check_in(s, "ABCD2345", at=T0 + timedelta(minutes=25))
    # the server's newer versions: the first still booked there (the check-in not sent yet), the
    # second moved to 10:00; an older version of the second changes nothing
    assert store(db, pulled("ABCD2345", 30, version=5), pulled("MOVE2345", 60, version=6),
                 pulled("MOVE2345", 90, version=2)) == 2
    with db.read() as s:
        assert s.get_one(Booking, "ABCD2345").state == "checked_in"
        assert as_utc(s.get_one(Booking, "MOVE2345").booked_at) == T0 + timedelta(minutes=60)
        assert booking.local_version(s) == 6
    with db.begin() as s:
        assert booking.forget_before(s, local_day(T0) + timedelta(days=1)) == 2


def test_two_kiosks_checking_the_same_booking_in_at_once_issue_one_ticket(db: Database, site: Centre) -> None:
    """Two kiosks (two threads, two transactions), the same booking at the same moment: exactly one
    ticket; the other is told the booking is checked in already."""
    import threading

    from counter_app.core.models import Ticket

    store(db, pulled("ABCD2345", 30))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def kiosk() -> None:
        barrier.wait()
        try:
            with db.begin() as s:
                booking.check_in(s, "ABCD2345", at=T0 + timedelta(minutes=20))
            outcomes.append("ticket")
        except DomainError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=kiosk) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["booking_checked_in", "ticket"]
    with db.read() as s:
        assert len(s.scalars(select(Ticket)).all()) == 1
