"""The outbox: events for the central server, written in the same transaction as their change."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from counter_app.core.clock import utcnow
from counter_app.core.models import OutboxEvent, table

_INSERT = insert(table(OutboxEvent))


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
    session.connection().execute(_INSERT, values)
    return OutboxEvent(**values)


def pending(session: Session, limit: int = 500) -> list[OutboxEvent]:
    """The oldest events not yet acknowledged by the central server, in order."""
    return list(session.scalars(
        select(OutboxEvent).where(OutboxEvent.sent_at.is_(None)).order_by(OutboxEvent.id).limit(limit)
    ))


def pending_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.sent_at.is_(None))) or 0


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
