"""``central-server --db URL [--host 127.0.0.1] [--port 8080] [--admin-token T]`` (``python -m
sync.server``): the central server (FastAPI on uvicorn; PostgreSQL in production, SQLite by default).
``central-server [--db URL] user ...`` and ``enrol-code ...``: :mod:`sync.server.accounts_cli`.
The administrator token is for automation only (scripts calling the API); people log in by name.
``central-server report verify --from D --to D``: the reports' rollups against the raw events
(:mod:`sync.server.report_verify`).

**Several processes** (the README's "Several server processes"): ``--workers N`` starts N worker
processes of uvicorn sharing one listening socket (the parent migrates once, then each worker opens
its own pool of :data:`sync.server.db.POOL_SIZE` + :data:`sync.server.db.MAX_OVERFLOW`
connections: mind PostgreSQL's ``max_connections``); servers on several machines behind a load
balancer may share one PostgreSQL too, and start together (migrations take a lock). What the
processes share, and what each keeps to itself:

* shared through the database: sessions and logins, the audit, rate limits (but ``ticket``),
  replayed requests (:mod:`sync.server.freshness`), enrolment codes, heartbeats, the rollups;
* per process, by design: the ``ticket`` rate limit (:mod:`sync.server.ratelimit`, ``IN_MEMORY``),
  the mobile ticket's snapshots and event streams (each process polls the database for the tickets
  its own clients watch: :mod:`sync.server.portal.ticket_snapshots`), the cache of centres' keys
  (read again after ``KEY_CACHE_S``, and at once when a signature fails), the parsed catalogue per
  published version (a version never changes), the rollups' hourly deletion of old hours
  (:func:`sync.server.rollups.prune_hours`, inside an ingest: after the first process's, the others'
  find nothing to delete);
* done by one process for all: the start-up migrations (a lock, :func:`sync.server.db.startup_lock`),
  the ticket projection's hourly cleaning, the alerts' round and the booking SMS' round (reminders,
  numbers' deletion, sending: leases, :mod:`sync.server.leases`).

``--sms-url U --sms-token T [--sms-sender S]`` (or ``SHUBBAK_SMS_URL`` ...): the HTTP SMS gateway of
the citizens' booking SMS (:mod:`sync.server.appointments.notices`); without it they wait unsent.
``--public-url https://...`` (or ``SHUBBAK_PUBLIC_URL``): the address of the confirmation SMS' manage
link; without it the link is left out (unless the server is on loopback), never taken from a
request's Host header.

``--read-db URL`` (or ``SHUBBAK_CENTRAL_READ_DB``): the reports' figures are read there (a hot
standby of ``--db``, e.g. PostgreSQL streaming replication), read-only; logins, sessions and the
audit of every report stay on ``--db``. A replica's figures lag by its replay delay."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from counter_app.common.logs import configure_logging
from sync.server import accounts_cli
from sync.server.alerts import AlertSettings
from sync.server.app import create_app, seed_catalogue, settled
from sync.server.appointments.notices import PUBLIC_URL_ENV, NoticeSettings
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
    parser = argparse.ArgumentParser(
        prog="central-server", description="the central server of the centres (FastAPI on uvicorn)",
        epilog="other commands: central-server [--db URL] user add|set-email|reset-password|disable|list ...; "
               "central-server [--db URL] enrol-code ...; central-server report verify --from D --to D "
               "(each with --help)")
    parser.add_argument("--db", default=os.environ.get("SHUBBAK_CENTRAL_DB", DEFAULT_URL))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--admin-token", default=os.environ.get("SHUBBAK_ADMIN_TOKEN", ""))
    parser.add_argument("--certfile", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--keyfile", help="the certificate's private key (PEM)")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes (each with its own pool of connections); see the README")
    parser.add_argument("--read-db", default=os.environ.get("SHUBBAK_CENTRAL_READ_DB", ""),
                        help="a database URL for the reports' reading, e.g. a streaming replica of --db")
    parser.add_argument("--sms-url", default=os.environ.get("SHUBBAK_SMS_URL", ""),
                        help="the HTTP SMS gateway of the booking SMS (as shubbak notify dispatch --sms-url); "
                             "none: they wait unsent")
    parser.add_argument("--sms-token", default=os.environ.get("SHUBBAK_SMS_TOKEN", ""),
                        help="the SMS gateway's bearer token (or SHUBBAK_SMS_TOKEN)")
    parser.add_argument("--sms-sender", default=os.environ.get("SHUBBAK_SMS_SENDER", "Shubbak"))
    parser.add_argument("--public-url", default=os.environ.get(PUBLIC_URL_ENV, ""),
                        help="the server's public address (https://...), for the links in the booking SMS; "
                             "none: a confirmation SMS carries no link unless the server is on loopback")
    args = parser.parse_args(given)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.public_url:
        if urlsplit(args.public_url).scheme not in ("http", "https") or not urlsplit(args.public_url).hostname:
            parser.error("--public-url is an address such as https://shubbak.gov.eg")
        os.environ[PUBLIC_URL_ENV] = args.public_url  # read by every worker process
    configure_logging("central-server", data_dir=None)  # a rotating file, and the journal / stderr
    db = ServerDatabase(args.db)  # migrates under a lock: several servers may start at once
    seed_catalogue(db)
    read_db = ServerDatabase(args.read_db, migrate=False, read_only=True) if args.read_db else None
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
        if read_db is not None:
            read_db.dispose()
        os.environ["SHUBBAK_CENTRAL_DB"], os.environ["SHUBBAK_ADMIN_TOKEN"] = args.db, args.admin_token
        os.environ["SHUBBAK_CENTRAL_READ_DB"] = args.read_db
        os.environ["SHUBBAK_SMS_URL"], os.environ["SHUBBAK_SMS_TOKEN"] = args.sms_url, args.sms_token
        os.environ["SHUBBAK_SMS_SENDER"] = args.sms_sender
        uvicorn.run("sync.server.app:app_from_environment", factory=True, workers=args.workers, **options)
    else:
        sms = NoticeSettings.from_environment()
        sms = NoticeSettings(args.sms_url, args.sms_token, args.sms_sender or "Shubbak", sms.interval_s)
        uvicorn.run(settled(create_app(db, args.admin_token, read_db, AlertSettings.from_environment(), sms)),
                    **options)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
