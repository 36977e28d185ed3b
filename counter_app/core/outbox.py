"""The outbox: events for the central server, written in the same transaction as their change."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from counter_app.core.clock import utcnow
from counter_app.core.db import OUTBOX_EMITTED
from counter_app.core.models import OutboxEvent, table

_INSERT = insert(table(OutboxEvent))
#: The PostgreSQL channel on which a commit that queued events is announced: a ``sync-agent``
#: on another PC of the centre sends at once instead of at its next minute.
OUTBOX_CHANNEL = "shubbak_outbox"
_NOTIFY = text(f"SELECT pg_notify('{OUTBOX_CHANNEL}', '')")


def emit(session: Session, kind: str, aggregate_id: object, payload: dict[str, Any],
         at: datetime | None = None) -> OutboxEvent:
    """Queue one event for the central server in the caller's transaction (a plain INSERT)."""
    values = {
        "uuid": str(uuid.uuid4()),
        "kind": kind,
        "aggregate_id": str(aggregate_id),
        "payload": json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")),
        "created_at": at or utcnow(),
        "attempts": 0,
    }
    conn = session.connection()
    if not session.info.get(OUTBOX_EMITTED) and conn.dialect.name == "postgresql":
        conn.execute(_NOTIFY)  # delivered at commit, once per transaction
    conn.execute(_INSERT, values)
    session.info[OUTBOX_EMITTED] = True  # the database tells its listeners after the commit
    return OutboxEvent(**values)


_PENDING = (OutboxEvent.sent_at.is_(None), OutboxEvent.rejected_at.is_(None))


def pending(session: Session, limit: int = 500, after_id: int = 0) -> list[OutboxEvent]:
    """The oldest events not yet acknowledged by the central server, in order (their local
    sequence, never the wall clock)."""
    return list(session.scalars(
        select(OutboxEvent).where(*_PENDING, OutboxEvent.id > after_id).order_by(OutboxEvent.id).limit(limit)
    ))


def pending_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxEvent).where(*_PENDING)) or 0


def oldest_pending_at(session: Session) -> datetime | None:
    return session.scalar(select(func.min(OutboxEvent.created_at)).where(*_PENDING))


def rejected_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxEvent).where(
        OutboxEvent.rejected_at.is_not(None))) or 0



def rejected(session: Session) -> list[tuple[str, str, str | None]]:
    """The events the central server refused for good: (uuid, kind, reason), oldest first."""
    rows = session.execute(select(OutboxEvent.uuid, OutboxEvent.kind, OutboxEvent.reject_reason)
                           .where(OutboxEvent.rejected_at.is_not(None)).order_by(OutboxEvent.id))
    return [(uuid, kind, reason) for uuid, kind, reason in rows]


def unsent_kind_waiting(session: Session, prefix: str) -> bool:
    """An event whose kind starts with ``prefix`` (``catalogue.``) is not sent yet: a local
    change the central server does not know."""
    return session.scalar(select(OutboxEvent.id).where(OutboxEvent.kind.startswith(prefix),
                                                       OutboxEvent.sent_at.is_(None)).limit(1)) is not None

def mark_rejected(session: Session, reasons: dict[str, str], at: datetime | None = None) -> int:
    """The central server refused these for good (quarantine): kept, never sent again."""
    moment, changed = at or utcnow(), 0
    for event_uuid, reason in reasons.items():
        result = session.execute(update(OutboxEvent).where(OutboxEvent.uuid == event_uuid, *_PENDING)
                                 .values(rejected_at=moment, reject_reason=reason[:500]))
        changed += int(getattr(result, "rowcount", 0) or 0)
    return changed


def mark_sent(session: Session, uuids: list[str], at: datetime | None = None) -> int:
    """Mark exactly the acknowledged events as sent; returns how many changed."""
    if not uuids:
        return 0
    result = session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.uuid.in_(uuids), OutboxEvent.sent_at.is_(None))
        .values(sent_at=at or utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)
