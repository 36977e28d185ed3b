"""Server-side sessions of the report pages (a person's login, :mod:`sync.server.accounts`), and
the same-origin check of their form posts.

Logging in makes a session row; the cookie holds only a random secret (256 bits), the row only
the secret's SHA-256, so neither a copy of the database nor of the cookie store gives the other.
Logging out deletes the row: a cookie copied before logout opens nothing afterwards, in any
worker. Disabling a person or resetting their password deletes all their rows; a disabled person's
row opens nothing even if one were left.

Session times are the system clock, like the cookie's ``Max-Age`` they go with.

A browser says where a form post comes from (``Sec-Fetch-Site``, ``Origin``, ``Referer``); a post
to ``/reports/login`` or ``/reports/logout`` from another site is refused 403 ``cross_site``: no
other page can log a person in (to a session of its choosing) or out. A post with none of
these headers is not from a browser page, which is what a cross-site forgery needs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from fastapi import HTTPException
from sqlalchemy import delete
from starlette.requests import Request

from sync.server.accounts import TOKEN_SCOPE, Scope, audit, scope_of, user_actor
from sync.server.db import ServerDatabase
from sync.server.errors import ApiError
from sync.server.inputs import MAX_FORM_FIELDS, form_fields
from sync.server.models import CentralUser, ReportSession

SESSION_S = 12 * 3600
COOKIE = "shubbak_reports"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def open_session(db: ServerDatabase, user_id: int) -> str:
    """A new session of the person ``user_id``; returns the cookie's value."""
    secret = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with db.sessions.begin() as s:
        s.execute(delete(ReportSession).where(ReportSession.expires_at < now))  # ended ones
        s.add(ReportSession(digest=_digest(secret), user_id=user_id, created_at=now,
                            expires_at=now + timedelta(seconds=SESSION_S)))
    return secret


def session_scope(db: ServerDatabase, cookie: str | None) -> Scope | None:
    """The scope of the person whose live session this cookie is; None when it is none."""
    if not cookie or len(cookie) > 200:
        return None
    with db.sessions() as s:
        row = s.get(ReportSession, _digest(cookie))
        if row is None:
            return None
        expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
        user = s.get(CentralUser, row.user_id)
        if datetime.now(UTC) >= expires or user is None or user.disabled:
            return None
        return scope_of(user)


def request_scope(db: ServerDatabase, admin_token: str, request: Request) -> Scope | None:
    """Who sends this request: the administrator token (``Authorization: Bearer``, automation only,
    national), else the person of the session cookie; None: nobody known."""
    header = request.headers.get("authorization")
    if header is not None:
        expected = f"Bearer {admin_token}".encode()
        return TOKEN_SCOPE if admin_token and hmac.compare_digest(header.encode("utf-8", "replace"), expected) else None
    return session_scope(db, request.cookies.get(COOKIE))


def client_of(request: Request) -> str | None:
    return request.client.host if request.client else None


def close_session(db: ServerDatabase, cookie: str | None, client: str | None = None) -> None:
    """Logout: the session ends for every copy of its cookie."""
    if cookie and len(cookie) <= 200:
        with db.sessions.begin() as s:
            row = s.get(ReportSession, _digest(cookie))
            if row is None:
                return
            user = s.get(CentralUser, row.user_id)
            s.execute(delete(ReportSession).where(ReportSession.digest == row.digest))
            if user is not None:
                audit(s, user_actor(user), "logout", datetime.now(UTC), client=client)


def require_same_origin(request: Request) -> None:
    """403 ``cross_site`` when a browser posts this form from another page than the server's own.

    The browser's own word first (``Sec-Fetch-Site``, sent by every current browser); then
    ``Origin`` (``null`` from a sandboxed frame or a data: page is refused), then ``Referer``.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        if site not in ("same-origin", "none"):  # "none": the user's own action (typed, bookmarked)
            raise ApiError(403, "cross_site", "this form can only be sent from the server's own pages")
        return
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is not None and _host(origin) != _host_of(request):
        raise ApiError(403, "cross_site", "this form can only be sent from the server's own pages")


def _host(url: str) -> str | None:
    """``host[:port]`` of an origin or address; None for ``null`` or nonsense."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return parts.netloc.lower()


def _host_of(request: Request) -> str:
    return (request.headers.get("host") or request.url.netloc).lower()


async def posted_form(request: Request, limit: int, max_fields: int = MAX_FORM_FIELDS) -> dict[str, list[str]]:
    """A form posted from the server's own pages: 403 ``cross_site`` from another site
    (:func:`require_same_origin`), 413 beyond ``limit`` bytes, 422 for a body that is no form of ours
    (:func:`~sync.server.inputs.form_fields`; at most ``max_fields`` fields)."""
    require_same_origin(request)
    body = await request.body()
    if len(body) > limit:
        raise HTTPException(413, "form too large")
    return form_fields(body, max_fields)
