"""``shubbak``: the administration command line of a centre.

    shubbak db upgrade --db URL
    shubbak db check --db URL
    shubbak audit verify --db URL [--against-central [--ca-bundle FILE]]
    shubbak simulate --db URL --citizens N --counters K [--seed S]
    shubbak catalogue apply|show [--file F] --db URL
    shubbak user add --db URL --username U --role R --full-name NAME [--department D]
    shubbak demo [--db URL] [--citizens N] [--counters K]
    shubbak print sample --kind ticket|receipt|slip --printer URL [--width 384|576] [--lang ar|en] [--portal URL]
    shubbak support bundle --out FILE.zip [--db URL] [--config FILE] [--data-dir DIR]
    shubbak centre enrol --server URL --code CODE [--portal URL] [--address-ar T] [--address-en T] [--hours T] ...
    shubbak centre details [--portal URL] [--address-ar T] [--address-en T] [--hours T] --db URL
    shubbak receipt verify CODE --key PEM   (offline: a receipt's QR payload or its portal link)
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from counter_app.common.i18n import N_, Lang, gettext, lang_of, strip_isolates
from counter_app.common.logs import configure_logging
from counter_app.core.db import Database, default_database_url
from counter_app.core.errors import ShubbakError


def _db_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=None, help="database URL (default: SHUBBAK_DB or the local SQLite file)")


def _details_args(parser: argparse.ArgumentParser) -> None:
    """The centre's public details for the citizens' portal (kept as centre settings; "" clears one)."""
    parser.add_argument("--portal", default=None, metavar="URL",
                        help="the citizens' portal, e.g. https://portal.example: printed QR codes link to it")
    parser.add_argument("--address-ar", default=None, help="the centre's address in Arabic")
    parser.add_argument("--address-en", default=None, help="the centre's address in English")
    parser.add_argument("--hours", default=None, help="opening hours, e.g. 'sun-thu 08:00-15:00; sat 09:00-13:00'")


def _open(args: argparse.Namespace, migrate: bool = True) -> Database:
    return Database(args.db or default_database_url(), migrate=migrate)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from counter_app.core.migrate import current_revision, head_revision

    db = _open(args)
    print(f"database at revision {current_revision(db.engine)} (head {head_revision()})")
    return 0


def cmd_db_check(args: argparse.Namespace) -> int:
    """SQLite's integrity_check of the centre's file (read-only); exit 2 with the message to
    restore the last backup when it is damaged."""
    db = _open(args, migrate=False)  # opening runs the quick check already
    try:
        if db.path is not None and not db.path.exists():
            print(f"no database file at {db.path}", file=sys.stderr)
            return 1
        db.check(full=True)
    finally:
        db.dispose()
    print(f"database {db.path or db.engine.url.render_as_string(hide_password=True)}: integrity check ok")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from counter_app.core.audit import verify_chain

    if args.against_central:
        return cmd_audit_verify_against_central(args)
    db = _open(args)
    with db.read() as s:
        report = verify_chain(s)
    print(report.describe())
    return 0 if report.ok else 1


def cmd_audit_verify_against_central(args: argparse.Namespace) -> int:
    """The chain, and that it extends every head the central server saw (exit 1 when not, or
    when it was never anchored; 2 when the server could not be asked). Plain English, as above."""
    from sync.agent.anchors import verify_against_central

    db = _open(args)
    try:
        result = verify_against_central(db, verify=args.ca_bundle or True)
    finally:
        db.dispose()
    for line in result.lines:
        print(line)
    return result.code


def cmd_simulate(args: argparse.Namespace) -> int:
    from counter_app.core import simulate

    if args.citizens < 1 or args.counters < 1:
        print("--citizens and --counters must be at least 1", file=sys.stderr)
        return 2
    db = _open(args)
    summary = simulate.run(db, citizens=args.citizens, counters=args.counters, seed=args.seed)
    for line in summary.lines():
        print(line)
    return 0 if summary.audit_ok else 1


def cmd_catalogue(args: argparse.Namespace) -> int:
    from counter_app.common.catalogue_data import load_catalogue
    from counter_app.core import catalogue

    db = _open(args)
    if args.action == "apply":
        data = load_catalogue(args.file)
        with db.begin() as s:
            changed = catalogue.apply_catalogue(s, data, allow_same=True)
        print(f"catalogue version {data.version} {'applied' if changed else 'already active'}")
        return 0
    with db.read() as s:
        print(f"active catalogue version: {catalogue.active_version(s)}")
        for svc in catalogue.services(s):
            total = sum(f.amount_piastres for f in svc.fees)
            print(f"{svc.group_letter} {svc.code:16} {total / 100:10.2f} EGP  {svc.name_en} / {svc.name_ar}")
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    from counter_app.core import users
    from counter_app.core.models import Role

    password = args.password or os.environ.get("SHUBBAK_PASSWORD") or getpass.getpass("password: ")
    db = _open(args)
    with db.begin() as s:
        user = users.create_user(s, username=args.username, full_name=args.full_name, role=Role(args.role),
                                 password=password, department_code=args.department)
        print(f"user {user.username} ({user.role.value}) created, clerk number {user.clerk_number}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from counter_app.core import simulate
    from counter_app.core.demo import DEMO_PASSWORD, SUGGESTED_REVIEWER, ensure_demo_centre, leave_work

    data_dir = Path(args.data_dir).resolve()
    url = args.db or f"sqlite:///{data_dir / 'centre.sqlite3'}"
    db = Database(url)
    try:
        ensure_demo_centre(db, counters=args.counters)
        print(f"demo centre database: {url}")
        if args.citizens:
            summary = simulate.run(db, citizens=args.citizens, counters=args.counters, seed=args.seed)
            for line in summary.lines():
                print(line)
        left = leave_work(db, waiting=args.waiting, files=args.files)
    finally:
        db.dispose()
    config = data_dir / "counter.ini"
    if not config.exists():  # the demo's counter PC: its print jobs and virtual printer beside the database
        data_dir.mkdir(parents=True, exist_ok=True)
        config.write_text(f"[app]\nlang = ar\ndata_dir = {data_dir}\n", encoding="utf-8")
    app = f"counter-app --db {url} --config {config}"
    waiting = ", ".join(left.waiting) or "nobody"
    files = left.review.get(SUGGESTED_REVIEWER, 0)
    for line in (
        "",
        f"Left for you: {len(left.waiting)} citizens waiting ({waiting}); {files} files in review for "
        f"{SUGGESTED_REVIEWER}.",
        f"Every user's password is {DEMO_PASSWORD}. What to open (each in its own terminal):",
        f"  counter window     {app}",
        "                       log in as clerk1 at counter 1; F2 calls the next waiting citizen",
        f"  review window      the same command; log in as {SUGGESTED_REVIEWER} (its files are waiting)",
        "  supervisor window  the same command; log in as supervisor (day, dashboard, users, printers)",
        f"  ticket kiosk       {app.replace('counter-app', 'counter-app --kiosk', 1)}",
        f"  waiting-hall TV    queue-display --db {url} --windowed",
        f"Other users: admin, clerk1..clerk{args.counters}, rev-<department>-1 and -2. Printed tickets and "
        f"receipts land in {data_dir / 'virtual-printer'}.",
    ):
        print(line)
    return 0


#: Why the central server refused an enrolment code (sync/server/enrol_codes.py), as messages.
ENROL_CODE_REFUSALS = {"expired_code": N_("central.enrol_code_expired"), "used_code": N_("central.enrol_code_used"),
                       "wrong_centre": N_("central.enrol_code_wrong_centre"),
                       "unknown_code": N_("central.enrol_code_unknown"),
                       "enrolled_meanwhile": N_("central.enrol_code_raced")}


def cmd_centre_enrol(args: argparse.Namespace) -> int:
    from sync.agent.agent import SyncError
    from sync.agent.enrol import EnrolmentRefused, enrol

    token = args.admin_token or os.environ.get("SHUBBAK_ADMIN_TOKEN", "")
    if not token and not args.code:
        print("an enrolment code (--code, from the central server's administrator) or, for automation, an "
              "administrator token (--admin-token or SHUBBAK_ADMIN_TOKEN) is needed", file=sys.stderr)
        return 2
    receipt = Path(args.receipt_key) if args.receipt_key else None
    db = Database(args.db)
    try:
        code = enrol(db, args.server, token, receipt_key=receipt, governorate=args.governorate,
                     verify=args.ca_bundle or True, portal=args.portal, address_ar=args.address_ar,
                     address_en=args.address_en, opening_hours=args.hours, enrolment_code=args.code)
    except EnrolmentRefused as exc:
        if exc.reason in ENROL_CODE_REFUSALS:
            print(strip_isolates(gettext(ENROL_CODE_REFUSALS[exc.reason], _terminal_lang())), file=sys.stderr)
        else:
            print(f"enrolment failed: {exc}", file=sys.stderr)
        return 1
    except SyncError as exc:
        print(f"enrolment failed: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(f"centre {code} enrolled on {args.server}; the sync agent will use it")
    return 0


def cmd_centre_details(args: argparse.Namespace) -> int:
    """Set the centre's public details given (tells the central server when they change); print them."""
    from counter_app.core import centre_public

    db = _open(args)
    try:
        with db.begin() as s:
            centre_public.set_details(s, address_ar=args.address_ar, address_en=args.address_en,
                                      opening_hours=args.hours, portal_url=args.portal)
            details = centre_public.details(s)
    finally:
        db.dispose()
    for name, value in details.items():
        print(f"{name}: {' '.join(value) if isinstance(value, list) else value or '-'}")
    return 0


def cmd_receipt_verify(args: argparse.Namespace) -> int:
    """Offline: is this receipt code (bare payload or portal link) signed by the key? 0 yes, 1 no."""
    from counter_app.common.signing import (
        InvalidReceiptPayload,
        load_private_key,
        load_public_key,
        payload_from_scan,
        verify_receipt,
    )

    pem = Path(args.key)
    try:
        public = (load_private_key(pem).public_key() if b"PRIVATE KEY" in pem.read_bytes()
                  else load_public_key(pem))
    except (OSError, ValueError) as exc:
        print(f"cannot read the key {pem}: {exc}", file=sys.stderr)
        return 2
    try:
        claim = verify_receipt(payload_from_scan(args.code), public)
    except InvalidReceiptPayload as exc:
        print(f"NOT genuine: {exc}")
        return 1
    print(f"genuine: centre {claim.centre_code}, tracking code {claim.tracking_code}, "
          f"{claim.total_piastres / 100:.2f} EGP, paid {claim.paid_at.isoformat()}")
    return 0


def cmd_sync_status(args: argparse.Namespace) -> int:
    """What the centre's sync looks like; exits 1 when something needs attention."""
    from counter_app.core import outbox
    from counter_app.core.sync_state import snapshot

    db = _open(args)
    try:
        with db.read() as s:
            snap = snapshot(s)
            refused = outbox.rejected(s)
    finally:
        db.dispose()
    age = snap.oldest_age
    print(f"server: {'enrolled' if snap.configured else 'not enrolled'}")
    print(f"online: {'yes' if snap.online else 'no'}")
    print(f"waiting: {snap.waiting}")
    print(f"oldest_waiting_age_s: {age.total_seconds():.0f}" if age else "oldest_waiting_age_s: -")
    print(f"last_success: {snap.last_success.isoformat() if snap.last_success else 'never'}")
    print(f"last_error: {snap.last_error or '-'}")
    print(f"clock_skew_s: {snap.clock_skew_s if snap.clock_skew_s is not None else '-'}")
    print(f"refused: {snap.rejected}")
    for uuid, kind, reason in refused:
        print(f"  {uuid} {kind}: {reason}")
    return 1 if snap.alert else 0


def cmd_notify_dispatch(args: argparse.Namespace) -> int:
    from counter_app.core.notifications import Store
    from counter_app.notify.dispatch import run
    from counter_app.notify.senders import senders_from

    options = {key: str(value) for key, value in vars(args).items()
               if (key.startswith("smtp_") or key.startswith("sms_")) and value}
    for key in ("smtp_password", "sms_token"):
        options.setdefault(key, os.environ.get(f"SHUBBAK_{key.upper()}", ""))
    senders = senders_from(options)
    if not senders:
        print("no sender configured (--smtp-host and/or --sms-url)", file=sys.stderr)
        return 2
    db = _open(args)
    try:
        report = run(Store(db), senders, once=args.once, interval=args.interval)
    except KeyboardInterrupt:
        return 0
    finally:
        db.dispose()
    print(f"sent {report.sent}, delivered {report.delivered}, to retry {report.retried}, failed {report.failed}, "
          f"no sender {report.skipped}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from counter_app.core.clock import local_day, utcnow
    from counter_app.services import reports

    day = date.fromisoformat(args.date) if args.date else local_day(utcnow())
    first, last = reports.period_bounds(args.period, day)
    db = _open(args)
    try:
        data = reports.period_report(db, first, last)
    finally:
        db.dispose()
    reports.write(data, args.out, args.format, args.lang)
    print(f"{args.period} report {first}..{last} written to {args.out}")
    return 0


def cmd_support_bundle(args: argparse.Namespace) -> int:
    """A zip for a technician: logs, versions, schema revision, sync status, settings; no personal data."""
    import contextlib
    import io

    from counter_app import support
    from counter_app.services.config import load_config

    url = args.db or default_database_url()
    data_dir = Path(args.data_dir) if args.data_dir else load_config(args.config).data_dir

    def sync_status() -> str:  # exactly what `shubbak sync status` prints
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = cmd_sync_status(argparse.Namespace(db=url))
        return f"{out.getvalue()}exit code: {code}\n"

    bundle = support.write_bundle(Path(args.out), db_url=url, data_dir=data_dir,
                                  config_path=Path(args.config) if args.config else None, sync_status=sync_status)
    print(f"support bundle written to {bundle.path}: {len(bundle.files)} files, "
          f"{len(bundle.log_files)} of them logs")
    for problem in bundle.problems:
        print(f"  not included: {problem}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shubbak", description="Shubbak centre administration")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    db_p = sub.add_parser("db", help="database schema").add_subparsers(dest="action", required=True)
    up = db_p.add_parser("upgrade", help="apply the migrations")
    _db_arg(up)
    up.set_defaults(func=cmd_db_upgrade)
    check = db_p.add_parser("check", help="SQLite's integrity check of the database file (read-only)")
    _db_arg(check)
    check.set_defaults(func=cmd_db_check)

    audit_p = sub.add_parser("audit", help="audit log").add_subparsers(dest="action", required=True)
    verify = audit_p.add_parser("verify", help="verify the hash chain")
    _db_arg(verify)
    verify.add_argument("--against-central", action="store_true",
                        help="also check it extends every audit head the central server kept of this centre")
    verify.add_argument("--ca-bundle", default=None, help="CA certificates for the server's TLS certificate")
    verify.set_defaults(func=cmd_audit_verify)

    sim = sub.add_parser("simulate", help="run a synthetic day through the real core")
    _db_arg(sim)
    sim.add_argument("--citizens", type=int, default=200)
    sim.add_argument("--counters", type=int, default=3)
    sim.add_argument("--seed", type=int, default=1)
    sim.set_defaults(func=cmd_simulate)

    cat = sub.add_parser("catalogue", help="service catalogue")
    cat.add_argument("action", choices=["apply", "show"])
    cat.add_argument("--file", default=None, help="catalogue JSON (default: the shipped one)")
    _db_arg(cat)
    cat.set_defaults(func=cmd_catalogue)

    user_p = sub.add_parser("user", help="users").add_subparsers(dest="action", required=True)
    add = user_p.add_parser("add", help="create a user")
    _db_arg(add)
    add.add_argument("--username", required=True)
    add.add_argument("--full-name", required=True)
    add.add_argument("--role", required=True, choices=["clerk", "reviewer", "supervisor", "admin"])
    add.add_argument("--department", default=None)
    add.add_argument("--password", default=None, help="(default: SHUBBAK_PASSWORD or a prompt)")
    add.set_defaults(func=cmd_user_add)

    centre_p = sub.add_parser("centre", help="the centre").add_subparsers(dest="action", required=True)
    enrol_p = centre_p.add_parser("enrol", help="create the centre's key pair and enrol it on the central server")
    _db_arg(enrol_p)
    enrol_p.add_argument("--server", required=True, help="central server URL, e.g. https://central.example:8443")
    enrol_p.add_argument("--code", default=None, help="the one-time enrolment code the central server's "
                         "administrator issued for this centre (valid 48 hours)")
    enrol_p.add_argument("--admin-token", default=None, help="automation only, instead of --code "
                         "(default: SHUBBAK_ADMIN_TOKEN)")
    enrol_p.add_argument("--receipt-key", default=None, help="the counter app's receipt key (PEM), to verify receipts")
    enrol_p.add_argument("--ca-bundle", default=None, help="CA certificates for the server's TLS certificate")
    enrol_p.add_argument("--governorate", default=None, metavar="CODE",
                         help="the centre's governorate, two digits as in the national ID (21 = Giza)")
    _details_args(enrol_p)
    enrol_p.set_defaults(func=cmd_centre_enrol)
    details_p = centre_p.add_parser("details", help="the centre's address, opening hours and portal for citizens")
    _db_arg(details_p)
    _details_args(details_p)
    details_p.set_defaults(func=cmd_centre_details)

    receipt_p = sub.add_parser("receipt", help="receipts").add_subparsers(dest="action", required=True)
    rverify = receipt_p.add_parser("verify", help="check a receipt's QR code offline (exit 1 when not genuine)")
    rverify.add_argument("code", help="the QR code's text: the signed payload or its portal link")
    rverify.add_argument("--key", required=True, help="the centre's receipt key (PEM, public or private)")
    rverify.set_defaults(func=cmd_receipt_verify)

    sync_p = sub.add_parser("sync", help="sync with the central server").add_subparsers(dest="action",
                                                                                      required=True)
    sync_status = sync_p.add_parser("status", help="events waiting, last success, alerts (exit 1 on an alert)")
    _db_arg(sync_status)
    sync_status.set_defaults(func=cmd_sync_status)

    notify_p = sub.add_parser("notify", help="SMS and email to citizens").add_subparsers(dest="action",
                                                                                       required=True)
    dispatch_p = notify_p.add_parser("dispatch", help="send the queued notifications (every 30 s; --once)")
    _db_arg(dispatch_p)
    dispatch_p.add_argument("--once", action="store_true")
    dispatch_p.add_argument("--interval", type=float, default=30.0)
    dispatch_p.add_argument("--smtp-host", dest="smtp_host")
    dispatch_p.add_argument("--smtp-port", dest="smtp_port")
    dispatch_p.add_argument("--smtp-from", dest="smtp_from")
    dispatch_p.add_argument("--smtp-starttls", dest="smtp_starttls", action="store_const", const="yes")
    dispatch_p.add_argument("--smtp-user", dest="smtp_user")
    dispatch_p.add_argument("--sms-url", dest="sms_url")
    dispatch_p.add_argument("--sms-sender", dest="sms_sender")
    dispatch_p.set_defaults(func=cmd_notify_dispatch)

    report_p = sub.add_parser("report", help="the weekly, monthly or a day's report (PDF, CSV or XLSX)")
    _db_arg(report_p)
    report_p.add_argument("--period", choices=("day", "week", "month"), default="week")
    report_p.add_argument("--date", help="a day of the period (default: today)")
    report_p.add_argument("--format", choices=("pdf", "csv", "xlsx"), default="pdf")
    report_p.add_argument("--lang", choices=("ar", "en"), default="ar")
    report_p.add_argument("--out", required=True)
    report_p.set_defaults(func=cmd_report)

    support_p = sub.add_parser("support", help="help for technical support").add_subparsers(dest="action",
                                                                                         required=True)
    bundle_p = support_p.add_parser("bundle", help="zip the logs, versions, schema revision, sync status and "
                                                   "settings for a technician (no personal data)")
    _db_arg(bundle_p)
    bundle_p.add_argument("--config", default=None, help="the counter PC's INI file (its data directory and logs)")
    bundle_p.add_argument("--data-dir", default=None, help="the data directory whose logs to include "
                                                           "(default: the INI file's, else the user's)")
    bundle_p.add_argument("--out", required=True, help="the zip file to write")
    bundle_p.set_defaults(func=cmd_support_bundle)

    demo = sub.add_parser("demo", help="create the demo centre and simulate a morning")
    _db_arg(demo)
    demo.add_argument("--data-dir", default="demo-data")
    demo.add_argument("--citizens", type=int, default=120)
    demo.add_argument("--counters", type=int, default=3)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--waiting", type=int, default=5, help="citizens left waiting for the newcomer")
    demo.add_argument("--files", type=int, default=3, help="files left in review for the suggested reviewer")
    demo.set_defaults(func=cmd_demo)

    try:
        from printers.cli import add_print_commands
    except ImportError:  # pragma: no cover - the printers package is part of the install
        pass
    else:
        add_print_commands(sub)
    return parser


def _terminal_lang() -> Lang:
    return lang_of(os.environ.get("SHUBBAK_LANG", "ar" if os.environ.get("LANG", "").startswith("ar") else "en"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging("shubbak", data_dir=None, verbose=args.verbose, console_level=logging.WARNING)
    lang = _terminal_lang()
    try:
        return int(args.func(args) or 0)
    except ShubbakError as exc:
        # A terminal lays text out left to right and shows isolate marks as noise.
        print(strip_isolates(exc.message(lang)), file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
