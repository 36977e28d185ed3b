"""A window never runs SQL: no module under ``counter_app/ui`` imports SQLAlchemy or the core's
database and models, or opens a transaction; the windows reach the core through ``services``.
The services themselves are Qt-free."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "counter_app" / "ui"
SERVICES = ROOT / "counter_app" / "services"

#: The one core module a window may import: the change notification (LISTEN / PRAGMA data_version
#: on its own thread), brought to the GUI thread by ``ui/shell/changes.py``; it runs no query of a
#: window's. Everything else of the core reaches the windows through ``counter_app.services``.
UI_MAY_IMPORT_FROM_CORE = {"counter_app.core.changes"}
#: Calls that run SQL or open a transaction, on whatever object.
SQL_CALLS = {"begin", "read", "execute", "scalar", "scalars", "get_one", "flush", "commit", "query"}


def imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def sql_calls(path: Path) -> list[tuple[int, str]]:
    return [(node.lineno, node.func.attr) for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS]


def ui_files() -> list[Path]:
    files = sorted(UI.rglob("*.py"))
    assert len(files) > 15  # the windows are where this test looks
    return files


def test_no_window_imports_sqlalchemy_or_the_core() -> None:
    bad = []
    for path in ui_files():
        for line, name in imports(path):
            allowed = any(name == ok or name.startswith(f"{ok}.") for ok in UI_MAY_IMPORT_FROM_CORE)
            if name.split(".")[0] == "sqlalchemy" or (name.startswith("counter_app.core") and not allowed):
                bad.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert bad == []


def test_no_window_runs_a_query_or_opens_a_transaction() -> None:
    bad = [f"{path.relative_to(ROOT)}:{line}: .{call}()" for path in ui_files() for line, call in sql_calls(path)]
    assert bad == []


def test_the_checks_see_what_they_look_for(tmp_path: Path) -> None:
    """The two checks above catch a window that does run SQL."""
    window = tmp_path / "window.py"
    window.write_text("from sqlalchemy import select\nfrom counter_app.core.models import Ticket\n"
                      "from counter_app.core import queue\n"
                      "def f(db):\n    with db.read() as s:\n        return s.scalars(select(Ticket))\n",
                      encoding="utf-8")
    names = [name for _line, name in imports(window)]
    assert "sqlalchemy" in names and "counter_app.core.models" in names and "counter_app.core.queue" in names
    assert [call for _line, call in sql_calls(window)] == ["read", "scalars"]


def test_the_services_import_no_qt_and_no_window() -> None:
    for path in sorted(SERVICES.rglob("*.py")):
        for line, name in imports(path):
            assert not name.startswith(("PySide6", "shiboken6", "counter_app.ui")), f"{path.name}:{line}: {name}"
    modules = [f"counter_app.services.{p.stem}" for p in sorted(SERVICES.glob("*.py")) if p.stem != "__init__"]
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules)
            + "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
