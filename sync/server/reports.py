"""The central server's reports over HTTP (administrator only):

* ``GET /v1/reports/kpis?from=YYYY-MM-DD&to=YYYY-MM-DD``: the figures as JSON
  (:mod:`sync.server.kpis` documents the shape); 422 for a bad period;
* ``GET /reports?from=&to=&lang=ar|en``: the same as a web page, Arabic and right to left by default;
  without a credential it answers 401 with a login form;
* ``POST /reports/login`` (form field ``token``) sets a session cookie; ``POST /reports/logout``
  clears it.

A request is the administrator's when it carries ``Authorization: Bearer <token>`` or the session
cookie of a server-side session (:mod:`sync.server.sessions`: logout revokes it): HttpOnly,
SameSite=Strict, Secure over HTTPS, 12 hours. The token never appears in an address. Login and
logout refuse a post from another site (403).
"""

from __future__ import annotations

import hmac
import logging
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from counter_app.common.clock import local_day, utcnow
from sync.server.db import ServerDatabase
from sync.server.inputs import form_fields
from sync.server.kpis import BadRange, central_kpis, parse_range
from sync.server.report_page import language, render_error, render_login, render_report
from sync.server.sessions import SESSION_S, close_session, open_session, require_same_origin, session_valid

log = logging.getLogger(__name__)

COOKIE = "shubbak_reports"
MAX_FORM_BYTES = 4096
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    # no address leaves for another site; the page's own form posts still carry a real Origin
    # (under no-referrer a browser sends "Origin: null", which the same-origin check must refuse)
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())


def add_report_routes(app: FastAPI, db: ServerDatabase, admin_token: str) -> None:
    def authorised(request: Request) -> bool:
        if not admin_token:
            return False
        header = request.headers.get("authorization")
        if header is not None:
            return _same(header, f"Bearer {admin_token}")
        return session_valid(db, admin_token, request.cookies.get(COOKIE))

    def period(first: str | None, last: str | None) -> tuple[date, date]:
        return parse_range(first, last, local_day(utcnow()))

    @app.get("/v1/reports/kpis")
    def report_kpis(request: Request, first: str | None = Query(None, alias="from"),
                    last: str | None = Query(None, alias="to")) -> dict[str, Any]:
        """Key figures per governorate, centre and service for centre days ``from``..``to``."""
        if not authorised(request):
            raise HTTPException(401, "administrator token required", headers={"WWW-Authenticate": "Bearer"})
        try:
            start, end = period(first, last)
        except BadRange as exc:
            raise HTTPException(422, str(exc)) from exc
        with db.sessions() as s:
            return central_kpis(s, start, end)

    @app.get("/reports", response_class=HTMLResponse)
    def report_page(request: Request, first: str | None = Query(None, alias="from"),
                    last: str | None = Query(None, alias="to"), lang: str | None = None) -> HTMLResponse:
        shown = language(lang)
        if not authorised(request):
            return HTMLResponse(render_login(shown, first=first or "", last=last or ""), 401, PAGE_HEADERS)
        try:
            start, end = period(first, last)
        except BadRange as exc:
            return HTMLResponse(render_error(shown, exc.key), 422, PAGE_HEADERS)
        with db.sessions() as s:
            figures = central_kpis(s, start, end)
        return HTMLResponse(render_report(figures, shown), 200, PAGE_HEADERS)

    @app.post("/reports/login", response_class=HTMLResponse)
    async def report_login(request: Request) -> Response:
        require_same_origin(request)
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, "form too large")
        form = form_fields(body)

        def field(name: str) -> str:
            return (form.get(name) or [""])[0]

        shown = language(field("lang"))
        if not admin_token or not _same(field("token"), admin_token):
            log.warning("reports login refused from %s", request.client.host if request.client else "?")
            return HTMLResponse(render_login(shown, first=field("from"), last=field("to"), failed=True), 401,
                                PAGE_HEADERS)
        kept = {name: field(name) for name in ("from", "to") if field(name)}
        response = RedirectResponse("/reports?" + urlencode({**kept, "lang": shown}), status_code=303)
        cookie = await run_in_threadpool(open_session, db, admin_token)
        response.set_cookie(COOKIE, cookie, max_age=SESSION_S, path="/",
                            secure=request.url.scheme == "https", httponly=True, samesite="strict")
        return response

    @app.post("/reports/logout")
    async def report_logout(request: Request) -> Response:
        require_same_origin(request)
        await run_in_threadpool(close_session, db, request.cookies.get(COOKIE))
        form = form_fields((await request.body())[:MAX_FORM_BYTES])
        response = RedirectResponse("/reports?" + urlencode({"lang": language((form.get("lang") or [""])[0])}),
                                    status_code=303)
        response.delete_cookie(COOKIE, path="/", secure=request.url.scheme == "https", httponly=True,
                               samesite="strict")
        return response
