"""Bounded request bodies: the central server never reads more of a body than its route needs, and
refuses what it can from the headers alone, before a byte of the body is read.

:class:`BodyLimits` is a plain ASGI middleware in front of the app. For every request it

* answers 401 at once when the route takes an administrator's body (enrolment, catalogue publishing)
  and the ``Authorization`` header is not the administrator's: FastAPI would otherwise read and
  parse the whole body before the handler checked the token;
* answers 413 ``body_too_large`` at once when ``Content-Length`` announces more than the route's
  limit;
* counts the body as the app reads it (a chunked body has no length to check) and stops it with
  413 ``body_too_large`` at the first piece past the limit.

A signed push (``POST /v1/events``) is checked in the app itself, still from the headers first
(the centre's code and signature present, the centre enrolled) before its body is read; its body
is then inflated with a cap (:func:`sync.protocol.inflate`, 413 ``inflated_too_large``), and a
batch of more events than an agent sends is refused whole (413 ``too_many_events``).

A body refused before it is read is never buffered: uvicorn pauses reading past 64 KiB while the app
does not read, and drops the rest once the answer is sent.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync import protocol
from sync.server.errors import ApiError, body

#: A push: the agent's largest batch is ~525 KB of JSON before compression (500 events or
#: MAX_BATCH_BYTES, whichever comes first, measured with incompressible payloads it is ~380 KB
#: compressed); gzip never grows a body by more than a few bytes per 16 KB, so 1 MiB is twice the
#: worst case a genuine centre can send.
EVENTS_BODY = 2 * protocol.MAX_BATCH_BYTES
#: A catalogue: the shipped one is 24 KB for 13 services (~1.8 KB a service); 4 MiB holds ~2,000.
CATALOGUE_BODY = 4 * 1024 * 1024
#: An enrolment: a code, a name, a governorate and two PEM public keys (~120 bytes each).
ENROL_BODY = 16 * 1024
#: A receipt's QR payload is ~150 bytes.
RECEIPT_BODY = 4 * 1024
#: The reports login / logout form (a token, a period and a language).
FORM_BODY = 4 * 1024
#: A heartbeat (sync.protocol.Heartbeat): ~700 bytes of JSON at most.
HEARTBEAT_BODY = protocol.MAX_HEARTBEAT_BYTES
#: Any other request (the GETs carry no body; a signed GET signs an empty one).
OTHER_BODY = 16 * 1024

#: The most a body may hold, by (method, path).
BODY_LIMITS: Mapping[tuple[str, str], int] = {
    ("POST", "/v1/events"): EVENTS_BODY,
    ("POST", "/v1/catalogue"): CATALOGUE_BODY,
    ("POST", "/v1/centres/enrol"): ENROL_BODY,
    ("POST", "/v1/centres/enrol-with-code"): ENROL_BODY,
    ("POST", "/v1/enrolment-codes"): FORM_BODY,
    ("POST", "/v1/receipts/verify"): RECEIPT_BODY,
    ("POST", protocol.HEARTBEAT_PATH): HEARTBEAT_BODY,
    ("POST", "/reports/login"): FORM_BODY,
    ("POST", "/reports/logout"): FORM_BODY,
    ("POST", "/reports/enrolment-codes"): FORM_BODY,
}
#: Routes whose body only an administrator may send: the token is checked before the body is read.
ADMIN_BODIES = frozenset({("POST", "/v1/catalogue"), ("POST", "/v1/centres/enrol")})


def body_limit(method: str, path: str) -> int:
    return BODY_LIMITS.get((method, path), OTHER_BODY)


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, "body_too_large", f"the request body is over {limit} bytes")


def inflated_too_large(exc: protocol.BatchTooLarge) -> ApiError:
    return ApiError(413, "inflated_too_large", str(exc))


def is_admin(authorization: str | None, admin_token: str) -> bool:
    """Whether an ``Authorization`` header is the administrator's (in constant time)."""
    return bool(admin_token and authorization) and hmac.compare_digest(
        (authorization or "").encode("utf-8", "replace"), f"Bearer {admin_token}".encode())


def _content_length(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


class BodyLimits:
    """The ASGI middleware described in the module's docstring."""

    def __init__(self, app: ASGIApp, admin_token: str) -> None:
        self.app = app
        self.admin_token = admin_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = (scope["method"], scope["path"])
        limit = body_limit(*route)
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        if route in ADMIN_BODIES and not is_admin(headers.get("authorization"), self.admin_token):
            await _refuse(send, 401, "unauthenticated", "administrator token required",
                          {"www-authenticate": "Bearer"})
            return
        length = _content_length(headers.get("content-length"))
        if length is not None and length > limit:
            await _refuse(send, 413, "body_too_large", f"the request body is over {limit} bytes")
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # raised inside the app: its error handler answers 413
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)


async def _refuse(send: Send, status: int, code: str, message: str, extra: Mapping[str, str] | None = None) -> None:
    """Answer without calling the app, in the server's one error shape."""
    content = json.dumps(body(code, message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
    headers += [(name.encode(), value.encode()) for name, value in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})
