"""Issue 20, item 7 (the centre's KPIs): appointment tickets, those served, their share of the
day's tickets and the punctuality (first call minus booked time, median), in the supervisor's
report (PDF and tables) when the centre had appointments."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from counter_app.core import appointment_figures, booking, queue
from counter_app.core.clock import local_day
from counter_app.core.db import Database
from counter_app.services import reports
from tests.core.test_queue import T0
from tests.helpers.factories import Centre
from tests.printers.test_pdf import pdf_text


def test_appointments_served_share_and_punctuality(db: Database, site: Centre, tmp_path: Path) -> None:
    day = local_day(T0)
    c, k = site.counter_ids[0], site.clerk_ids[0]
    with db.read() as s:
        assert appointment_figures.figures(s, day) == appointment_figures.AppointmentFigures()
    with db.begin() as s:
        for i in range(2):  # two walk-ins
            queue.issue_ticket(s, "A", at=T0 + timedelta(minutes=i))
        # booked 09:10, 09:20 and 09:30; the third never comes to the counter
        booked = [queue.issue_ticket(s, "A", at=T0 + timedelta(minutes=2 + i),
                                     appointment_at=T0 + timedelta(minutes=10 * (i + 1))).ticket for i in range(3)]
    with db.begin() as s:  # 09:08: the first is due (5 minutes ahead): called 2 minutes early
        first = queue.call_next(s, c, k, at=T0 + timedelta(minutes=8))
    with db.begin() as s:  # 09:24: the second is due: called 4 minutes late; the first is done
        second = queue.call_next(s, c, k, at=T0 + timedelta(minutes=24))
    with db.begin() as s:  # the second recalled later: punctuality counts the first call
        assert second is not None
        queue.recall(s, second.id, c, k, at=T0 + timedelta(minutes=40))
    assert first is not None and second is not None and [first.id, second.id] == [booked[0].id, booked[1].id]
    with db.read() as s:
        got = appointment_figures.figures(s, day)
    assert got == appointment_figures.AppointmentFigures(tickets=3, served=1, all_tickets=5,
                                                         punctuality_median_s=60.0, called=2, punctual=2)
    assert got.share == 3 / 5 and got.within_10_min == 1.0 and got.no_show_rate is None  # no booking rows here
    with db.read() as s:  # another day: nothing
        assert appointment_figures.figures(s, day + timedelta(days=1)).all_tickets == 0

    with db.begin() as s:  # the centre's copy of the day's bookings: 2 no-shows, 1 checked in, 1 cancelled
        booking.apply_pulled(s, [booking.PulledBooking(f"CODE{i}234", "29001012345675", f"S{i}", "A", T0, day, state, i)
                                 for i, state in enumerate(("no_show", "no_show", "checked_in", "cancelled"), 2)])
    with db.read() as s:
        report = reports.build(s, day, day, "day")
    assert (report.bookings, report.check_ins, report.booking_no_shows, report.no_show_rate,
            report.punctual_share) == (3, 1, 2, 2 / 3, 1.0)
    assert (report.appointments, report.appointments_served, report.appointment_share,
            report.punctuality_min) == (3, 1, 0.6, 1.0)
    summary = dict((row[0], row[1]) for row in reports.tables(report)["summary"][1:])
    assert (summary["appointments"], summary["appointments_served"], summary["appointment_share"],
            summary["punctuality_median_min"]) == (3, 1, 0.6, 1.0)
    for lang, words in (("ar", ["تذاكر المواعيد", "نسبة المواعيد من تذاكر الفترة", "60", "1.0",
                                "نسبة عدم الحضور", "67", "حجوزات لم يحضر أصحابها"]),
                        ("en", ["Appointment tickets served", "Appointments' share of the tickets", "60", "1.0",
                                "No-show rate", "67", "Appointments called within 10 minutes"])):
        target = tmp_path / f"day-{lang}.pdf"
        reports.write(report, target, "pdf", lang)
        text = " ".join(pdf_text(target).split())
        for word in words:
            assert word in text, (lang, word, text[:800])
