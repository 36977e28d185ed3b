"""The audit chain anchored off the PC (issue 17, item 8), against the real central server.

Whoever can write the centre database can drop the last audit entries and move the head record
back, or edit an entry and recompute every hash after it: ``shubbak audit verify`` still passes.
Every batch carries the chain's head, the server keeps each one, and ``shubbak audit verify
--against-central`` names the first anchored entry the local chain no longer has.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from sqlalchemy import delete, select, update

from counter_app.core import audit, queue, settings, users
from counter_app.core.db import Database
from counter_app.core.errors import AuthenticationFailed
from counter_app.core.models import AuditEntry, AuditHead
from sync import protocol
from sync.agent.agent import Agent
from sync.agent.anchors import verify_against_central
from sync.server.models import AuditAnchor
from tests.helpers.central import ADMIN_TOKEN, Central, enrol_site, free_port
from tests.helpers.factories import Centre
from tests.helpers.logfail import Expectations
from tests.sync.test_push import enrol_key, signed_post

ROOT = Path(__file__).resolve().parents[2]
FLAG_LOG = "does not extend what it anchored before"


def tickets(db: Database, n: int) -> None:
    """``n`` tickets, each its own transaction: an audit entry and an outbox event each."""
    for _ in range(n):
        with db.begin() as s:
            queue.issue_ticket(s, "A")


def a_day_in_rounds(db: Database, rounds: int = 3) -> list[int]:
    """Activity and a sync, ``rounds`` times; the chain head after each sync."""
    heads = []
    for _ in range(rounds):
        tickets(db, 4)
        agent = Agent(db)
        agent.sync_once()
        agent.close()
        with db.read() as s:
            head = audit.head(s)
        assert head is not None
        heads.append(head[0])
    return heads


def anchors(central: Central, centre: str = "") -> list[tuple[int, str, bool]]:
    with central.db.sessions() as s:
        query = select(AuditAnchor).order_by(AuditAnchor.id)
        if centre:
            query = query.where(AuditAnchor.centre_code == centre)
        return [(r.seq, r.hash, r.flagged) for r in s.scalars(query)]


def local_hashes(db: Database) -> dict[int, str]:
    with db.read() as s:
        return dict(s.execute(select(AuditEntry.id, AuditEntry.hash)).all())


def cli(db: Database, *args: str) -> subprocess.CompletedProcess[str]:
    """The real ``shubbak`` in its own process (the suite's clock goes with it: tests/helpers/clock.py)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))}
    return subprocess.run([sys.executable, "-m", "counter_app.cli", "audit", "verify", "--db", db.url, *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)


def truncate_chain(db: Database, keep: int) -> None:
    """What a forger with the database does: drop the entries after ``keep`` and move the head
    record back to match, so that the chain verifies on its own."""
    with db.begin() as s:
        last = s.get_one(AuditEntry, keep)
        s.execute(delete(AuditEntry).where(AuditEntry.id > keep))
        s.execute(update(AuditHead).where(AuditHead.id == 1).values(last_id=keep, last_hash=last.hash, count=keep))


def rewrite_entry(db: Database, seq: int) -> None:
    """Edit entry ``seq`` and recompute its hash and every hash after it, and the head record."""
    with db.begin() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.id >= seq).order_by(AuditEntry.id)).all()
        prev = entries[0].prev_hash
        for e in entries:
            if e.id == seq:
                e.detail = json.dumps({"forged": True})
            e.prev_hash = prev
            e.hash = audit.entry_hash(prev, e.id, e.at, e.user_id, e.action, e.entity_type, e.entity_id, e.detail)
            prev = e.hash
        s.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev))


# -- a normal day ---------------------------------------------------------------------------------
def test_a_normal_day_is_anchored_and_verifies(enrolled: Centre, central: Central) -> None:
    heads = a_day_in_rounds(enrolled.db)
    kept = anchors(central)
    hashes = local_hashes(enrolled.db)
    # every round's head is kept, each one the local entry at that sequence, none flagged
    assert [seq for seq, _h, _f in kept][-3:] == heads
    assert all(hashes[seq] == digest and not flagged for seq, digest, flagged in kept)
    result = verify_against_central(enrolled.db)
    assert result.code == 0, result.lines
    assert result.lines[0].startswith("audit chain intact")
    assert f"up to entry {heads[-1]}" in result.lines[1] and "extends every one" in result.lines[1]

    # the server's own check agrees
    check = requests.get(central.url + "/v1/audit/check", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                         timeout=10).json()
    assert check["ok"] is True
    assert [c["newest"]["seq"] for c in check["centres"]] == [heads[-1]]


def test_audit_entries_without_events_are_anchored_too(enrolled: Centre, central: Central, agent: Agent) -> None:
    """A failed login writes an audit entry but no outbox event: a batch of no events carries it."""
    agent.sync_once()
    with enrolled.db.begin() as s, pytest.raises(AuthenticationFailed):
        users.authenticate(s, "nobody-here", "x")  # the failure is audited and committed
    with enrolled.db.read() as s:
        head = audit.head(s)
    assert head is not None
    report = agent.sync_once()
    assert (report.sent, report.batches) == (0, 1)
    assert anchors(central)[-1][:2] == head
    assert agent.sync_once().batches == 0  # nothing new: no request


def test_entries_after_the_last_sync_are_reported_not_anchored_yet(enrolled: Centre, central: Central) -> None:
    heads = a_day_in_rounds(enrolled.db, rounds=1)
    tickets(enrolled.db, 2)
    result = verify_against_central(enrolled.db)
    assert result.code == 0, result.lines
    assert f"entries {heads[-1] + 1}..{heads[-1] + 2} not anchored since" in result.lines[-1]


# -- a rewritten chain ----------------------------------------------------------------------------
def test_dropping_the_last_entries_passes_plain_verify_but_not_against_central(
        enrolled: Centre, central: Central) -> None:
    heads = a_day_in_rounds(enrolled.db)
    keep = heads[0] + 1  # everything after the first anchored head but one entry is dropped
    truncate_chain(enrolled.db, keep)

    plain = cli(enrolled.db)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "audit chain intact" in plain.stdout  # the forgery fools the chain on its own

    anchored = cli(enrolled.db, "--against-central")
    assert anchored.returncode == 1, anchored.stdout + anchored.stderr
    assert "audit chain intact" in anchored.stdout
    assert f"entry {heads[1]} is missing" in anchored.stdout  # the first anchored entry that is gone
    assert f"anchored entries up to {heads[0]} match" in anchored.stdout


def test_an_edited_entry_with_every_hash_recomputed_is_caught(enrolled: Centre, central: Central) -> None:
    heads = a_day_in_rounds(enrolled.db)
    edited = heads[0] + 2  # between the first and the second anchored head
    rewrite_entry(enrolled.db, edited)
    with enrolled.db.read() as s:
        assert audit.verify_chain(s).ok  # consistent with itself

    plain = cli(enrolled.db)
    assert plain.returncode == 0 and "audit chain intact" in plain.stdout
    result = cli(enrolled.db, "--against-central")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"entry {heads[1]} has another hash" in result.stdout
    assert f"anchored entries up to {heads[0]} match" in result.stdout


def test_a_broken_local_chain_fails_before_any_anchor(enrolled: Centre, central: Central) -> None:
    a_day_in_rounds(enrolled.db, rounds=1)
    with enrolled.db.begin() as s:
        s.execute(update(AuditEntry).where(AuditEntry.id == 3).values(detail="{}"))
    result = verify_against_central(enrolled.db)
    assert result.code == 1
    assert result.lines[0].startswith("audit chain broken at entry 3")


# -- never anchored, unreachable ------------------------------------------------------------------
def test_a_centre_never_online_is_reported_not_anchored(site: Centre, central: Central) -> None:
    with site.db.read() as s:
        began = audit.first_entry_at(s)
    assert began is not None
    result = verify_against_central(site.db)  # not even enrolled
    assert result.code == 1
    assert result.lines[-1] == (f"not anchored since {began.isoformat()}: the centre is not enrolled on a "
                                "central server (never anchored)")

    enrol_site(central, site.db)  # enrolled, but its agent never sent anything
    out = cli(site.db, "--against-central")
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"not anchored since {began.isoformat()}" in out.stdout and "(never anchored)" in out.stdout


def test_an_unreachable_server_is_exit_code_2(enrolled: Centre) -> None:
    with enrolled.db.begin() as s:
        settings.put(s, "sync.server", f"http://127.0.0.1:{free_port()}")
    out = cli(enrolled.db, "--against-central")
    assert out.returncode == 2, out.stdout + out.stderr
    assert "audit chain intact" in out.stdout and "could not check against the central server" in out.stdout


# -- the server's side ----------------------------------------------------------------------------
def test_the_server_flags_a_head_that_goes_backwards(enrolled: Centre, central: Central,
                                                     expect_log: Expectations) -> None:
    heads = a_day_in_rounds(enrolled.db, rounds=2)
    before = anchors(central)
    truncate_chain(enrolled.db, heads[0])
    tickets(enrolled.db, 1)  # the forged chain goes on, below what the server saw
    with enrolled.db.read() as s:
        forged = audit.head(s)
    assert forged is not None and heads[0] < forged[0] < heads[1]
    with expect_log(FLAG_LOG, logger="sync.server.anchors"):
        Agent(enrolled.db).sync_once()
    after = anchors(central)
    assert after[:len(before)] == before  # nothing overwritten
    assert after[len(before):] == [(*forged, True)]

    check = requests.get(central.url + "/v1/audit/check", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                         timeout=10).json()
    assert check["ok"] is False
    (entry,) = check["centres"]
    assert entry["flagged"] == 1
    assert entry["first_flagged"]["seq"] == forged[0] and entry["before_it"]["seq"] == heads[1]
    # and the centre's own check names the first anchored entry it lost
    result = verify_against_central(enrolled.db)
    assert result.code == 1
    assert f"entry {heads[1]} is missing" in result.lines[1]
    assert result.lines[-1] == "the central server flagged 1 head(s) of this centre that did not extend the one before"


def test_the_same_sequence_with_another_hash_is_flagged(enrolled: Centre, central: Central, agent: Agent,
                                                        expect_log: Expectations) -> None:
    tickets(enrolled.db, 1)
    agent.sync_once()
    seq, digest, _flagged = anchors(central)[-1]
    other = protocol.AuditHead(seq, "f" * 64 if digest != "f" * 64 else "e" * 64)
    with expect_log(FLAG_LOG, logger="sync.server.anchors"):
        r = signed_post(central, agent.centre, agent.key, protocol.encode_batch(agent.centre, [], other))
    assert r.status_code == 200, r.text
    assert anchors(central)[-2:] == [(seq, digest, False), (seq, other.hash, True)]


def test_a_batch_without_a_head_is_accepted_and_anchors_nothing(enrolled: Centre, central: Central,
                                                                agent: Agent) -> None:
    """An agent older than anchoring: its events are stored as before; its chain is not anchored."""
    before = anchors(central)
    tickets(enrolled.db, 2)
    from tests.helpers.syncing import pending_wire_events

    events = pending_wire_events(enrolled.db)
    r = signed_post(central, agent.centre, agent.key, protocol.encode_batch(agent.centre, events))
    assert r.status_code == 200 and {x["status"] for x in r.json()["results"]} == {"stored"}
    assert anchors(central) == before


@pytest.mark.parametrize("head", [{"seq": 0, "hash": "a" * 64}, {"seq": 2**63, "hash": "a" * 64},
                                  {"seq": True, "hash": "a" * 64}, {"seq": 3, "hash": "A" * 64},
                                  {"seq": 3, "hash": "a" * 63}, {"seq": 3}, "3:aaaa"])
def test_a_malformed_head_refuses_the_batch(enrolled: Centre, central: Central, agent: Agent,
                                            head: object) -> None:
    import gzip

    body = gzip.compress(protocol.canonical({"centre": agent.centre, "events": [], "audit_head": head}).encode())
    r = signed_post(central, agent.centre, agent.key, body)
    assert r.status_code == 400 and r.json()["error"] == "bad_request", r.text
    assert "audit_head" in r.json()["message"]


def test_anchors_are_read_signed_and_each_centre_sees_its_own(enrolled: Centre, central: Central, agent: Agent,
                                                              expect_log: Expectations) -> None:
    tickets(enrolled.db, 1)
    agent.sync_once()
    mine = agent.request("GET", "/v1/audit/anchors").json()
    assert mine["centre"] == agent.centre and mine["next"] is None
    assert [(a["seq"], a["hash"]) for a in mine["anchors"]] == [(s, h) for s, h, _f in anchors(central)]

    other_key = enrol_key(central, "ALX-07")
    stamp = protocol.HEADER_TIME
    from counter_app.core.clock import utcnow

    now = utcnow().isoformat()
    theirs = requests.get(central.url + "/v1/audit/anchors", timeout=10, headers={
        protocol.HEADER_CENTRE: "ALX-07", stamp: now,
        protocol.HEADER_SIGNATURE: protocol.sign(other_key, "GET", "/v1/audit/anchors", now, b"")})
    assert theirs.status_code == 200 and theirs.json() == {"centre": "ALX-07", "anchors": [], "next": None}

    with expect_log("refused an unauthenticated GET /v1/audit/anchors", logger="sync.server.app"):
        r = requests.get(central.url + "/v1/audit/anchors", timeout=10)
    assert r.status_code == 401 and r.json()["error"] == "unauthenticated"
    assert requests.get(central.url + "/v1/audit/check", timeout=10).status_code == 401


def test_anchors_come_in_pages(enrolled: Centre, central: Central, monkeypatch: pytest.MonkeyPatch) -> None:
    from sync.server import anchors as server_anchors

    monkeypatch.setattr(server_anchors, "PAGE", 2)
    heads = a_day_in_rounds(enrolled.db, rounds=3)
    result = verify_against_central(enrolled.db)
    assert result.code == 0, result.lines
    assert f"{len(anchors(central))} heads up to entry {heads[-1]}" in result.lines[1]


def test_the_same_head_pushed_at_once_is_kept_once(enrolled: Centre, central: Central, agent: Agent) -> None:
    """Each push compares with the newest head under the centre's lock: four at once with one new
    head keep one row, none flagged (without the lock, each saw the old newest and all were kept)."""
    import threading

    tickets(enrolled.db, 1)
    with enrolled.db.read() as s:
        head = audit.head(s)
    assert head is not None
    before = anchors(central)
    body = protocol.encode_batch(agent.centre, [], protocol.AuditHead(*head))
    barrier = threading.Barrier(4)
    codes: list[int] = []

    def push() -> None:
        barrier.wait()
        codes.append(signed_post(central, agent.centre, agent.key, body).status_code)

    threads = [threading.Thread(target=push) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert codes == [200] * 4
    assert anchors(central) == [*before, (*head, False)]
