"""The import rules of ARCHITECTURE.md, checked on the code.

The table in ``ARCHITECTURE.md`` ("Who may import whom") is the one source: each row names a
package (a module path prefix) and what it may import among the project's own packages and the
third-party distributions that decide a layer (Qt, SQLAlchemy, the web stack). This test reads the
table, walks every import statement of every module (also imports inside functions, since a lazy
import is an arrow too) and fails on an arrow the table does not allow, naming file and line.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = ROOT / "ARCHITECTURE.md"
PROJECT = ("counter_app", "queue_display", "sync", "printers", "resources")
# Third-party packages that mark a layer: importing one of them is an arrow the table rules on.
LAYERED = {
    "PySide6": "Qt",
    "shiboken6": "Qt",
    "sqlalchemy": "SQLAlchemy",
    "alembic": "SQLAlchemy",
    "psycopg": "SQLAlchemy",
    "fastapi": "web",
    "starlette": "web",
    "uvicorn": "web",
    "jinja2": "web",
    "escpos": "printing",
    "reportlab": "printing",
    "requests": "network",
}


@dataclass(frozen=True)
class Rule:
    package: str
    allowed: tuple[str, ...]


def rules() -> list[Rule]:
    """The rows of the import table: ``| `package` | `a`, `b`, Qt … | why |``."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## Who may import whom", 1)[1].split("\n## ", 1)[0]
    found = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`"):
            continue
        package = cells[0].strip("`")
        allowed = tuple(re.findall(r"`([^`]+)`|\b(Qt|SQLAlchemy|web|printing|network)\b", cells[1]))
        found.append(Rule(package, tuple(a or b for a, b in allowed)))
    return found


def rule_for(module: str, table: list[Rule]) -> Rule:
    matching = [r for r in table if module == r.package or module.startswith(r.package + ".")]
    assert matching, f"{module} is in no row of ARCHITECTURE.md's import table"
    return max(matching, key=lambda r: len(r.package))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, package: str | None = None) -> list[tuple[int, str]]:
    """(line, imported module or name) for every import in ``path``; ``package`` resolves relative ones."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    if package is None:
        package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # ``from sync import protocol`` is an arrow to ``sync.protocol``, not to the package marker
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return found


def allowed(rule: Rule, own: str, target: str) -> bool:
    top = target.split(".")[0]
    if top in LAYERED:
        return LAYERED[top] in rule.allowed
    if top not in PROJECT:
        return True  # the standard library and the other third-party libraries
    if target == own or target.startswith(own + ".") or target.startswith(rule.package):
        return True
    return any(target == a or target.startswith(a + ".") for a in rule.allowed)


def sources() -> list[Path]:
    return sorted(p for top in PROJECT for p in (ROOT / top).rglob("*.py") if "migrations" not in p.parts)


def test_the_table_covers_every_package() -> None:
    table = rules()
    assert len(table) >= 10, table
    for path in sources():
        rule_for(module_name(path), table)


def test_no_import_goes_against_the_table() -> None:
    table = rules()
    wrong = []
    for path in sources():
        own = module_name(path)
        rule = rule_for(own, table)
        for line, target in imports(path):
            if not allowed(rule, own, target):
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {own} -> {target} (row `{rule.package}`)")
    assert not wrong, "imports that ARCHITECTURE.md forbids:\n" + "\n".join(sorted(set(wrong)))


def test_the_check_catches_the_arrows_the_design_forbids(tmp_path: Path) -> None:
    """The rules bite: each of these arrows would be reported."""
    table = rules()
    forbidden = [
        ("printers.render", "counter_app.core.models.Ticket"),  # printers take plain data
        ("counter_app.core.queue", "PySide6.QtCore"),  # the core has no Qt
        ("counter_app.core.queue", "printers.jobs"),  # ... and no printer
        ("sync.server.app", "PySide6.QtGui"),  # the central server never loads Qt
        ("sync.server.app", "counter_app.core.db.Database"),  # ... nor the centre's core
        ("counter_app.ui.counter.intake", "sqlalchemy.select"),  # a window runs no SQL
        ("counter_app.ui.counter.intake", "counter_app.core.models.Application"),
        ("counter_app.common.i18n", "counter_app.core.errors.ShubbakError"),  # common is a leaf
        ("counter_app.services.counter", "counter_app.ui.shell.app"),  # arrows point one way
    ]
    for own, target in forbidden:
        assert not allowed(rule_for(own, table), own, target), f"{own} -> {target} passed"
    assert allowed(rule_for("counter_app.ui.counter.intake", table), "counter_app.ui.counter.intake",
                   "counter_app.services.counter.submit")
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from PySide6 import QtCore\n\n\nfrom . import sibling\n", encoding="utf-8")
    assert (2, "PySide6.QtCore") in imports(bad, "printers")  # imports inside functions are arrows too
    assert (5, "printers.sibling") in imports(bad, "printers")  # imports inside functions are arrows too
