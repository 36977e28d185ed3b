"""``/docs``: Swagger UI for the OpenAPI, served from the installed ``swagger-ui-bundle-v2`` package
(issue 17, item 7). Its Swagger UI 5 reads OpenAPI 3.1, which FastAPI writes (the 4.x of the older
``swagger-ui-bundle`` cannot).

FastAPI's own ``/docs`` and ``/redoc`` load their scripts and styles from a CDN: they break on a
network without the internet and tell a third party of every visit. This page loads nothing from
elsewhere: the scripts and the style come from the package's files through ``/docs/assets/``, the
page's own start-up script from ``/docs/init.js`` (no inline script, so the Content-Security-Policy
allows scripts from this server only), and Swagger UI's online validator badge is off.
"""

from __future__ import annotations

from functools import cache

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from swagger_ui_bundle import swagger_ui_path

from sync.server.errors import ApiError

#: The files of the bundle that the page uses, with their media types (nothing else is served).
ASSETS = {"swagger-ui.css": "text/css", "swagger-ui-bundle.js": "text/javascript",
          "favicon-32x32.png": "image/png"}
DOCS_HEADERS = {
    # Swagger UI sets inline styles and draws its icons as data: images
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'; form-action 'none'",
    "Referrer-Policy": "no-referrer",
}
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - API</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"""
INIT = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    layout: "BaseLayout"
  });
});
"""


@cache
def _asset(name: str) -> bytes:
    return bytes((swagger_ui_path / name).read_bytes())


def install(app: FastAPI) -> None:
    """Serve the page; the app must be made with ``docs_url=None, redoc_url=None``."""
    page = PAGE.format(title=app.title)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page, headers=DOCS_HEADERS)

    @app.get("/docs/init.js", include_in_schema=False)
    def docs_init() -> Response:
        return Response(INIT, media_type="text/javascript", headers={"Cache-Control": "no-cache"})

    @app.get("/docs/assets/{name}", include_in_schema=False)
    def docs_asset(name: str) -> Response:
        if name not in ASSETS:
            raise ApiError(404, "not_found", "no such file of the documentation")
        return Response(_asset(name), media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=86400"})
