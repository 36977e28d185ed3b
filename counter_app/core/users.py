"""Users, roles and offline login against local Argon2 hashes."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from counter_app.common import formatting
from counter_app.common.i18n import Msg
from counter_app.core import audit, outbox
from counter_app.core.clock import as_utc, utcnow
from counter_app.core.errors import AuthenticationFailed, NotFound, PermissionDenied, ValidationFailed
from counter_app.core.models import Department, Role, User

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)

_hasher = PasswordHasher()


def set_hasher(hasher: PasswordHasher) -> None:
    """Replace the Argon2 parameters (tests use cheaper ones; production keeps the defaults)."""
    global _hasher
    _hasher = hasher


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed("weak_password", n=MIN_PASSWORD_LENGTH)


def create_user(session: Session, *, username: str, full_name: str, role: Role, password: str,
                department_code: str | None = None, clerk_number: str | None = None,
                created_by: int | None = None) -> User:
    username = username.strip().lower()
    if not username:
        raise ValidationFailed(detail=Msg("field.username"))
    if not full_name.strip():
        raise ValidationFailed(detail=Msg("field.full_name"))
    _check_password(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed("username_taken", username=formatting.code(username))
    department_code = (department_code or "").strip() or None
    if role == Role.REVIEWER and department_code is None:
        raise ValidationFailed("department_required")  # a reviewer without one never receives a file
    if department_code is not None and session.get(Department, department_code) is None:
        raise NotFound(what=Msg("what.department", code=formatting.code(department_code)))
    if clerk_number is None:
        highest = session.scalar(select(func.count()).select_from(User)) or 0
        clerk_number = f"{highest + 101:04d}"
    user = User(username=username, full_name=full_name.strip(), role=role,
                password_hash=hash_password(password), clerk_number=clerk_number,
                department_code=department_code, active=True, failed_logins=0, created_at=utcnow())
    session.add(user)
    session.flush()
    audit.record(session, user_id=created_by, action="user.create", entity_type="user", entity_id=user.id,
                 detail={"username": username, "role": role.value, "department": department_code})
    outbox.emit(session, "user.created", user.id,
                {"user_id": user.id, "clerk_number": clerk_number, "role": role.value})
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    """Check a login against the local hash (works offline). Failures are audited.

    After :data:`MAX_FAILED_LOGINS` wrong passwords the account is locked for :data:`LOCKOUT`.
    The caller commits even when this raises, so the failure count and audit entry persist.
    """
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    now = utcnow()
    if user is None:
        audit.record(session, user_id=None, action="login.failed", entity_type="user", entity_id=username[:64],
                     detail={"reason": "unknown_user"})
        raise AuthenticationFailed()
    if not user.active:
        audit.record(session, user_id=user.id, action="login.failed", entity_type="user", entity_id=user.id,
                     detail={"reason": "inactive"})
        raise AuthenticationFailed("account_inactive")
    if user.locked_until is not None and as_utc(user.locked_until) > now:
        minutes = int((as_utc(user.locked_until) - now).total_seconds() // 60) + 1
        raise AuthenticationFailed("account_locked", n=minutes)
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        user.failed_logins += 1
        detail: dict[str, object] = {"reason": "bad_password", "failures": user.failed_logins}
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            detail["locked"] = True
        audit.record(session, user_id=user.id, action="login.failed", entity_type="user", entity_id=user.id,
                     detail=detail)
        raise AuthenticationFailed() from None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, user_id=user.id, action="login", entity_type="user", entity_id=user.id)
    return user


def change_password(session: Session, user: User, new_password: str, *, by: User) -> None:
    if by.id != user.id:
        require_role(by, Role.ADMIN, Role.SUPERVISOR)
    _check_password(new_password)
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    audit.record(session, user_id=by.id, action="user.password", entity_type="user", entity_id=user.id)


def _may_manage(session: Session, user: User, by: User, action: str) -> None:
    """A supervisor or administrator acts on another account; only an administrator on an
    administrator's. A refusal is audited."""
    if by.role not in (Role.ADMIN, Role.SUPERVISOR) or not by.active or (
            user.role == Role.ADMIN and by.role != Role.ADMIN):
        raise PermissionDenied().audited(user_id=by.id, action=f"{action}.refused", entity_type="user",
                                         entity_id=user.id)


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and as_utc(user.locked_until) > as_utc(now or utcnow())


def unlock(session: Session, user: User, *, by: User) -> None:
    """End a lock-out after too many wrong passwords (and forget the failures), audited."""
    _may_manage(session, user, by, "user.unlock")
    was = user.locked_until
    user.locked_until = None
    user.failed_logins = 0
    audit.record(session, user_id=by.id, action="user.unlock", entity_type="user", entity_id=user.id,
                 detail={"was_locked_until": as_utc(was).isoformat() if was is not None else None})


def reset_password(session: Session, user: User, new_password: str, *, by: User) -> None:
    """A supervisor or administrator sets a temporary password for someone else: the account is
    unlocked too, and marked to change it (``must_change_password``). Audited, never the password."""
    _may_manage(session, user, by, "user.reset_password")
    if user.id == by.id:
        raise ValidationFailed("reset_own_password")
    _check_password(new_password)
    user.password_hash = hash_password(new_password)
    user.must_change_password = True
    user.locked_until = None
    user.failed_logins = 0
    audit.record(session, user_id=by.id, action="user.reset_password", entity_type="user", entity_id=user.id)


def set_active(session: Session, user: User, active: bool, *, by: User) -> None:
    """Enable or disable a login. Nobody disables themselves (the centre could lose its last
    supervisor that way) and only an administrator changes an administrator."""
    require_role(by, Role.ADMIN, Role.SUPERVISOR)
    if user.id == by.id and not active:
        raise ValidationFailed("cannot_disable_self")
    if user.role == Role.ADMIN and by.role != Role.ADMIN:
        raise PermissionDenied().audited(user_id=by.id, action="user.deactivate.refused",
                                         entity_type="user", entity_id=user.id)
    user.active = active
    audit.record(session, user_id=by.id, action="user.activate" if active else "user.deactivate",
                 entity_type="user", entity_id=user.id)


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(what=Msg("what.user", id=user_id))
    return user


def require_role(user: User, *roles: Role) -> None:
    if user.role not in roles or not user.active:
        raise PermissionDenied()


def departments(session: Session) -> list[Department]:
    """The centre's departments (a reviewer belongs to one), by code."""
    return list(session.scalars(select(Department).order_by(Department.code)))


def users(session: Session, role: Role | None = None) -> list[User]:
    stmt = select(User).order_by(User.id)
    if role is not None:
        stmt = stmt.where(User.role == role)
    return list(session.scalars(stmt))


def full_names(session: Session) -> dict[int, str]:
    """Every user's full name by id, disabled ones included (old figures name them)."""
    return {uid: name for uid, name in session.execute(select(User.id, User.full_name))}


def usernames(session: Session) -> dict[int, str]:
    """Every user's username by id, disabled ones included."""
    return {uid: name for uid, name in session.execute(select(User.id, User.username))}


def active_reviewers(session: Session) -> list[User]:
    """The reviewers who can be given a file now: active, by username."""
    return list(session.scalars(select(User).where(User.role == Role.REVIEWER, User.active.is_(True))
                                .order_by(User.username)))
