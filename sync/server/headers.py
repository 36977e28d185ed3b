"""Security headers on every answer of the central server (issue 17, item 7).

* ``Strict-Transport-Security`` on every answer to a request that came over HTTPS (uvicorn with a
  certificate, or a reverse proxy on the same host that says so in ``X-Forwarded-Proto``, which
  uvicorn trusts from 127.0.0.1 only): a browser that saw it once never again talks to the server
  in clear, so a network in the middle cannot strip TLS. Never over plain HTTP, where it means
  nothing and would only mislead.
* ``X-Content-Type-Options: nosniff`` on every answer: a JSON answer that echoes a field is never
  run as a page.
* On HTML answers, what an old browser needs besides the pages' own Content-Security-Policy
  (``frame-ancestors 'none'``, :data:`sync.server.reports.PAGE_HEADERS`): ``X-Frame-Options: DENY``
  and ``Referrer-Policy: no-referrer``. A header a route set itself is kept.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: One year, the subdomains too (the server has its own name; nothing under it speaks plain HTTP).
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """Pure ASGI (a streamed answer is not buffered, unlike ``@app.middleware``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if secure:
                    headers["Strict-Transport-Security"] = HSTS
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("X-Frame-Options", "DENY")
                    headers.setdefault("Referrer-Policy", "no-referrer")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    app.add_middleware(SecurityHeaders)
