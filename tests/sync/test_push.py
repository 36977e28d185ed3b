"""Pushing the outbox to the real central server: exactly once, authenticated, quarantine."""

from __future__ import annotations

import gzip
import json
import threading
from datetime import timedelta

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import TextClause, select, text

from counter_app.core import outbox, simulate
from counter_app.core.clock import utcnow
from counter_app.core.models import OutboxEvent
from counter_app.core.sync_state import snapshot
from sync import protocol
from sync.agent.agent import Agent, SyncError
from sync.server.models import ApplicationProjection, EnrolledCentre, QuarantinedEvent, StoredEvent
from tests.helpers.central import ADMIN_TOKEN, Central
from tests.helpers.factories import Centre
from tests.helpers.syncing import assert_exactly_once, pending_wire_events, queue_events, server_uuids


def signed_post(central: Central, centre: str, key: Ed25519PrivateKey, body: bytes,
                path: str = "/v1/events", stamp: str | None = None) -> requests.Response:
    stamp = stamp or utcnow().isoformat()
    headers = {protocol.HEADER_CENTRE: centre, protocol.HEADER_TIME: stamp,
               protocol.HEADER_SIGNATURE: protocol.sign(key, "POST", path, stamp, body)}
    return requests.post(central.url + path, data=body, headers=headers, timeout=10)


def enrol_key(central: Central, code: str) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    r = requests.post(central.url + "/v1/centres/enrol", timeout=10,
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                      json={"code": code, "name": code, "sync_public_key": protocol.public_pem(key.public_key())})
    assert r.status_code == 201, r.text
    return key


def test_a_simulated_day_arrives_once_with_projections(enrolled: Centre, central: Central, agent: Agent) -> None:
    simulate.run(enrolled.db, citizens=20, counters=3, seed=3)
    with enrolled.db.read() as s:
        waiting = outbox.pending_count(s)
        apps = set(s.scalars(select(OutboxEvent.aggregate_id).where(OutboxEvent.kind.startswith("application."))))
    assert waiting > 100 and len(apps) > 10

    report = agent.sync_once()
    assert report.sent == waiting and report.duplicates == report.rejected == report.retry == 0
    assert assert_exactly_once(enrolled.db, central) >= waiting
    with central.db.sessions() as s:
        assert set(s.scalars(select(ApplicationProjection.application_uuid))) == apps
    # a second round has nothing to send
    again = agent.sync_once()
    assert (again.sent, again.batches) == (0, 0)
    with enrolled.db.read() as s:
        state = snapshot(s)
    assert state.online and state.waiting == 0 and state.last_success is not None and not state.alert
    from counter_app import cli

    assert cli.main(["sync", "status", "--db", enrolled.db.url]) == 0


def test_batches_are_bounded_in_count_and_bytes_and_compressed(enrolled: Centre, central: Central) -> None:
    queue_events(enrolled.db, 1200)
    agent = Agent(enrolled.db, max_events=500, max_bytes=64 * 1024)
    report = agent.sync_once()
    assert report.sent == 1200
    raw = 1200 * 300
    assert report.batches >= raw // (64 * 1024)  # the byte bound cut batches before the count bound
    assert report.bytes < raw / 4  # gzip on the wire
    assert_exactly_once(enrolled.db, central)


def test_a_replayed_request_only_meets_duplicates(enrolled: Centre, central: Central, agent: Agent) -> None:
    uuids = queue_events(enrolled.db, 50)
    events = pending_wire_events(enrolled.db)
    body = protocol.encode_batch(agent.centre, events)
    first = signed_post(central, agent.centre, agent.key, body)
    replay = signed_post(central, agent.centre, agent.key, body)
    assert {r["status"] for r in first.json()["results"]} == {"stored"}
    assert {r["status"] for r in replay.json()["results"]} == {"duplicate"}
    # the agent, which never saw the first answer, sends them again: duplicates, marked sent
    report = agent.sync_once()
    assert (report.sent, report.duplicates) == (0, 50)
    assert set(uuids) <= set(server_uuids(central))
    assert_exactly_once(enrolled.db, central)


def test_two_agents_sending_the_same_batch_at_once(enrolled: Centre, central: Central, agent: Agent) -> None:
    """Past the lease (two centre PCs misconfigured): the server's unique constraint decides."""
    before = len(server_uuids(central))
    queue_events(enrolled.db, 400)
    events = pending_wire_events(enrolled.db)
    body = protocol.encode_batch(agent.centre, events)
    barrier = threading.Barrier(4)
    answers: list[list[str]] = []

    def push() -> None:
        barrier.wait()
        answers.append([r["status"] for r in signed_post(central, agent.centre, agent.key, body).json()["results"]])

    threads = [threading.Thread(target=push) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(answers) == 4
    per_event = list(zip(*answers, strict=True))
    assert all(column.count("stored") == 1 and column.count("duplicate") == 3 for column in per_event)
    assert len(server_uuids(central)) == before + 400


def test_only_one_agent_sends_per_centre(enrolled: Centre, central: Central) -> None:
    queue_events(enrolled.db, 30)
    first = Agent(enrolled.db, holder="pc-1:agent")
    second = Agent(enrolled.db, holder="pc-2:agent")
    assert first.sync_once().sent == 30
    queue_events(enrolled.db, 5)
    assert second.sync_once().leased_elsewhere  # pc-1's lease is fresh
    with enrolled.db.begin() as s:  # pc-1 went away: its lease runs out
        s.execute(update_lease_expiry(utcnow() - timedelta(seconds=1)))
    assert second.sync_once().sent == 5
    assert_exactly_once(enrolled.db, central)


def update_lease_expiry(when: object) -> TextClause:
    return text("UPDATE sync_lease SET expires_at = :w").bindparams(w=when)


@pytest.mark.expect_log(r"^refused an unauthenticated POST /v1/events ")
def test_unauthenticated_and_tampered_writes_are_refused(enrolled: Centre, central: Central, agent: Agent) -> None:
    before = central.count(StoredEvent)
    queue_events(enrolled.db, 3)
    events = pending_wire_events(enrolled.db)
    body = protocol.encode_batch(agent.centre, events)
    # no signature at all
    assert requests.post(central.url + "/v1/events", data=body, timeout=10).status_code == 401
    # a signed request whose body was changed on the way (a fee lowered)
    stamp = utcnow().isoformat()
    signature = protocol.sign(agent.key, "POST", "/v1/events", stamp, body)
    tampered_events = [events[0].__class__(**{**events[0].__dict__, "payload": {**events[0].payload, "fee_total": 1}}),
                       *events[1:]]
    tampered = protocol.encode_batch(agent.centre, tampered_events)
    r = requests.post(central.url + "/v1/events", data=tampered, timeout=10, headers={
        protocol.HEADER_CENTRE: agent.centre, protocol.HEADER_TIME: stamp, protocol.HEADER_SIGNATURE: signature})
    assert r.status_code == 401
    # signed by a key the server does not know for this centre
    assert signed_post(central, agent.centre, Ed25519PrivateKey.generate(), body).status_code == 401
    # garbage that is signed: a clear 400, nothing stored
    assert signed_post(central, agent.centre, agent.key, b"not gzip").status_code == 400
    assert central.count(StoredEvent) == before


@pytest.mark.expect_log(r"^centre \S+ sent a batch for centre \S+: refused$")
def test_a_forged_centre_is_refused(enrolled: Centre, central: Central, agent: Agent) -> None:
    other = enrol_key(central, "ALX-07")
    before = central.count(StoredEvent)
    queue_events(enrolled.db, 2, centre=agent.centre)
    events = pending_wire_events(enrolled.db)
    # ALX-07 signs a batch that claims to come from our centre
    forged = protocol.encode_batch(agent.centre, events)
    assert signed_post(central, "ALX-07", other, forged).status_code == 403
    # ALX-07 sends, in its own batch, events whose payload names our centre
    own = signed_post(central, "ALX-07", other, protocol.encode_batch("ALX-07", events))
    assert [r["reason"] for r in own.json()["results"]] == ["centre_mismatch"] * 2
    assert central.count(StoredEvent) == before
    assert agent.sync_once().sent == 2


@pytest.mark.expect_log(r"^the server rejected event \S+: quarantined: same uuid, different payload$")
@pytest.mark.expect_log(r"^event \S+ from centre \S+ came again with another payload: quarantined$")
def test_same_uuid_with_another_payload_is_quarantined_never_overwritten(
        enrolled: Centre, central: Central, agent: Agent, capsys: pytest.CaptureFixture[str]) -> None:
    (event_uuid,) = queue_events(enrolled.db, 1)
    assert agent.sync_once().sent == 1
    with central.db.sessions() as s:
        original = s.scalar(select(StoredEvent.payload).where(StoredEvent.uuid == event_uuid))
    # the local copy is changed and sent again (a restored backup, a bug): same uuid, other payload
    with enrolled.db.begin() as s:
        row = s.scalars(select(OutboxEvent).where(OutboxEvent.uuid == event_uuid)).one()
        row.sent_at, row.payload = None, json.dumps({**json.loads(row.payload), "fee_total": 1})
    report = agent.sync_once()
    assert (report.sent, report.rejected) == (0, 1)
    with central.db.sessions() as s:
        assert s.scalar(select(StoredEvent.payload).where(StoredEvent.uuid == event_uuid)) == original
        quarantined = s.scalars(select(QuarantinedEvent)).all()
    assert [q.uuid for q in quarantined] == [event_uuid]
    with enrolled.db.read() as s:
        row = s.scalars(select(OutboxEvent).where(OutboxEvent.uuid == event_uuid)).one()
        state = snapshot(s)
    assert row.rejected_at is not None and "quarantined" in (row.reject_reason or "")
    assert state.rejected == 1 and state.alert and state.waiting == 0
    assert agent.sync_once().rejected == 0  # set aside: never sent again
    # the supervisor sees it on both sides
    listed = requests.get(central.url + "/v1/quarantine", timeout=10,
                          headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()
    assert [q["uuid"] for q in listed] == [event_uuid] and listed[0]["payload"]["payload"]["fee_total"] == 1
    assert requests.get(central.url + "/v1/quarantine", timeout=10).status_code == 401
    from counter_app import cli

    assert cli.main(["sync", "status", "--db", enrolled.db.url]) == 1
    out = capsys.readouterr().out
    assert "refused: 1" in out and event_uuid in out and "quarantined" in out


def test_status_lookup_shows_no_personal_data(enrolled: Centre, central: Central, agent: Agent) -> None:
    simulate.run(enrolled.db, citizens=6, counters=2, seed=5)
    agent.sync_once()
    with central.db.sessions() as s:
        code = s.scalar(select(ApplicationProjection.tracking_code).limit(1))
    assert code
    answer = requests.get(f"{central.url}/v1/status/{code}", timeout=10)
    assert answer.status_code == 200
    assert set(answer.json()) == {"tracking_code", "state", "service", "centre", "updated_at"}
    with central.db.sessions() as s:
        payloads = [json.loads(p) for p in s.scalars(select(StoredEvent.payload))]
    personal = {str(v) for p in payloads for k, v in p.items()
                if k in ("national_id", "applicant_name", "phone", "name")}
    assert not personal & {str(v) for v in answer.json().values()}
    assert requests.get(f"{central.url}/v1/status/0000-0000-0000", timeout=10).status_code in (404, 422)
    assert requests.get(f"{central.url}/v1/status/not-a-code", timeout=10).status_code == 422


def test_health_and_openapi(central: Central) -> None:
    assert requests.get(central.url + "/v1/health", timeout=10).json()["status"] == "ok"
    spec = requests.get(central.url + "/openapi.json", timeout=10).json()
    assert {"/v1/events", "/v1/status/{tracking_code}", "/v1/receipts/verify", "/v1/catalogue/latest",
            "/v1/health"} <= set(spec["paths"])


@pytest.mark.expect_log(r"^centre \S+'s clock is off by ")
def test_device_clock_skew_is_recorded_and_flagged(enrolled: Centre, central: Central,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import sync.agent.agent as agent_module

    queue_events(enrolled.db, 2)
    ahead = utcnow() + timedelta(minutes=9)
    monkeypatch.setattr(agent_module, "utcnow", lambda: ahead)
    Agent(enrolled.db).sync_once()
    with enrolled.db.read() as s:
        state = snapshot(s)
    assert state.clock_skew_s is not None and 530 < state.clock_skew_s < 550
    assert state.clock_flagged and state.alert
    with central.db.sessions() as s:
        row = s.get(EnrolledCentre, enrolled_code(enrolled))
        assert row is not None and row.clock_flagged and row.clock_skew_s is not None and row.clock_skew_s > 500
    # order comes from the device's sequence, not its clock: both events stored with their seq
    with central.db.sessions() as s:
        seqs = list(s.scalars(select(StoredEvent.seq).order_by(StoredEvent.seq)))
    assert len(seqs) == len(set(seqs)) and seqs[-2:] == [seqs[-1] - 1, seqs[-1]]


def enrolled_code(site: Centre) -> str:
    from counter_app.core.centre import centre_code

    with site.db.read() as s:
        return centre_code(s)


@pytest.mark.expect_log(r"^refused an unauthenticated POST /v1/events ")
def test_an_unenrolled_centre_gets_a_clear_error(site: Centre, central: Central) -> None:
    with pytest.raises(SyncError, match="no central server configured"):
        Agent(site.db)
    queue_events(site.db, 1)
    with site.db.read() as s:
        waiting = outbox.pending_count(s)
    agent = Agent(site.db, central.url)  # a server given, but never enrolled there
    with pytest.raises(SyncError, match="401") as error:
        agent.sync_once()
    assert not error.value.retryable
    with site.db.read() as s:
        state = snapshot(s)
    assert not state.online and "401" in state.last_error and state.waiting == waiting


def test_gzip_body_is_what_is_signed() -> None:
    key = Ed25519PrivateKey.generate()
    body = protocol.encode_batch("C1", [protocol.WireEvent("u", 1, "k", "a", "t", {"x": 1})])
    assert json.loads(gzip.decompress(body))["centre"] == "C1"
    sig = protocol.sign(key, "POST", "/v1/events", "t", body)
    assert protocol.verify(key.public_key(), sig, "POST", "/v1/events", "t", body)
    assert not protocol.verify(key.public_key(), sig, "POST", "/v1/events", "t", body + b" ")
    assert not protocol.verify(key.public_key(), sig, "POST", "/v1/catalogue", "t", body)
