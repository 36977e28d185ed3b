"""People and roles at the central server, and the central audit of what they do.

Roles (:data:`ROLES`):

* ``national_admin``: every centre; manages people (``central-server user ...``) and issues
  enrolment codes for any centre;
* ``governorate_supervisor``: only the centres of one governorate (``governorate``, the two-digit
  code of the national ID, as the centres' own column): their reports, and enrolment codes for
  centres of that governorate;
* ``centre_viewer``: one centre's reports (``centre_code``).

Passwords: at least :data:`MIN_PASSWORD` characters, kept only as Argon2id hashes (argon2-cffi's
defaults; a hash made with older parameters is renewed at the next login).

Lockout: :data:`MAX_FAILED` wrong passwords in a row lock the account for :data:`LOCK_S` seconds
(15 minutes): while locked even the right password opens nothing; a good login clears the count,
and so does ``central-server user reset-password``. The count lives in the database row (every
worker sees it; the increment is one UPDATE, so attempts racing in several workers all count).
An unknown name costs the same hash check as a known one.

The administrator token (``--admin-token``) remains only for automation (scripts calling the API
with ``Authorization: Bearer``): it acts as a national administrator and is audited as ``token``.

Every function here takes the caller's session and never commits: the caller's one transaction
holds the action and its audit row together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from counter_app.common.governorates import GOVERNORATES
from sync.server.models import CentralAudit, CentralUser, EnrolledCentre, ReportSession

NATIONAL, GOVERNORATE, CENTRE = "national_admin", "governorate_supervisor", "centre_viewer"
ROLES = (NATIONAL, GOVERNORATE, CENTRE)
MIN_PASSWORD = 10
MAX_PASSWORD = 200
MAX_FAILED = 5
LOCK_S = 15 * 60
USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-@")

_hasher = PasswordHasher()
_DUMMY = _hasher.hash("not a password of anyone")


class AccountError(ValueError):
    """A refused account action; ``key`` names the reason (for a message in the user's language)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Scope:
    """What a person (or the administrator token) may see and do."""

    actor: str  # "user:<name>" or "token"
    role: str
    governorate: str | None = None
    centre: str | None = None
    user_id: int | None = None

    @property
    def national(self) -> bool:
        return self.role == NATIONAL

    @property
    def username(self) -> str:
        return self.actor.removeprefix("user:")

    def centres(self, session: Session) -> list[str] | None:
        """The centre codes this scope sees; None: every centre."""
        if self.national:
            return None
        if self.role == GOVERNORATE:
            return list(session.scalars(select(EnrolledCentre.code).where(
                EnrolledCentre.governorate == self.governorate)))
        return [self.centre] if self.centre else []

    def may_issue_for(self, governorate: str | None) -> bool:
        """May this scope issue an enrolment code for a centre of ``governorate``?"""
        return self.national or (self.role == GOVERNORATE and governorate == self.governorate)


TOKEN_SCOPE = Scope(actor="token", role=NATIONAL)


def audit(session: Session, actor: str, action: str, now: datetime, *, target: str | None = None,
          client: str | None = None, **detail: Any) -> None:
    session.add(CentralAudit(at=now, actor=actor[:80], action=action[:40], target=target[:80] if target else None,
                             detail=json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
                             client=client[:64] if client else None))


def normalise_username(name: str) -> str:
    return name.strip().lower()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError("short_password", f"a password has at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError("long_password", f"a password has at most {MAX_PASSWORD} characters")


def _check_scope(role: str, governorate: str | None, centre: str | None) -> None:
    if role not in ROLES:
        raise AccountError("bad_role", f"the role is one of {', '.join(ROLES)}")
    if role == GOVERNORATE and governorate not in GOVERNORATES:
        raise AccountError("bad_governorate", "a governorate supervisor needs a governorate code (e.g. 21)")
    if role == CENTRE and not (centre and len(centre) <= 16):
        raise AccountError("bad_centre", "a centre viewer needs a centre code")
    if role != GOVERNORATE and governorate is not None:
        raise AccountError("bad_governorate", "only a governorate supervisor has a governorate")
    if role != CENTRE and centre is not None:
        raise AccountError("bad_centre", "only a centre viewer has a centre")


def add_user(session: Session, username: str, password: str, role: str, now: datetime, *, actor: str,
             governorate: str | None = None, centre: str | None = None, email: str | None = None) -> CentralUser:
    name = normalise_username(username)
    if not name or len(name) > 64 or not set(name) <= USERNAME_CHARS:
        raise AccountError("bad_username", "a user name is 1-64 letters a-z, digits and . _ - @")
    _check_password(password)
    _check_scope(role, governorate, centre)
    if session.scalar(select(CentralUser.id).where(CentralUser.username == name)) is not None:
        raise AccountError("exists", f"user {name} exists already")
    email = check_email(email)
    user = CentralUser(username=name, role=role, governorate=governorate, centre_code=centre,
                       password_hash=_hasher.hash(password), disabled=False, failed_logins=0, created_at=now,
                       email=email)
    session.add(user)
    session.flush()
    audit(session, actor, "user.add", now, target=name, role=role, governorate=governorate, centre=centre)
    return user


_EMAIL_FORBIDDEN = frozenset(' ,;:<>()[]\\"')


def check_email(email: str | None) -> str | None:
    """``email`` trimmed, or None for none (empty); :class:`AccountError` ``bad_email`` unless it is
    one plain address: ``local@domain.tld``, at most 254 characters, no spaces, no list or header
    characters (``, ; < > ( ) [ ] : "``), a domain of dotted labels."""
    email = (email or "").strip()
    if not email:
        return None
    local, _, domain = email.partition("@")
    labels = domain.split(".")
    if (len(email) > 254 or not email.isprintable() or not local or len(local) > 64 or "@" in domain
            or set(email) & _EMAIL_FORBIDDEN or len(labels) < 2
            or not all(label and len(label) <= 63 and not label.startswith("-") and not label.endswith("-")
                       for label in labels)):
        raise AccountError("bad_email", f"{email[:80]!r} is not an e-mail address (like name@example.org)")
    return email


def set_email(session: Session, username: str, email: str | None, now: datetime, *, actor: str) -> str | None:
    """Where the person's alerts are mailed (:mod:`sync.server.alerts`); None or empty clears it.
    Returns the address kept (None: cleared); audited as ``user.set_email`` with the old and new."""
    user = _user(session, username)
    address = check_email(email)
    previous, user.email = user.email, address
    audit(session, actor, "user.set_email", now, target=user.username, email=address, previous=previous)
    return address


def _user(session: Session, username: str) -> CentralUser:
    user = session.scalar(select(CentralUser).where(CentralUser.username == normalise_username(username)))
    if user is None:
        raise AccountError("unknown", f"no user {normalise_username(username)}")
    return user


def end_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(ReportSession).where(ReportSession.user_id == user_id))


def disable_user(session: Session, username: str, now: datetime, *, actor: str) -> None:
    """The person can no longer log in; their open sessions end at once."""
    user = _user(session, username)
    user.disabled = True
    end_sessions(session, user.id)
    audit(session, actor, "user.disable", now, target=user.username)


def reset_password(session: Session, username: str, password: str, now: datetime, *, actor: str) -> None:
    """A new password; the lockout is cleared (and the account enabled again); open sessions end."""
    _check_password(password)
    user = _user(session, username)
    user.password_hash = _hasher.hash(password)
    user.failed_logins, user.locked_until, user.disabled = 0, None, False
    end_sessions(session, user.id)
    audit(session, actor, "user.reset_password", now, target=user.username)


def list_users(session: Session) -> list[dict[str, Any]]:
    return [{"username": u.username, "role": u.role, "governorate": u.governorate, "centre": u.centre_code,
             "email": u.email, "disabled": u.disabled, "locked_until": u.locked_until.isoformat() if u.locked_until else None}
            for u in session.scalars(select(CentralUser).order_by(CentralUser.username))]


def scope_of(user: CentralUser) -> Scope:
    return Scope(actor=f"user:{user.username}", role=user.role, governorate=user.governorate,
                 centre=user.centre_code, user_id=user.id)


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def authenticate(session: Session, username: str, password: str, now: datetime,
                 client: str | None = None) -> CentralUser:
    """The person with this name and password, else :class:`AccountError` (``bad_credentials``,
    ``locked``). Every outcome is audited; the caller commits even when it raises."""
    name = normalise_username(username)[:64]
    sound = bool(name) and set(name) <= USERNAME_CHARS  # no NUL or other byte a database refuses
    user = session.scalar(select(CentralUser).where(CentralUser.username == name)) if sound else None
    name = name if sound else "?"
    if user is None or user.disabled:
        try:
            _hasher.verify(_DUMMY, password[:MAX_PASSWORD])  # the same cost as a known name
        except VerificationError:
            pass
        audit(session, f"user:{name}", "login.refused", now, client=client, reason="unknown_or_disabled")
        raise AccountError("bad_credentials", "wrong user name or password")
    if user.locked_until is not None and _aware(user.locked_until) > now:
        audit(session, user_actor(user), "login.refused", now, client=client, reason="locked")
        raise AccountError("locked", f"the account is locked after {MAX_FAILED} failed logins")
    try:
        _hasher.verify(user.password_hash, password[:MAX_PASSWORD])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        # one UPDATE: racing attempts in several workers all count
        session.execute(update(CentralUser).where(CentralUser.id == user.id)
                        .values(failed_logins=CentralUser.failed_logins + 1))
        session.refresh(user)
        locked = user.failed_logins >= MAX_FAILED
        if locked:
            user.locked_until, user.failed_logins = now + timedelta(seconds=LOCK_S), 0
        audit(session, user_actor(user), "login.locked" if locked else "login.refused", now, client=client,
              reason="password")
        raise AccountError("bad_credentials", "wrong user name or password") from None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.failed_logins, user.locked_until = 0, None
    audit(session, user_actor(user), "login", now, client=client)
    return user


def user_actor(user: CentralUser) -> str:
    return f"user:{user.username}"
