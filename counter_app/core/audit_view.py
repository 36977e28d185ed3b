"""The supervisor's view of the audit log: filter by user, application, action and time, and
export what was found as CSV. Read-only; the chain itself is checked by ``audit.verify_chain``."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from counter_app.common import formatting
from counter_app.common.i18n import Msg
from counter_app.core.clock import as_utc, to_local
from counter_app.core.errors import NotFound
from counter_app.core.models import Application, AuditEntry, User
from counter_app.core.tracking import normalise_tracking_code

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
    """The newest entries first, at most :data:`LIMIT`."""
    return [AuditRow(e.id, as_utc(e.at), username or ("—" if e.user_id is None else f"#{e.user_id}"), e.action,
                     e.entity_type, e.entity_id, e.detail)
            for e, username in session.execute(_query(session, f))]


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
