"""Weekly, monthly (or any period's) A4 report: key figures, charts and tables, Arabic first.

The data is plain (``PeriodReportData``); ``counter_app.services.reports`` fills it from the centre's
key figures. Charts are reportlab drawings: the median wait by hour of the day and the tickets
by service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Spacer

from counter_app.common.formatting import format_date, money, name, number, percent, tracking_code
from counter_app.common.i18n import N_, Lang, Msg, gettext, ngettext
from printers.bidi_text import visual
from printers.data import payment_label
from printers.documents import minutes_triplet
from printers.pdf import FONT, _build, _para, _register_fonts, _table

TITLES: dict[str, str] = {
    "day": N_("report.title.day"),
    "week": N_("report.title.week"),
    "month": N_("report.title.month"),
    "period": N_("report.title.period"),
}


@dataclass(frozen=True)
class ServiceRow:
    name_ar: str
    name_en: str
    tickets: int
    wait_median_min: float
    wait_p90_min: float
    service_median_min: float


@dataclass(frozen=True)
class ClerkRow:
    name: str
    served: int
    service_median_min: float


@dataclass
class PeriodReportData:
    centre_name_ar: str
    centre_name_en: str
    first: date
    last: date
    kind: str  # "day", "week", "month" or "period"
    tickets_issued: int
    tickets_served: int
    no_shows: int
    applications: int
    overdue: int
    wait_min: tuple[float, float, float]  # mean, median, p90
    service_min: tuple[float, float, float]
    wait_by_hour: list[tuple[int, float, int]]  # hour, median minutes, tickets
    services: list[ServiceRow] = field(default_factory=list)
    clerks: list[ClerkRow] = field(default_factory=list)
    money_by_method: dict[str, int] = field(default_factory=dict)
    money_total: int = 0
    money_expected: int = 0
    mismatched: list[str] = field(default_factory=list)
    waiting_now: int = 0
    skipped: int = 0
    tickets_without_service: dict[str, int] = field(default_factory=dict)  # by group letter
    money_refunds: int = 0  # refunds paid out in the period: their own line, not part of the reconciliation
    refund_count: int = 0
    #: Appointments (issue 20): their tickets, those served, their share of the period's tickets
    #: (0..1) and the median of first call minus booked time in minutes (None: none called).
    appointments: int = 0
    appointments_served: int = 0
    appointment_share: float = 0.0
    punctuality_min: float | None = None
    #: The period's bookings (not cancelled), check-ins, no-shows, the no-show rate (of check-ins
    #: and no-shows) and the share of appointments called within 10 minutes of the booked time.
    bookings: int = 0
    check_ins: int = 0
    booking_no_shows: int = 0
    no_show_rate: float | None = None
    punctual_share: float | None = None

    @property
    def reconciled(self) -> bool:
        """The money collected equals the paid files' fees, and no file was paid more or less."""
        return self.money_total == self.money_expected and not self.mismatched


def _minutes(value: float) -> str:
    return number(value, decimals=1)


def _hour_chart(data: PeriodReportData, lang: Lang, width: float) -> Drawing:
    height = 55 * mm
    drawing = Drawing(width, height + 8 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 12 * mm, 8 * mm, width - 18 * mm, height - 6 * mm
    hours = data.wait_by_hour or [(9, 0.0, 0)]
    if lang == "ar":  # time runs right to left in an Arabic page
        hours = list(reversed(hours))
    chart.data = [[round(m, 1) for _h, m, _n in hours]]
    chart.categoryAxis.categoryNames = [f"{h:02d}" for h, _m, _n in hours]
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#1565c0")
    chart.barLabelFormat = "%.0f"
    chart.barLabels.fontName, chart.barLabels.fontSize = FONT, 7
    chart.barLabels.nudge = 5
    drawing.add(chart)
    return drawing


def _service_chart(data: PeriodReportData, lang: Lang, width: float) -> Drawing:
    rows = sorted(data.services, key=lambda r: r.tickets, reverse=True)[:10] or [ServiceRow("-", "-", 0, 0, 0, 0)]
    bar_h = 6 * mm
    height = bar_h * len(rows) + 14 * mm
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    label_w = 70 * mm
    chart.width, chart.height = width - label_w - 10 * mm, bar_h * len(rows)
    chart.y = 8 * mm
    chart.x = 2 * mm if lang == "ar" else label_w
    chart.data = [[r.tickets for r in reversed(rows)]]
    names = [visual(r.name_ar if lang == "ar" else r.name_en, lang == "ar") for r in reversed(rows)]
    chart.categoryAxis.categoryNames = names
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize, chart.valueAxis.labels.fontSize = 8, 8
    if lang == "ar":  # names on the right of the bars, bars growing leftwards
        chart.categoryAxis.labels.boxAnchor = "w"
        chart.categoryAxis.labels.dx = 2 * mm
        chart.categoryAxis.reverseDirection = False
        chart.valueAxis.reverseDirection = True
    else:
        chart.categoryAxis.labels.textAnchor = "end"
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#2e7d32")
    drawing.add(chart)
    title = String(width / 2, height - 4 * mm, visual(gettext("report.chart.tickets_by_service", lang), lang == "ar"),
                   fontName=FONT, fontSize=9, textAnchor="middle")
    drawing.add(title)
    return drawing


def period_report_pdf(data: PeriodReportData, target: str | Path | None = None, lang: Lang = "ar") -> bytes:
    _register_fonts()
    width = A4[0] - 36 * mm
    centre = data.centre_name_ar if lang == "ar" else data.centre_name_en
    title = gettext(TITLES.get(data.kind, TITLES["period"]), lang)
    if data.first == data.last:
        period = Msg("report.day", weekday=format_date(data.first, lang, style="weekday"),
                     first=format_date(data.first, lang))
    else:
        period = Msg("report.period", first=format_date(data.first, lang), last=format_date(data.last, lang))
    story: list[Flowable] = [
        _para(title, lang, 16, bold=True, center=True),
        _para(gettext("print.centre_heading", lang, centre=name(centre), detail=period), lang, 11, center=True),
        Spacer(1, 5 * mm),
        _para(gettext("report.section.summary", lang), lang, 13, bold=True),
    ]
    figures = [
        (gettext("report.k.issued", lang), data.tickets_issued),
        (gettext("report.k.served", lang), data.tickets_served),
        (gettext("report.k.no_shows", lang), data.no_shows),
        (gettext("report.k.applications", lang), data.applications),
        (gettext("report.k.overdue", lang), data.overdue),
        (gettext("report.k.wait", lang), minutes_triplet(data.wait_min, lang, " / ")),
        (gettext("report.k.service", lang), minutes_triplet(data.service_min, lang, " / ")),
    ]
    if data.appointments or data.bookings:  # a centre that takes no appointments keeps its report as it was
        figures += [
            (gettext("report.k.bookings", lang), data.bookings),
            (gettext("report.k.check_ins", lang), data.check_ins),
            (gettext("report.k.booking_no_shows", lang), data.booking_no_shows),
            (gettext("report.k.no_show_rate", lang),
             percent(data.no_show_rate, lang) if data.no_show_rate is not None else "—"),
            (gettext("report.k.appointments", lang), data.appointments),
            (gettext("report.k.appointments_served", lang), data.appointments_served),
            (gettext("report.k.appointment_share", lang), percent(data.appointment_share, lang)),
            (gettext("report.k.punctuality", lang),
             _minutes(data.punctuality_min) if data.punctuality_min is not None else "—"),
            (gettext("report.k.punctual_share", lang),
             percent(data.punctual_share, lang) if data.punctual_share is not None else "—"),
        ]
    story += [_table([gettext("report.col.figure", lang), gettext("report.col.value", lang)], figures, lang, width),
              Spacer(1, 5 * mm), _para(gettext("report.section.wait_by_hour", lang), lang, 13, bold=True),
              _hour_chart(data, lang, width), Spacer(1, 3 * mm), _service_chart(data, lang, width), PageBreak(),
              _para(gettext("report.section.services", lang), lang, 13, bold=True)]
    service_rows = [[r.name_ar if lang == "ar" else name(r.name_en), r.tickets, _minutes(r.wait_median_min),
                     _minutes(r.wait_p90_min), _minutes(r.service_median_min)] for r in data.services]
    service_columns = [gettext("report.col.service", lang), gettext("report.col.tickets", lang),
                       gettext("report.col.wait_median", lang), gettext("report.col.wait_p90", lang),
                       gettext("report.col.service_median", lang)]
    story.append(_table(service_columns, service_rows, lang, width, weights=(2.6, 0.9, 1.3, 1.4, 1.3)))
    clerk_columns = [gettext("report.col.clerk", lang), gettext("report.col.served", lang),
                     gettext("report.col.service_median", lang)]
    story += [Spacer(1, 5 * mm), _para(gettext("report.section.clerks", lang), lang, 13, bold=True),
              _table(clerk_columns, [[name(c.name), c.served, _minutes(c.service_median_min)] for c in data.clerks],
                     lang, width),
              Spacer(1, 5 * mm), _para(gettext("report.section.money", lang), lang, 13, bold=True)]
    money_rows: list[list[object]] = [[payment_label(m, lang), money(v, lang)] for m, v in data.money_by_method.items()]
    money_rows.append([gettext("report.money.total", lang), money(data.money_total, lang)])
    if data.money_refunds:
        money_rows.append([ngettext("report.money.refunds", data.refund_count, lang),
                           money(-data.money_refunds, lang)])
        money_rows.append([gettext("report.money.net", lang), money(data.money_total - data.money_refunds, lang)])
    story.append(_table([gettext("report.col.method", lang), gettext("report.col.amount", lang)], money_rows, lang,
                        width))
    if data.reconciled:
        story.append(_para(gettext("report.money.reconciled", lang), lang, 10))
    else:
        difference = money(data.money_expected - data.money_total, lang)
        story.append(_para(ngettext("report.money.mismatch", len(data.mismatched), lang, amount=difference),
                           lang, 10, bold=True))
        story += [_para(gettext("print.dayclose.mismatched", lang, code=tracking_code(application)), lang, 10)
                  for application in data.mismatched]
    return _build(story, target, title, lang)
