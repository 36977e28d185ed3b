"""The live monitoring pages (issue 19, item 4), for the people of :mod:`sync.server.accounts`:

* ``GET /monitor?lang=ar|en&governorate=GG&service=CODE``: every centre the person sees, worst first
  (:mod:`sync.server.monitor` says the rules), with the open alerts (:mod:`sync.server.alerts`);
* ``GET /monitor/centres/{code}``: one centre: its queue now, today's key figures (the rollups),
  its last 14 days and its alerts; a centre the person does not see answers 404, as an unknown one;
* ``GET /v1/monitor/centres``: the same rows as JSON (the same scope).

Server-rendered (Jinja2, ``templates/monitor*.html``, autoescaped), Arabic first and right to left;
the pages refresh themselves every :data:`REFRESH_S` seconds: this server's own script
``/static/monitor.js`` (no inline script: the CSP allows only ``'self'``) fetches the page again and
puts its new content in place, with a button that pauses it (a ``<meta refresh>`` would reload
with no way to stop it: WCAG 2.2.1); without script a ``<meta refresh>`` in ``<noscript>`` does it. Without a session they answer 401
with the login form, which comes back here. A page view is not audited (it reloads every 30
seconds); the JSON view is, as the reports are.
"""

from __future__ import annotations

import html
from datetime import datetime
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from counter_app.common.clock import CENTRE_TZ, as_utc, utcnow
from counter_app.common.governorates import GOVERNORATES
from counter_app.common.i18n import N_, Lang, gettext, lang_of
from sync.server.accounts import Scope, audit
from sync.server.alerts import ALERT_IDS, describe
from sync.server.db import ServerDatabase
from sync.server.errors import ApiError
from sync.server.monitor import ONLINE_S, CentreRow, Filters, centre_detail, centre_rows, open_alerts
from sync.server.portal.catalogue import catalogue_version
from sync.server.report_page import render_login
from sync.server.reports import PAGE_HEADERS as REPORT_HEADERS
from sync.server.sessions import client_of, request_scope

REFRESH_S = 30
#: The reports' headers, with this server's own script (``/static/monitor.js``) and its fetches allowed.
PAGE_HEADERS = {**REPORT_HEADERS, "Content-Security-Policy": (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'")}
STATE_IDS = {True: N_("central.monitor_online"), False: N_("central.monitor_offline")}
BAD_FILTER_IDS = {"governorate": N_("central.monitor_bad_governorate"), "service": N_("central.monitor_bad_service")}

templates = Environment(
    loader=FileSystemLoader(str(files("sync.server") / "templates")),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True, lstrip_blocks=True, auto_reload=False,
)


def _when(moment: datetime | None) -> str:
    return as_utc(moment).astimezone(CENTRE_TZ).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _minutes(seconds: float | None) -> str:
    return f"{seconds / 60:.0f}" if seconds is not None and seconds >= 0 else "—"


def _count(value: int | None) -> str:
    return "—" if value is None else str(value)


def render(lang: Lang, template: str, **context: Any) -> str:
    plain: dict[str, str] = {}  # a text without fields, made once per page (an alert's kind: one per row)
    shown: dict[datetime, str] = {}  # a time, converted once per page (the alerts' rows repeat them)

    def t(msgid: str, /, **fields: Any) -> str:
        if fields:
            return gettext(msgid, lang, **fields)
        text = plain.get(msgid)
        if text is None:
            text = plain[msgid] = gettext(msgid, lang)
        return text

    def when(moment: datetime | None) -> str:
        if moment is None:
            return "—"
        text = shown.get(moment)
        if text is None:
            text = shown[moment] = _when(moment)
        return text

    def alert(a: Any) -> str:  # an alert's kind, once per page; a day not closed with its day and count
        if a.kind != "day_not_closed":
            return t(ALERT_IDS.get(a.kind, "central.alert_other"))
        return describe(a.kind, a.since, a.value, lang)

    return templates.get_template(template).render(
        lang=lang, dir="rtl" if lang == "ar" else "ltr", other="en" if lang == "ar" else "ar", text=t,
        when=when, minutes=_minutes, count=_count, refresh=REFRESH_S, alert_ids=ALERT_IDS, state_ids=STATE_IDS,
        online_minutes=ONLINE_S // 60, alert=alert, **context)


def rows_html(rows: list[CentreRow], lang: Lang) -> Markup:
    """The centres table's rows (what ``monitor.html`` would write for each, built here in one
    pass: 2,000 rows through the template's calls cost most of the page's time); every value escaped
    (:func:`html.escape`: plain strings, no Markup object per value). The figures' texts, the places'
    names and the times shown (per minute: a time zone's conversion costs more than the rest of a
    row) are made once per page and reused."""
    state = {True: f'<td class="online">{escape(gettext(STATE_IDS[True], lang))}</td>',
             False: f'<td class="offline">{escape(gettext(STATE_IDS[False], lang))}</td>'}
    governorates: dict[str | None, str] = {}
    minutes_shown: dict[int, str] = {}
    numbers: dict[int | None, str] = {None: "—"}
    waits: dict[int | None, str] = {None: "—"}

    def when(moment: datetime | None) -> str:
        if moment is None:
            return "—"
        minute = int(moment.timestamp()) // 60
        shown = minutes_shown.get(minute)
        if shown is None:
            shown = minutes_shown[minute] = _when(moment)
        return shown

    def count(value: int | None) -> str:
        shown = numbers.get(value)
        if shown is None:
            shown = numbers[value] = _count(value)
        return shown

    def minutes(value: int | None) -> str:
        shown = waits.get(value)
        if shown is None:
            shown = waits[value] = _minutes(value)
        return shown

    out = []
    for r in rows:
        place = governorates.get(r.governorate)
        if place is None:
            place = governorates[r.governorate] = html.escape(_governorate_name(r.governorate, lang))
        code = html.escape(r.code)
        out.append(  # compact: 2,000 rows; #centres' CSS aligns the figures and isolates the times
            f'<tr data-centre="{code}"{BAD if r.alerts or not r.online else ""}><th scope="row">'
            f'<a href="/monitor/centres/{code}?lang={lang}">{html.escape(r.name)}</a> <small dir="ltr">{code}</small>'
            f'</th><td>{place}</td>{state[r.online]}'
            f'<td dir="ltr">{when(r.heartbeat_at)}</td><td dir="ltr">{when(r.last_sync)}</td>'
            f"<td>{count(r.backlog_events)}</td><td>{minutes(r.backlog_oldest_s)}</td><td>{count(r.waiting)}</td>"
            f"<td>{minutes(r.longest_wait_s)}</td><td>{count(r.counters_open)}</td><td>{count(r.overdue)}</td>"
            f"<td>{count(r.alerts)}</td></tr>")
    return Markup("\n".join(out))


BAD = ' class="bad"'


def _governorate_name(code: str | None, lang: Lang) -> str:
    names = GOVERNORATES.get(code or "")
    return (names[0] if lang == "ar" else names[1]) if names else (code or "—")


def _row_json(row: CentreRow) -> dict[str, Any]:
    return {"centre": row.code, "name": row.name, "governorate": row.governorate, "online": row.online,
            "heartbeat_at": row.heartbeat_at.isoformat() if row.heartbeat_at else None,
            "last_sync": row.last_sync.isoformat() if row.last_sync else None,
            "backlog_events": row.backlog_events, "backlog_oldest_s": row.backlog_oldest_s,
            "waiting": row.waiting, "longest_wait_s": row.longest_wait_s, "counters_open": row.counters_open,
            "overdue": row.overdue, "open_alerts": row.alerts}


def add_routes(app: FastAPI, db: ServerDatabase, admin_token: str) -> None:
    def scope_of(request: Request) -> Scope | None:
        return request_scope(db, admin_token, request)

    def login(lang: Lang, request: Request) -> HTMLResponse:  # back to the page asked for, once logged in
        return HTMLResponse(render_login(lang, next_page=request.url.path), 401, PAGE_HEADERS)

    def filters(governorate: str | None, service: str | None, services: set[str]) -> Filters:
        """The filters asked for; an empty one is every governorate or service.
        :class:`BadFilter` for a governorate code or a service the server does not know."""
        governorate, service = (governorate or "").strip() or None, (service or "").strip() or None
        if governorate is not None and governorate not in GOVERNORATES:
            raise BadFilter("governorate", governorate)
        if service is not None and service not in services:
            raise BadFilter("service", service)
        return Filters(governorate, service)

    @app.get("/v1/monitor/centres")
    def monitor_json(request: Request, governorate: str | None = Query(None, max_length=2),
                     service: str | None = Query(None, max_length=32)) -> dict[str, Any]:
        """Every centre the caller sees, worst first (:mod:`sync.server.monitor`)."""
        scope = scope_of(request)
        if scope is None:
            raise HTTPException(401, "a login or the administrator token is required",
                                headers={"WWW-Authenticate": "Bearer"})
        now = utcnow()
        with db.sessions.begin() as s:
            audit(s, scope.actor, "monitor.centres", now, client=client_of(request))
        with db.sessions() as s:
            try:
                chosen = filters(governorate, service, service_codes(s))
            except BadFilter as exc:
                raise ApiError(422, f"bad_{exc.field}", (
                    f"unknown governorate code {exc.value!r} (two digits, e.g. 21)" if exc.field == "governorate"
                    else f"unknown service {exc.value!r}: not in the published catalogue")) from None
            rows = centre_rows(s, scope, now, "en", chosen)
        return {"at": now.isoformat(), "online_s": ONLINE_S, "centres": [_row_json(r) for r in rows]}

    @app.get("/monitor", response_class=HTMLResponse, include_in_schema=False)
    async def monitor_page(request: Request, lang: str | None = None, governorate: str | None = None,
                           service: str | None = None) -> HTMLResponse:
        shown = lang_of(lang)
        scope = await run_in_threadpool(scope_of, request)
        if scope is None:
            return login(shown, request)

        def page() -> tuple[str, int]:
            now = utcnow()
            with db.sessions() as s:
                catalogue = catalogue_version(s)
                try:
                    chosen = filters(governorate, service, {spec.code for spec in catalogue.services}
                                     if catalogue else set())
                except BadFilter as exc:
                    msgid = BAD_FILTER_IDS[exc.field]
                    return render(shown, "monitor_unknown.html", now=now, message=gettext(
                        msgid, shown, code=exc.value[:40]), switch=f"/monitor?lang={'en' if shown == 'ar' else 'ar'}"), 400
                visible = scope.centres(s)  # read once (a governorate's centres: a query)
                rows = centre_rows(s, scope, now, shown, chosen, visible=visible)
                alerts = open_alerts(s, scope, visible=visible)
            names = {r.code: r.name for r in rows}  # the alerts of the centres shown (the filters hold)
            governorates = sorted({r.governorate for r in rows if r.governorate} | (
                set(GOVERNORATES) if visible is None else ({scope.governorate} if scope.governorate else set())))
            services = [(spec.code, spec.name_ar if shown == "ar" else spec.name_en)
                        for spec in (catalogue.services if catalogue else ())]
            return render(shown, "monitor.html", rows=rows, rows_html=rows_html(rows, shown), now=now,
                          scope=scope, who=scope.username,
                          alerts=[(a, names[code]) for a, code in alerts if code in names],
                          governorates=[(g, _governorate_name(g, shown)) for g in governorates],
                          services=services, chosen=chosen, governorate_name=lambda g: _governorate_name(g, shown),
                          switch=f"/monitor?{urlencode(_query(shown, chosen, switch=True))}",
                          online=sum(r.online for r in rows)), 200

        body, status = await run_in_threadpool(page)
        return HTMLResponse(body, status, PAGE_HEADERS)

    @app.get("/monitor/centres/{code}", response_class=HTMLResponse, include_in_schema=False)
    async def monitor_centre(request: Request, code: str, lang: str | None = None) -> HTMLResponse:
        shown = lang_of(lang)
        scope = await run_in_threadpool(scope_of, request)
        if scope is None:
            return login(shown, request)

        def page() -> tuple[str, int]:
            now = utcnow()
            with db.sessions() as s:
                detail = centre_detail(s, scope, code[:16], now, shown) if code.isprintable() else None
            if detail is None:
                return render(shown, "monitor_unknown.html", now=now,
                              switch=f"/monitor?lang={'en' if shown == 'ar' else 'ar'}"), 404
            return render(shown, "monitor_centre.html", d=detail, row=detail.row, now=now,
                          governorate=_governorate_name(detail.row.governorate, shown),
                          switch=f"/monitor/centres/{detail.row.code}?lang={'en' if shown == 'ar' else 'ar'}",
                          peak=max([1, *(i for _d, i, _s in detail.trend)])), 200

        body, status = await run_in_threadpool(page)
        return HTMLResponse(body, status, PAGE_HEADERS)


class BadFilter(ValueError):
    def __init__(self, field: str, value: str) -> None:
        super().__init__(f"unknown {field} {value!r}")
        self.field, self.value = field, value


def service_codes(session: Session) -> set[str]:
    catalogue = catalogue_version(session)
    return {spec.code for spec in catalogue.services} if catalogue else set()


def _query(lang: Lang, chosen: Filters, *, switch: bool = False) -> dict[str, str]:
    query: dict[str, str] = {"lang": ("en" if lang == "ar" else "ar") if switch else lang}
    if chosen.governorate:
        query["governorate"] = chosen.governorate
    if chosen.service:
        query["service"] = chosen.service
    return query
