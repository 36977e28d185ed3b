"""The citizens' portal (issue 18): server-rendered pages at the central server's root.

Arabic first, right to left; English by ``?lang=en`` (remembered in a cookie). Jinja2 templates in
``templates/`` with autoescape; every text from the gettext catalogue (ids ``portal.*``) through
``text(msgid, **fields)`` (``ntext(msgid, n, **fields)`` for plurals) in the request's language (fields are isolated by the mechanism). No CDN
and no external request: one style sheet and, on the live pages only, one small script under
``/static/`` (a page works without it). Nothing personal on any page.

Each page answers with :data:`CSP` (no inline script or style) and ``Cache-Control``; the
security headers of every answer (HSTS under TLS, nosniff, frame options) are
:mod:`sync.server.headers`'. The pages are not in the OpenAPI document (``include_in_schema=False``).

A path that is no page (``/nope``, ``/t/``) answers 404 with a page in the reader's language and a
link home; under ``/v1/`` (the API), for a method other than GET or HEAD, and when a route refuses
with an ``ApiError`` of its own, a 404 keeps the API's JSON shape (:mod:`sync.server.errors`).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from counter_app.common.i18n import Lang, gettext, lang_of, ngettext
from sync.server import errors

#: No inline script or style anywhere; only this server's own files; no frames of the portal.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
LANG_COOKIE = "lang"
_STATIC = files("sync.server.portal") / "static"
_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon"}

templates = Environment(
    loader=FileSystemLoader(str(files("sync.server.portal") / "templates")),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True, lstrip_blocks=True, auto_reload=False,
)


def request_lang(request: Request) -> Lang:
    """``?lang=`` first, then the cookie the switch set; Arabic by default."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return lang_of(asked)


def switch_url(request: Request, lang: Lang) -> str:
    """This page in the other language (its other query fields kept)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    query.append(("lang", "en" if lang == "ar" else "ar"))
    return f"{request.url.path}?{urlencode(query)}"


def translator(lang: Lang) -> tuple[Callable[..., str], Callable[..., str]]:
    def t(msgid: str, /, **fields: Any) -> str:
        return gettext(msgid, lang, **fields)

    def nt(msgid: str, count: int, /, **fields: Any) -> str:  # positional: the text's own field is often ``n``
        return ngettext(msgid, count, lang, **fields)

    return t, nt


def render(request: Request, template: str, *, status: int = 200, cache: str = "no-cache",
           **context: Any) -> HTMLResponse:
    """A page in the request's language, with the portal's headers."""
    lang = request_lang(request)
    t, nt = translator(lang)
    body = templates.get_template(template).render(
        lang=lang, dir="rtl" if lang == "ar" else "ltr", text=t, ntext=nt, path=request.url.path,
        switch_url=switch_url(request, lang), **context)
    response = HTMLResponse(body, status_code=status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = cache
    response.headers["Content-Language"] = lang
    asked = request.query_params.get("lang")
    if asked in ("ar", "en") and asked != request.cookies.get(LANG_COOKIE):
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 86400, samesite="lax",
                            secure=request.url.scheme == "https", httponly=True)
    return response


def static_file(name: str) -> Response:
    """One of the portal's own files (cached a day; the pages name them with a version)."""
    suffix = name[name.rfind("."):] if "." in name else ""
    path = _STATIC / name
    if "/" in name or name.startswith(".") or suffix not in _STATIC_TYPES or not path.is_file():
        return Response(status_code=404)
    return Response(path.read_bytes(), media_type=_STATIC_TYPES[suffix],
                    headers={"Cache-Control": "public, max-age=86400"})


def install(app: FastAPI) -> None:
    """The portal's shared routes: its files and the home page. The feature pages add their own
    (``sync.server.portal.<feature>.add_routes``)."""

    @app.get("/static/{name}", include_in_schema=False)
    def portal_static(name: str) -> Response:
        return static_file(name)

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        return render(request, "home.html")

    @app.exception_handler(404)  # before the class handler of sync.server.errors (Starlette's order)
    async def not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        api = errors.is_api_path(request.url.path) or isinstance(exc, errors.ApiError)  # a route's own refusal
        if api or request.method not in ("GET", "HEAD"):
            return errors.refusal(exc)
        return render(request, "not_found.html", status=404, cache="no-store")
