"""The enrolment-code page: ``/reports/enrolment-codes`` (Arabic first; ``?lang=en``), where a
national administrator, or a governorate supervisor for a centre of their governorate, issues a
one-time code (:mod:`sync.server.enrol_codes`) and reads it to the centre's installer.

``GET`` shows the form (the login form, 401, without a session); ``POST`` (same-origin form:
``centre``, ``governorate`` for a national administrator, ``lang``) shows the code, its centre and
when it expires, or the reason it was refused, keeping what was typed. A centre viewer is told
their role issues no codes (403).
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from counter_app.common.clock import CENTRE_TZ
from counter_app.common.governorates import GOVERNORATES
from counter_app.common.i18n import N_, Lang, gettext
from sync.server import enrol_codes
from sync.server.accounts import CENTRE, AccountError, Scope
from sync.server.db import ServerDatabase
from sync.server.errors import ApiError
from sync.server.report_page import Html, _page, language, render_login, text
from sync.server.sessions import client_of, posted_form, request_scope

PATH = "/reports/enrolment-codes"
MAX_FORM_BYTES = 4096
#: Why a code was not issued (:class:`sync.server.accounts.AccountError` keys), as messages.
REFUSALS = {"forbidden": N_("central.enrol_code_forbidden"), "bad_centre": N_("central.enrol_code_bad_centre"),
            "bad_governorate": N_("central.enrol_code_bad_governorate")}


def _ltr(value: str) -> Html:
    return Html(f'<bdi dir="ltr">{escape(value)}</bdi>')


def render_form(scope: Scope, lang: Lang, *, centre: str = "", governorate: str = "", message: str = "",
                issued: enrol_codes.IssuedCode | None = None) -> str:
    title, back_text = text("central.enrol_code_title", lang), text("central.enrol_code_back", lang)
    back = escape(urlencode({"lang": lang}))
    parts = [f"<h1>{title}</h1>", f'<p><a href="/reports?{back}">{back_text}</a></p>']
    if issued is not None:
        until = issued.expires_at.astimezone(CENTRE_TZ)  # the operators' clock, as on every central page
        day, clock = until.date().isoformat(), until.strftime("%H:%M")
        sentence = text("central.enrol_code_issued", lang, centre=_ltr(issued.centre), day=_ltr(day), time=_ltr(clock))
        parts.append(f'<p role="status">{sentence}</p><p class="code"><output dir="ltr">{escape(issued.code)}</output></p>')
    if message:
        parts.append(f'<p class="error" role="alert">{message}</p>')
    if scope.role == CENTRE:
        viewer = text("central.enrol_code_viewer", lang)
        parts.append(f'<p class="error" role="alert">{viewer}</p>')
        return _page(lang, gettext("central.enrol_code_title", lang), "\n".join(parts))
    choose = ""
    if scope.national:
        options = "".join(f'<option value="{code}"{" selected" if code == governorate else ""}>'
                          f"{escape(names[0] if lang == 'ar' else names[1])} ({code})</option>"
                          for code, names in sorted(GOVERNORATES.items()))
        label = text("central.enrol_code_governorate", lang)
        choose = (f'<label>{label} '
                  f'<select name="governorate" required><option value=""></option>{options}</select></label>')
    centre_label, issue_label = text("central.enrol_code_centre", lang), text("central.enrol_code_issue", lang)
    parts.append(f'<form class="login" method="post" action="{PATH}"><input type="hidden" name="lang" value="{lang}">'
                 f'<label>{centre_label} <input type="text" name="centre" '
                 f'value="{escape(centre[:16])}" maxlength="16" dir="ltr" required></label>{choose}'
                 f'<button type="submit">{issue_label}</button></form>')
    return _page(lang, gettext("central.enrol_code_title", lang), "\n".join(parts))


def add_routes(app: FastAPI, db: ServerDatabase, admin_token: str, headers: dict[str, str]) -> None:
    @app.get(PATH, response_class=HTMLResponse)
    def code_form(request: Request, lang: str | None = None) -> HTMLResponse:
        shown = language(lang)
        scope = request_scope(db, admin_token, request)
        if scope is None:
            return HTMLResponse(render_login(shown, next_page=PATH), 401, headers)
        return HTMLResponse(render_form(scope, shown), 403 if scope.role == CENTRE else 200, headers)

    @app.post(PATH, response_class=HTMLResponse)
    async def code_issue(request: Request) -> HTMLResponse:
        try:
            form = await posted_form(request, MAX_FORM_BYTES)
        except ApiError as exc:
            if exc.status_code != 422:
                raise  # not this page's form: answered as an empty one (a page, not JSON)
            form = {}

        def field(name: str) -> str:
            return (form.get(name) or [""])[0].strip()

        shown = language(field("lang"))
        scope = await run_in_threadpool(request_scope, db, admin_token, request)
        if scope is None:
            return HTMLResponse(render_login(shown, next_page=PATH), 401, headers)
        if scope.role == CENTRE:
            return HTMLResponse(render_form(scope, shown), 403, headers)
        centre, governorate = field("centre"), field("governorate") or None

        def issue() -> enrol_codes.IssuedCode | str:
            with db.sessions.begin() as s:  # committed either way: the issue, or the refusal's audit
                try:
                    return enrol_codes.issue(s, scope, centre, governorate, datetime.now(UTC), client_of(request))
                except AccountError as exc:
                    return exc.key

        outcome = await run_in_threadpool(issue)
        if isinstance(outcome, str):
            message = text(REFUSALS.get(outcome, "central.enrol_code_forbidden"), shown)
            page = render_form(scope, shown, centre=centre, governorate=governorate or "", message=message)
            return HTMLResponse(page, 403 if outcome == "forbidden" else 422, headers)
        return HTMLResponse(render_form(scope, shown, issued=outcome), 200, headers)
