"""Weekly, monthly (or any period's) A4 report: key figures, charts and tables, Arabic first.

The data is plain (``PeriodReportData``); ``counter_app.reports`` fills it from the centre's
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

from printers.bidi_text import visual
from printers.i18n import FSI, LRI, Lang, format_date, format_money, isolate
from printers.pdf import FONT, _build, _para, _register_fonts, _table

TEXTS: dict[str, tuple[str, str]] = {
    "title.week": ("التقرير الأسبوعي", "Weekly report"),
    "title.month": ("التقرير الشهري", "Monthly report"),
    "title.period": ("تقرير الفترة", "Period report"),
    "title.day": ("تقرير إغلاق اليوم", "Day-close report"),
    "period": ("من {first} إلى {last}", "From {first} to {last}"),
    "day": ("يوم العمل {first}", "Business day {first}"),
    "section.summary": ("المؤشرات الرئيسية", "Key figures"),
    "section.wait_by_hour": ("وسيط الانتظار حسب الساعة (دقيقة)", "Median wait by hour (minutes)"),
    "section.services": ("الخدمات", "Services"),
    "section.clerks": ("الموظفون", "Staff"),
    "section.money": ("المتحصلات", "Money collected"),
    "k.issued": ("التذاكر الصادرة", "Tickets issued"),
    "k.served": ("التذاكر المخدومة", "Tickets served"),
    "k.no_shows": ("لم يحضروا", "No-shows"),
    "k.applications": ("الطلبات المستلمة", "Applications received"),
    "k.overdue": ("ملفات تجاوزت موعدها", "Files past their due time"),
    "k.wait": ("الانتظار: المتوسط / الوسيط / المئين ٩٠ (دقيقة)", "Wait: mean / median / 90th pct (min)"),
    "k.service": ("مدة الخدمة: المتوسط / الوسيط / المئين ٩٠ (دقيقة)", "Service: mean / median / 90th pct (min)"),
    "col.figure": ("المؤشر", "Figure"),
    "col.value": ("القيمة", "Value"),
    "col.service": ("الخدمة", "Service"),
    "col.tickets": ("التذاكر", "Tickets"),
    "col.wait_median": ("وسيط الانتظار", "Median wait"),
    "col.wait_p90": ("انتظار المئين ٩٠", "90th pct wait"),
    "col.service_median": ("وسيط الخدمة", "Median service"),
    "col.clerk": ("الموظف", "Clerk"),
    "col.served": ("المخدومون", "Served"),
    "col.method": ("طريقة الدفع", "Method"),
    "col.amount": ("المبلغ", "Amount"),
    "pay.cash": ("نقدًا", "Cash"),
    "pay.card": ("بطاقة بنكية", "Card"),
    "pay.epayment": ("دفع إلكتروني", "E-payment"),
    "money.total": ("الإجمالي", "Total"),
    "money.reconciled": ("مطابق لرسوم الطلبات", "Matches the applications' fees"),
    "money.mismatch": ("غير مطابق: الفرق {amount} في {count} طلب", "Mismatch: {amount} over {count} application(s)"),
    "chart.tickets_by_service": ("التذاكر حسب الخدمة", "Tickets by service"),
}


def t(key: str, lang: Lang, **params: object) -> str:
    ar, en = TEXTS[key]
    template = ar if lang == "ar" else en
    return template.format(**{k: v if isinstance(v, str) else isolate(str(v)) for k, v in params.items()})


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

    @property
    def reconciled(self) -> bool:
        """The money collected equals the paid files' fees, and no file was paid more or less."""
        return self.money_total == self.money_expected and not self.mismatched


def _minutes(value: float) -> str:
    return f"{value:.1f}"


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
    title = String(width / 2, height - 4 * mm, visual(t("chart.tickets_by_service", lang), lang == "ar"),
                   fontName=FONT, fontSize=9, textAnchor="middle")
    drawing.add(title)
    return drawing


def period_report_pdf(data: PeriodReportData, target: str | Path | None = None, lang: Lang = "ar") -> bytes:
    _register_fonts()
    width = A4[0] - 36 * mm
    name = data.centre_name_ar if lang == "ar" else data.centre_name_en
    title = t(f"title.{data.kind}" if f"title.{data.kind}" in TEXTS else "title.period", lang)
    period = t("day" if data.first == data.last else "period", lang, first=format_date(data.first),
               last=format_date(data.last))
    story: list[Flowable] = [
        _para(title, lang, 16, bold=True, center=True),
        _para(isolate(f"{isolate(name, FSI)} — {period}", FSI if lang == "ar" else LRI), lang, 11, center=True),
        Spacer(1, 5 * mm),
        _para(t("section.summary", lang), lang, 13, bold=True),
    ]
    figures = [
        (t("k.issued", lang), data.tickets_issued),
        (t("k.served", lang), data.tickets_served),
        (t("k.no_shows", lang), data.no_shows),
        (t("k.applications", lang), data.applications),
        (t("k.overdue", lang), data.overdue),
        (t("k.wait", lang), isolate(" / ".join(_minutes(v) for v in data.wait_min))),
        (t("k.service", lang), isolate(" / ".join(_minutes(v) for v in data.service_min))),
    ]
    story += [_table([t("col.figure", lang), t("col.value", lang)], figures, lang, width), Spacer(1, 5 * mm),
              _para(t("section.wait_by_hour", lang), lang, 13, bold=True), _hour_chart(data, lang, width),
              Spacer(1, 3 * mm), _service_chart(data, lang, width), PageBreak(),
              _para(t("section.services", lang), lang, 13, bold=True)]
    service_rows = [[r.name_ar if lang == "ar" else isolate(r.name_en, FSI), r.tickets, _minutes(r.wait_median_min),
                     _minutes(r.wait_p90_min), _minutes(r.service_median_min)] for r in data.services]
    story.append(_table([t(k, lang) for k in ("col.service", "col.tickets", "col.wait_median", "col.wait_p90",
                                               "col.service_median")], service_rows, lang, width,
                         weights=(2.6, 0.9, 1.3, 1.4, 1.3)))
    story += [Spacer(1, 5 * mm), _para(t("section.clerks", lang), lang, 13, bold=True),
              _table([t(k, lang) for k in ("col.clerk", "col.served", "col.service_median")],
                     [[c.name, c.served, _minutes(c.service_median_min)] for c in data.clerks], lang, width),
              Spacer(1, 5 * mm), _para(t("section.money", lang), lang, 13, bold=True)]
    money_rows: list[list[object]] = [[t(f"pay.{m}", lang) if f"pay.{m}" in TEXTS else m, format_money(v, lang)]
                                      for m, v in data.money_by_method.items()]
    money_rows.append([t("money.total", lang), format_money(data.money_total, lang)])
    story.append(_table([t("col.method", lang), t("col.amount", lang)], money_rows, lang, width))
    if data.reconciled:
        story.append(_para(t("money.reconciled", lang), lang, 10))
    else:
        story.append(_para(t("money.mismatch", lang, amount=format_money(data.money_expected - data.money_total,
                                                                           lang), count=len(data.mismatched)),
                           lang, 10, bold=True))
    return _build(story, target, title, lang)
