"""Shubbak printing: layouts, Qt rendering to a 1-bit raster, ESC/POS through python-escpos,
A4 PDFs, signed receipt QR payloads and a persistent print-job queue.

Takes plain data (``printers.data``); never imports ``counter_app.core``. Its texts come from the
one gettext catalogue and its values from the formatters of ``counter_app.common`` (a Qt-free leaf).
"""

from counter_app.common.signing import (
    InvalidReceiptPayload,
    ReceiptClaim,
    generate_key,
    load_private_key,
    load_public_key,
    save_private_key,
    save_public_key,
    sign_receipt,
    verify_receipt,
)
from printers import _escpos_cache  # noqa: F401  (before python-escpos is imported)
from printers.data import DayCloseData, FeeLine, ReceiptData, ServiceRow, SlipData, TestPageData, TicketData
from printers.devices import Printer, PrinterConfig, VirtualPrinter, open_printer, parse_printer_url
from printers.documents import (
    render_dayclose,
    render_document,
    render_receipt,
    render_slip,
    render_ticket,
)
from printers.errors import (
    JobNotFound,
    PaperOut,
    PrinterConfigError,
    PrinterEnvironmentError,
    PrinterNotFound,
    PrinterOffline,
    PrinterPermissionDenied,
    PrintError,
)
from printers.escpos_out import build_escpos
from printers.jobs import JobStore, PrintJob, PrintQueue, SQLiteJobStore, print_document
from printers.qt import ensure_qt

__all__ = [
    "DayCloseData",
    "FeeLine",
    "ReceiptData",
    "ServiceRow",
    "SlipData",
    "TicketData",
    "TestPageData",
    "Printer",
    "PrinterConfig",
    "VirtualPrinter",
    "open_printer",
    "parse_printer_url",
    "render_dayclose",
    "render_document",
    "render_receipt",
    "render_slip",
    "render_ticket",
    "JobNotFound",
    "PaperOut",
    "PrintError",
    "PrinterConfigError",
    "PrinterEnvironmentError",
    "PrinterNotFound",
    "PrinterOffline",
    "PrinterPermissionDenied",
    "build_escpos",
    "JobStore",
    "PrintJob",
    "PrintQueue",
    "SQLiteJobStore",
    "print_document",
    "ensure_qt",
    "InvalidReceiptPayload",
    "ReceiptClaim",
    "generate_key",
    "load_private_key",
    "load_public_key",
    "save_private_key",
    "save_public_key",
    "sign_receipt",
    "verify_receipt",
]
