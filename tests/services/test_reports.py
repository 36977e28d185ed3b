"""The reports' services, without Qt: the dashboard's figures are the day the counters lived, the
exports are new files every time, the day-close record is written once."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from counter_app.services import counter, kiosk, reports, shell, supervisor
from counter_app.services.errors import PermissionDenied
from counter_app.services.views import today_local
from tests.helpers.factories import Centre
from tests.services.conftest import called, intake, service


def a_morning(site: Centre) -> None:
    """Two citizens served at counter 1 (one file, paid in cash), a third waiting."""
    first = called(site)
    assert first.current is not None
    counter.submit_application(site.db, site.clerk_ids[0], intake(site, first))
    counter.ticket_action(site.db, "finish", first.current.id, site.counter_ids[0], site.clerk_ids[0])
    second = called(site)
    assert second.current is not None
    counter.ticket_action(site.db, "finish", second.current.id, site.counter_ids[0], site.clerk_ids[0])
    kiosk.issue_ticket(site.db, "B", False)


def test_the_dashboard_shows_the_day_as_it_was_lived(site: Centre) -> None:
    a_morning(site)
    day = today_local()
    data = reports.dashboard(site.db, site.supervisor_id, day, day)
    fee = service(site).total_piastres
    centre = shell.load_catalogue(site.db).centre
    assert (data.centre_name_ar, data.centre_name_en, data.kind) == (centre.name_ar, centre.name_en, "day")
    assert (data.tickets_issued, data.tickets_served, data.waiting_now, data.applications) == (3, 2, 1, 1)
    assert (data.money_total, data.money_by_method, data.reconciled) == (fee, {"cash": fee}, True)
    clerk = next(u for u in supervisor.overview(site.db, site.supervisor_id).users if u.id == site.clerk_ids[0])
    assert [(c.name, c.served) for c in data.clerks] == [(clerk.full_name, 2)]  # by name, not by id
    assert reports.period_report(site.db, day, day) == data  # the command line's report is the same


def test_a_clerk_cannot_read_the_dashboard(site: Centre) -> None:
    day = today_local()
    with pytest.raises(PermissionDenied):
        reports.dashboard(site.db, site.clerk_ids[0], day, day)


def test_each_export_is_a_new_file_and_the_day_close_record_is_kept(site: Centre, tmp_path: Path) -> None:
    a_morning(site)
    day, uid = today_local(), site.supervisor_id
    exported = {reports.export_report(site.db, uid, day, day, "csv", tmp_path) for _ in range(2)}
    assert len(exported) == 2
    for path in exported:
        assert path.name.startswith(f"day-{day.isoformat()}-export-") and path.suffix == ".csv"
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
        assert ["tickets_issued", "3"] in rows and ["tickets_served", "2"] in rows
    record = reports.save_day_close_report(site.db, uid, day, tmp_path, closing=True)
    assert record.name == f"day-close-{day.isoformat()}.pdf"
    written = record.read_bytes()
    assert reports.save_day_close_report(site.db, uid, day, tmp_path, closing=False) == record  # a reprint
    assert record.read_bytes() == written
    with pytest.raises(ValueError):
        reports.export_report(site.db, uid, day, day, "docx", tmp_path)
    assert reports.day_close_reports(tmp_path, day) == [record]
