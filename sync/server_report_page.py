"""The central report as a web page (Arabic first, right to left; English left to right) and its
login page. Plain HTML and CSS, no script; every value goes through :func:`html.escape`.

Every text a reader sees is in :data:`STRINGS`, one dictionary per language; sentences with
values in them are templates with named fields, never pieces glued together.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlencode

LANGUAGES = ("ar", "en")
FONTS = '"Noto Naskh Arabic", "DejaVu Sans", "Amiri", sans-serif'

STRINGS: dict[str, dict[str, str]] = {
    "ar": {
        "title": "تقرير الأداء المركزي لمراكز خدمة المواطنين",
        "period": "الفترة من {first} إلى {last}",
        "show": "عرض", "from": "من", "to": "إلى", "other_language": "English", "logout": "خروج",
        "json": "البيانات بصيغة JSON",
        "overall": "الإجمالي", "by_governorate": "حسب المحافظة", "by_centre": "حسب المركز",
        "by_service": "حسب الخدمة", "by_state": "الطلبات حسب الحالة", "by_method": "المبالغ المحصلة حسب طريقة الدفع",
        "all": "جميع المراكز", "governorate": "المحافظة", "centre": "المركز", "service": "الخدمة",
        "issued": "التذاكر الصادرة", "served": "تمت خدمتها", "no_shows": "لم يحضر",
        "wait_mean": "متوسط الانتظار (دقيقة)", "wait_median": "وسيط الانتظار (دقيقة)",
        "wait_p90": "الانتظار، المئين 90 (دقيقة)", "service_mean": "متوسط الخدمة (دقيقة)",
        "service_median": "وسيط الخدمة (دقيقة)", "service_p90": "الخدمة، المئين 90 (دقيقة)",
        "applications": "الطلبات المستلمة", "money": "المحصل (جنيه)",
        "state": "الحالة", "count": "العدد", "method": "طريقة الدفع", "amount": "المبلغ (جنيه)",
        "payments": "عدد المدفوعات", "none": "لا شيء في هذه الفترة",
        "unknown_governorate": "محافظة غير محددة", "no_service": "بدون خدمة محددة",
        "notes": "زمن الانتظار من إصدار التذكرة حتى أول نداء، وزمن الخدمة من آخر نداء حتى انتهاء الخدمة. "
                 "الأزمنة بالدقائق والمبالغ بالجنيه المصري.",
        "state.draft": "مسودة", "state.submitted": "مقدم", "state.in_review": "قيد المراجعة",
        "state.approved": "معتمد", "state.ready": "جاهز للتسليم", "state.delivered": "تم التسليم",
        "state.returned": "معاد لاستكمال المستندات", "state.rejected": "مرفوض", "state.cancelled": "ملغى",
        "method.cash": "نقدًا", "method.card": "بطاقة", "method.epayment": "دفع إلكتروني",
        "login_title": "دخول تقارير المسؤول", "token": "رمز المسؤول", "login": "دخول",
        "bad_token": "رمز المسؤول غير صحيح.", "error_title": "لا يمكن عرض التقرير",
        "bad_date": "التاريخ غير صحيح؛ اكتبه بالصيغة YYYY-MM-DD.",
        "reversed": "تاريخ البداية بعد تاريخ النهاية.", "too_long": "الفترة أطول من 366 يومًا.",
        "back": "العودة إلى التقرير",
    },
    "en": {
        "title": "Central performance report of the citizen service centres",
        "period": "Period from {first} to {last}",
        "show": "Show", "from": "From", "to": "To", "other_language": "العربية", "logout": "Log out",
        "json": "The data as JSON",
        "overall": "Overall", "by_governorate": "By governorate", "by_centre": "By centre",
        "by_service": "By service", "by_state": "Applications by state", "by_method": "Money collected by payment method",
        "all": "All centres", "governorate": "Governorate", "centre": "Centre", "service": "Service",
        "issued": "Tickets issued", "served": "Served", "no_shows": "No-shows",
        "wait_mean": "Mean wait (min)", "wait_median": "Median wait (min)", "wait_p90": "90th percentile wait (min)",
        "service_mean": "Mean service (min)", "service_median": "Median service (min)",
        "service_p90": "90th percentile service (min)",
        "applications": "Applications received", "money": "Collected (EGP)",
        "state": "State", "count": "Count", "method": "Payment method", "amount": "Amount (EGP)",
        "payments": "Payments", "none": "Nothing in this period",
        "unknown_governorate": "Governorate not set", "no_service": "No service chosen",
        "notes": "Waiting time runs from a ticket's issue to its first call, service time from its last call "
                 "to the end of the service. Times are in minutes, money in Egyptian pounds.",
        "state.draft": "Draft", "state.submitted": "Submitted", "state.in_review": "In review",
        "state.approved": "Approved", "state.ready": "Ready for collection", "state.delivered": "Delivered",
        "state.returned": "Returned for documents", "state.rejected": "Rejected", "state.cancelled": "Cancelled",
        "method.cash": "Cash", "method.card": "Card", "method.epayment": "E-payment",
        "login_title": "Administrator reports: log in", "token": "Administrator token", "login": "Log in",
        "bad_token": "The administrator token is not right.", "error_title": "The report cannot be shown",
        "bad_date": "A date is not valid; write it as YYYY-MM-DD.",
        "reversed": "The first day is after the last day.", "too_long": "The period is longer than 366 days.",
        "back": "Back to the report",
    },
}

CSS = f"""
body {{ font-family: {FONTS}; margin: 1.5rem; color: #1b1b1b; background: #fff; }}
h1 {{ font-size: 1.5rem; margin: 0 0 .25rem; }} h2 {{ font-size: 1.15rem; margin: 1.5rem 0 .5rem; }}
table {{ border-collapse: collapse; font-size: .9rem; }}
th, td {{ border: 1px solid #b8b8b8; padding: .3rem .55rem; text-align: start; }}
thead th {{ background: #e8eef3; }} tbody th {{ font-weight: normal; }}
td {{ text-align: end; font-variant-numeric: tabular-nums; }}
small {{ color: #555; }} .code {{ white-space: nowrap; }} nav, form.range {{ margin: .5rem 0; display: flex; gap: 1rem; align-items: center; }}
.notes {{ color: #444; font-size: .85rem; margin-top: 1.5rem; }} .error {{ color: #a00000; }}
"""

COLUMNS = ("issued", "served", "no_shows", "wait_mean", "wait_median", "wait_p90",
           "service_mean", "service_median", "service_p90", "applications", "money")


def language(value: str | None) -> str:
    return value if value in LANGUAGES else "ar"


def minutes(seconds: float, count: int) -> str:
    return f"{seconds / 60:.1f}" if count else "—"


def pounds(piastres: int) -> str:
    return f"{piastres / 100:,.2f}"


def _page(lang: str, title: str, body: str) -> str:
    direction = "rtl" if lang == "ar" else "ltr"
    return (f'<!DOCTYPE html>\n<html lang="{lang}" dir="{direction}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{escape(title)}</title>\n'
            f"<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def _cells(figures: dict[str, Any]) -> str:
    t, w, s = figures["tickets"], figures["waiting_time"], figures["service_time"]
    values = (str(t["issued"]), str(t["served"]), str(t["no_shows"]),
              minutes(w["mean_s"], w["count"]), minutes(w["median_s"], w["count"]), minutes(w["p90_s"], w["count"]),
              minutes(s["mean_s"], s["count"]), minutes(s["median_s"], s["count"]), minutes(s["p90_s"], s["count"]),
              str(figures["applications"]["received"]), pounds(figures["money"]["total"]))
    return "".join(f"<td>{escape(v)}</td>" for v in values)


def _table(name: str, first_column: str, rows: list[tuple[str, dict[str, Any]]], text: dict[str, str]) -> str:
    """One figures table; ``rows`` are (the first cell's HTML, already escaped, and the figures)."""
    head = "".join(f'<th scope="col">{escape(text[c])}</th>' for c in (first_column, *COLUMNS))
    body = "".join(f'<tr><th scope="row">{label}</th>{_cells(figures)}</tr>' for label, figures in rows)
    return (f'<section id="{name}"><h2>{escape(text[name])}</h2>\n<table>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>\n")


def _counts(name: str, key_header: str, value_headers: tuple[str, ...], rows: list[tuple[str, ...]],
            text: dict[str, str]) -> str:
    head = "".join(f'<th scope="col">{escape(text[h])}</th>' for h in (key_header, *value_headers))
    if not rows:
        return f'<section id="{name}"><h2>{escape(text[name])}</h2><p>{escape(text["none"])}</p></section>\n'
    body = "".join(f'<tr><th scope="row">{escape(first)}</th>{"".join(f"<td>{escape(v)}</td>" for v in rest)}</tr>'
                   for first, *rest in rows)
    return (f'<section id="{name}"><h2>{escape(text[name])}</h2>\n<table>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>\n")


def _day(value: str) -> str:
    return f'<bdi dir="ltr"><time datetime="{escape(value)}">{escape(value)}</time></bdi>'


def _named(name: str | None, code: str | None, fallback: str) -> str:
    shown = escape(name or code or fallback)
    return f'{shown} <small class="code"><bdi>{escape(code)}</bdi></small>' if name and code else shown


def render_report(kpis: dict[str, Any], lang: str) -> str:
    """The report page of :func:`sync.server_kpis.central_kpis`'s figures."""
    text = STRINGS[lang]
    other = "en" if lang == "ar" else "ar"

    def query(to_lang: str) -> str:
        return escape(urlencode({"from": kpis["from"], "to": kpis["to"], "lang": to_lang}))

    local = f"name_{lang}"
    header = (f"<header><h1>{escape(text['title'])}</h1>\n"
              f'<p class="period">{escape(text["period"]).format(first=_day(kpis["from"]), last=_day(kpis["to"]))}</p>\n'
              f'<form class="range" method="get" action="/reports"><input type="hidden" name="lang" value="{lang}">'
              f'<label>{escape(text["from"])} <input type="date" name="from" value="{escape(kpis["from"])}"></label>'
              f'<label>{escape(text["to"])} <input type="date" name="to" value="{escape(kpis["to"])}"></label>'
              f'<button type="submit">{escape(text["show"])}</button></form>\n'
              f'<nav><a href="/reports?{query(other)}" lang="{other}">{escape(text["other_language"])}</a>'
              f'<a href="/v1/reports/kpis?{query(lang)}">{escape(text["json"])}</a>'
              f'<form method="post" action="/reports/logout"><input type="hidden" name="lang" value="{lang}">'
              f'<button type="submit">{escape(text["logout"])}</button>'
              f"</form></nav></header>\n")
    overall = kpis["overall"]
    sections = [
        _table("overall", "centre", [(escape(text["all"]), overall)], text),
        _table("by_governorate", "governorate",
               [(_named(g[local], g["governorate"], text["unknown_governorate"]), g) for g in kpis["by_governorate"]],
               text),
        _table("by_centre", "centre", [(_named(c["name"], c["centre"], ""), c) for c in kpis["by_centre"]], text),
        _table("by_service", "service",
               [(_named(s[local], s["service"], text["no_service"]), s) for s in kpis["by_service"]], text),
        _counts("by_state", "state", ("count",),
                [(text.get(f"state.{k}", k), str(n)) for k, n in overall["applications"]["by_state"].items()], text),
        _counts("by_method", "method", ("amount",),
                [(text.get(f"method.{k}", k), pounds(n)) for k, n in overall["money"]["by_method"].items()], text),
    ]
    notes = f'<p class="notes">{escape(text["notes"])}</p>'
    return _page(lang, text["title"], header + "<main>\n" + "".join(sections) + "</main>\n" + notes)


def render_login(lang: str, *, first: str = "", last: str = "", failed: bool = False) -> str:
    """The token form; the token travels in the POST body, never in an address."""
    text = STRINGS[lang]
    error = f'<p class="error" role="alert">{escape(text["bad_token"])}</p>' if failed else ""
    body = (f"<h1>{escape(text['login_title'])}</h1>{error}\n"
            f'<form method="post" action="/reports/login"><input type="hidden" name="lang" value="{lang}">'
            f'<input type="hidden" name="from" value="{escape(first)}"><input type="hidden" name="to" value="{escape(last)}">'
            f'<label>{escape(text["token"])} <input type="password" name="token" autocomplete="current-password" '
            f'required></label> <button type="submit">{escape(text["login"])}</button></form>')
    return _page(lang, text["login_title"], body)


def render_error(lang: str, key: str) -> str:
    text = STRINGS[lang]
    body = (f"<h1>{escape(text['error_title'])}</h1>\n"
            f'<p class="error" role="alert">{escape(text.get(key, key))}</p>\n'
            f'<p><a href="/reports?{escape(urlencode({"lang": lang}))}">{escape(text["back"])}</a></p>')
    return _page(lang, text["error_title"], body)
