"""Edit the gettext catalogues from the command line, safely while others edit them too.

    python -m counter_app.common.catalogue_tool set ID --ar TEXT --en TEXT
    python -m counter_app.common.catalogue_tool set ID --plural --ar F0 F1 F2 F3 F4 F5 --en ONE OTHER
    python -m counter_app.common.catalogue_tool get ID
    python -m counter_app.common.catalogue_tool rename OLD NEW
    python -m counter_app.common.catalogue_tool delete ID

Arabic's six plural forms are, in order: zero, one, two, few (3-10), many (11-99), other (100-102).
Each call takes an exclusive lock on the catalogue folder, so parallel edits never lose one another.
``./dev.sh i18n`` extracts, checks and compiles afterwards.
"""

from __future__ import annotations

import argparse
import fcntl
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from counter_app.common.i18n import DOMAIN, LANGS, LOCALE_DIR, reload_catalogues


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(lang: str) -> Catalog:
    with po_path(lang).open("rb") as handle:
        return read_po(handle, abort_invalid=True)


def save(lang: str, catalogue: Catalog) -> None:
    path = po_path(lang)
    tmp = path.with_suffix(".po.tmp")
    with tmp.open("wb") as handle:
        write_po(handle, catalogue, width=0, sort_output=True, omit_header=False)
    tmp.replace(path)
    reload_catalogues()


@contextmanager
def locked() -> Iterator[None]:
    with (LOCALE_DIR / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def set_message(msgid: str, texts: dict[str, list[str]], plural: bool) -> None:
    with locked():
        for lang in LANGS:
            catalogue = load(lang)
            forms = texts[lang]
            if plural:
                if len(forms) != catalogue.num_plurals:
                    raise SystemExit(f"{lang}: {catalogue.num_plurals} plural forms needed, {len(forms)} given")
                if msgid in catalogue:
                    del catalogue[msgid]
                catalogue.add((msgid, msgid), tuple(forms))
            else:
                if len(forms) != 1:
                    raise SystemExit(f"{lang}: one text needed")
                if msgid in catalogue:
                    del catalogue[msgid]
                catalogue.add(msgid, forms[0])
            save(lang, catalogue)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="catalogue_tool", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_set = sub.add_parser("set")
    p_set.add_argument("msgid")
    p_set.add_argument("--plural", action="store_true")
    p_set.add_argument("--ar", nargs="+", required=True)
    p_set.add_argument("--en", nargs="+", required=True)
    p_get = sub.add_parser("get")
    p_get.add_argument("msgid")
    p_ren = sub.add_parser("rename")
    p_ren.add_argument("old")
    p_ren.add_argument("new")
    p_del = sub.add_parser("delete")
    p_del.add_argument("msgid")
    args = parser.parse_args(argv)
    if args.command == "set":
        set_message(args.msgid, {"ar": args.ar, "en": args.en}, args.plural)
    elif args.command == "get":
        for lang in LANGS:
            message = load(lang).get(args.msgid)
            print(f"{lang}: {message.string if message else '(missing)'}")
    elif args.command in ("rename", "delete"):
        target = args.old if args.command == "rename" else args.msgid
        with locked():
            for lang in LANGS:
                catalogue = load(lang)
                message = catalogue.get(target)
                if message is None:
                    print(f"{lang}: {target} missing", file=sys.stderr)
                    continue
                del catalogue[target]
                if args.command == "rename":
                    new_id = (args.new, args.new) if message.pluralizable else args.new
                    catalogue.add(new_id, message.string)
                save(lang, catalogue)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
