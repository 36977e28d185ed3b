"""Print errors. Environment faults (printer offline, no paper...) derive from PrinterEnvironmentError:
the job stays queued and can be retried. Anything else escaping the printers package is a bug."""

from __future__ import annotations

from printers.i18n import Lang, tr


class PrintError(Exception):
    """Base of every error the printers package raises on purpose."""

    message_id = "err.generic"

    def __init__(self, detail: str = "", **params: object) -> None:
        self.detail = detail
        self.params = params
        super().__init__(self.message("en") + (f" ({detail})" if detail else ""))

    def message(self, lang: Lang = "ar") -> str:
        """A user-facing message in Arabic or English."""
        return tr(self.message_id, lang, **self.params)


class PrinterEnvironmentError(PrintError):
    """The printer or its connection is not usable now; retrying later may succeed."""

    message_id = "err.environment"


class PrinterOffline(PrinterEnvironmentError):
    message_id = "err.offline"


class PrinterNotFound(PrinterEnvironmentError):
    message_id = "err.not_found"


class PrinterPermissionDenied(PrinterEnvironmentError):
    message_id = "err.permission"


class PaperOut(PrinterEnvironmentError):
    message_id = "err.paper_out"


class PrinterConfigError(PrintError):
    """A printer URL or option is wrong: fixing the configuration is needed, not a retry."""

    message_id = "err.config"


class JobNotFound(PrintError):
    message_id = "err.job_not_found"
