"""The counter PC's own settings: an INI file (``counter-app --config FILE``).

::

    [app]
    lang = ar
    data_dir = /var/lib/shubbak
    counter = 1

    [printers]
    ticket = virtual:///var/lib/shubbak/virtual-printer
    receipt = tcp://192.168.1.50:9100

    [sync]
    # the app sends the outbox itself (one-PC centre); "no" where a sync-agent service does it
    in_app = yes
    ca_bundle = /etc/shubbak/central-ca.pem

    [portal]
    # the citizens' portal: printed tickets and receipts carry links to it (QR codes)
    base_url = https://portal.example.gov.eg

Printer URLs default to a virtual printer (PNG files) in the data directory, as in the demo.
Without ``[portal] base_url`` the centre's own (``shubbak centre enrol --portal``) is used; with
neither a ticket has no QR code and a receipt's QR code is the bare signed payload. A base URL that
is not an http(s) URL with a host and no query is refused with an error in the log and not used
(the counter keeps working; its codes are printed as without one).
"""

from __future__ import annotations

import configparser
import logging
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from counter_app.common.portal import InvalidPortalUrl, normalise_base_url

log = logging.getLogger(__name__)


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("shubbak", appauthor=False))


@dataclass
class AppConfig:
    path: Path | None = None
    data_dir: Path = field(default_factory=default_data_dir)
    lang: str = "ar"
    counter_number: int | None = None
    ticket_printer: str = ""
    receipt_printer: str = ""
    sync_in_app: bool = True
    sync_ca_bundle: str = ""
    #: The ``[notifications]`` section: smtp_host, smtp_port, smtp_from, ..., sms_url, sms_token
    #: (see ``counter_app.notify.senders.senders_from``); empty: messages wait for ``shubbak notify dispatch``.
    notifications: dict[str, str] = field(default_factory=dict)
    #: ``[portal] base_url``: the citizens' portal, for the printed QR codes (normalised; "" for none).
    portal_base_url: str = ""

    def __post_init__(self) -> None:
        virtual = f"virtual://{(self.data_dir / 'virtual-printer').as_posix()}"
        self.ticket_printer = self.ticket_printer or virtual
        self.receipt_printer = self.receipt_printer or virtual

    @property
    def print_jobs_dir(self) -> Path:
        return self.data_dir / "print-jobs"

    @property
    def reports_dir(self) -> Path:
        """Where the supervisor's exported reports are saved (PDF, CSV, XLSX)."""
        return self.data_dir / "reports"

    @property
    def key_path(self) -> Path:
        return self.data_dir / "centre-receipt-key.pem"

    def save(self) -> None:
        """Write the file back (the supervisor's printer settings); no-op without a file."""
        if self.path is None:
            return
        parser = configparser.ConfigParser()
        parser["app"] = {"lang": self.lang, "data_dir": str(self.data_dir)}
        if self.counter_number is not None:
            parser["app"]["counter"] = str(self.counter_number)
        parser["printers"] = {"ticket": self.ticket_printer, "receipt": self.receipt_printer}
        parser["sync"] = {"in_app": "yes" if self.sync_in_app else "no", "ca_bundle": self.sync_ca_bundle}
        if self.notifications:
            parser["notifications"] = dict(self.notifications)
        if self.portal_base_url:
            parser["portal"] = {"base_url": self.portal_base_url}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("w", encoding="utf-8") as fh:
            parser.write(fh)


def load_config(path: str | Path | None) -> AppConfig:
    if path is None:
        return AppConfig()
    file = Path(path)
    parser = configparser.ConfigParser()
    if file.exists():
        parser.read(file, encoding="utf-8")
    app = parser["app"] if parser.has_section("app") else {}
    printers = parser["printers"] if parser.has_section("printers") else {}
    sync = parser["sync"] if parser.has_section("sync") else {}
    data_dir = Path(app.get("data_dir") or file.resolve().parent / "shubbak-data")
    counter = app.get("counter")
    return AppConfig(
        path=file,
        data_dir=data_dir,
        lang=app.get("lang", "ar"),
        counter_number=int(counter) if counter and counter.isdigit() else None,
        ticket_printer=printers.get("ticket", ""),
        receipt_printer=printers.get("receipt", ""),
        sync_in_app=str(sync.get("in_app", "yes")).strip().lower() not in ("no", "false", "0", "off"),
        sync_ca_bundle=sync.get("ca_bundle", ""),
        notifications=dict(parser["notifications"]) if parser.has_section("notifications") else {},
        portal_base_url=_portal(parser, file),
    )


def _portal(parser: configparser.ConfigParser, file: Path) -> str:
    raw = parser.get("portal", "base_url", raw=True, fallback="")
    try:
        return normalise_base_url(raw)
    except InvalidPortalUrl as exc:
        log.error("%s: [portal] base_url ignored: %s", file, exc)
        return ""
