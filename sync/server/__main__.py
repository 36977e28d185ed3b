"""``central-server --db URL [--host 127.0.0.1] [--port 8080] [--admin-token T]`` (``python -m
sync.server``): the central server (FastAPI on uvicorn; PostgreSQL in production, SQLite by default).
``central-server [--db URL] user ...`` and ``enrol-code ...``: :mod:`sync.server.accounts_cli`.
The administrator token is for automation only (scripts calling the API); people log in by name.
``central-server report verify --from D --to D``: the reports' rollups against the raw events
(:mod:`sync.server.report_verify`)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from counter_app.common.logs import configure_logging
from sync.server import accounts_cli
from sync.server.alerts import AlertSettings
from sync.server.app import create_app, seed_catalogue
from sync.server.db import DEFAULT_URL, ServerDatabase

log = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    if (list(argv) if argv is not None else sys.argv[1:])[:1] == ["report"]:  # central-server report verify ...
        from sync.server import report_verify
        return report_verify.main((list(argv) if argv is not None else sys.argv[1:])[1:])
    import uvicorn

    given = list(argv) if argv is not None else sys.argv[1:]
    if any(word in accounts_cli.COMMANDS for word in given[:3]):  # central-server [--db URL] user|enrol-code ...
        return accounts_cli.main(given)
    parser = argparse.ArgumentParser(prog="central-server", description="the central server of the centres (FastAPI on uvicorn)")
    parser.add_argument("--db", default=os.environ.get("SHUBBAK_CENTRAL_DB", DEFAULT_URL))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--admin-token", default=os.environ.get("SHUBBAK_ADMIN_TOKEN", ""))
    parser.add_argument("--certfile", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--keyfile", help="the certificate's private key (PEM)")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(given)
    configure_logging("central-server", data_dir=None)  # a rotating file, and the journal / stderr
    db = ServerDatabase(args.db)
    seed_catalogue(db)
    if not args.admin_token:
        log.warning("no --admin-token: enrolment and catalogue publishing are disabled")
    # log_config=None: uvicorn keeps its hands off logging, so its records reach our file and journal
    # a stop waits at most 5 s for answers under way: the mobile ticket's event streams would keep it
    # for their whole life (10 min); their pages come back by themselves (EventSource, then polling)
    options: dict[str, Any] = {"host": args.host, "port": args.port, "log_level": "warning", "log_config": None,
                               "ssl_certfile": args.certfile, "ssl_keyfile": args.keyfile,
                               "timeout_graceful_shutdown": 5}
    if args.workers > 1:  # worker processes import the app by name and read these
        db.dispose()
        os.environ["SHUBBAK_CENTRAL_DB"], os.environ["SHUBBAK_ADMIN_TOKEN"] = args.db, args.admin_token
        uvicorn.run("sync.server.app:app_from_environment", factory=True, workers=args.workers, **options)
    else:
        uvicorn.run(create_app(db, args.admin_token, AlertSettings.from_environment()), **options)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
