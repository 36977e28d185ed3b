"""The gettext catalogues stay in step with the code and with each other.

* ``msgfmt --check`` passes on every ``.po``; the Arabic header declares six plural forms in
  CLDR's order (zero, one, two, few, many, other);
* no entry is empty or fuzzy, and Arabic and English hold the same ids, plural where the other is;
* a translation's ``{fields}`` are the source's (Electrum's format-field check, on named fields);
* every message id the code uses (found by Babel's extractor, as ``./dev.sh i18n`` does) is in both
  catalogues, and so is every id the code builds from an enumeration;
* no hand-written message table is left in the packages.
"""

from __future__ import annotations

import ast
import re
import shutil
import string
import subprocess
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from counter_app.common.i18n import (
    EXTRACT_KEYWORDS,
    LANGS,
    LOCALE_DIR,
    MSGID_PATTERN,
    catalogue,
    gettext,
    ngettext,
)
from counter_app.core.errors import ACTION_IDS
from counter_app.core.models import ApplicationState, PaymentMethod, RequestKind, Role
from counter_app.core.review import REJECTION_REASONS

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("counter_app", "printers", "queue_display", "sync")
ARABIC_PLURALS = ("nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : "
                  "n%100>=11 ? 4 : 5);")


def load(lang: str) -> Catalog:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "shubbak.po").open("rb") as handle:
        return read_po(handle)


def fields(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template)
            if name is not None}


def entries(lang: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for message in load(lang):
        if not message.id:
            continue
        key = str(message.id[0] if isinstance(message.id, (tuple, list)) else message.id)
        strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        out[key] = tuple(str(s or "") for s in strings)
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_msgfmt_check_passes(lang: str) -> None:
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext's msgfmt is installed by ./dev.sh"
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "shubbak.po"
    result = subprocess.run([msgfmt, "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_arabic_declares_six_plural_forms_in_cldr_order() -> None:
    header = load("ar").mime_headers
    assert dict(header)["Plural-Forms"] == ARABIC_PLURALS
    rule = Locale.parse("ar").plural_form
    order = ("zero", "one", "two", "few", "many", "other")
    plural = catalogue("ar").plural  # type: ignore[attr-defined]  # set from the header
    for n in range(0, 1200):
        assert order[plural(n)] == rule(n), n


def test_no_empty_or_fuzzy_entry_and_same_ids_in_both_languages() -> None:
    ids: dict[str, set[str]] = {}
    for lang in LANGS:
        cat = load(lang)
        assert not cat.fuzzy, f"{lang}: the header is fuzzy"
        for message in cat:
            if not message.id:
                continue
            texts = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
            assert message.fuzzy is False, f"{lang}: {message.id} is fuzzy"
            assert all(str(t or "").strip() for t in texts), f"{lang}: {message.id} is empty"
        ids[lang] = set(entries(lang))
    assert ids["ar"] == ids["en"], {"only ar": ids["ar"] - ids["en"], "only en": ids["en"] - ids["ar"]}
    ar, en = load("ar"), load("en")
    for message in ar:
        if message.id:
            assert message.pluralizable == en[message.id].pluralizable, message.id


def test_translation_fields_match_the_source() -> None:
    ar, en = entries("ar"), entries("en")
    for msgid, en_forms in en.items():
        source = set().union(*(fields(t) for t in en_forms))
        ar_forms = ar[msgid]
        if len(en_forms) == 1:
            assert fields(ar_forms[0]) == source, f"{msgid}: {fields(ar_forms[0])} != {source}"
            assert all(fields(t) == source for t in en_forms)
        else:  # zero/one/two may say the number in words; the others carry every field
            for i, form in enumerate(ar_forms):
                assert fields(form) <= source | {"n"}, f"{msgid}[{i}]: {fields(form)} not in {source}"
            for i in (3, 4, 5):
                assert fields(ar_forms[i]) == source, f"{msgid}[{i}]: {fields(ar_forms[i])} != {source}"


def used_message_ids() -> dict[str, str]:
    """Every literal message id in the packages, as Babel extracts it: id -> first place."""
    pattern = re.compile(MSGID_PATTERN)
    keywords = {name: spec for name, spec in EXTRACT_KEYWORDS.items()}
    found: dict[str, str] = {}
    for package in PACKAGES:
        # the portal's Jinja2 templates call t("id") / nt("id", n) (sync/server/portal)
        method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
        for filename, lineno, message, _comments, _context in extract_from_dir(
                ROOT / package, method_map, keywords=keywords, strip_comment_tags=True):
            msgid = message[0] if isinstance(message, tuple) else message
            if isinstance(msgid, str) and pattern.match(msgid):
                found.setdefault(msgid, f"{package}/{filename}:{lineno}")
    return found


def test_every_message_the_code_uses_is_in_both_catalogues() -> None:
    used = used_message_ids()
    assert len(used) > 300, "the extractor found the code's messages"
    for lang in LANGS:
        known = set(entries(lang))
        missing = {msgid: where for msgid, where in used.items() if msgid not in known}
        assert not missing, f"{lang} lacks {missing}"


#: Families of ids the code builds from an enumeration (each one is checked below).
#: (``audit.entry.`` and ``audit.login_reason.`` are enumerated in tests/core/test_audit_sentences.py.)
DYNAMIC_FAMILIES = ("state.", "payment.", "role.", "bo.kind_", "sex.", "reject_reason.", "action.", "audit.entry.",
                    "audit.login_reason.")


def id_arguments() -> list[tuple[str, int, ast.expr]]:
    """(file, line, id argument) of every call to a keyword function in the packages."""
    out = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                spec = EXTRACT_KEYWORDS.get(name)
                if spec and len(node.args) >= spec[0]:
                    out.append((str(path.relative_to(ROOT)), node.lineno, node.args[spec[0] - 1]))
    return out


def test_ids_built_at_run_time_belong_to_an_enumerated_family() -> None:
    """An id made with an f-string escapes the extractor: only the enumerated families may."""
    offenders = []
    for where, line, arg in id_arguments():
        if isinstance(arg, ast.JoinedStr):
            head = arg.values[0]
            prefix = head.value if isinstance(head, ast.Constant) and isinstance(head.value, str) else ""
            if re.match(r"[a-z][a-z0-9_]*\.", prefix) and not prefix.startswith(DYNAMIC_FAMILIES):
                offenders.append(f"{where}:{line}")
    assert not offenders, offenders


def test_every_catalogue_entry_is_used() -> None:
    used = set(used_message_ids())
    unused = sorted(msgid for msgid in entries("en") if msgid not in used and not msgid.startswith(DYNAMIC_FAMILIES))
    assert not unused, f"entries no code uses (delete them with catalogue_tool): {unused}"


@pytest.mark.parametrize(("prefix", "values"), [
    ("state.", [s.value for s in ApplicationState]),
    ("payment.", [m.value for m in PaymentMethod]),
    ("role.", [r.value for r in Role]),
    ("bo.kind_", [k.value for k in RequestKind]),
    ("sex.", ["male", "female"]),
    ("reject_reason.", list(REJECTION_REASONS)),
    ("action.", [msgid.removeprefix("action.") for msgid in ACTION_IDS]),
])
def test_ids_built_from_an_enumeration_exist(prefix: str, values: list[str]) -> None:
    for lang in LANGS:
        known = set(entries(lang))
        assert {prefix + v for v in values} <= known, (lang, sorted({prefix + v for v in values} - known))


def test_no_hand_written_message_table_is_left() -> None:
    offenders = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                targets: list[str] = []
                if isinstance(node, ast.Assign):
                    targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    targets = [node.target.id]
                if any(re.fullmatch(r"_?(MESSAGES|CATALOGUE|STRINGS|TEXTS|TEMPLATES|LABELS)", t) for t in targets):
                    offenders.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}")
    assert not offenders


#: Arabic in code is data (the demo centre, the seed catalogue, place names), never a message.
ARABIC_ALLOWED = {"counter_app/common/catalogue_data.py", "counter_app/core/demo.py", "counter_app/core/simulate.py",
                  "counter_app/common/national_id.py", "counter_app/core/centre.py", "printers/samples.py",
                  "sync/server/kpis.py", "counter_app/common/governorates.py"}


def docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def test_no_arabic_text_outside_the_catalogue() -> None:
    arabic = re.compile("[\u0600-\u06ff]")
    offenders = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            rel = str(path.relative_to(ROOT))
            if rel in ARABIC_ALLOWED:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            skip = docstrings(tree)
            for node in ast.walk(tree):
                if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
                        and arabic.search(node.value)):
                    offenders.append(f"{rel}:{node.lineno}: {node.value[:60]}")
    assert not offenders, offenders


def test_language_per_call_and_fallback() -> None:
    assert gettext("common.save", "ar") == "حفظ"
    assert gettext("common.save", "en") == "Save"
    assert ngettext("status.events_waiting", 3, "ar") != ngettext("status.events_waiting", 11, "ar")
