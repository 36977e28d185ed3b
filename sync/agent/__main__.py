"""``sync-agent --db URL [--server URL] [--once] [--ca-bundle FILE] [--heartbeat SECONDS]``
(``python -m sync.agent``): the centre's sync agent as its own process, for a multi-counter centre.
``--once`` sends one round and one heartbeat."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from counter_app.common.i18n import lang_of, strip_isolates
from counter_app.common.logs import configure_logging
from counter_app.core.db import Database
from counter_app.core.errors import ShubbakError
from sync import protocol
from sync.agent.agent import INTERVAL_S, Agent, SyncError
from sync.agent.heartbeat import HEARTBEAT_S, Heartbeats


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sync-agent", description="send the centre's outbox to the central server")
    parser.add_argument("--db", required=True, help="centre database URL")
    parser.add_argument("--server", help="central server URL (default: the one enrolled)")
    parser.add_argument("--once", action="store_true", help="one round, then exit (0 when all was sent)")
    parser.add_argument("--ca-bundle", help="CA certificates to verify the server's TLS certificate")
    parser.add_argument("--interval", type=float, default=INTERVAL_S, help="seconds between rounds (default 60)")
    parser.add_argument("--heartbeat", type=float, default=HEARTBEAT_S, metavar="SECONDS",
                        help=f"seconds between heartbeats to the central server (default {HEARTBEAT_S:.0f}; "
                             "at most 60)")
    parser.add_argument("--batch-events", type=int, default=protocol.MAX_BATCH_EVENTS,
                        help=f"events per request (at most {protocol.MAX_BATCH_EVENTS})")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(list(argv) if argv is not None else None)
    # The file takes INFO and up; the terminal (or the journal) what needs a person: warnings and
    # errors, unless --verbose. A damaged database is then one clear line, not a log excerpt.
    configure_logging("sync-agent", data_dir=None, verbose=args.verbose, console_level=logging.WARNING)
    try:
        db = Database(args.db)
        try:
            return _run(db, args)
        finally:
            db.dispose()
    except ShubbakError as exc:  # a damaged or unreachable database: one clear line, no traceback
        lang = lang_of(os.environ.get("SHUBBAK_LANG", "ar" if os.environ.get("LANG", "").startswith("ar") else "en"))
        print(f"sync-agent: {strip_isolates(exc.message(lang))}", file=sys.stderr)
        return 2


def _run(db: Database, args: argparse.Namespace) -> int:
    try:
        agent = Agent(db, args.server, verify=args.ca_bundle or True,
                      max_events=max(1, min(args.batch_events, protocol.MAX_BATCH_EVENTS)))
    except SyncError as exc:
        print(f"sync-agent: {exc}", file=sys.stderr)
        return 2
    if args.once:
        beats = Heartbeats(agent)
        try:
            report = agent.sync_once()
            beats.send_once()  # a centre synced by a timer (--once) is seen live too
        except SyncError as exc:
            print(f"sync-agent: {exc}", file=sys.stderr)
            return 1
        finally:
            beats.stop()
            agent.close()
        print(f"sent {report.sent}, duplicates {report.duplicates}, rejected {report.rejected}, "
              f"left for retry {report.retry}, batches {report.batches}")
        return 0 if not report.leased_elsewhere else 3
    try:
        agent.run_forever(args.interval, heartbeat_interval=min(max(args.heartbeat, 1.0), 60.0))
    except KeyboardInterrupt:
        agent.stop()
    finally:
        agent.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
