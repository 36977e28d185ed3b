"""``shubbak print sample ...`` (and ``python -m printers sample ...``): print a sample document
through the real path: layout, Qt rendering, python-escpos, the printer named by URL. With
``--portal URL`` the sample ticket's and receipt's QR codes are links to that portal, as a centre
with ``[portal] base_url`` prints them."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import Any

from counter_app.common.i18n import Lang
from counter_app.common.logs import configure_logging
from counter_app.common.portal import InvalidPortalUrl, normalise_base_url
from printers.devices import open_printer, parse_printer_url
from printers.errors import PrintError
from printers.jobs import print_document
from printers.qt import ensure_qt
from printers.samples import sample_dayclose, sample_receipt, sample_slip, sample_ticket

log = logging.getLogger(__name__)
KINDS = ("ticket", "receipt", "slip", "dayclose")


def add_sample_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kind", choices=KINDS, default="ticket", help="document to print")
    parser.add_argument(
        "--printer", required=True, help="printer URL, e.g. tcp://10.0.0.5:9100 or virtual:///tmp/out"
    )
    parser.add_argument(
        "--width",
        type=int,
        choices=(384, 576),
        default=None,
        help="paper width in dots (default: the URL's width= option, else 576)",
    )
    parser.add_argument("--lang", choices=("ar", "en"), default="ar", help="language of the labels")
    parser.add_argument(
        "--portal",
        default="",
        metavar="URL",
        help="the citizens' portal (e.g. https://portal.example): the ticket's and receipt's QR codes link to it",
    )
    parser.set_defaults(func=run)


def add_print_commands(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``print sample`` on an argparse subparsers object; returns the ``print`` parser."""
    print_parser: argparse.ArgumentParser = subparsers.add_parser("print", help="printer commands")
    print_sub = print_parser.add_subparsers(dest="print_command", required=True)
    sample = print_sub.add_parser("sample", help="print a sample ticket, receipt, slip or day-close report")
    add_sample_arguments(sample)
    return print_parser


def _sample(kind: str, portal: str = "") -> Any:
    factories: dict[str, Callable[[], Any]] = {
        "ticket": lambda: sample_ticket(portal=portal),
        "receipt": lambda: sample_receipt(portal=portal),
        "slip": sample_slip,
        "dayclose": sample_dayclose,
    }
    return factories[kind]()


def run(args: argparse.Namespace) -> int:
    """Print the sample; 0 on success, 1 on a printer error (message in Arabic and English), 2 on bad options."""
    url = args.printer
    if args.width is not None:
        url += ("&" if "?" in url else "?") + f"width={args.width}"
    lang: Lang = args.lang
    try:
        portal = normalise_base_url(args.portal)
    except InvalidPortalUrl as exc:
        print(f"--portal: {exc}", file=sys.stderr)
        return 2
    try:
        parse_printer_url(url)
        ensure_qt()
        printer = open_printer(url)
        data = print_document(printer, _sample(args.kind, portal), lang, job_name="sample")
    except PrintError as exc:
        print(exc.message("ar"), file=sys.stderr)
        print(exc.message("en"), file=sys.stderr)
        print(f"  {exc.detail}", file=sys.stderr)
        return 1
    print(f"printed {args.kind} ({printer.width} dots, {lang}) on {args.printer}: {len(data)} bytes")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m printers", description="Shubbak printers")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    add_sample_arguments(sub.add_parser("sample", help="print a sample document"))
    add_print_commands(sub)
    args = parser.parse_args(argv)
    configure_logging("printers", data_dir=None, verbose=args.verbose, console_level=logging.WARNING)
    return int(args.func(args))
