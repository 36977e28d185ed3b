"""One palette, one style sheet: no window of the counter app carries a colour of its own.

Colours live in ``counter_app/common/palette.py``; ``counter_app/ui/widgets/style.py`` builds the
style sheet from them. Anywhere else under ``counter_app/ui`` a colour literal (``#b00020``,
``color:``, ``background:``), a ``setStyleSheet`` call, a ``QColor("...")`` or a ``Qt.GlobalColor``
is a colour coming back inline; the waiting-hall display keeps its own big-screen style sheet but no colour literal.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STYLE = ROOT / "counter_app" / "ui" / "widgets" / "style.py"
HEX = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?(?:[0-9a-fA-F]{2})?\b")
QSS_COLOUR = re.compile(r"\b(?:color|background(?:-color)?|border(?:-[a-z]+)?-color)\s*:", re.IGNORECASE)


def offences(source: str, *, display: bool = False) -> list[str]:
    """What in ``source`` sets a colour inline: (line: what) for each string or call that does."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if HEX.search(node.value):
                found.append(f"{node.lineno}: colour literal {node.value[:40]!r}")
            elif not display and QSS_COLOUR.search(node.value):
                found.append(f"{node.lineno}: inline style {node.value[:40]!r}")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) \
                and node.value.attr == "GlobalColor":
            found.append(f"{node.lineno}: Qt.GlobalColor.{node.attr}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name == "setStyleSheet" and not display:
                found.append(f"{node.lineno}: setStyleSheet")
            if name == "QColor" and node.args and isinstance(node.args[0], ast.Constant):
                found.append(f"{node.lineno}: QColor({node.args[0].value!r})")
    return found


def test_the_check_finds_an_inline_colour() -> None:
    """The check itself: each way a colour could come back is caught."""
    assert offences('label.setStyleSheet("font-weight: bold;")')
    assert offences('x = "color: #b00020; font-weight: bold;"')
    assert offences('BAR = QColor("#1565c0")')
    assert offences('tile = "QLabel { background: %s; }"')
    assert offences('RED = "#b00020"', display=True)
    assert offences("painter.fillRect(rect, Qt.GlobalColor.black)", display=True)
    assert not offences('set_state(label, "error")')
    assert not offences('self.setStyleSheet(f"QWidget {{ background: {COLOURS.bg}; }}")', display=True)


def test_no_colour_in_the_windows_but_the_one_style_sheet() -> None:
    files = [p for p in sorted((ROOT / "counter_app" / "ui").rglob("*.py")) if p != STYLE]
    assert len(files) > 20
    found = {str(p.relative_to(ROOT)): o for p in files if (o := offences(p.read_text(encoding="utf-8")))}
    assert not found, found


def test_the_display_takes_its_colours_from_the_palette() -> None:
    files = sorted((ROOT / "queue_display").rglob("*.py"))
    found = {str(p.relative_to(ROOT)): o for p in files
             if (o := offences(p.read_text(encoding="utf-8"), display=True))}
    assert not found, found
