"""Print errors. Environment faults (printer offline, no paper...) derive from PrinterEnvironmentError:
the job stays queued and can be retried. Anything else escaping the printers package is a bug.

Each error's text is the catalogue message ``message_id`` (``resources/locale``), in the language
asked for; as a field of another message (``gettext(..., error=exc)``) it is translated in that
message's language, since :func:`counter_app.common.i18n.field_text` calls :meth:`PrintError.message`.
"""

from __future__ import annotations

from typing import Any

from counter_app.common.i18n import N_, Lang, gettext


class PrintError(Exception):
    """Base of every error the printers package raises on purpose."""

    message_id = N_("print.err.generic")

    def __init__(self, detail: str = "", **params: Any) -> None:
        self.detail = detail
        self.params: dict[str, Any] = params
        super().__init__(self.message("en") + (f" ({detail})" if detail else ""))

    def message(self, lang: Lang = "ar") -> str:
        """A user-facing message in Arabic or English."""
        return gettext(self.message_id, lang, **self.params)


class PrinterEnvironmentError(PrintError):
    """The printer or its connection is not usable now; retrying later may succeed."""

    message_id = N_("print.err.environment")


class PrinterOffline(PrinterEnvironmentError):
    message_id = N_("print.err.offline")


class PrinterNotFound(PrinterEnvironmentError):
    message_id = N_("print.err.not_found")


class PrinterPermissionDenied(PrinterEnvironmentError):
    message_id = N_("print.err.permission")


class PaperOut(PrinterEnvironmentError):
    message_id = N_("print.err.paper_out")


class PrinterConfigError(PrintError):
    """A printer URL or option is wrong: fixing the configuration is needed, not a retry."""

    message_id = N_("print.err.config")


class JobNotFound(PrintError):
    message_id = N_("print.err.job_not_found")
