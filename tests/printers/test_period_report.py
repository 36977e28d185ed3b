"""The weekly/monthly report: KPIs of a simulated day into an A4 PDF (Arabic and English), CSV
and XLSX, checked with poppler and read back."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from counter_app import cli
from counter_app.core import simulate
from counter_app.core.db import Database
from counter_app.core.models import Ticket
from counter_app.services import reports
from printers.period_report import PeriodReportData
from tests.helpers.factories import Centre
from tests.printers.test_pdf import pdf_text


@pytest.fixture
def week(db: Database, site: Centre) -> PeriodReportData:
    simulate.run(db, citizens=60, counters=3, seed=8)
    with db.read() as s:
        day = s.scalar(select(Ticket.day).limit(1))
        assert day is not None
        first, last = reports.period_bounds("week", day)
        return reports.build(s, first, last, "week")


def test_period_bounds() -> None:
    assert reports.period_bounds("week", date(2026, 11, 23)) == (date(2026, 11, 21), date(2026, 11, 27))
    assert reports.period_bounds("week", date(2026, 11, 21)) == (date(2026, 11, 21), date(2026, 11, 27))
    assert reports.period_bounds("month", date(2026, 2, 14)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert reports.period_bounds("month", date(2026, 12, 31)) == (date(2026, 12, 1), date(2026, 12, 31))


def test_weekly_pdf_in_arabic_and_english(week: PeriodReportData, tmp_path: Path) -> None:
    assert week.tickets_issued == 60 and week.tickets_served > 40
    busiest = max(week.services, key=lambda r: r.tickets)
    for lang, words in (("ar", ["التقرير الأسبوعي", "المؤشرات الرئيسية", "التذاكر الصادرة", busiest.name_ar,
                                "المتحصلات", "مطابق لرسوم الطلبات"]),
                        ("en", ["Weekly report", "Key figures", "Tickets issued", busiest.name_en,
                                "Money collected", "Matches the applications' fees"])):
        target = tmp_path / f"week-{lang}.pdf"
        reports.write(week, target, "pdf", lang)
        text = " ".join(pdf_text(target).split())
        for word in words:
            assert word in text, (lang, word)
        assert str(week.tickets_issued) in text
        subprocess.run(["pdftoppm", "-r", "40", "-png", str(target), str(tmp_path / lang)], check=True)
        pages = sorted(tmp_path.glob(f"{lang}-*.png"))
        assert len(pages) == 2
        from PIL import Image

        for page in pages:  # each page has ink on it (tables, bars), not a blank sheet
            gray = Image.open(page).convert("L")
            assert gray.histogram()[:128] and sum(gray.histogram()[:128]) > 2000


def test_csv_and_xlsx_hold_the_same_tables(week: PeriodReportData, tmp_path: Path) -> None:
    reports.write(week, tmp_path / "week.csv", "csv")
    raw = (tmp_path / "week.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert ["tickets_issued", str(week.tickets_issued)] in rows
    assert any(row and row[0] == week.services[0].name_ar for row in rows)
    reports.write(week, tmp_path / "week.xlsx", "xlsx")
    book = load_workbook(tmp_path / "week.xlsx")
    assert book.sheetnames == ["summary", "services", "staff", "wait_by_hour", "money"]
    tables = reports.tables(week)
    for name, expected in tables.items():
        got = [list(r) for r in book[name].iter_rows(values_only=True)]
        assert got == expected, name


def test_report_command(db: Database, site: Centre, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    simulate.run(db, citizens=10, counters=2, seed=2)
    with db.read() as s:
        day = s.scalar(select(Ticket.day).limit(1))
    assert cli.main(["report", "--db", db.url, "--period", "month", "--date", str(day), "--format", "xlsx",
                     "--out", str(tmp_path / "m.xlsx")]) == 0
    assert "month report" in capsys.readouterr().out and (tmp_path / "m.xlsx").stat().st_size > 2000
