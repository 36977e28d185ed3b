"""The supervisor's dashboard (today live, a past range, exports) and the day-close report fed
from the same key figures, on the thermal printer and as an A4 PDF."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import update

from counter_app.core import applications as apps
from counter_app.core import queue
from counter_app.core.clock import CENTRE_TZ, local_day, to_local, utcnow
from counter_app.core.models import Payment, User
from counter_app.services.config import AppConfig
from counter_app.services.views import today_local
from counter_app.ui.shell.app import Shell
from counter_app.ui.supervisor.charts import BAR_COLOUR, TITLE_HEIGHT, Bar, BarChart
from counter_app.ui.supervisor.dashboard import DashboardTab
from counter_app.ui.supervisor.supervisor import SupervisorWindow
from printers.data import DayCloseData
from printers.documents import render_dayclose
from tests.helpers.bidi import plain
from tests.helpers.factories import Centre as Site
from tests.printers.escpos_decode import decode
from tests.printers.test_pdf import pdf_text
from tests.ui.conftest import WAIT_MS, log_in


def at(minute: int) -> datetime:
    """Minutes after midnight of today, centre time (the same business day whenever the test runs)."""
    return datetime.combine(today_local(), time(0), tzinfo=CENTRE_TZ) + timedelta(minutes=minute)


def a_small_morning(site: Site) -> tuple[str, int]:
    """Waits of 4 and 8 minutes, services of 10 and 6, one citizen still waiting, one paid file."""
    c1, c2 = site.counter_ids[:2]
    k1, k2 = site.clerk_ids[:2]
    with site.db.begin() as s:
        t1 = queue.issue_ticket(s, "A", at=at(1)).ticket.id
        t2 = queue.issue_ticket(s, "A", at=at(2)).ticket.id
        queue.issue_ticket(s, "B", at=at(3))
    with site.db.begin() as s:
        queue.call_next(s, c1, k1, at=at(5))
        queue.call_next(s, c2, k2, at=at(10))
        queue.finish(s, t1, c1, k1, at=at(15))
        queue.finish(s, t2, c2, k2, at=at(16))
        clerk = s.get_one(User, k1)
        app = apps.start_application(s, service_code="MP-REG-CERT", clerk=clerk, counter_id=c1,
                                     applicant=apps.Applicant("محمد أحمد علي حسن", "29001010112355", None, None))
        apps.set_documents(s, app.id, [d.code for d in app.documents], clerk=clerk)
        apps.record_payment(s, app.id, "cash", clerk=clerk)
        return app.tracking_code, app.fee_total_piastres


def tile(tab: DashboardTab, key: str) -> str:
    return tab.tiles[key].text()


def test_dashboard_today_live_past_range_and_exports(qtbot: QtBot, shell: Shell, site: Site,
                                                     config: AppConfig) -> None:
    _code, fee = a_small_morning(site)
    window = log_in(qtbot, shell, "supervisor")
    assert isinstance(window, SupervisorWindow)
    tab = window.dashboard
    assert window.tabs.currentWidget() is tab and window.tabs.tabText(0) == "لوحة المتابعة"
    # the dates read 2026-11-25 (Western digits, left to right) in the Arabic window
    assert tab.first.layoutDirection() == Qt.LayoutDirection.LeftToRight and tab.first.text()[:4].isascii()
    assert tab.first.text()[:2] in ("20", "19")
    qtbot.waitUntil(lambda: tab.data is not None and tab.data.tickets_issued == 3, timeout=WAIT_MS)
    d = tab.data
    assert d is not None
    assert (d.tickets_served, d.waiting_now, d.no_shows) == (2, 1, 0)
    assert d.wait_min == (6.0, 6.0, 8.0) and d.service_min == (8.0, 8.0, 10.0)
    assert d.money_total == d.money_expected == fee
    assert "6.0" in tile(tab, "dash.wait_mean") and "8.0" in tile(tab, "dash.wait_p90")
    assert "مطابق للإيصالات" in tile(tab, "dash.money")
    assert [b.value for b in tab.wait_chart.bars] == [6.0]  # both issued in hour 00
    assert [(b.label, b.value) for b in tab.load_chart.bars] == [("المجموعة \u2068A\u2069 (بلا طلب)", 2),
                                                                  ("المجموعة \u2068B\u2069 (بلا طلب)", 1)]
    assert sorted(b.value for b in tab.clerk_chart.bars) == [1, 1]
    assert "يتحدث تلقائيًا" in plain(tab.updated.text())
    # the last update is Cairo time, like everything else on screen (it showed UTC)
    shown = plain(tab.updated.text()).rsplit(" ", 1)[-1]
    cairo = to_local(utcnow())
    assert shown[:5] in {(cairo - timedelta(minutes=m)).strftime("%H:%M") for m in (0, 1)}, shown
    tab.grab().save("/tmp/dashboard_ar.png")

    # live: a new citizen takes a ticket; the next timer tick shows it (no redraw per event)
    tab._timer.setInterval(100)
    with site.db.begin() as s:
        queue.issue_ticket(s, "A", at=at(20))
    qtbot.waitUntil(lambda: tab.data is not None and tab.data.tickets_issued == 4, timeout=WAIT_MS)
    assert "4" in tile(tab, "dash.issued")

    # a payment changed behind the system's back is flagged on the money tile
    with site.db.begin() as s:
        s.execute(update(Payment).values(amount_piastres=fee - 100))
    qtbot.waitUntil(lambda: tab.data is not None and tab.data.money_total == fee - 100, timeout=WAIT_MS)
    assert "غير مطابق" in tile(tab, "dash.money")

    # a past range: nothing that day, not live
    yesterday = QDate(*local_day(utcnow()).timetuple()[:3]).addDays(-1)
    tab.first.setDate(yesterday.addDays(-1))
    tab.last.setDate(yesterday)
    qtbot.waitUntil(lambda: tab.data is not None and tab.data.tickets_issued == 0, timeout=WAIT_MS)
    assert "فترة سابقة" in plain(tab.updated.text()) and not tab.live
    tab.first.setDate(yesterday.addDays(1))  # after the end: refused with a message, nothing lost
    qtbot.waitUntil(lambda: plain(tab.message.text()) == "تاريخ البداية بعد تاريخ النهاية.", timeout=WAIT_MS)

    qtbot.mouseClick(tab.range_buttons["month"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.data is not None and tab.data.tickets_issued == 4, timeout=WAIT_MS)
    assert tab.data is not None and tab.data.kind == "month"
    for fmt in ("pdf", "csv", "xlsx"):
        qtbot.mouseClick(tab.export_buttons[fmt], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda f=fmt: f".{f}" in plain(tab.message.text()), timeout=WAIT_MS)  # type: ignore[misc]
    saved = sorted(p.suffix for p in config.reports_dir.iterdir())
    assert saved == [".csv", ".pdf", ".xlsx"]
    pdf = next(config.reports_dir.glob("*.pdf"))
    assert "التقرير الشهري" in " ".join(pdf_text(pdf).split())

    # English: the tiles and charts follow the switch
    shell.lang.toggle()
    qtbot.waitUntil(lambda: "Tickets issued" in tile(tab, "dash.issued"), timeout=WAIT_MS)
    assert tab.wait_chart.title == "Median wait by hour (minutes)"
    assert tab.layoutDirection() == Qt.LayoutDirection.LeftToRight


def test_day_close_report_is_fed_from_the_key_figures(qtbot: QtBot, shell: Shell, site: Site, config: AppConfig,
                                                     printer_dir: Path) -> None:
    code, fee = a_small_morning(site)
    with site.db.begin() as s:  # one payment lowered behind the system's back
        s.execute(update(Payment).values(amount_piastres=fee - 500))
    window = log_in(qtbot, shell, "supervisor")
    assert isinstance(window, SupervisorWindow)
    qtbot.waitUntil(lambda: window.data is not None, timeout=WAIT_MS)
    qtbot.mouseClick(window.open_day_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.data is not None and window.data.day.is_open, timeout=WAIT_MS)
    qtbot.mouseClick(window.close_day_button, Qt.MouseButton.LeftButton)  # closing asks first (issue 15)
    qtbot.waitUntil(lambda: not window.close_confirm_box.isHidden(), timeout=WAIT_MS)
    with qtbot.wait_signal(shell.ctx.printing.job_done, timeout=WAIT_MS) as done:
        qtbot.mouseClick(window.confirm_close_button, Qt.MouseButton.LeftButton)
    assert done.args is not None and done.args[1] == "dayclose"
    qtbot.waitUntil(lambda: "A4" in plain(window.message.text()), timeout=WAIT_MS)

    # the thermal report: the stored job's data, and the printed bytes are its raster
    report = shell.ctx.printing.queue.get(done.args[0]).document()
    assert isinstance(report, DayCloseData)
    assert (report.tickets_issued, report.tickets_served, report.applications) == (3, 2, 1)
    assert report.wait_minutes == (6.0, 6.0, 8.0) and report.service_minutes == (8.0, 8.0, 10.0)
    assert report.grand_total_piastres == fee - 500 and report.expected_piastres == fee
    assert report.reconciled is False and report.mismatched == (code,)
    printed = [decode(p.read_bytes()).image() for p in sorted(printer_dir.glob("*.bin"))]
    assert printed[-1].tobytes() == render_dayclose(report, 576, "ar").tobytes()

    # the A4 copy beside it
    (pdf,) = config.reports_dir.glob("day-*.pdf")
    words = " ".join(pdf_text(pdf).split())
    for word in ("تقرير إغلاق اليوم", "يوم العمل", today_local().isoformat(), "المتحصلات"):
        assert word in words, word


def _blue_columns(chart: BarChart) -> list[int]:
    image = chart.grab().toImage()
    return [x for x in range(image.width())
            if any(image.pixelColor(x, y) == BAR_COLOUR for y in range(TITLE_HEIGHT, image.height()))]


def test_bar_chart_reads_in_the_language_direction(qtbot: QtBot) -> None:
    chart = BarChart()
    qtbot.addWidget(chart)
    chart.resize(500, 120)
    chart.set_bars("التذاكر حسب الخدمة", [Bar("استخراج شهادة قيد بسجل العاملين بالخارج", 120, "120"),
                                          Bar("تجديد ترخيص", 60, "60")], "")
    chart.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    rtl = _blue_columns(chart)
    chart.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
    ltr = _blue_columns(chart)
    assert rtl and ltr
    assert max(rtl) < 500 * 0.65 < min(ltr) + 500 * 0.4  # bars start after the label: on the left in Arabic
    assert sorted(499 - x for x in rtl) == ltr  # the one layout is the mirror of the other
