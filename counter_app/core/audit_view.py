"""The supervisor's view of the audit log: filter by user, application, action and time, and
export what was found as CSV. Read-only; the chain itself is checked by ``audit.verify_chain``.

:func:`describe` says each entry as a sentence in the reader's language: the catalogue holds one
``audit.entry.<action>`` per action the core writes (a test enumerates them from the code), with
the user's full name, the ticket number, tracking code and amount formatted; an action with no
sentence yet reads "user: action" rather than nothing.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from counter_app.common import formatting
from counter_app.common.i18n import N_, Lang, Msg, gettext, has_message
from counter_app.common.tracking import normalise_tracking_code
from counter_app.core.clock import as_utc, to_local
from counter_app.core.errors import NotFound
from counter_app.core.models import Application, AuditEntry, Counter, User

#: The most rows one search returns (the window pages by narrowing the filter).
LIMIT = 2000


@dataclass(frozen=True)
class AuditFilter:
    username: str | None = None
    tracking_code: str | None = None  # an application, by its tracking code
    action: str | None = None  # a prefix: "application." or "sod." or "login.failed"
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    username: str
    action: str
    entity_type: str
    entity_id: str
    detail: str
    full_name: str = ""  # the acting user's name ("" for the system)
    target: str = ""  # the user an entry is about (by name), or the counter's number


def _query(session: Session, f: AuditFilter) -> Select[AuditEntry, str]:
    q = select(AuditEntry, User.username).outerjoin(User, User.id == AuditEntry.user_id)
    if f.username and f.username.strip():
        q = q.where(User.username == f.username.strip().lower())
    if f.tracking_code and f.tracking_code.strip():
        code = normalise_tracking_code(f.tracking_code)
        app_id = session.scalar(select(Application.id).where(Application.tracking_code == code)) if code else None
        if app_id is None:
            raise NotFound(what=Msg("what.tracking_code", code=formatting.tracking_code(f.tracking_code.strip())))
        q = q.where(AuditEntry.entity_type == "application", AuditEntry.entity_id == str(app_id))
    if f.action and f.action.strip():
        q = q.where(AuditEntry.action.startswith(f.action.strip(), autoescape=True))
    if f.since is not None:
        q = q.where(AuditEntry.at >= as_utc(f.since))
    if f.until is not None:
        q = q.where(AuditEntry.at < as_utc(f.until))
    return q.order_by(AuditEntry.id.desc()).limit(LIMIT)


def search(session: Session, f: AuditFilter) -> list[AuditRow]:
    """The newest entries first, at most :data:`LIMIT`, with the names of the users involved."""
    found = list(session.execute(_query(session, f)))
    names = {u.id: (u.username, u.full_name) for u in session.scalars(select(User))}
    counters = {c.id: str(c.number) for c in session.scalars(select(Counter))}
    rows = []
    for e, username in found:
        target = ""
        if e.entity_type == "user":
            target = names[int(e.entity_id)][1] if e.entity_id.isdigit() and int(e.entity_id) in names else e.entity_id
        elif e.entity_type == "counter" and e.entity_id.isdigit():
            target = counters.get(int(e.entity_id), e.entity_id)
        elif e.action == "application.reassign":
            to = json.loads(e.detail or "{}").get("to")
            target = names[to][1] if to in names else ""
        rows.append(AuditRow(e.id, as_utc(e.at), username or ("—" if e.user_id is None else f"#{e.user_id}"),
                             e.action, e.entity_type, e.entity_id, e.detail,
                             full_name=names[e.user_id][1] if e.user_id in names else "", target=target))
    return rows


def entry_id(action: str) -> str:
    """The catalogue id of an action's sentence."""
    return f"audit.entry.{action}"


def detail_of(row: AuditRow) -> dict[str, Any]:
    try:
        value = json.loads(row.detail) if row.detail else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _codes(values: object, lang: Lang) -> str:
    items: list[str] = [formatting.code(str(v)) for v in values] if isinstance(values, list) else []
    return formatting.join(items, lang) if items else "—"


def sentence_fields(row: AuditRow, lang: Lang) -> dict[str, Any]:
    """Every field a sentence may use, formatted for ``lang`` ("—" where the entry has none)."""
    d = detail_of(row)
    dash = "—"
    user = formatting.name(row.full_name or row.username) if row.username != "—" else Msg("audit.system")
    amount = next((d[k] for k in ("refund", "amount", "amount_piastres", "total") if isinstance(d.get(k), int)), None)
    day: object = dash
    if row.entity_type == "day":
        try:
            day = formatting.format_date(date.fromisoformat(row.entity_id), lang)
        except ValueError:
            day = row.entity_id
    role = d.get("role")
    why = d.get("reason") if row.action == "login.failed" else None
    return {
        "user": user,
        "target": formatting.name(row.target) if row.target else dash,
        "tracking": formatting.tracking_code(str(d["tracking"])) if d.get("tracking") else dash,
        "number": formatting.ticket_label(str(d["number"])) if d.get("number") else dash,
        "counter": formatting.counter_number(str(d["counter"])) if d.get("counter") else (
            formatting.counter_number(row.target) if row.entity_type == "counter" and row.target else dash),
        "reason": str(d["reason"]) if d.get("reason") and why is None else dash,
        "login_reason": Msg(f"audit.login_reason.{why}") if isinstance(why, str)
        and has_message(f"audit.login_reason.{why}", lang) else dash,
        "amount": formatting.money(amount, lang) if amount is not None else dash,
        "day": day,
        "role": Msg(f"role.{role}") if isinstance(role, str) and has_message(f"role.{role}", lang) else dash,
        "documents": _codes(d.get("received") or d.get("missing"), lang),
        "document": formatting.code(str(d["document"])) if d.get("document") else dash,
        "groups": formatting.code(str(d["groups"])) if d.get("groups") else dash,
        "version": formatting.code(row.entity_id) if row.entity_type == "catalogue" else dash,
        "code": formatting.code(row.entity_id),
        "action": formatting.code(row.action),
        "note": str(d["note"]) if d.get("note") else dash,
    }


def describe(row: AuditRow, lang: Lang) -> str:
    """The entry as one sentence in ``lang``."""
    key = entry_id(row.action)
    if not has_message(key, lang):
        key = N_("audit.entry.unknown")
    return gettext(key, lang, **sentence_fields(row, lang))


def to_csv(rows: list[AuditRow]) -> str:
    """UTF-8 CSV (with a byte-order mark, so spreadsheet programs read Arabic right)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["id", "time_utc", "time_local", "user", "action", "entity_type", "entity_id", "detail"])
    for r in rows:
        detail = r.detail
        try:
            detail = json.dumps(json.loads(r.detail), ensure_ascii=False, sort_keys=True)
        except ValueError:
            pass
        writer.writerow([r.id, r.at.isoformat(), to_local(r.at).strftime("%Y-%m-%d %H:%M:%S"), r.username,
                         r.action, r.entity_type, r.entity_id, detail])
    return out.getvalue()
