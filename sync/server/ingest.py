"""What the central server does with a batch, in one transaction (no HTTP here).

Every event is inserted under the unique constraint on its UUID (``ON CONFLICT DO NOTHING ...
RETURNING``): the database decides what is new, so two agents sending the same batch at once, or
a replayed request, store each event once. An event that was not inserted is a duplicate when its
payload hash matches the stored one; otherwise it goes to quarantine for a supervisor and is
answered ``rejected`` (the stored event is never overwritten).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from sync.protocol import MAX_BATCH_EVENTS, EventResult, WireEvent, canonical
from sync.server.inputs import event_problem
from sync.server.models import ApplicationProjection, QuarantinedEvent, StoredEvent

log = logging.getLogger(__name__)


def _insert(session: Session, model: Any) -> Insert:
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


def ingest(session: Session, centre: str, events: list[WireEvent], now: datetime) -> list[EventResult]:
    """Store a batch; one result per event, in the order sent."""
    results: dict[str, EventResult] = {}
    accepted: list[WireEvent] = []
    seen: set[str] = set()
    for i, e in enumerate(events):
        if i >= MAX_BATCH_EVENTS:
            results[e.uuid] = EventResult(e.uuid, "retry", "batch_too_large")
        elif e.uuid in seen:
            continue  # the same event twice in one batch: answered once, below
        elif str(e.payload.get("centre", centre)) != centre:
            results[e.uuid] = EventResult(e.uuid, "rejected", "centre_mismatch")
        elif problem := event_problem(e):  # the database would fail the whole batch on it
            results[e.uuid] = EventResult(e.uuid, "rejected", problem)
        else:
            accepted.append(e)
        seen.add(e.uuid)
    hashes = {e.uuid: e.payload_hash() for e in accepted}
    inserted: set[str] = set()
    if accepted:
        rows = [{"uuid": e.uuid, "centre_code": centre, "seq": e.seq, "kind": e.kind,
                 "aggregate_id": e.aggregate_id, "created_at": e.created_at, "payload": canonical(e.payload),
                 "payload_hash": hashes[e.uuid], "received_at": now} for e in accepted]
        stmt = _insert(session, StoredEvent.__table__).on_conflict_do_nothing(  # type: ignore[attr-defined]
            index_elements=["uuid"]).returning(StoredEvent.__table__.c.uuid)
        # one cached statement, sent as multi-row INSERTs by SQLAlchemy's "insertmanyvalues"
        inserted.update(session.connection().execute(stmt, rows).scalars().all())
    existing: dict[str, str] = {}
    others = [e.uuid for e in accepted if e.uuid not in inserted]
    if others:
        existing = {u: h for u, h in session.execute(select(StoredEvent.uuid, StoredEvent.payload_hash)
                                                     .where(StoredEvent.uuid.in_(others)))}
    for e in accepted:
        if e.uuid in inserted:
            results[e.uuid] = EventResult(e.uuid, "stored")
        elif existing.get(e.uuid) == hashes[e.uuid]:
            results[e.uuid] = EventResult(e.uuid, "duplicate")
        else:
            session.add(QuarantinedEvent(uuid=e.uuid, centre_code=centre, payload=canonical(e.as_json()),
                                         payload_hash=hashes[e.uuid], received_at=now))
            log.warning("event %s from centre %s came again with another payload: quarantined", e.uuid, centre)
            results[e.uuid] = EventResult(e.uuid, "rejected", "quarantined: same uuid, different payload")
    project(session, centre, [e for e in accepted if e.uuid in inserted])
    return _ordered(events, results)


def _ordered(events: list[WireEvent], results: dict[str, EventResult]) -> list[EventResult]:
    out, done = [], set()
    for e in events:
        if e.uuid not in done:
            out.append(results[e.uuid])
            done.add(e.uuid)
    return out


def project(session: Session, centre: str, events: list[WireEvent]) -> None:
    """Keep each application's latest state, by the centre's own sequence (never the clock)."""
    latest: dict[str, WireEvent] = {}
    for e in events:
        p = e.payload
        if not e.kind.startswith("application.") or not isinstance(p.get("application"), str):
            continue
        current = latest.get(p["application"])
        if current is None or e.seq > current.seq:
            latest[p["application"]] = e
    if not latest:
        return
    rows = [{"application_uuid": app_uuid, "centre_code": centre, "tracking_code": str(e.payload.get("tracking_code")),
             "service_code": str(e.payload.get("service")), "state": str(e.payload.get("state")), "last_seq": e.seq,
             "updated_at": str(e.payload.get("at") or e.created_at)} for app_uuid, e in latest.items()]
    table = ApplicationProjection.__table__
    stmt = _insert(session, table)
    excluded = stmt.excluded  # type: ignore[attr-defined]
    stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
        index_elements=["application_uuid"],
        set_={"state": excluded.state, "last_seq": excluded.last_seq, "updated_at": excluded.updated_at},
        where=table.c.last_seq < excluded.last_seq)
    session.connection().execute(stmt, rows)


def status_of(session: Session, tracking_code: str) -> dict[str, str] | None:
    """What a citizen may know of an application: no name, no national ID, no phone."""
    row = session.scalar(select(ApplicationProjection).where(ApplicationProjection.tracking_code == tracking_code)
                         .order_by(ApplicationProjection.updated_at.desc()).limit(1))
    if row is None:
        return None
    return {"tracking_code": row.tracking_code, "state": row.state, "service": row.service_code,
            "centre": row.centre_code, "updated_at": row.updated_at}


def event_payload(session: Session, event_uuid: str) -> dict[str, Any] | None:
    text = session.scalar(select(StoredEvent.payload).where(StoredEvent.uuid == event_uuid))
    return json.loads(text) if text else None
