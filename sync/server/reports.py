"""The central server's reports over HTTP, for the people of :mod:`sync.server.accounts`, each
seeing the centres of their role (a national administrator all, a governorate supervisor their
governorate's, a centre viewer one); every view is audited:

* ``GET /v1/reports/kpis?from=YYYY-MM-DD&to=YYYY-MM-DD``: the figures as JSON
  (:mod:`sync.server.kpis` documents the shape, :mod:`sync.server.appointment_kpis` its
  ``"appointments"``); 422 for a bad period;
* ``GET /reports?from=&to=&lang=ar|en``: the same as a web page, Arabic and right to left by default;
  without a credential it answers 401 with a login form;
* ``POST /reports/login`` (form fields ``username``, ``password``) sets a session cookie (a locked
  or wrong login answers 401 with the form and the reason); ``POST /reports/logout`` clears it.

A request is a person's when it carries the session cookie of a server-side session
(:mod:`sync.server.sessions`: logout revokes it); ``Authorization: Bearer <administrator token>``
is for automation only and sees every centre. The cookie is HttpOnly,
SameSite=Strict, Secure over HTTPS, 12 hours. The token never appears in an address. Login and
logout refuse a post from another site (403).
"""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from counter_app.common.clock import local_day, utcnow
from sync.server.accounts import AccountError, Scope, audit, authenticate
from sync.server.appointment_kpis import appointment_kpis
from sync.server.db import ServerDatabase
from sync.server.inputs import form_fields
from sync.server.kpis import BadRange, central_kpis, parse_range
from sync.server.report_page import language, render_error, render_login, render_report
from sync.server.sessions import (
    COOKIE,
    SESSION_S,
    client_of,
    close_session,
    open_session,
    posted_form,
    request_scope,
    require_same_origin,
)

log = logging.getLogger(__name__)

MAX_FORM_BYTES = 4096
#: Where a login may lead besides the reports (the form's ``next``, the page that asked for the
#: login): only these pages of this server, never another site.
NEXT_PAGE = re.compile(r"/reports(/enrolment-codes|/appointments)?|/monitor(/centres/[A-Za-z0-9_-]{1,40})?")


def next_page(asked: str) -> str:
    """Where the login leads: ``asked`` when it is one of :data:`NEXT_PAGE`, else the reports."""
    return asked if NEXT_PAGE.fullmatch(asked) else "/reports"
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    # no address leaves for another site; the page's own form posts still carry a real Origin
    # (under no-referrer a browser sends "Origin: null", which the same-origin check must refuse)
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def add_report_routes(app: FastAPI, db: ServerDatabase, admin_token: str, *,
                      read_db: ServerDatabase | None = None) -> None:
    """The report routes; their figures are read on ``read_db`` (``--read-db``, a replica) when
    given. The login, sessions and the audit of each report always go to ``db``."""
    reader = read_db or db

    def scope_of_request(request: Request) -> Scope | None:
        return request_scope(db, admin_token, request)

    def period(first: str | None, last: str | None) -> tuple[date, date]:
        return parse_range(first, last, local_day(utcnow()))

    def figures(scope: Scope, start: date, end: date, request: Request, what: str) -> dict[str, Any]:
        with db.sessions.begin() as s:  # its own short write: the report's reading holds no lock
            audit(s, scope.actor, what, utcnow(), client=client_of(request), first=start.isoformat(),
                  last=end.isoformat())
        with reader.sessions() as s:  # a replica's figures lag the primary's by its replay delay
            centres = scope.centres(s)
            return {**central_kpis(s, start, end, centres), "appointments": appointment_kpis(s, start, end, centres)}

    @app.get("/v1/reports/kpis")
    def report_kpis(request: Request, first: str | None = Query(None, alias="from"),
                    last: str | None = Query(None, alias="to")) -> dict[str, Any]:
        """Key figures per governorate, centre and service for centre days ``from``..``to``, of the
        centres the caller's role sees."""
        scope = scope_of_request(request)
        if scope is None:
            raise HTTPException(401, "a login or the administrator token is required",
                                headers={"WWW-Authenticate": "Bearer"})
        try:
            start, end = period(first, last)
        except BadRange as exc:
            raise HTTPException(422, str(exc)) from exc
        return figures(scope, start, end, request, "report.kpis")

    @app.get("/reports", response_class=HTMLResponse)
    def report_page(request: Request, first: str | None = Query(None, alias="from"),
                    last: str | None = Query(None, alias="to"), lang: str | None = None) -> HTMLResponse:
        shown = language(lang)
        scope = scope_of_request(request)
        if scope is None:
            return HTMLResponse(render_login(shown, first=first or "", last=last or "", next_page="/reports"), 401, PAGE_HEADERS)
        try:
            start, end = period(first, last)
        except BadRange as exc:
            return HTMLResponse(render_error(shown, exc.key), 422, PAGE_HEADERS)
        kpis = figures(scope, start, end, request, "report.page")
        return HTMLResponse(render_report(kpis, shown, who=scope), 200, PAGE_HEADERS)

    @app.post("/reports/login", response_class=HTMLResponse)
    async def report_login(request: Request) -> Response:
        form = await posted_form(request, MAX_FORM_BYTES)

        def field(name: str) -> str:
            return (form.get(name) or [""])[0]

        shown = language(field("lang"))

        def check() -> int | str:
            with db.sessions.begin() as s:  # committed either way: the audit and the failure count
                try:
                    return authenticate(s, field("username"), field("password"), utcnow(), client_of(request)).id
                except AccountError as exc:
                    return exc.key

        outcome = await run_in_threadpool(check)
        if isinstance(outcome, str):
            log.warning("reports login refused from %s (%s)", client_of(request) or "?", outcome)
            return HTMLResponse(render_login(shown, first=field("from"), last=field("to"), failed=outcome,
                                             username=field("username"), next_page=next_page(field("next"))), 401,
                                PAGE_HEADERS)
        kept = {name: field(name) for name in ("from", "to") if field(name)}
        page = next_page(field("next"))
        response = RedirectResponse(page + "?" + urlencode({**kept, "lang": shown}), status_code=303)
        cookie = await run_in_threadpool(open_session, db, outcome)
        response.set_cookie(COOKIE, cookie, max_age=SESSION_S, path="/",
                            secure=request.url.scheme == "https", httponly=True, samesite="strict")
        return response

    @app.post("/reports/logout")
    async def report_logout(request: Request) -> Response:
        require_same_origin(request)
        await run_in_threadpool(close_session, db, request.cookies.get(COOKIE), client_of(request))
        form = form_fields((await request.body())[:MAX_FORM_BYTES])
        response = RedirectResponse("/reports?" + urlencode({"lang": language((form.get("lang") or [""])[0])}),
                                    status_code=303)
        response.delete_cookie(COOKIE, path="/", secure=request.url.scheme == "https", httponly=True,
                               samesite="strict")
        return response
