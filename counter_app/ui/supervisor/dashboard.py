"""The supervisor's dashboard: today at a glance, refreshing live, or any past day or range.

Tiles with the key figures (``core.kpis`` through ``reports.build``), and three charts: the
median wait by hour, the load by service and the clerks' productivity. The figures are computed
on a worker; while the range includes today a timer asks for them again, and a refresh that is
still running is never doubled (the timer coalesces). The range can be saved as PDF, CSV or XLSX.
"""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QDate, Qt, QTimer, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from counter_app.common.clock import utcnow
from counter_app.common.formatting import code, format_time
from counter_app.common.formatting import money as format_money
from counter_app.common.i18n import N_
from counter_app.services import reports
from counter_app.services.reports import period_bounds
from counter_app.services.views import today_local
from counter_app.ui.shell.context import AppContext
from counter_app.ui.shell.i18n import isolate
from counter_app.ui.supervisor.charts import Bar, BarChart
from counter_app.ui.supervisor.supervisor_backoffice import WorkerTab
from counter_app.ui.widgets import TYPE, Said, set_state
from printers.period_report import PeriodReportData

LIVE_REFRESH_MS = 15_000
#: An hour whose median wait is above this is drawn in red on the chart.
WAIT_TARGET_MIN = 15.0
TILES = (N_("dash.issued"), N_("dash.served"), N_("dash.waiting_now"), N_("dash.no_shows"), N_("dash.wait_mean"), N_("dash.wait_p90"),
         N_("dash.service_median"), N_("dash.applications"), N_("dash.overdue"), N_("dash.money"))


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


#: The export buttons' labels, by report format.
EXPORT_LABELS = {"pdf": N_("dash.export_pdf"), "csv": N_("dash.export_csv"), "xlsx": N_("dash.export_xlsx")}


class DashboardTab(WorkerTab):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("dashboard")
        self.data: PeriodReportData | None = None
        self.updated_at: datetime | None = None
        self._again = False  # a refresh was asked for while one was running
        today = _qdate(today_local())
        self.first, self.last = QDateEdit(today, self), QDateEdit(today, self)
        self.first.setObjectName("dashFrom")
        self.last.setObjectName("dashTo")
        for edit in (self.first, self.last):
            edit.setCalendarPopup(True)
            edit.setLayoutDirection(Qt.LayoutDirection.LeftToRight)  # a date reads 2026-11-25 in Arabic too
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setLayoutDirection(Qt.LayoutDirection.LeftToRight)  # an ISO date reads left to right
            edit.dateChanged.connect(lambda _day: self.refresh())
        self.from_label, self.to_label = QLabel(self), QLabel(self)
        controls = QHBoxLayout()
        for widget in (self.from_label, self.first, self.to_label, self.last):
            controls.addWidget(widget)
        self.range_buttons: dict[str, QPushButton] = {}
        for kind, msgid in (("today", N_("dash.today")), ("week", N_("dash.week")), ("month", N_("dash.month"))):
            button = QPushButton(self)
            button.setObjectName(f"dash_{kind}")
            button.clicked.connect(lambda _=False, k=kind: self.show_period(k))
            self.t(button.setText, msgid)
            self.range_buttons[kind] = button
            controls.addWidget(button)
        controls.addStretch(1)
        self.export_buttons: dict[str, QPushButton] = {}
        for fmt in reports.REPORT_FORMATS:
            button = QPushButton(self)
            button.setObjectName(f"export_{fmt}")
            button.clicked.connect(lambda _=False, f=fmt: self.export(f))
            self.t(button.setText, EXPORT_LABELS[fmt])
            self.export_buttons[fmt] = button
            controls.addWidget(button)

        self.tiles: dict[str, QLabel] = {}
        grid = QGridLayout()
        for i, key in enumerate(TILES):
            tile = QLabel(self)
            tile.setObjectName(key.replace(".", "_"))
            tile.setProperty("tile", True)  # drawn by the style sheet: QLabel[tile="true"][state=...]
            tile.setMinimumHeight(64)
            tile.setWordWrap(True)
            self.tiles[key] = tile
            grid.addWidget(tile, i // 5, i % 5)
        self.wait_chart, self.load_chart, self.clerk_chart = BarChart(self), BarChart(self), BarChart(self)
        self.wait_chart.setObjectName("waitByHour")
        self.load_chart.setObjectName("loadByService")
        self.clerk_chart.setObjectName("clerkProductivity")
        charts = QWidget(self)
        charts.setObjectName("dashboardCharts")
        charts_box = QVBoxLayout(charts)
        charts_box.addWidget(self.wait_chart)
        side = QHBoxLayout()
        side.addWidget(self.load_chart)
        side.addWidget(self.clerk_chart)
        charts_box.addLayout(side)
        charts_box.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setObjectName("dashboardScroll")
        scroll.setWidgetResizable(True)
        scroll.setWidget(charts)
        self.updated = QLabel(self)
        self.updated.setObjectName("dashUpdated")
        box = QVBoxLayout(self)
        box.addLayout(controls)
        box.addLayout(grid)
        box.addWidget(scroll, 1)
        box.addWidget(self.updated)
        box.addWidget(self.message)
        self.t(self.from_label.setText, "dash.from")
        self.t(self.to_label.setText, "dash.to")
        self.t.also(self.render_tab)

        self._timer = QTimer(self)
        self._timer.setInterval(LIVE_REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.render_tab()

    # -- the range -------------------------------------------------------------------------
    def period(self) -> tuple[date, date]:
        return _pydate(self.first.date()), _pydate(self.last.date())

    def checked_period(self) -> tuple[date, date] | None:
        """The range shown, or None (with a message) when it starts after it ends."""
        first, last = self.period()
        if first <= last:
            return first, last
        self.message.fail(N_("dash.bad_range"))
        self.render_tab()
        return None

    @property
    def live(self) -> bool:
        first, last = self.period()
        return first <= today_local() <= last

    def show_period(self, kind: str) -> None:
        first, last = period_bounds("day" if kind == "today" else kind, today_local())
        for edit, day in ((self.first, first), (self.last, last)):
            edit.blockSignals(True)
            edit.setDate(_qdate(day))
            edit.blockSignals(False)
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.live:
            self.refresh()

    # -- loading ---------------------------------------------------------------------------
    @Slot()
    def refresh(self) -> None:
        if self.sender() is self._timer and (not self.live or not self.isVisible()):
            return  # a past period does not change; a hidden dashboard need not redraw
        period = self.checked_period()
        if period is None or self.ctx.user is None:  # (logged out while a load ran: its refresh is moot)
            return
        if self.busy:
            self._again = True
            return
        db, uid, (first, last) = self.ctx.db, self._uid(), period
        self._run(lambda: reports.dashboard(db, uid, first, last), self._loaded)

    def _loaded(self, data: PeriodReportData) -> None:
        self.data, self.updated_at = data, utcnow()
        said = self.message.content
        if isinstance(said, Said) and said.message_id == N_("dash.bad_range"):
            self.message.clear()
        self.render_tab()
        if self._again:
            self._again = False
            self.refresh()

    def export(self, fmt: str) -> None:
        period = self.checked_period()
        if period is None:
            return
        first, last = period
        db, uid, folder, lang = self.ctx.db, self._uid(), self.ctx.config.reports_dir, self.ctx.lang.lang

        def saved(path: object) -> None:
            self.say(N_("dash.saved"), path=isolate(str(path)))
            self.render_tab()

        self._run(lambda: reports.export_report(db, uid, first, last, fmt, folder, lang), saved)

    # -- drawing ---------------------------------------------------------------------------
    def render_tab(self) -> None:
        lang = self.ctx.lang
        tr = lang.text
        d = self.data
        values: dict[str, str] = dict.fromkeys(TILES, "—")
        if d is not None:
            values.update({
                N_("dash.issued"): f"{d.tickets_issued:,}", N_("dash.served"): f"{d.tickets_served:,}",
                N_("dash.waiting_now"): f"{d.waiting_now:,}", N_("dash.no_shows"): f"{d.no_shows:,}",
                N_("dash.wait_mean"): f"{d.wait_min[0]:.1f}", N_("dash.wait_p90"): f"{d.wait_min[2]:.1f}",
                N_("dash.service_median"): f"{d.service_min[1]:.1f}", N_("dash.applications"): f"{d.applications:,}",
                N_("dash.overdue"): f"{d.overdue:,}", N_("dash.money"): format_money(d.money_total, lang.lang),
            })
        for key, tile in self.tiles.items():
            detail = ""
            if key == N_("dash.money") and d is not None:
                ok = d.reconciled
                detail = tr("dash.reconciled") if ok else tr("dash.not_reconciled", n=len(d.mismatched) or 1)
                if d.money_refunds:  # refunds paid out are their own line, outside the reconciliation
                    detail += "<br>" + tr("dash.refunds", n=d.refund_count,
                                          amount=format_money(d.money_refunds, lang.lang),
                                          net=format_money(d.money_total - d.money_refunds, lang.lang))
                set_state(tile, "success" if ok else "error")
            elif key == N_("dash.overdue"):  # files past their due time want a look
                set_state(tile, "warning" if d is not None and d.overdue else "")
            tile.setText(f"<div>{tr(key)}</div><div style='font-size:{TYPE.figure}pt; font-weight:bold'>"
                         f"{isolate(values[key])}</div><div>{detail}</div>")
        empty = tr("dash.no_data")
        if d is None:
            for chart in (self.wait_chart, self.load_chart, self.clerk_chart):
                chart.set_bars("", [], empty)
        else:
            self.wait_chart.set_bars(tr("dash.chart_wait"), [
                Bar(tr("dash.hour", hour=code(f"{hour:02d}:00")), median, f"{median:.1f}",
                    alert=median > WAIT_TARGET_MIN)
                for hour, median, _count in d.wait_by_hour], empty)
            self.load_chart.set_bars(tr("dash.chart_load"), [
                Bar(lang.pick(row.name_ar, row.name_en), row.tickets, f"{row.tickets:,}")
                for row in sorted(d.services, key=lambda r: -r.tickets)]
                + [Bar(tr("dash.group_without_service", group=isolate(letter)), n, f"{n:,}")
                   for letter, n in d.tickets_without_service.items()], empty)
            self.clerk_chart.set_bars(tr("dash.chart_clerks"), [
                Bar(row.name, row.served, f"{row.served:,}") for row in d.clerks], empty)
        if self.updated_at is not None:
            self.updated.setText(tr(N_("dash.live") if self.live else N_("dash.past"),
                                    time=format_time(self.updated_at, lang.lang, seconds=True)))
