"""One-time enrolment codes: a centre registers its key without any shared secret.

A national administrator (or the governorate supervisor, for a centre of their governorate)
issues a code for one named centre (``POST /v1/enrolment-codes`` with their session, the
administrator token for automation, or ``central-server enrol-code issue --centre C``). The
installer types it into ``shubbak centre enrol --code CODE``, which sends the centre's public
keys with it to ``POST /v1/centres/enrol-with-code``.

* A code is 16 characters of Crockford's base32 (80 random bits) in four groups of four
  (``7K2M-...``); typing is forgiving (case, spaces, dashes; O for 0, I and L for 1). The server
  keeps only its SHA-256.
* It expires :data:`VALID_S` (48 h) after it was issued, and is used once: the use is one
  conditional UPDATE (``used_at IS NULL AND expires_at > now AND centre = C``) in the transaction
  that stores the centre's key, so of two enrolments racing with one code exactly one wins, on
  SQLite and PostgreSQL alike; the loser changes nothing.
* It is for its centre only: another centre's enrolment with it is refused and leaves it unused.
* Two codes for the same NEW centre used at the same moment: both spend their code and insert the
  centre; the second insert fails on the centre's key, so its whole transaction (its code's use
  too) rolls back and it is refused with 409 ``enrolled_meanwhile``: its code stays **usable**
  (re-enrolling with it later replaces the key, as any code for an enrolled centre does; the
  message says so), rather than silently replacing a key stored a moment ago.
* The centre's governorate is the code's (the issuer's word), not the centre's claim.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Body, FastAPI, Request
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from counter_app.common.governorates import GOVERNORATES
from sync.server.accounts import AccountError, Scope, audit
from sync.server.db import ServerDatabase
from sync.server.errors import ApiError
from sync.server.models import EnrolledCentre, EnrolmentCode
from sync.server.sessions import client_of, request_scope, require_same_origin

VALID_S = 48 * 3600
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
LENGTH = 16
_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1"})


@dataclass(frozen=True)
class IssuedCode:
    code: str
    centre: str
    governorate: str | None
    expires_at: datetime


def normalise(code: str) -> str:
    """The code as stored (digested): upper case, no spaces or dashes, typing slips mended."""
    return "".join(c for c in code.upper() if c not in " -\t").translate(_TYPOS)[:64]


def _digest(code: str) -> str:
    return hashlib.sha256(f"shubbak-enrol|{normalise(code)}".encode("utf-8", "replace")).hexdigest()


def issue(session: Session, scope: Scope, centre: str, governorate: str | None, now: datetime,
          client: str | None = None) -> IssuedCode:
    """A new code for ``centre``; a governorate supervisor's is always for their governorate, and
    only for a centre not already enrolled in another. Raises :class:`AccountError`."""
    centre = centre.strip().upper()
    if not centre or len(centre) > 16 or not centre.replace("-", "").isalnum():  # the centres' own rule
        raise AccountError("bad_centre", "a centre code is 1-16 letters, digits and dashes")
    existing = session.get(EnrolledCentre, centre)
    if governorate is None and scope.role != "national_admin":
        governorate = scope.governorate
    if governorate is None and existing is not None:
        governorate = existing.governorate
    if governorate is not None and governorate not in GOVERNORATES:
        raise AccountError("bad_governorate", f"unknown governorate code {governorate!r}")
    if not scope.may_issue_for(governorate) or (
            existing is not None and not scope.national and existing.governorate != governorate):
        audit(session, scope.actor, "enrol_code.refused", now, target=centre, client=client, governorate=governorate)
        raise AccountError("forbidden", "you may issue codes only for the centres of your governorate")
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    code = "-".join(raw[i:i + 4] for i in range(0, LENGTH, 4))
    expires = now + timedelta(seconds=VALID_S)
    session.add(EnrolmentCode(digest=_digest(code), centre_code=centre, governorate=governorate,
                              issued_by=scope.actor, issued_at=now, expires_at=expires))
    audit(session, scope.actor, "enrol_code.issue", now, target=centre, client=client, governorate=governorate,
          expires_at=expires.isoformat())
    return IssuedCode(code, centre, governorate, expires)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def use(session: Session, code: str, centre: str, now: datetime, client: str | None = None) -> str | None:
    """Spends ``code`` for ``centre`` (in the caller's transaction); returns the governorate the
    centre is enrolled in. :class:`AccountError` keys: ``unknown_code``, ``wrong_centre``,
    ``expired_code``, ``used_code``; a refusal is audited and spends nothing."""
    digest = _digest(code)
    spent = session.execute(
        update(EnrolmentCode)
        .where(EnrolmentCode.digest == digest, EnrolmentCode.centre_code == centre,
               EnrolmentCode.used_at.is_(None), EnrolmentCode.expires_at > now)
        .values(used_at=now))
    row = session.scalar(select(EnrolmentCode).where(EnrolmentCode.digest == digest))
    if spent.rowcount == 1 and row is not None:  # type: ignore[attr-defined]
        audit(session, f"centre:{centre}", "centre.enrol", now, target=centre, client=client, by="code",
              issued_by=row.issued_by)
        return row.governorate
    if row is None:
        key, message = "unknown_code", "no such enrolment code"
    elif row.centre_code != centre:
        key, message = "wrong_centre", "this enrolment code is for another centre"
    elif row.used_at is not None:
        key, message = "used_code", "this enrolment code was used already"
    else:
        key, message = "expired_code", "this enrolment code has expired; ask for a new one"
    audit(session, f"centre:{centre}", "centre.enrol_refused", now, target=centre, client=client, reason=key)
    raise AccountError(key, message)


def add_routes(app: FastAPI, db: ServerDatabase, admin_token: str) -> None:
    @app.post("/v1/enrolment-codes", status_code=201)
    def issue_code(request: Request, payload: dict[str, Any] = Body(...)) -> dict[str, Any]:
        """A one-time enrolment code for the centre ``centre`` (and ``governorate``: a national
        administrator's choice; a governorate supervisor's is always theirs). 401 without a login
        or the administrator token; 403 for a centre outside the caller's governorate or a role that
        issues none."""
        scope = request_scope(db, admin_token, request)
        if scope is None:
            raise ApiError(401, "unauthenticated", "a login or the administrator token is required")
        if scope.actor != "token":
            require_same_origin(request)  # a person's cookie: only the server's own pages may post
        centre, governorate = payload.get("centre"), payload.get("governorate")
        if not isinstance(centre, str) or (governorate is not None and not isinstance(governorate, str)):
            raise ApiError(422, "bad_centre", "centre (text) and governorate (text, optional) are needed")
        refused: AccountError | None = None
        with db.sessions.begin() as s:
            try:
                issued = issue(s, scope, centre, governorate, datetime.now(UTC), client_of(request))
            except AccountError as exc:
                refused = exc  # committed: the refusal's audit
        if refused is not None:
            raise ApiError(403 if refused.key == "forbidden" else 422, refused.key, str(refused))
        return {"code": issued.code, "centre": issued.centre, "governorate": issued.governorate,
                "expires_at": issued.expires_at.isoformat()}
