"""Domain errors of the core.

Every error carries a stable ``code`` and its parameters; :meth:`DomainError.message` gives the
text in the user's language through the gettext catalogue (:mod:`counter_app.common.i18n`, ids
``error.<code>``); a parameter that names a field, an action or a state is a
:class:`~counter_app.common.i18n.Msg`, so it reads in the user's language too.
Environment failures (database unreachable or locked) are :class:`EnvironmentFailure`, so the UI
can tell "try again" from "this is our bug".
"""

from __future__ import annotations

from typing import Any


class ShubbakError(Exception):
    """Base of every error the core raises on purpose."""

    code = "generic"

    def __init__(self, code: str | None = None, /, **params: Any) -> None:
        if code is not None:
            self.code = code
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "ar") -> str:
        from counter_app.common.i18n import gettext, has_message, lang_of

        msgid = f"error.{self.code}"
        if not has_message(msgid, "en"):
            msgid = "error.generic"
        return gettext(msgid, lang_of(lang), **self.params)


class DomainError(ShubbakError):
    """A rule of the domain refused the action; nothing was changed."""


class NotFound(DomainError):
    code = "not_found"


class IllegalTransition(DomainError):
    code = "illegal_transition"


class PermissionDenied(DomainError):
    """Refused for want of a right. ``attempt``, when set, is recorded in the audit log.

    The refused transaction is rolled back, so :meth:`Database.begin` records the attempt in a
    transaction of its own (``attempt`` holds the keyword arguments of ``audit.record``).
    """

    code = "permission_denied"
    attempt: dict[str, Any] | None = None

    def audited(self, **attempt: Any) -> PermissionDenied:
        self.attempt = attempt
        return self


class SeparationOfDutiesViolation(PermissionDenied):
    code = "separation_of_duties"


class ValidationFailed(DomainError):
    code = "validation"


class AuthenticationFailed(DomainError):
    code = "bad_credentials"


class EnvironmentFailure(ShubbakError):
    """The environment failed (database locked or unreachable); the action may be retried."""

    code = "database_unavailable"
