"""Every audit action the core writes has a sentence in both languages (issue 15, item 18b).

The actions are read from the code: every ``action=`` given to ``audit.record`` or to a refusal's
``.audited(...)``, every ``log_change(..., "<action>", ...)`` (written as ``application.<action>``),
and the f-strings among them expanded from what they are built of. An action the test cannot
read fails it, naming the line, so a new kind of call is looked at rather than silently skipped.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from counter_app.common.i18n import Lang, has_message
from counter_app.core.audit_view import entry_id
from counter_app.core.models import RequestKind, TicketEventKind

CORE = Path(__file__).resolve().parents[2] / "counter_app" / "core"

#: f-string actions, by their template, and what they expand to.
EXPANSIONS: dict[str, list[str]] = {
    "application.{action}": [],  # the log_change calls are read one by one
    "ticket.{kind.value}": [f"ticket.{k.value}" for k in TicketEventKind],
    "{action}.refused": [f"request.{k.value}.refused" for k in RequestKind] + ["request.decide.refused"],
    "{req.kind.value}_{'approved' if approve else 'declined'}": [],  # read as application.* below
    "request_{kind.value}": [f"application.request_{k.value}" for k in RequestKind],
}
DECISIONS = [f"application.{k.value}_{d}" for k in RequestKind for d in ("approved", "declined")]


def _template(node: ast.JoinedStr) -> str:
    return "".join(str(part.value) if isinstance(part, ast.Constant)
                   else "{" + ast.unparse(part.value) + "}" if isinstance(part, ast.FormattedValue) else ""
                   for part in node.values)


def core_actions() -> tuple[set[str], list[str]]:
    actions: set[str] = set(DECISIONS)
    unread: list[str] = []
    for path in sorted(CORE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            values: list[ast.expr] = []
            prefix = ""
            if name in ("record", "audited"):
                values = [k.value for k in node.keywords if k.arg == "action"]
            elif name == "log_change" and len(node.args) >= 3:
                values, prefix = [node.args[2]], "application."
            for value in values:
                where = f"{path.name}:{node.lineno}"
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    actions.add(prefix + value.value)
                elif isinstance(value, ast.IfExp) and all(isinstance(v, ast.Constant) for v in (value.body, value.orelse)):
                    actions.update(prefix + str(v.value) for v in (value.body, value.orelse))  # type: ignore[attr-defined]
                elif isinstance(value, ast.JoinedStr) and _template(value) in EXPANSIONS:
                    actions.update(EXPANSIONS[_template(value)])
                elif isinstance(value, ast.Name) and name == "log_change" and path.name == "requests.py":
                    pass  # the decision's action, built from its kind: DECISIONS
                elif isinstance(value, ast.Name) and path.name == "applications.py" and value.id == "action":
                    pass  # log_change's own parameter passed on: its callers are read
                elif isinstance(value, ast.Name) and path.name == "db.py":
                    pass  # the refused attempts, recorded as raised
                else:
                    unread.append(f"{where}: {ast.unparse(value)}")
    return actions, unread


def test_the_actions_are_read_from_the_code() -> None:
    actions, unread = core_actions()
    assert not unread, f"add these to EXPANSIONS so their actions are checked: {unread}"
    for known in ("application.reject", "ticket.called", "login.failed", "day.close", "sod.violation",
                  "request.cancel.refused", "application.cancel_approved"):
        assert known in actions


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_every_action_has_a_sentence(lang: Lang) -> None:
    actions, _unread = core_actions()
    missing = sorted(a for a in actions if not has_message(entry_id(a), lang))
    assert not missing, f"catalogue_tool set audit.entry.<action> for: {missing}"
