"""Domain errors of the core.

Every error carries a stable ``code`` and its parameters; :meth:`ShubbakError.message` gives the
text in the user's language through the gettext catalogue (:mod:`counter_app.common.i18n`, ids
``error.<code>``, listed in :data:`ERROR_IDS`). Parameters are never English words: a parameter
that names a field, an action or a state is a :class:`~counter_app.common.i18n.Msg` (translated
in the sentence's language), a catalogue name is a :class:`Name` (one per language), and a code
(tracking code, service code) is formatted by :mod:`counter_app.common.formatting`. A message
that shows a count is a plural entry and gets the count as ``n``.
Environment failures (database unreachable or locked) are :class:`EnvironmentFailure`, so the UI
can tell "try again" from "this is our bug".
"""

from __future__ import annotations

from typing import Any, NamedTuple

from counter_app.common.i18n import N_, Msg, gettext, has_message, isolate, lang_of, ngettext

#: The catalogue id of every code an error may carry (``error.<code>``), marked for extraction.
ERROR_IDS: frozenset[str] = frozenset({
    N_("error.generic"), N_("error.unexpected"), N_("error.not_found"), N_("error.illegal_transition"),
    N_("error.ticket_illegal"), N_("error.permission_denied"), N_("error.separation_of_duties"),
    N_("error.sod_own_request"), N_("error.sod_receiver_cannot_approve"), N_("error.sod_override_and_approve"),
    N_("error.validation"), N_("error.bad_credentials"), N_("error.account_inactive"), N_("error.account_locked"),
    N_("error.weak_password"), N_("error.cannot_disable_self"), N_("error.username_taken"),
    N_("error.database_unavailable"), N_("error.reason_required"), N_("error.tracking_code_invalid"),
    N_("error.service_inactive"), N_("error.email_invalid"), N_("error.missing_documents"),
    N_("error.unknown_documents"), N_("error.payment_required"), N_("error.payment_reference_required"),
    N_("error.already_paid"), N_("error.request_pending"), N_("error.request_decided"),
    N_("error.not_a_department_reviewer"), N_("error.catalogue_older"),
    N_("error.counter_group_unknown"), N_("error.counter_exists"), N_("error.recall_limit"),
    N_("error.recalls_pending"), N_("error.transfer_target"), N_("error.transfer_same_counter"),
    N_("error.transfer_same_group"), N_("error.intake_needs_ticket"), N_("error.intake_ticket_not_called"),
    N_("error.setting_invalid"), N_("error.applicant_name"), N_("error.applicant_phone"),
    N_("error.database_corrupt"),
    # the centre day (issue 15, item 6)
    N_("error.day_closed"), N_("error.day_reopen_needed"), N_("error.day_not_closed"),
    # refunds paid at the counter, delivery to a representative, cash received, accounts
    N_("error.sod_approver_cannot_pay"), N_("error.refund_already_paid"), N_("error.refund_not_applicant"),
    N_("error.cash_received_required"), N_("error.cash_received_short"), N_("error.collector_relation_required"),
    N_("error.payment_method_unknown"),
    N_("error.power_of_attorney_required"), N_("error.department_required"), N_("error.reset_own_password"),
    # appointments checked in at the kiosk (counter_app.core.booking)
    N_("error.booking_unknown"), N_("error.booking_checked_in"), N_("error.booking_cancelled"),
    N_("error.booking_other_day"), N_("error.booking_entry_invalid"), N_("error.booking_offline"),
})

#: Every action an error may name (``action.<name>``): the application's transitions and the
#: supervisor's actions, then the counter's actions on a ticket.
ACTION_IDS: frozenset[str] = frozenset({
    N_("action.submit"), N_("action.start_review"), N_("action.approve"), N_("action.reject"),
    N_("action.return"), N_("action.mark_ready"), N_("action.deliver"), N_("action.set_documents"),
    N_("action.pay"), N_("action.reassign"), N_("action.cancel"), N_("action.refund"), N_("action.waive"),
    N_("action.finish"), N_("action.recall"), N_("action.no_show"), N_("action.skip"), N_("action.transfer"),
})


class Name(NamedTuple):
    """A name the catalogue of services gives in both languages (a service, a department)."""

    ar: str
    en: str

    def pick(self, lang: str) -> str:
        return self.en if lang_of(lang) == "en" else self.ar


def action_msg(name: str) -> Msg:
    """An action's name inside a sentence (``action.<name>``, see :data:`ACTION_IDS`)."""
    return Msg(f"action.{name}")


class ShubbakError(Exception):
    """Base of every error the core raises on purpose."""

    code = "generic"

    def __init__(self, code: str | None = None, /, **params: Any) -> None:
        if code is not None:
            self.code = code
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "ar") -> str:
        """The error in ``lang`` ("ar" or "en"; anything else reads Arabic), fields isolated."""
        language = lang_of(lang)
        msgid = f"error.{self.code}"
        if msgid not in ERROR_IDS or not has_message(msgid, "en"):
            msgid = "error.generic"
        params: dict[str, Any] = {key: isolate(value.pick(language)) if isinstance(value, Name) else value
                                  for key, value in self.params.items()}
        count = params.get("n")
        if isinstance(count, int):
            return ngettext(msgid, count, language, **params)
        return gettext(msgid, language, **params)


class DomainError(ShubbakError):
    """A rule of the domain refused the action; nothing was changed."""


class NotFound(DomainError):
    """``what`` is a :class:`~counter_app.common.i18n.Msg` of the ``what.*`` family."""

    code = "not_found"


class IllegalTransition(DomainError):
    """An application (or a request on it) cannot take ``action`` in its ``state``.

    ``state`` is an :class:`ApplicationState` (read as ``state.<value>``) or an already chosen
    :class:`Msg`; a refusal with a sentence of its own passes its ``code`` (``already_paid``).
    """

    code = "illegal_transition"

    def __init__(self, code: str | None = None, /, *, action: str | None = None, state: str | Msg | None = None,
                 **params: Any) -> None:
        if action is not None:
            params["action"] = action_msg(action)
        if state is not None:
            params["state"] = state if isinstance(state, Msg) else Msg(f"state.{state}")
        super().__init__(code, **params)


class IllegalTicketAction(DomainError):
    """A ticket cannot take ``action`` in its ``status`` (a :class:`TicketStatus`)."""

    code = "ticket_illegal"

    def __init__(self, *, action: str, status: str) -> None:
        super().__init__(action=action_msg(action), state=Msg(f"state.ticket.{status}"))


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
    """Invalid input. Without a code of its own, ``detail`` is a ``field.*`` :class:`Msg`."""

    code = "validation"


class ApplicantFieldError(ValidationFailed):
    """One of the applicant's details is refused (rules in :mod:`counter_app.core.applicant`);
    ``field`` names the input to point at (``"name"``, ``"phone"``)."""

    def __init__(self, code: str, /, *, field: str, **params: Any) -> None:
        self.field = field
        super().__init__(code, **params)


class AuthenticationFailed(DomainError):
    code = "bad_credentials"


class EnvironmentFailure(ShubbakError):
    """The environment failed (database locked or unreachable); the action may be retried.
    ``detail`` (the driver's words) is for the log, not the user."""

    code = "database_unavailable"


class DatabaseCorrupt(ShubbakError):
    """The centre's database file is damaged (not a database, truncated, pages that fail SQLite's
    check). ``path`` is the file (a code); ``detail`` (SQLite's words) is for the log. Nothing
    retries: the file is left untouched and the message says to restore the last backup."""

    code = "database_corrupt"
