"""Server-side sessions of the ``/reports`` page, and the same-origin check of its form posts.

Logging in makes a session row; the cookie holds only a random secret (256 bits), the row only
the secret's SHA-256, so neither a copy of the database nor of the cookie store gives the other.
Logging out deletes the row: a cookie copied before logout opens nothing afterwards, in any
worker. The row also holds an HMAC of its digest by the administrator token, so a changed token
ends every session, and a row written into the database by someone without the token opens
nothing.

Session times are the system clock, like the cookie's ``Max-Age`` they go with.

A browser says where a form post comes from (``Sec-Fetch-Site``, ``Origin``, ``Referer``); a post
to ``/reports/login`` or ``/reports/logout`` from another site is refused 403 ``cross_site``: no
other page can log an administrator in (to a session of its choosing) or out. A post with none of
these headers is not from a browser page, which is what a cross-site forgery needs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete
from starlette.requests import Request

from sync.server.db import ServerDatabase
from sync.server.errors import ApiError
from sync.server.models import ReportSession

SESSION_S = 12 * 3600


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def _grant(admin_token: str, digest: str) -> str:
    return hmac.new(admin_token.encode(), f"shubbak-reports|{digest}".encode(), hashlib.sha256).hexdigest()


def open_session(db: ServerDatabase, admin_token: str) -> str:
    """A new session; returns the cookie's value."""
    secret = secrets.token_urlsafe(32)
    digest = _digest(secret)
    now = datetime.now(UTC)
    with db.sessions.begin() as s:
        s.execute(delete(ReportSession).where(ReportSession.expires_at < now))  # ended ones
        s.add(ReportSession(digest=digest, grant=_grant(admin_token, digest), created_at=now,
                            expires_at=now + timedelta(seconds=SESSION_S)))
    return secret


def session_valid(db: ServerDatabase, admin_token: str, cookie: str | None) -> bool:
    if not cookie or not admin_token or len(cookie) > 200:
        return False
    digest = _digest(cookie)
    with db.sessions() as s:
        row = s.get(ReportSession, digest)
        if row is None:
            return False
        expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
        return datetime.now(UTC) < expires and hmac.compare_digest(row.grant, _grant(admin_token, digest))


def close_session(db: ServerDatabase, cookie: str | None) -> None:
    """Logout: the session ends for every copy of its cookie."""
    if cookie and len(cookie) <= 200:
        with db.sessions.begin() as s:
            s.execute(delete(ReportSession).where(ReportSession.digest == _digest(cookie)))


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
