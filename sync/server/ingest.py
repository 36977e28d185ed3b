"""What the central server does with a batch, in one transaction (no HTTP here).

Every event gets its own answer, in the order sent:

* ``retry`` past :data:`MAX_BATCH_EVENTS`, or when the batch's schema version is newer than this
  server's (the centre keeps it until the server is upgraded);
* ``rejected`` when its payload names another centre, or when it does not follow the schema of its
  kind (:mod:`sync.events`; the reason names the field): never stored, and the centre sets it aside;
* otherwise its key is inserted under the primary key of ``event_key`` on (centre, UUID) (``ON
  CONFLICT DO NOTHING ... RETURNING``), and the event itself only when its key was new (the ``event``
  table is partitioned by month on PostgreSQL, where a unique constraint would have to hold the
  month: :mod:`sync.server.partitions`): the database decides what is new, so two agents sending the same batch at once,
  or a replayed request, store each event once. UUIDs are the centre's own: another centre's event
  with the same UUID is another event. An event that was not inserted is a ``duplicate`` when its
  payload hash matches the stored one; otherwise it goes to quarantine for a supervisor and is
  answered ``rejected`` (the stored event is never overwritten);
* the events stored move the rollups of the reports in the same transaction (:mod:`sync.server.rollups`);
* the same UUID again in one batch: ``duplicate`` of the first when identical (or the first's own
  refusal), else quarantined and ``rejected`` like any other conflict.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from sync.protocol import MAX_BATCH_EVENTS, SCHEMA_VERSION, EventResult, WireEvent, canonical, invalid_events
from sync.server import bulk, partitions, queue_state, rollups
from sync.server.appointments import centre_pull, outcomes
from sync.server.centre_details import project_centre
from sync.server.inputs import event_problem
from sync.server.models import ApplicationProjection, EventKey, QuarantinedEvent, StoredEvent

log = logging.getLogger(__name__)
CONFLICT = "quarantined: same uuid, different payload"


def ingest(session: Session, centre: str, events: list[WireEvent], now: datetime) -> list[EventResult]:
    """Store a batch; one result per event, in the order sent."""
    results: list[EventResult | None] = [None] * len(events)
    problems = invalid_events(events[:MAX_BATCH_EVENTS])
    accepted: dict[str, int] = {}  # uuid -> index of the event that is inserted or compared
    repeats: list[int] = []  # a uuid seen before in this batch: answered after the first
    invalid: list[tuple[str, str]] = []
    for i, e in enumerate(events):
        if i >= MAX_BATCH_EVENTS:
            results[i] = EventResult(e.uuid, "retry", "batch_too_large")
        elif e.schema > SCHEMA_VERSION:
            results[i] = EventResult(e.uuid, "retry", f"schema_unsupported: this server knows schema versions up "
                                                      f"to {SCHEMA_VERSION}, the batch is of {e.schema}")
        elif str(e.payload.get("centre", centre)) != centre:
            results[i] = EventResult(e.uuid, "rejected", "centre_mismatch")
        elif (problem := problems[i]) is not None:
            results[i] = EventResult(e.uuid, "rejected", f"invalid: {problem}")
            invalid.append((e.uuid, problem))
        elif unstorable := event_problem(e, schema_checked=True):  # the database would fail the batch on it
            results[i] = EventResult(e.uuid, "rejected", unstorable)
        elif e.uuid in accepted:
            repeats.append(i)
        else:
            accepted[e.uuid] = i
    if invalid:  # one line per batch, however many: a broken centre does not flood the log
        log.warning("centre %s sent %d events that do not follow their schema: rejected (the first, %a: %s)",
                    centre, len(invalid), *invalid[0])
    fresh = [events[i] for i in accepted.values()]
    texts = {e.uuid: canonical(e.payload) for e in fresh}  # encoded once: stored and hashed
    hashes = {e.uuid: e.payload_hash(texts[e.uuid]) for e in fresh}
    inserted: set[str] = set()
    if fresh:
        rows = [{"uuid": e.uuid, "centre_code": centre, "seq": e.seq, "kind": e.kind,
                 "aggregate_id": e.aggregate_id, "created_at": e.created_at, "payload": texts[e.uuid],
                 "payload_hash": hashes[e.uuid], "received_at": now} for e in fresh]
        keys = [{"centre_code": centre, "uuid": e.uuid, "created_at": e.created_at, "payload_hash": hashes[e.uuid]}
                for e in fresh]
        key_table = cast(Table, EventKey.__table__)
        # one short statement of arrays on PostgreSQL (sync.server.bulk)
        inserted.update(bulk.insert(session, key_table, keys, lambda stmt: stmt.on_conflict_do_nothing(
            index_elements=["centre_code", "uuid"]).returning(key_table.c.uuid)).scalars().all())
        new_rows = [r for r in rows if r["uuid"] in inserted]
        if new_rows:
            partitions.ensure(session, {str(r["created_at"]) for r in new_rows})
            bulk.insert(session, cast(Table, StoredEvent.__table__), new_rows)
    existing: dict[str, str] = {}
    others = [e.uuid for e in fresh if e.uuid not in inserted]
    if others:
        existing = {u: h for u, h in session.execute(
            select(EventKey.uuid, EventKey.payload_hash)
            .where(EventKey.centre_code == centre, EventKey.uuid.in_(others)))}
    for e in fresh:
        i = accepted[e.uuid]
        if e.uuid in inserted:
            results[i] = EventResult(e.uuid, "stored")
        elif existing.get(e.uuid) == hashes[e.uuid]:
            results[i] = EventResult(e.uuid, "duplicate")
        else:
            results[i] = _quarantine(session, centre, e, hashes[e.uuid], now)
    for i in repeats:
        e = events[i]
        first = results[accepted[e.uuid]]
        assert first is not None
        if e.payload_hash() != hashes[e.uuid]:
            results[i] = _quarantine(session, centre, e, e.payload_hash(), now)
        elif first.status in ("stored", "duplicate"):
            results[i] = EventResult(e.uuid, "duplicate")
        else:
            results[i] = EventResult(e.uuid, first.status, first.reason)
    stored = [e for e in fresh if e.uuid in inserted]
    project(session, centre, stored)
    project_centre(session, centre, stored)
    queue_state.fold(session, centre, stored)
    outcomes.lock_bookings(session, centre, stored)  # those of its check-ins and no-shows, in one order
    centre_pull.record_check_ins(session, centre, stored)  # the bookings checked in at its kiosk
    outcomes.record_no_shows(session, centre, stored)  # and those its day's close found missing
    outcomes.record_calls(session, centre, stored)  # their appointment tickets' first calls
    rollups.add(session, centre, stored, now)
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def _quarantine(session: Session, centre: str, e: WireEvent, payload_hash: str, now: datetime) -> EventResult:
    session.add(QuarantinedEvent(uuid=e.uuid, centre_code=centre, payload=canonical(e.as_json()),
                                 payload_hash=payload_hash, received_at=now))
    log.warning("event %s from centre %s came again with another payload: quarantined", e.uuid, centre)
    return EventResult(e.uuid, "rejected", CONFLICT)


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
    table = cast(Table, ApplicationProjection.__table__)
    bulk.insert(session, table, rows, lambda stmt: stmt.on_conflict_do_update(
        index_elements=["centre_code", "application_uuid"],
        set_={"state": stmt.excluded.state, "last_seq": stmt.excluded.last_seq, "updated_at": stmt.excluded.updated_at},
        where=table.c.last_seq < stmt.excluded.last_seq))


def status_of(session: Session, tracking_code: str) -> dict[str, str] | None:
    """What a citizen may know of an application: no name, no national ID, no phone."""
    row = session.scalar(select(ApplicationProjection).where(ApplicationProjection.tracking_code == tracking_code)
                         .order_by(ApplicationProjection.updated_at.desc()).limit(1))
    if row is None:
        return None
    return {"tracking_code": row.tracking_code, "state": row.state, "service": row.service_code,
            "centre": row.centre_code, "updated_at": row.updated_at}


def event_payload(session: Session, centre: str, event_uuid: str) -> dict[str, Any] | None:
    text = session.scalar(select(StoredEvent.payload).where(StoredEvent.centre_code == centre,
                                                           StoredEvent.uuid == event_uuid))
    return json.loads(text) if text else None
