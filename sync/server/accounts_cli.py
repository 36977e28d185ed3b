"""``central-server user add|disable|reset-password|set-email|list`` and ``central-server enrol-code issue``:
the people of the central server (:mod:`sync.server.accounts`) and one-time enrolment codes
(:mod:`sync.server.enrol_codes`), from the server's own machine. Each action is audited as
``cli`` (the operator logged into the machine).

* ``user add NAME --role national_admin|governorate_supervisor|centre_viewer [--governorate 21]
  [--centre GIZ-01]``; the password is asked twice on the terminal, or read from standard input
  with ``--password-stdin`` (one line);
* ``user disable NAME``: no more logins, open sessions end;
* ``user reset-password NAME``: a new password; clears a lockout, enables the account, ends sessions;
* ``user set-email NAME EMAIL`` / ``user set-email NAME --clear``: where the monitoring's alerts
  for this person are mailed (:mod:`sync.server.alerts`: a governorate's supervisors, else the
  national administrators); the address is checked (one plain ``name@example.org``);
* ``user list``: name, role, scope, state and e-mail address;
* ``enrol-code issue --centre C [--governorate 21]``: prints the code and when it expires (48 h).

Every command takes ``--db URL`` (default: ``SHUBBAK_CENTRAL_DB``, else the server's default).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from datetime import UTC

from counter_app.common.clock import CENTRE_TZ, as_utc, utcnow
from sync.server import accounts, enrol_codes
from sync.server.db import DEFAULT_URL, ServerDatabase

COMMANDS = frozenset({"user", "enrol-code"})
CLI = accounts.Scope(actor="cli", role=accounts.NATIONAL)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise accounts.AccountError("mismatch", "the two passwords differ")
    return first


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="central-server", description="people and enrolment codes")
    parser.add_argument("--db", default=os.environ.get("SHUBBAK_CENTRAL_DB", DEFAULT_URL))
    top = parser.add_subparsers(dest="command", required=True)
    user = top.add_parser("user", help="the people who read the reports").add_subparsers(dest="action", required=True)
    add = user.add_parser("add", help="a new person")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=accounts.ROLES)
    add.add_argument("--governorate", help="a governorate supervisor's: the two-digit code (21 Giza)")
    add.add_argument("--centre", help="a centre viewer's centre code")
    add.add_argument("--email", help="where the monitoring's alerts are mailed (a supervisor's)")
    reset = user.add_parser("reset-password", help="a new password (clears a lockout)")
    reset.add_argument("name")
    for sub in (add, reset):
        sub.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    user.add_parser("disable", help="no more logins; open sessions end").add_argument("name")
    email = user.add_parser("set-email", help="where the person's alerts are mailed (or --clear)")
    email.add_argument("name")
    email.add_argument("email", nargs="?", help="one address, e.g. sara@example.org")
    email.add_argument("--clear", action="store_true", help="no address: no alert is mailed to this person")
    user.add_parser("list", help="every person, their role, scope, state and e-mail address")
    code = top.add_parser("enrol-code", help="one-time enrolment codes").add_subparsers(dest="action", required=True)
    issue = code.add_parser("issue", help="a code for one centre, valid 48 hours")
    issue.add_argument("--centre", required=True)
    issue.add_argument("--governorate", help="the centre's governorate (two-digit code)")
    return parser


def main(argv: Sequence[str]) -> int:
    parser = _parser()
    args = parser.parse_args(list(argv))
    if args.command == "user" and args.action == "set-email" and (args.email is None) == (not args.clear):
        parser.error("user set-email takes an address or --clear (one of the two)")
    if args.command == "user" and args.action == "set-email" and args.email is not None and not args.email.strip():
        parser.error("user set-email: the address is empty; to remove it, use --clear")
    if args.command == "user" and args.action in ("add", "reset-password"):
        try:
            password = _password(args)
        except accounts.AccountError as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return 1
    db = ServerDatabase(args.db)
    try:
        with db.sessions.begin() as s:
            now = utcnow()
            if args.command == "enrol-code":
                issued = enrol_codes.issue(s, CLI, args.centre, args.governorate, now)
                until = as_utc(issued.expires_at).astimezone(CENTRE_TZ)
                print(f"{issued.code}\ncentre {issued.centre}, valid until {until:%Y-%m-%d %H:%M} Cairo time "
                      f"({until.astimezone(UTC):%H:%M} UTC)")
            elif args.action == "add":
                accounts.add_user(s, args.name, password, args.role, now, actor="cli", governorate=args.governorate,
                                  centre=args.centre, email=args.email)
                print(f"user {accounts.normalise_username(args.name)} added")
            elif args.action == "reset-password":
                accounts.reset_password(s, args.name, password, now, actor="cli")
                print(f"password of {accounts.normalise_username(args.name)} reset")
            elif args.action == "set-email":
                kept = accounts.set_email(s, args.name, None if args.clear else args.email, now, actor="cli")
                name = accounts.normalise_username(args.name)
                print(f"alerts for {name} are mailed to {kept}" if kept else f"no e-mail address for {name}")
            elif args.action == "disable":
                accounts.disable_user(s, args.name, now, actor="cli")
                print(f"user {accounts.normalise_username(args.name)} disabled")
            else:
                for u in accounts.list_users(s):
                    scope = u["governorate"] or u["centre"] or "-"
                    state = "disabled" if u["disabled"] else ("locked" if u["locked_until"] else "active")
                    print(f"{u['username']}\t{u['role']}\t{scope}\t{state}\t{u['email'] or '-'}")
    except accounts.AccountError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    return 0
