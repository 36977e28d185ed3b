"""The central report as a web page (Arabic first, right to left; English left to right) and its
login page. Plain HTML and CSS, no script; every value goes through :func:`html.escape`.

Every text a reader sees comes from the gettext catalogue (ids ``central.*``), in the language of
the request. Sentences with values in them are whole templates with named fields; each value is
isolated (the mechanism's Unicode isolates, ``<bdi>`` around markup), so a date or a figure keeps
its order inside an Arabic sentence. Numbers are in Western digits (the central pages' policy).
"""

from __future__ import annotations

import string
from html import escape
from typing import Any
from urllib.parse import urlencode

from counter_app.common import formatting
from counter_app.common.governorates import GOVERNORATES
from counter_app.common.i18n import (
    N_,
    Lang,
    Msg,
    catalogue,
    field_text,
    gettext,
    lang_of,
    strip_isolates,
)
from sync.server.accounts import CENTRE, GOVERNORATE, LOCK_S, MAX_FAILED, Scope
from sync.server.kpis import MAX_DAYS

FONTS = '"Noto Naskh Arabic", "DejaVu Sans", "Amiri", sans-serif'

CSS = f"""
body {{ font-family: {FONTS}; margin: 1.5rem; color: #1b1b1b; background: #fff; }}
h1 {{ font-size: 1.5rem; margin: 0 0 .25rem; }} h2 {{ font-size: 1.15rem; margin: 1.5rem 0 .5rem; }}
table {{ border-collapse: collapse; font-size: .9rem; }}
th, td {{ border: 1px solid #b8b8b8; padding: .3rem .55rem; text-align: start; }}
thead th {{ background: #e8eef3; }} tbody th {{ font-weight: normal; }}
td {{ text-align: end; font-variant-numeric: tabular-nums; }}
small {{ color: #555; }} .code {{ white-space: nowrap; }}
nav, form.range {{ margin: .5rem 0; display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; }}
section {{ overflow-x: auto; }} /* a wide table scrolls on a phone; the page does not */
.notes {{ color: #444; font-size: .85rem; margin-top: 1.5rem; }} .error {{ color: #a00000; }}
.skipped {{ color: #7a4a00; }}
form.login {{ display: flex; flex-direction: column; gap: .75rem; max-width: 22rem; }}
form.login label {{ display: flex; flex-direction: column; gap: .25rem; }}
p.code output {{ font: 1.6rem monospace; letter-spacing: .08em; }}
"""

COLUMNS = (N_("central.issued"), N_("central.served"), N_("central.no_shows"), N_("central.wait_mean"),
           N_("central.wait_median"), N_("central.wait_p90"), N_("central.service_mean"),
           N_("central.service_median"), N_("central.service_p90"), N_("central.applications"),
           N_("central.money"))
#: The appointments table's columns (:mod:`sync.server.appointment_kpis`).
APPOINTMENT_COLUMNS = (N_("central.appt_bookings"), N_("central.appt_check_ins"), N_("central.appt_no_shows"),
                       N_("central.appt_unresolved"), N_("central.appt_no_show_rate"), N_("central.appt_punctuality"),
                       N_("central.appt_punctual_share"), N_("central.appt_places"), N_("central.appt_places_used"))
#: The names of the application states and payment methods the centres send.
STATE_IDS: dict[str, str] = {
    "draft": N_("central.state.draft"), "submitted": N_("central.state.submitted"),
    "in_review": N_("central.state.in_review"), "approved": N_("central.state.approved"),
    "ready": N_("central.state.ready"), "delivered": N_("central.state.delivered"),
    "returned": N_("central.state.returned"), "rejected": N_("central.state.rejected"),
    "cancelled": N_("central.state.cancelled"),
}
METHOD_IDS: dict[str, str] = {"cash": N_("payment.cash"), "card": N_("payment.card"),
                              "epayment": N_("payment.epayment")}
#: The reasons :class:`sync.server.kpis.BadRange` names, as messages.
RANGE_ERRORS: dict[str, Msg] = {"bad_date": Msg("central.bad_date"), "reversed": Msg("central.reversed"),
                                "too_long": Msg("central.too_long", n=MAX_DAYS)}


def language(value: str | None) -> Lang:
    return lang_of(value)


class Html(str):
    """Markup already escaped and isolated, put into a sentence as it is."""


class _HtmlSentence(string.Formatter):
    """A catalogue template as HTML: its own words escaped, each value isolated by the mechanism
    and escaped, :class:`Html` values inserted as they are."""

    def __init__(self, lang: Lang) -> None:
        super().__init__()
        self.lang = lang

    def parse(self, format_string: str) -> Any:
        for literal, name, spec, conversion in super().parse(format_string):
            yield escape(literal, quote=False), name, spec, conversion

    def format_field(self, value: Any, format_spec: str) -> str:
        return value if isinstance(value, Html) else escape(field_text(value, self.lang, "latn", format_spec))


def text(msgid: str, lang: Lang, /, **fields: Any) -> Html:
    """The message ``msgid`` in ``lang`` as escaped HTML, its fields filled."""
    return Html(_HtmlSentence(lang).vformat(catalogue(lang).gettext(msgid), (), fields))


def ntext(msgid: str, lang: Lang, n: int, /, **fields: Any) -> Html:
    """The plural message ``msgid`` in ``lang``, its form chosen by ``n`` (Arabic has six)."""
    return Html(_HtmlSentence(lang).vformat(catalogue(lang).ngettext(msgid, msgid, n), (), {"n": n, **fields}))


def figure(value: str) -> str:
    """A number in a table cell: isolated left to right (a minus sign or a separator stays put)."""
    return f'<bdi dir="ltr">{escape(value)}</bdi>'


def minutes(seconds: float, count: int) -> str:
    return figure(f"{seconds / 60:.1f}") if count else "—"


def pounds(piastres: int) -> str:
    return figure(strip_isolates(formatting.amount(piastres)))


def _page(lang: Lang, title: str, body: str) -> str:
    direction = "rtl" if lang == "ar" else "ltr"
    return (f'<!DOCTYPE html>\n<html lang="{lang}" dir="{direction}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{escape(title)}</title>\n'
            f"<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def _cells(figures: dict[str, Any]) -> str:
    t, w, s = figures["tickets"], figures["waiting_time"], figures["service_time"]
    values = (figure(str(t["issued"])), figure(str(t["served"])), figure(str(t["no_shows"])),
              minutes(w["mean_s"], w["count"]), minutes(w["median_s"], w["count"]), minutes(w["p90_s"], w["count"]),
              minutes(s["mean_s"], s["count"]), minutes(s["median_s"], s["count"]), minutes(s["p90_s"], s["count"]),
              figure(str(figures["applications"]["received"])), pounds(figures["money"]["total"]))
    return "".join(f"<td>{v}</td>" for v in values)


def share(ratio: float | None, lang: Lang) -> str:
    """A share as a percentage in a table cell, or a dash when there is nothing to divide."""
    return figure(strip_isolates(formatting.percent(ratio, lang))) if ratio is not None else "—"


def _appointment_cells(figures: dict[str, Any], lang: Lang) -> str:
    p, places = figures["punctuality"], figures["places"]
    median = p["median_s"]
    values = (figure(str(figures["bookings"])), figure(str(figures["check_ins"])), figure(str(figures["no_shows"])),
              figure(str(figures["unresolved"])), share(figures["no_show_rate"], lang), figure(f"{median / 60:.1f}") if median is not None else "—",
              share(p["within_10_min"], lang), figure(str(places["offered"])), share(places["used_share"], lang))
    return "".join(f"<td>{v}</td>" for v in values)


def _appointments(figures: dict[str, Any], names: dict[str, str], local: str, lang: Lang) -> str:
    """The appointments' table: the whole, each governorate, each centre; and what its figures mean."""
    unknown = gettext("central.unknown_governorate", lang)
    rows = [(str(text("central.all", lang)), figures["overall"]),
            *((_named(g[local], g["governorate"], unknown), g) for g in figures["by_governorate"]),
            *((_named(names.get(c["centre"]), c["centre"], c["centre"]), c) for c in figures["by_centre"])]
    head = "".join(f'<th scope="col">{text(c, lang)}</th>' for c in (N_("central.centre"), *APPOINTMENT_COLUMNS))
    body = "".join(f'<tr><th scope="row">{label}</th>{_appointment_cells(row, lang)}</tr>' for label, row in rows)
    notes = text("central.appt_notes", lang)
    return _section("appointments", N_("central.appointments"), lang,
                    f'<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>\n<p class="notes">{notes}</p>')


def _section(name: str, title: str, lang: Lang, content: str) -> str:
    return f'<section id="{name}"><h2>{text(title, lang)}</h2>\n{content}</section>\n'


def _table(name: str, title: str, first_column: str, rows: list[tuple[str, dict[str, Any]]], lang: Lang) -> str:
    """One figures table; ``rows`` are (the first cell's HTML, already escaped, and the figures)."""
    head = "".join(f'<th scope="col">{text(c, lang)}</th>' for c in (first_column, *COLUMNS))
    body = "".join(f'<tr><th scope="row">{label}</th>{_cells(figures)}</tr>' for label, figures in rows)
    return _section(name, title, lang, f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _counts(name: str, title: str, headers: tuple[str, ...], rows: list[tuple[str, str]], lang: Lang) -> str:
    """A two-column table; ``rows`` are (a label's escaped text, a figure's HTML)."""
    if not rows:
        nothing = text("central.none", lang)
        return _section(name, title, lang, f"<p>{nothing}</p>")
    head = "".join(f'<th scope="col">{text(h, lang)}</th>' for h in headers)
    body = "".join(f'<tr><th scope="row">{label}</th><td>{value}</td></tr>' for label, value in rows)
    return _section(name, title, lang, f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _day(value: str) -> Html:
    return Html(f'<bdi dir="ltr"><time datetime="{escape(value)}">{escape(value)}</time></bdi>')


def _named(name: str | None, code: str | None, fallback: str) -> str:
    shown = escape(name or code or fallback)
    return f'{shown} <small class="code"><bdi dir="ltr">{escape(code)}</bdi></small>' if name and code else shown


def _label(ids: dict[str, str], key: str, lang: Lang) -> str:
    """A state's or a payment method's name; one the page does not know, as sent."""
    return text(ids[key], lang) if key in ids else escape(key)


def render_report(kpis: dict[str, Any], lang: str, who: Scope | None = None) -> str:
    """The report page of :func:`sync.server.kpis.central_kpis`'s figures, for ``who``."""
    shown = lang_of(lang)
    other = "en" if shown == "ar" else "ar"

    def query(to_lang: str) -> str:
        return escape(urlencode({"from": kpis["from"], "to": kpis["to"], "lang": to_lang}))

    local = f"name_{shown}"
    title, period = text("central.title", shown), text("central.period", shown, first=_day(kpis["from"]),
                                                          last=_day(kpis["to"]))
    first, last, show = text("central.from", shown), text("central.to", shown), text("central.show", shown)
    switch, json_link, logout = (text("central.other_language", shown), text("central.json", shown),
                                 text("central.logout", shown))
    skipped = int(kpis.get("skipped_events") or 0)  # stored events the figures could not read
    unread_text = ntext("central.skipped_events", shown, skipped)
    unread = f'<p class="skipped" role="status">{unread_text}</p>\n' if skipped else ""
    reader = f'<p class="who">{_who(who, shown)}</p>\n' if who is not None else ""
    issues_codes = who is not None and who.role != CENTRE and who.actor != "token"
    code_link, monitor = text("central.enrol_code_link", shown), text("central.monitor_title", shown)
    appointments = text("central.appointments_link", shown)
    codes = (f'<a href="/reports/enrolment-codes?{escape(urlencode({"lang": shown}))}">{code_link}</a>'
             if issues_codes else "")
    header = (f"<header><h1>{title}</h1>\n{reader}"
              f'<p class="period">{period}</p>\n{unread}'
              f'<form class="range" method="get" action="/reports"><input type="hidden" name="lang" value="{shown}">'
              f'<label>{first} <input type="date" name="from" value="{escape(kpis["from"])}"></label>'
              f'<label>{last} <input type="date" name="to" value="{escape(kpis["to"])}"></label>'
              f'<button type="submit">{show}</button></form>\n'
              f'<nav><a href="/reports?{query(other)}" lang="{other}">{switch}</a>'
              f'<a href="/v1/reports/kpis?{query(shown)}">{json_link}</a>{codes}'
              f'<a href="/monitor?{escape(urlencode({"lang": shown}))}">{monitor}</a>'
              f'<a href="/reports/appointments?{escape(urlencode({"lang": shown}))}">{appointments}</a>'
              f'<form method="post" action="/reports/logout"><input type="hidden" name="lang" value="{shown}">'
              f'<button type="submit">{logout}</button>'
              f"</form></nav></header>\n")
    overall = kpis["overall"]
    unknown_governorate, no_service = gettext("central.unknown_governorate", shown), gettext("central.no_service", shown)
    sections = [
        _table("overall", N_("central.overall"), N_("central.centre"), [(text("central.all", shown), overall)], shown),
        _table("by_governorate", N_("central.by_governorate"), N_("central.governorate"),
               [(_named(g[local], g["governorate"], unknown_governorate), g) for g in kpis["by_governorate"]], shown),
        _table("by_centre", N_("central.by_centre"), N_("central.centre"),
               [(_named(c.get(local) or c["name"], c["centre"], ""), c) for c in kpis["by_centre"]], shown),
        _table("by_service", N_("central.by_service"), N_("central.service"),
               [(_named(s[local], s["service"], no_service), s) for s in kpis["by_service"]], shown),
        *([_appointments(kpis["appointments"], {c["centre"]: c.get(local) or c["name"] for c in kpis["by_centre"]},
                                     local, shown)] if "appointments" in kpis else []),
        _counts("by_state", N_("central.by_state"), (N_("central.state"), N_("central.count")),
                [(_label(STATE_IDS, k, shown), figure(str(n)))
                 for k, n in overall["applications"]["by_state"].items()], shown),
        _counts("by_method", N_("central.by_method"), (N_("central.method"), N_("central.amount")),
                [(_label(METHOD_IDS, k, shown), pounds(n)) for k, n in overall["money"]["by_method"].items()],
                shown),
    ]
    remark = text("central.notes", shown)
    notes = f'<p class="notes">{remark}</p>'
    return _page(shown, gettext("central.title", shown), header + "<main>\n" + "".join(sections) + "</main>\n" + notes)


#: Why a login was refused (:class:`sync.server.accounts.AccountError` keys), as messages.
LOGIN_ERRORS: dict[str, str] = {"bad_credentials": N_("central.users_bad_credentials")}


def render_login(lang: str, *, first: str = "", last: str = "", failed: str | None = None,
                 username: str = "", next_page: str = "") -> str:
    """The login form (a person's name and password); the password travels in the POST body, never
    in an address. ``failed``: why the last try was refused (what was typed as the name is kept)."""
    shown = lang_of(lang)
    title, login = text("central.login_title", shown), text("central.login", shown)
    name, password = text("central.users_username", shown), text("central.users_password", shown)
    error = ""
    if failed:
        if failed == "locked":
            reason = ntext("central.users_locked", shown, LOCK_S // 60, attempts=MAX_FAILED)
        else:
            reason = text(LOGIN_ERRORS.get(failed, "central.users_bad_credentials"), shown)
        error = f'<p class="error" role="alert">{reason}</p>'
    body = (f"<h1>{title}</h1>{error}\n"
            f'<form class="login" method="post" action="/reports/login"><input type="hidden" name="lang" value="{shown}">'
            f'<input type="hidden" name="from" value="{escape(first)}"><input type="hidden" name="to" value="{escape(last)}">'
            + (f'<input type="hidden" name="next" value="{escape(next_page)}">' if next_page else "") +
            f'<label>{name} <input type="text" name="username" value="{escape(username[:64])}" '
            f'autocomplete="username" dir="ltr" required></label>'
            f'<label>{password} <input type="password" name="password" autocomplete="current-password" '
            f'required></label> <button type="submit">{login}</button></form>')
    return _page(shown, gettext("central.login_title", shown), body)


def _who(scope: Scope, lang: Lang) -> Html:
    """Whom the page is for, and which centres they see."""
    user = Html(f'<bdi dir="ltr">{escape(scope.username)}</bdi>')
    if scope.role == GOVERNORATE:
        names = GOVERNORATES.get(scope.governorate or "", ("", ""))
        place = names[0] if lang == "ar" else names[1]
        return text("central.users_as_governorate", lang, user=user, governorate=place or scope.governorate or "")
    if scope.role == CENTRE:
        return text("central.users_as_centre", lang, user=user, centre=Html(f'<bdi dir="ltr">{escape(scope.centre or "")}</bdi>'))
    return text("central.users_as_national", lang, user=user)


def render_error(lang: str, key: str) -> str:
    """The page of a period :class:`sync.server.kpis.BadRange` refused (``key`` names the reason)."""
    shown = lang_of(lang)
    reason = RANGE_ERRORS.get(key)
    message = escape(reason.text(shown)) if reason else escape(key)
    title, back = text("central.error_title", shown), text("central.back", shown)
    body = (f"<h1>{title}</h1>\n"
            f'<p class="error" role="alert">{message}</p>\n'
            f'<p><a href="/reports?{escape(urlencode({"lang": shown}))}">{back}</a></p>')
    return _page(shown, gettext("central.error_title", shown), body)
