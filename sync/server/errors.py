"""One error shape for every refusal of the central server::

    {"error": "<code>", "message": "<for a person, English>"}

``code`` is stable (an agent or a test decides on it); ``message`` says what was wrong. Raise
:class:`ApiError`; FastAPI's own refusals (a path not found, a body that fails its schema) and
Starlette's are given the same shape by :func:`install`. The one exception: a path not found
outside the API (``/v1/``), asked with GET or HEAD, gets the portal's page in the reader's language
(:func:`is_api_path`, ``sync.server.portal.install``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

#: The code of a refusal raised without one, by its status.
DEFAULT_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
                 422: "invalid", 429: "rate_limited", 500: "internal_error", 503: "unavailable"}


class ErrorBody(BaseModel):
    """The body of every refusal (documented on each operation of the OpenAPI)."""

    error: str = Field(description="a stable code an agent or a script decides on", examples=["invalid"])
    message: str = Field(description="what was wrong, for a person (English)")


class ApiError(StarletteHTTPException):
    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status, message, dict(headers) if headers else None)
        self.code = code


def body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **extra}


def is_api_path(path: str) -> bool:
    """Paths whose refusals are always this JSON shape, whatever asks."""
    return path == "/v1" or path.startswith("/v1/")


def refusal(exc: StarletteHTTPException) -> JSONResponse:
    code = getattr(exc, "code", None) or DEFAULT_CODES.get(exc.status_code, "error")
    return JSONResponse(body(code, str(exc.detail)), exc.status_code, headers=exc.headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def refused(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return refusal(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors())
        return JSONResponse(body("invalid", problems or "invalid request"), 422)

    @app.exception_handler(Exception)
    async def failed(_request: Request, _exc: Exception) -> JSONResponse:
        """A bug: the same shape, no detail (the traceback goes to the server's log)."""
        return JSONResponse(body("internal_error", "the server failed; the error is logged"), 500)
