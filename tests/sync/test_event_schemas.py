"""Every event kind has a schema (:mod:`sync.events`): what the real core emits validates; what does
not validate is answered ``rejected`` with the field named, never stored, and the rest of the batch
is; the agent sets it aside; a newer schema waits; reports skip and count poisoned stored rows."""

from __future__ import annotations

import gzip
import json
import typing
import uuid
from datetime import timedelta
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from counter_app.common.i18n import strip_isolates
from counter_app.core import applications as apps
from counter_app.core import booking, counter_queries, outbox, queue, review, simulate
from counter_app.core import requests as file_requests
from counter_app.core.clock import local_day, utcnow
from counter_app.core.db import Database
from counter_app.core.models import (
    ApplicationState,
    OutboxEvent,
    PaymentMethod,
    RequestKind,
    Role,
    Service,
    User,
)
from sync import events, protocol
from sync.agent.agent import Agent, wire_event
from sync.server.kpis import central_kpis_raw
from sync.server.models import QuarantinedEvent, StoredEvent
from sync.server.report_page import render_report
from tests.helpers.applications import NAME, NID
from tests.helpers.applications import submitted as submitted_file
from tests.helpers.central import ADMIN_TOKEN, Central
from tests.helpers.factories import Centre
from tests.helpers.syncing import pending_wire_events, queue_events

OTHER_NID = "28506150102346"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def signed_post(central: Central, centre: str, key: Ed25519PrivateKey, body: bytes) -> requests.Response:
    stamp = utcnow().isoformat()
    headers = {protocol.HEADER_CENTRE: centre, protocol.HEADER_TIME: stamp,
               protocol.HEADER_SIGNATURE: protocol.sign(key, "POST", "/v1/events", stamp, body)}
    return requests.post(central.url + "/v1/events", data=body, headers=headers, timeout=30)


def ascii_batch(centre: str, items: list[dict[str, Any]], schema: int = protocol.SCHEMA_VERSION) -> bytes:
    """A batch as JSON with ``\\uXXXX`` escapes: it can carry what UTF-8 cannot (a lone surrogate)."""
    return gzip.compress(json.dumps({"centre": centre, "schema": schema, "events": items}).encode())


# -- what the centre emits --------------------------------------------------------------------------
def user(s: Session, user_id: int) -> User:
    return s.get_one(User, user_id)


def every_action(site: Centre) -> None:
    """A simulated day, then every action the simulator does not take, through the real core."""
    db = site.db
    simulate.run(db, citizens=12, counters=2, seed=3)
    c1, c2 = site.counter_ids[:2]
    clerk, clerk2, clerk3 = site.clerk_ids[:3]
    sup, admin = site.supervisor_id, site.admin_id
    with db.begin() as s:  # recall, transfer to a group, skip
        queue.issue_ticket(s, "A", priority=True, priority_reason="elderly")
        ticket = queue.call_next(s, c1, clerk)
        assert ticket is not None
        queue.recall(s, ticket.id, c1, clerk)
        queue.transfer(s, ticket.id, c1, clerk, to_group="B")
    with db.begin() as s:
        ticket = queue.call_next(s, c1, clerk)
        assert ticket is not None
        queue.transfer(s, ticket.id, c1, clerk, to_counter_id=c2, reason="نافذة أخرى")
    with db.begin() as s:
        ticket = queue.call_next(s, c2, clerk2)
        assert ticket is not None
        queue.skip(s, ticket.id, c2, clerk2, "غادر المواطن")
    # files: return and resubmit, reassign, cancel (paid: a refund), refunds, a waiver, delivery by
    # a representative
    returned, reassigned, cancelled, rejected, declined, delivered = (submitted_file(site) for _ in range(6))
    with db.begin() as s:
        for file_id in (returned, rejected, declined, delivered):
            app = apps.get_application(s, file_id)
            assert app.reviewer_id is not None
            apps.start_review(s, file_id, reviewer=user(s, app.reviewer_id))
        first = next(d.code for d in apps.get_application(s, returned).documents if d.mandatory)
        reviewer = user(s, apps.get_application(s, returned).reviewer_id or 0)
        apps.return_for_documents(s, returned, reviewer=reviewer, missing=[first])
        apps.set_documents(s, returned, [d.code for d in apps.get_application(s, returned).documents],
                           clerk=user(s, clerk))
        apps.submit(s, returned, clerk=user(s, clerk))
        for file_id in (rejected, declined):
            review.reject_with_reason(s, file_id, reviewer=user(s, apps.get_application(s, file_id).reviewer_id or 0),
                                      reason_code="not_eligible")
        app = apps.get_application(s, delivered)
        apps.approve(s, delivered, reviewer=user(s, app.reviewer_id or 0))
        apps.mark_ready(s, delivered, user=user(s, sup))
        apps.deliver(s, delivered, clerk=user(s, clerk), collected_by_name="أحمد محمود علي سالم",
                     collected_by_national_id=OTHER_NID, relation="attorney", authority="POA-2026-17")
        app = apps.get_application(s, reassigned)
        department = s.get_one(Service, app.service_code).department_code
        other = next(r for r in site.reviewer_ids[department] if r != app.reviewer_id)
        review.reassign(s, reassigned, other, by=user(s, sup), reason="المراجع في إجازة")
    with db.begin() as s:
        cancel = file_requests.request(s, cancelled, RequestKind.CANCEL, by=user(s, clerk), reason="تراجع").id
        refund = file_requests.request(s, rejected, RequestKind.REFUND, by=user(s, clerk), reason="رفض").id
        no_refund = file_requests.request(s, declined, RequestKind.REFUND, by=user(s, clerk), reason="رفض").id
    with db.begin() as s:
        file_requests.decide(s, cancel, by=user(s, sup), approve=True)
        file_requests.decide(s, refund, by=user(s, sup), approve=True)
        file_requests.decide(s, no_refund, by=user(s, sup), approve=False, note="لا")
    with db.begin() as s:
        due = file_requests.refund_view(s, cancelled)
        assert due is not None
        file_requests.pay_refund(s, due.refund_id, by=user(s, clerk3), paid_to_name=NAME, paid_to_national_id=NID,
                                 counter_id=c1)
        draft = apps.start_application(s, service_code="MP-REG-CERT", clerk=user(s, clerk), counter_id=c1,
                                       applicant=apps.Applicant(NAME, NID, "01012345678"))
        code = next(d.code for d in draft.documents if d.mandatory)
        file_requests.waive_document(s, draft.id, code, by=user(s, sup), reason="بدل فاقد")
        kept = file_requests.request(s, draft.id, RequestKind.CANCEL, by=user(s, clerk), reason="تراجع").id
    with db.begin() as s:
        file_requests.decide(s, kept, by=user(s, admin), approve=False, note="يكمل")
    # the day: a ticket left waiting expires at the close; reopened; the next day closes it by itself
    with db.begin() as s:
        queue.issue_ticket(s, "C")
    with db.begin() as s:  # an appointment checked in at the kiosk (counter_app.core.booking)
        booking.apply_pulled(s, [booking.PulledBooking("ABCD2345", NID, "MP-REG-CERT", "A", utcnow(),
                                                       local_day(utcnow()), "booked", 1)])
        booking.check_in(s, "ABCD2345")
        booking.apply_pulled(s, [booking.PulledBooking("MISS2345", NID, "MP-BIRTH-CERT", "A", utcnow(),
                                                       local_day(utcnow()), "booked", 2)])  # a no-show at the close
    with db.begin() as s:
        counter_queries.close_day(s, by=sup)
    with db.begin() as s:
        counter_queries.reopen_day(s, by=sup, reason="مواطنون في القاعة")
    with db.begin() as s:
        queue.issue_ticket(s, "A", at=utcnow() + timedelta(days=1))


def test_what_the_core_emits_follows_the_schema_of_every_kind(db: Database, site: Centre) -> None:
    every_action(site)
    with db.read() as s:
        wire = [wire_event(row) for row in s.scalars(select(OutboxEvent).order_by(OutboxEvent.id))]
    assert {e.kind for e in wire} == set(events.KINDS)  # every schema exercised, no kind without one
    problems = {(e.kind, p) for e, p in zip(wire, protocol.invalid_events(wire), strict=True) if p}
    assert problems == set()
    with db.read() as s:  # both detail forms of the end of a day were seen
        closes = [json.loads(p) for p in s.scalars(select(OutboxEvent.payload).where(OutboxEvent.kind == "day.closed"))]
    assert any("totals" in c for c in closes) and any(c.get("automatic") for c in closes)


def test_the_schemas_enumerations_are_the_centres() -> None:
    """``sync.events`` may not import the core: its copies of the core's enumerations are checked here."""
    assert set(typing.get_args(events.State)) == {s.value for s in ApplicationState}
    assert set(typing.get_args(events.Method)) == {m.value for m in PaymentMethod}
    assert set(typing.get_args(events.Role)) == {r.value for r in Role}
    assert set(typing.get_args(events.Relation)) == set(apps.COLLECTOR_RELATIONS)
    decided = {f"application.{k.value}_{d}" for k in RequestKind for d in ("approved", "declined")}
    assert decided | {f"application.request_{k.value}" for k in RequestKind} <= set(events.KINDS)


# -- what the server does with an event that does not validate --------------------------------------
def poison(item: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """``item`` with the field at ``path`` (``payload.at``) set to ``value`` (absent: deleted)."""
    copy: dict[str, Any] = json.loads(json.dumps(item))
    *parents, last = path.split(".")
    target = copy
    for part in parents:
        target = target[part]
    if value is _ABSENT:
        del target[last]
    else:
        target[last] = value
    return copy


_ABSENT = object()


@pytest.mark.expect_log(r"^centre \S+ sent 1[0-9] events that do not follow their schema: rejected ")
def test_an_invalid_event_is_rejected_naming_the_field_and_never_stored(enrolled: Centre, central: Central,
                                                                          agent: Agent) -> None:
    simulate.run(enrolled.db, citizens=6, counters=2, seed=5)
    sent = pending_wire_events(enrolled.db)
    ticket = next(e.as_json() for e in sent if e.kind == "ticket.called")
    payment = next(e.as_json() for e in sent if e.kind == "application.payment")
    day = next(e.as_json() for e in sent if e.kind == "day.opened")

    def fresh(item: dict[str, Any]) -> dict[str, Any]:
        return {**item, "uuid": str(uuid.uuid4())}

    poisoned = [  # (the event, the field its reason names)
        (poison(fresh(ticket), "payload.at", "not-a-time"), "payload.at"),
        (poison(fresh(ticket), "payload.at", "2026-11-25T10:00:00"), "payload.at"),  # no zone
        (poison(fresh(payment), "payload.amount", "abc"), "payload.amount"),
        (poison(fresh(payment), "payload.amount", -100), "payload.amount"),
        (poison(fresh(payment), "payload.amount", 10**15), "payload.amount"),
        (poison(fresh(payment), "payload.amount", 150.5), "payload.amount"),
        (poison(fresh(payment), "payload.method", "bitcoin"), "payload.method"),
        (poison(fresh(payment), "payload.national_id", NID), "payload.national_id"),  # nothing personal
        (poison(fresh(ticket), "payload.service", "MP\x00REG"), "payload.service"),
        (poison(fresh(ticket), "payload.number", "\ud800"), "payload.number"),
        (poison(fresh(ticket), "payload.counter_id", True), "payload.counter_id"),
        (poison(fresh(ticket), "payload.event", "finished"), "payload.event"),  # not its kind
        (poison(fresh(ticket), "seq", 2**70), "seq"),
        (poison(fresh(ticket), "kind", "ticket.teleported"), "kind"),
        (poison(fresh(ticket), "aggregate_id", str(uuid.uuid4())), "aggregate_id"),
        (poison(fresh(day), "payload.automatic", _ABSENT), "payload.automatic"),
    ]
    good = [e.as_json() for e in sent]
    items = good[:3] + [p for p, _ in poisoned] + good[3:]
    before = central.count(StoredEvent)
    answer = signed_post(central, agent.centre, agent.key, ascii_batch(agent.centre, items))
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["uuid"] for r in results] == [i["uuid"] for i in items]  # one answer each, in order
    by_uuid = {r["uuid"]: r for r in results}
    for item, field in poisoned:
        result = by_uuid[item["uuid"]]
        assert result["status"] == "rejected" and result["reason"].startswith(f"invalid: {field}:"), (field, result)
        assert result["reason"].isascii() and "\x00" not in result["reason"]
    assert {by_uuid[e["uuid"]]["status"] for e in good} == {"stored"}
    assert central.count(StoredEvent) == before + len(good)
    with central.db.sessions() as s:
        assert not set(s.scalars(select(StoredEvent.uuid).where(
            StoredEvent.uuid.in_([p["uuid"] for p, _ in poisoned]))))
    assert central.count(QuarantinedEvent) == 0  # refused for what they are, not as conflicts


@pytest.mark.expect_log(r"^centre \S+ sent 1 events that do not follow their schema: rejected ")
@pytest.mark.expect_log(r"^the server rejected event \S+: invalid: payload\.amount: ")
def test_the_agent_sets_a_rejected_event_aside_and_sends_the_rest(enrolled: Centre, central: Central,
                                                                  agent: Agent) -> None:
    simulate.run(enrolled.db, citizens=6, counters=2, seed=5)
    with enrolled.db.begin() as s:
        row = s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "application.payment").limit(1)).one()
        row.payload = json.dumps({**json.loads(row.payload), "amount": "abc"})
        bad = row.uuid
        waiting = outbox.pending_count(s)
    report = agent.sync_once()
    assert (report.sent, report.rejected, report.retry) == (waiting - 1, 1, 0)
    with enrolled.db.read() as s:
        refused = s.scalars(select(OutboxEvent).where(OutboxEvent.uuid == bad)).one()
        assert refused.rejected_at is not None and refused.sent_at is None
        assert "payload.amount" in (refused.reject_reason or "")
        assert outbox.pending_count(s) == 0
    again = agent.sync_once()  # never sent again
    assert (again.sent, again.rejected, again.batches) == (0, 0, 0)


def test_a_batch_of_a_newer_schema_waits_in_the_outbox(enrolled: Centre, central: Central, agent: Agent,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """An agent upgraded before the server: its events are answered ``retry``, kept, sent later."""
    queue_events(enrolled.db, 7)
    before = central.count(StoredEvent)
    monkeypatch.setattr(protocol, "SCHEMA_VERSION", protocol.SCHEMA_VERSION + 1)  # what this agent writes
    report = agent.sync_once()
    assert (report.sent, report.rejected, report.retry) == (0, 0, 7)
    assert central.count(StoredEvent) == before
    with enrolled.db.read() as s:
        assert outbox.pending_count(s) == 7 and outbox.rejected_count(s) == 0
    monkeypatch.undo()  # the server is upgraded (here: the agent speaks its version again)
    assert agent.sync_once().sent == 7


# -- reports never trust a stored payload ------------------------------------------------------------
def test_a_poisoned_row_already_stored_is_skipped_and_counted(enrolled: Centre, central: Central,
                                                              agent: Agent) -> None:
    simulate.run(enrolled.db, citizens=6, counters=2, seed=5)
    agent.sync_once()
    today = local_day(utcnow()).isoformat()
    clean = requests.get(central.url + "/v1/reports/kpis", headers=ADMIN, timeout=30).json()
    day = local_day(utcnow())
    with central.db.sessions() as s:
        clean_raw = central_kpis_raw(s, day, day)
    with central.db.sessions.begin() as s:
        stored = {kind: s.scalars(select(StoredEvent).where(StoredEvent.kind == kind).limit(1)).one()
                  for kind in ("ticket.called", "application.payment", "application.create")}
        rows: list[dict[str, Any]] = []

        def forged(kind: str, payload: object, created_at: str | None = None) -> None:
            model = stored[kind]
            text = payload if isinstance(payload, str) else json.dumps(payload)
            rows.append({"uuid": str(uuid.uuid4()), "centre_code": model.centre_code, "seq": 10**9 + len(rows),
                         "kind": kind, "aggregate_id": model.aggregate_id,
                         "created_at": created_at or model.created_at, "payload": text, "payload_hash": "0" * 64,
                         "received_at": utcnow()})

        ticket, payment = json.loads(stored["ticket.called"].payload), json.loads(stored["application.payment"].payload)
        forged("ticket.called", {**ticket, "at": "not-a-time"})
        forged("ticket.called", {**ticket, "at": "2026-11-25T10:00:00"})  # no zone: cannot be compared
        forged("ticket.called", {**ticket, "at": 12})
        forged("ticket.called", {**ticket, "day": ["x"]})
        forged("ticket.called", {**ticket, "service": "\ud800"})  # stored as an escape: not text
        forged("ticket.called", "[1, 2]")
        forged("application.payment", {**payment, "amount": "abc"})
        forged("application.payment", {**payment, "amount": True})
        forged("application.payment", {**payment, "method": None})
        forged("application.payment", "{not json")
        forged("application.create", "{}", created_at=f"{today}T99:99:99+00:00")
        s.execute(insert(StoredEvent), rows)
    answers = {path: requests.get(central.url + path, headers=ADMIN, timeout=30)
               for path in ("/v1/reports/kpis", "/reports?lang=en", "/reports?lang=ar")}
    assert {path: a.status_code for path, a in answers.items()} == dict.fromkeys(answers, 200)
    assert clean["skipped_events"] == clean_raw["skipped_events"] == 0
    # the served figures come from the rollups, which only events that follow their schema reach
    assert answers["/v1/reports/kpis"].json() == clean
    # the raw computation (central-server report verify) reads the rows as stored: it skips and counts them
    with central.db.sessions() as s:
        figures = central_kpis_raw(s, day, day)
    assert figures["skipped_events"] == len(rows) == 11
    assert {**figures, "skipped_events": 0} == clean_raw  # the figures are those without the poison
    english, arabic = (strip_isolates(render_report(figures, lang)) for lang in ("en", "ar"))
    assert "11 events of this period could not be read and are not counted" in english
    assert "11 حدثًا في هذه الفترة تعذّرت قراءتها" in arabic  # Arabic's "many" form
