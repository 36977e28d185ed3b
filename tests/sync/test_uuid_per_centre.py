"""UUIDs are per centre: events, quarantine and application projections are keyed by (centre, UUID),
and every event of a batch gets its own answer, in the order sent."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from counter_app.core import simulate
from counter_app.core.clock import utcnow
from sync import protocol
from sync.agent.agent import Agent
from sync.server.models import ApplicationProjection, QuarantinedEvent, StoredEvent
from tests.helpers.central import ADMIN_TOKEN, Central
from tests.helpers.factories import Centre
from tests.helpers.syncing import pending_wire_events, queue_events

OTHER = "ALX-07"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def enrol_key(central: Central, code: str) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    r = requests.post(central.url + "/v1/centres/enrol", timeout=10, headers=ADMIN,
                      json={"code": code, "name": code, "sync_public_key": protocol.public_pem(key.public_key())})
    assert r.status_code == 201, r.text
    return key


def push(central: Central, centre: str, key: Ed25519PrivateKey, events: list[protocol.WireEvent]) -> list[dict[str, str]]:
    body = protocol.encode_batch(centre, events)
    stamp = utcnow().isoformat()
    headers = {protocol.HEADER_CENTRE: centre, protocol.HEADER_TIME: stamp,
               protocol.HEADER_SIGNATURE: protocol.sign(key, "POST", "/v1/events", stamp, body)}
    r = requests.post(central.url + "/v1/events", data=body, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    results: list[dict[str, str]] = r.json()["results"]
    protocol.decode_results(r.json(), events)  # what an agent checks: one answer each, in order
    return results


def as_centre(event: protocol.WireEvent, centre: str, **payload: object) -> protocol.WireEvent:
    """The same event (same UUID) as another centre would send it."""
    body = {**event.payload, **payload}
    if "centre" in body:
        body["centre"] = centre
    return protocol.WireEvent(event.uuid, event.seq, event.kind, event.aggregate_id, event.created_at, body)


def stored(central: Central, event_uuid: str) -> dict[str, str]:
    """centre -> the payload stored under ``event_uuid``."""
    with central.db.sessions() as s:
        rows = s.execute(select(StoredEvent.centre_code, StoredEvent.payload).where(StoredEvent.uuid == event_uuid))
        return {centre: payload for centre, payload in rows}


def test_another_centres_uuid_is_stored_for_that_centre(enrolled: Centre, central: Central, agent: Agent) -> None:
    simulate.run(enrolled.db, citizens=6, counters=2, seed=5)
    events = pending_wire_events(enrolled.db)
    assert agent.sync_once().sent == len(events)
    ticket = next(e for e in events if e.kind == "ticket.called")
    application = next(e for e in events if e.kind == "application.create")
    key = enrol_key(central, OTHER)
    # B sends A's ticket event exactly (it has no centre in it), and an application event of its own
    # that reuses A's event UUID and A's application UUID (another state)
    theirs = [ticket, as_centre(application, OTHER, state="cancelled", fee_total=1)]
    assert [r["status"] for r in push(central, OTHER, key, theirs)] == ["stored", "stored"]
    assert set(stored(central, ticket.uuid)) == {agent.centre, OTHER}
    kept = stored(central, application.uuid)
    assert json.loads(kept[agent.centre]) == application.payload  # A's event is untouched
    assert json.loads(kept[OTHER])["fee_total"] == 1
    assert central.count(QuarantinedEvent) == 0
    with central.db.sessions() as s:  # the projections are per centre too: A's file keeps its state
        rows = s.execute(select(ApplicationProjection.centre_code, ApplicationProjection.state)
                         .where(ApplicationProjection.application_uuid == application.aggregate_id))
        states = {centre: state for centre, state in rows}
    assert states[OTHER] == "cancelled" and states[agent.centre] != "cancelled"
    # A sending again meets its own events: duplicates
    assert {r["status"] for r in push(central, agent.centre, agent.key, events)} == {"duplicate"}


@pytest.mark.expect_log(r"^event \S+ from centre \S+ came again with another payload: quarantined$")
def test_every_event_of_a_batch_gets_its_own_answer_in_order(enrolled: Centre, central: Central,
                                                             agent: Agent) -> None:
    queue_events(enrolled.db, 4)
    a, b, c, d = pending_wire_events(enrolled.db)
    b_other = protocol.WireEvent(b.uuid, b.seq, b.kind, b.aggregate_id, b.created_at, {**b.payload, "fee_total": 1})
    batch = [a, a, b, b_other, c, b, d]
    results = push(central, agent.centre, agent.key, batch)
    assert [(r["uuid"], r["status"]) for r in results] == [
        (a.uuid, "stored"), (a.uuid, "duplicate"), (b.uuid, "stored"), (b.uuid, "rejected"), (c.uuid, "stored"),
        (b.uuid, "duplicate"), (d.uuid, "stored")]
    assert "quarantined" in results[3]["reason"]
    with central.db.sessions() as s:
        quarantined = [tuple(row) for row in s.execute(select(QuarantinedEvent.centre_code, QuarantinedEvent.uuid))]
        held = json.loads(s.scalars(select(StoredEvent.payload).where(StoredEvent.uuid == b.uuid)).one())
    assert quarantined == [(agent.centre, b.uuid)] and held == b.payload  # the first one is kept
    # replayed whole: the first of each pair is a duplicate, the changed copy is refused again
    again = [r["status"] for r in push(central, agent.centre, agent.key, batch)]
    assert again == ["duplicate", "duplicate", "duplicate", "rejected", "duplicate", "duplicate", "duplicate"]


@pytest.mark.expect_log(r"^event \S+ from centre \S+ came again with another payload: quarantined$")
def test_the_quarantine_is_per_centre(enrolled: Centre, central: Central, agent: Agent) -> None:
    queue_events(enrolled.db, 1)
    assert agent.sync_once().sent == 1
    with central.db.sessions() as s:  # the event as the server holds it for this centre
        row = s.scalars(select(StoredEvent).where(StoredEvent.centre_code == agent.centre)
                        .order_by(StoredEvent.seq.desc()).limit(1)).one()
    mine = protocol.WireEvent(row.uuid, row.seq, row.kind, row.aggregate_id, row.created_at, json.loads(row.payload))
    key = enrol_key(central, OTHER)
    other_copy = as_centre(mine, OTHER)
    assert [r["status"] for r in push(central, OTHER, key, [other_copy])] == ["stored"]
    changed = as_centre(mine, OTHER, fee_total=2)
    assert [r["status"] for r in push(central, OTHER, key, [changed])] == ["rejected"]
    listed = {c: requests.get(central.url + "/v1/quarantine", params={"centre": c}, headers=ADMIN, timeout=10).json()
              for c in (agent.centre, OTHER)}
    assert listed[agent.centre] == [] and [q["uuid"] for q in listed[OTHER]] == [mine.uuid]


def test_an_answer_that_skips_or_reorders_events_marks_nothing() -> None:
    sent = [protocol.WireEvent(str(uuid.uuid4()), n, "k", "a", "t", {}) for n in (1, 2)]

    def answer(*uuids: str) -> dict[str, object]:
        return {"results": [{"uuid": u, "status": "stored", "reason": ""} for u in uuids]}

    assert [r.uuid for r in protocol.decode_results(answer(sent[0].uuid, sent[1].uuid), sent)] == [e.uuid for e in sent]
    for wrong in (answer(sent[0].uuid), answer(sent[1].uuid, sent[0].uuid), answer(sent[0].uuid, sent[0].uuid),
                  answer(sent[0].uuid, sent[1].uuid, sent[1].uuid)):
        with pytest.raises(protocol.ProtocolError):
            protocol.decode_results(wrong, sent)


def test_the_payload_hash_is_the_one_stored_before() -> None:
    """The hash identifies content already stored: encoding the payload once must not change it."""
    import hashlib

    for payload in ({"a": 1, "b": "نص عربي \" \\ \n \u2066x\u2069", "c": [1.5, None, True]}, {}):
        event = protocol.WireEvent("u", 1, "ticket.called", "حالة\"1", "t", payload)
        before = hashlib.sha256(protocol.canonical({"kind": event.kind, "aggregate_id": event.aggregate_id,
                                                    "payload": event.payload}).encode()).hexdigest()
        assert event.payload_hash() == event.payload_hash(protocol.canonical(payload)) == before
