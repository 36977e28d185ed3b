"""``counter-app``: the counter application's entry point.

The windows (kiosk, counter, review, supervisor) are built in ``counter_app/ui``. Until they
land, the entry point prepares the centre database (migrations at start-up) and says so.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from counter_app.core.db import Database, default_database_url


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="counter-app")
    parser.add_argument("--db", default=None)
    parser.add_argument("--config", default=None)
    args = parser.parse_args(argv)
    db = Database(args.db or default_database_url())
    try:
        from counter_app.ui.app import run  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        print(f"centre database ready at {db.url}; the counter windows are not part of this build yet",
              file=sys.stderr)
        return 3
    return int(run(db, args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
