"""``counter-app``: the counter application's entry point.

    counter-app [--db URL] [--config FILE] [--kiosk]

Only the argument parsing happens here: the windows (``counter_app/ui``) show the login at once
and open the database (migrations at start-up) in the background.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="counter-app")
    parser.add_argument("--db", default=None, help="database URL (default: SHUBBAK_DB or the local SQLite file)")
    parser.add_argument("--config", default=None, help="the counter PC's INI file (printers, language, counter)")
    parser.add_argument("--kiosk", action="store_true", help="open the ticket kiosk (reception) window")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from counter_app.ui.shell.app import run

    return int(run(None, args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
