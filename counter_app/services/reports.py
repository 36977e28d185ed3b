"""Periodic reports of a centre: the key figures of ``core.kpis`` turned into the weekly or monthly
A4 PDF (``printers.period_report``), into CSV and XLSX tables, and the day-close (Z) report's data
for the thermal printer; the supervisor's dashboard and exports, and the day-close report's file.
No Qt.

    shubbak report --db URL --period week|month|day [--date D] [--format pdf|csv|xlsx] --out FILE
"""

from __future__ import annotations

import csv
import io
import os
import re
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from counter_app.core import appointment_figures, catalogue, centre, kpis, users
from counter_app.core.clock import to_local, utcnow
from counter_app.core.counter_queries import DaySummary
from counter_app.core.db import Database
from counter_app.services.supervisor import acting

if TYPE_CHECKING:  # the printers' plain data, imported where it is made: importing this module loads no Qt
    from printers.data import DayCloseData
    from printers.period_report import PeriodReportData


def period_bounds(kind: str, day: date) -> tuple[date, date]:
    """The week (Saturday to Friday, the Egyptian week), the month or the day containing ``day``."""
    if kind == "week":
        start = day - timedelta(days=(day.weekday() - 5) % 7)
        return start, start + timedelta(days=6)
    if kind == "month":
        start = day.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return start, following - timedelta(days=1)
    return day, day


def _min(seconds: float) -> float:
    return round(seconds / 60.0, 1)


def build(session: Session, first: date, last: date, kind: str = "period") -> PeriodReportData:
    """The report of days ``first``..``last`` read in ``session`` (the caller's transaction)."""
    from printers.period_report import ClerkRow, PeriodReportData, ServiceRow

    k = kpis.compute(session, first, last)
    booked = appointment_figures.figures(session, first, last)
    found = centre.get_centre(session)
    names = catalogue.service_names(session)
    full_names = users.full_names(session)
    codes = sorted(set(k.tickets_by_service) | set(k.waiting.by_service) | set(k.service.by_service))
    services = [ServiceRow(names.get(code, (code, code))[0], names.get(code, (code, code))[1],
                           k.tickets_by_service.get(code, 0),
                           _min(k.waiting.by_service.get(code, kpis.Durations()).median_s),
                           _min(k.waiting.by_service.get(code, kpis.Durations()).p90_s),
                           _min(k.service.by_service.get(code, kpis.Durations()).median_s)) for code in codes]
    clerks = [ClerkRow(full_names.get(clerk, str(clerk)), served,
                       _min(k.service.by_clerk.get(clerk, kpis.Durations()).median_s))
              for clerk, served in sorted(k.served_by_clerk.items(), key=lambda item: -item[1])]
    w, sv = k.waiting.overall, k.service.overall
    return PeriodReportData(
        centre_name_ar=found.name_ar if found else "", centre_name_en=found.name_en if found else "",
        first=first, last=last, kind=kind, tickets_issued=k.tickets_issued, tickets_served=k.tickets_served,
        no_shows=k.no_shows, applications=k.applications_received, overdue=k.overdue,
        wait_min=(_min(w.mean_s), _min(w.median_s), _min(w.p90_s)),
        service_min=(_min(sv.mean_s), _min(sv.median_s), _min(sv.p90_s)),
        wait_by_hour=[(hour, _min(d.median_s), d.count) for hour, d in k.waiting.by_hour.items()],
        services=services, clerks=clerks, money_by_method=k.money.by_method, money_total=k.money.total,
        money_expected=k.money.expected, mismatched=k.money.mismatched, waiting_now=k.waiting_now,
        skipped=k.skipped, tickets_without_service=k.tickets_without_service, money_refunds=k.money.refunds,
        refund_count=k.money.refund_count, appointments=booked.tickets, appointments_served=booked.served,
        appointment_share=booked.share,
        punctuality_min=_min(booked.punctuality_median_s) if booked.punctuality_median_s is not None else None,
        bookings=booked.bookings, check_ins=booked.check_ins, booking_no_shows=booked.no_shows,
        no_show_rate=booked.no_show_rate, punctual_share=booked.within_10_min)


def kind_of(first: date, last: date) -> str:
    """The report's title: a day, a whole week or month, or any other period."""
    if first == last:
        return "day"
    for kind in ("week", "month"):
        if period_bounds(kind, first) == (first, last):
            return kind
    return "period"


def day_close_data(summary: DaySummary, centre_name_ar: str, centre_name_en: str, centre_code: str,
                   closed_at: datetime | None, closed_by: str) -> DayCloseData:
    """The thermal day-close (Z) report of a day summary, with its key figures and reconciliation."""
    from printers.data import DayCloseData
    from printers.data import ServiceRow as DayServiceRow

    def minutes(d: kpis.Durations) -> tuple[float, float, float]:
        return _min(d.mean_s), _min(d.median_s), _min(d.p90_s)

    return DayCloseData(
        centre_name_ar=centre_name_ar, centre_name_en=centre_name_en, centre_code=centre_code,
        business_date=summary.day, tickets_issued=summary.tickets_issued, tickets_served=summary.tickets_served,
        no_shows=summary.no_shows, applications=summary.applications, totals_by_method=dict(summary.totals_by_method),
        services=[DayServiceRow(s.name_ar, s.name_en, s.tickets, s.applications, s.total_piastres)
                  for s in summary.services],
        closed_at=closed_at, closed_by=closed_by, skipped=summary.skipped,
        wait_minutes=minutes(summary.wait), service_minutes=minutes(summary.service_time),
        expected_piastres=summary.expected_piastres, mismatched=tuple(summary.mismatched),
        refunds_piastres=summary.refunds_piastres)


def tables(data: PeriodReportData) -> dict[str, list[list[Any]]]:
    """The report's tables, with English headers (the column names a spreadsheet user filters on)."""
    return {
        "summary": [["figure", "value"], ["first_day", data.first.isoformat()], ["last_day", data.last.isoformat()],
                    ["tickets_issued", data.tickets_issued], ["tickets_served", data.tickets_served],
                    ["no_shows", data.no_shows], ["applications", data.applications], ["overdue", data.overdue],
                    ["wait_mean_min", data.wait_min[0]], ["wait_median_min", data.wait_min[1]],
                    ["wait_p90_min", data.wait_min[2]], ["service_mean_min", data.service_min[0]],
                    ["service_median_min", data.service_min[1]], ["service_p90_min", data.service_min[2]],
                    ["money_total_egp", data.money_total / 100], ["money_expected_egp", data.money_expected / 100],
                    ["refunds_paid_egp", data.money_refunds / 100],
                    ["net_egp", (data.money_total - data.money_refunds) / 100], *_appointment_rows(data)],
        "services": [["service_ar", "service_en", "tickets", "wait_median_min", "wait_p90_min",
                      "service_median_min"]] + [[r.name_ar, r.name_en, r.tickets, r.wait_median_min, r.wait_p90_min,
                                                 r.service_median_min] for r in data.services],
        "staff": [["clerk", "served", "service_median_min"]] + [[c.name, c.served, c.service_median_min]
                                                               for c in data.clerks],
        "wait_by_hour": [["hour", "wait_median_min", "tickets"]] + [list(row) for row in data.wait_by_hour],
        "money": [["method", "amount_egp"]] + [[m, v / 100] for m, v in data.money_by_method.items()],
    }


def _appointment_rows(data: PeriodReportData) -> list[list[Any]]:
    """The appointment figures, only when the centre had appointments (as in the PDF)."""
    if not data.appointments and not data.bookings:
        return []
    punctuality = data.punctuality_min if data.punctuality_min is not None else "-"  # none called yet
    return [["bookings", data.bookings], ["check_ins", data.check_ins], ["booking_no_shows", data.booking_no_shows],
            ["no_show_rate", round(data.no_show_rate, 4) if data.no_show_rate is not None else "-"],
            ["appointments", data.appointments], ["appointments_served", data.appointments_served],
            ["appointment_share", round(data.appointment_share, 4)], ["punctuality_median_min", punctuality],
            ["punctual_share", round(data.punctual_share, 4) if data.punctual_share is not None else "-"]]


def to_csv(data: PeriodReportData) -> str:
    """All tables in one UTF-8 CSV (a BOM is added on writing, so spreadsheet programs read Arabic)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for name, rows in tables(data).items():
        writer.writerow([f"# {name}"])
        writer.writerows(rows)
        writer.writerow([])
    return out.getvalue()


def to_xlsx(data: PeriodReportData, target: str | Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for name, rows in tables(data).items():
        sheet = book.create_sheet(name)
        sheet.sheet_view.rightToLeft = name in ("services", "staff")
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    book.save(str(target))


def write(data: PeriodReportData, target: str | Path, fmt: str, lang: str = "ar") -> None:
    from printers.period_report import period_report_pdf

    path = Path(target)
    if fmt == "pdf":
        period_report_pdf(data, path, "en" if lang == "en" else "ar")
    elif fmt == "csv":
        path.write_text("\ufeff" + to_csv(data), encoding="utf-8")
    elif fmt == "xlsx":
        to_xlsx(data, path)
    else:
        raise ValueError(f"unknown format {fmt!r}")


def period_report(db: Database, first: date, last: date) -> PeriodReportData:
    """The report of days ``first``..``last`` (the command line's ``shubbak report``)."""
    with db.read() as s:
        return build(s, first, last, kind_of(first, last))


def dashboard(db: Database, user_id: int, first: date, last: date) -> PeriodReportData:
    """The key figures of days ``first``..``last`` for the supervisor's dashboard."""
    with db.read() as s:
        acting(s, user_id)
        return build(s, first, last, kind_of(first, last))


REPORT_FORMATS = ("pdf", "csv", "xlsx")
#: The day-close (Z) report's PDF: ``day-close-<date>.pdf`` (``-en`` in English; ``-2``, ``-3`` for
#: the closes of a reopened day). A record: written once, never overwritten. Every other export is
#: named with the time it was made (``<kind>-<dates>[-en]-export-<yyyymmdd-hhmmss>``), so no export
#: ever replaces another or the Z report.
DAY_CLOSE_PREFIX = "day-close-"


def _publish(write: Callable[[Path], None], folder: Path, stem: str, ext: str) -> Path:
    """Write a new file ``<stem>.<ext>`` (``<stem>-2.<ext>``… when taken) in ``folder``, never
    replacing an existing one: written beside it first, then linked in place, which fails if
    the name was taken meanwhile. A reader never sees half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{stem}.{uuid.uuid4().hex}.part"
    try:
        write(partial)
        for n in range(1, 1000):
            target = folder / (f"{stem}.{ext}" if n == 1 else f"{stem}-{n}.{ext}")
            try:
                os.link(partial, target)
            except FileExistsError:
                continue
            return target
        raise FileExistsError(folder / f"{stem}.{ext}")
    finally:
        partial.unlink(missing_ok=True)


def _export_stamp(now: datetime | None = None) -> str:
    return to_local(now or utcnow()).strftime("%Y%m%d-%H%M%S")


def export_report(db: Database, user_id: int, first: date, last: date, fmt: str, folder: Path,
                  lang: str = "ar", *, now: datetime | None = None) -> Path:
    """Write the report of days ``first``..``last`` (PDF, CSV or XLSX) into ``folder`` as a new
    file named with the time of export; its path. Never the day-close report's name."""
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"unknown report format {fmt!r}")
    with db.read() as s:
        acting(s, user_id)
        kind = kind_of(first, last)
        data = build(s, first, last, kind)
    name = f"{kind}-{first.isoformat()}" if first == last else f"{kind}-{first.isoformat()}-{last.isoformat()}"
    stem = f"{name}{'' if lang == 'ar' or fmt != 'pdf' else '-en'}-export-{_export_stamp(now)}"
    return _publish(lambda path: write(data, path, fmt, lang), folder, stem, fmt)


def day_close_reports(folder: Path, day: date, lang: str = "ar") -> list[Path]:
    """The day-close (Z) PDFs of ``day`` already saved, oldest close first."""
    stem = f"{DAY_CLOSE_PREFIX}{day.isoformat()}{'-en' if lang == 'en' else ''}"
    pattern = re.compile(re.escape(stem) + r"(?:-(\d+))?\.pdf")
    found = [(int(m.group(1) or 1), p) for p in folder.glob(f"{stem}*.pdf") if (m := pattern.fullmatch(p.name))]
    return [p for _n, p in sorted(found)]


def save_day_close_report(db: Database, user_id: int, day: date, folder: Path, lang: str = "ar", *,
                          closing: bool) -> Path:
    """The day-close (Z) report's A4 PDF: ``closing`` (the day was just closed) writes a new record,
    never over an earlier close's; otherwise (a reprint) the latest record is returned as it is,
    and written only when there is none yet."""
    if not closing:
        existing = day_close_reports(folder, day, lang)
        if existing:
            with db.read() as s:
                acting(s, user_id)
            return existing[-1]
    with db.read() as s:
        acting(s, user_id)
        data = build(s, day, day, "day")
    stem = f"{DAY_CLOSE_PREFIX}{day.isoformat()}{'-en' if lang == 'en' else ''}"
    return _publish(lambda path: write(data, path, "pdf", lang), folder, stem, "pdf")
