"""No input makes the central server answer 500 (issue 17, item 4): NUL bytes and lone surrogates
that the database cannot store, integers beyond its BIGINT, on every surface that reads them,
against the real server on loopback (SQLite and PostgreSQL).

A 500 on a sync push is worse than a refusal: the agent retries a 5xx forever, so one unstorable
event would stop a centre's whole outbox. Such an event is answered ``rejected`` on its own, and
the rest of its batch is stored.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
from typing import Any
from urllib.parse import quote

import pytest
import requests

from counter_app.common.clock import utcnow
from counter_app.core import simulate
from sync import protocol
from sync.agent.agent import Agent
from sync.server.models import EnrolledCentre, QuarantinedEvent, StoredEvent
from tests.helpers.central import ADMIN_TOKEN, Central
from tests.helpers.factories import Centre
from tests.helpers.syncing import pending_wire_events
from tests.sync.test_push import enrol_key

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def not_a_server_error(response: requests.Response) -> requests.Response:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith("application/json"):
        assert set(response.json()) >= {"error", "message"}, response.text
    return response


def post_batch(agent: Agent, raw_json: str) -> requests.Response:
    """A correctly signed push of exactly this JSON text (escapes kept as written)."""
    body = gzip.compress(raw_json.encode())
    stamp = utcnow().isoformat()
    headers = {protocol.HEADER_CENTRE: agent.centre, protocol.HEADER_TIME: stamp,
               protocol.HEADER_SIGNATURE: protocol.sign(agent.key, "POST", "/v1/events", stamp, body)}
    return requests.post(agent.server + "/v1/events", data=body, headers=headers, timeout=10)


def batch_json(centre: str, events: list[dict[str, Any]]) -> str:
    # ensure_ascii: a lone surrogate goes on the wire as the JSON escape "\ud800", as a broken
    # or hostile client would send it (it cannot be encoded as UTF-8 at all)
    return json.dumps({"centre": centre, "events": events}, ensure_ascii=True)


def test_a_nul_byte_or_surrogate_in_a_receipt_payload_is_answered_not_valid(central: Central) -> None:
    """Unauthenticated: anyone can send this, so it must never cost a traceback."""
    for payload in ("SHB1|01\x0003|x|y", "SHB1|\ud800|x|y", "\x00", "SHB1|0103\x00|x|y|z"):
        r = not_a_server_error(requests.post(central.url + "/v1/receipts/verify", timeout=10,
                                             data=json.dumps({"payload": payload}),
                                             headers={"Content-Type": "application/json"}))
        assert r.status_code in (200, 422), r.text
        if r.status_code == 200:
            assert r.json()["valid"] is False


def test_a_nul_byte_in_the_quarantine_filter_is_refused_clearly(central: Central) -> None:
    r = not_a_server_error(requests.get(central.url + "/v1/quarantine", params={"centre": "01\x0003"},
                                        headers=ADMIN, timeout=10))
    assert r.status_code == 422 and r.json()["error"] == "invalid", r.text


@pytest.mark.parametrize("field, value", [("code", "01\x0003"), ("name", "Giza\x00"), ("code", "\ud800"),
                                          ("name", "\udfff centre"), ("governorate", "\x00")],
                         ids=["nul-code", "nul-name", "surrogate-code", "surrogate-name", "nul-governorate"])
def test_nul_bytes_and_surrogates_in_an_enrolment_are_refused(central: Central, field: str, value: str) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    enrolment = {"code": "0199", "name": "Test centre",
                 "sync_public_key": protocol.public_pem(Ed25519PrivateKey.generate().public_key()), field: value}
    r = not_a_server_error(requests.post(central.url + "/v1/centres/enrol", headers={**ADMIN,
                                         "Content-Type": "application/json"}, timeout=10,
                                         data=json.dumps(enrolment, ensure_ascii=True)))
    assert r.status_code == 422 and r.json()["error"] == "invalid", r.text
    assert central.count(EnrolledCentre, EnrolledCentre.code == "0199") == 0


@pytest.mark.allow_log(r"sent 5 events that do not follow their schema", logger="sync.server.ingest")
def test_unstorable_events_are_rejected_one_by_one_and_the_rest_stored(enrolled: Centre, central: Central,
                                                                       agent: Agent) -> None:
    simulate.run(enrolled.db, citizens=2, counters=1, seed=5)
    genuine = pending_wire_events(enrolled.db)[:6]
    assert len(genuine) == 6
    too_big = dataclasses.replace(genuine[0], seq=2**70)
    negative = dataclasses.replace(genuine[1], seq=-1)
    surrogate = dataclasses.replace(genuine[2], payload={**genuine[2].payload, "note": "\ud800"})
    nul = dataclasses.replace(genuine[3], payload={**genuine[3].payload, "note": "a\x00b"})
    surrogate_key = dataclasses.replace(genuine[4], payload={**genuine[4].payload, "\udfff": 1})
    good = genuine[5]
    r = not_a_server_error(post_batch(agent, batch_json(agent.centre, [e.as_json() for e in
                                                                      (too_big, negative, surrogate, nul,
                                                                       surrogate_key, good)])))
    assert r.status_code == 200, r.text
    answers = {a["uuid"]: a for a in r.json()["results"]}
    for bad in (too_big, negative, surrogate, nul, surrogate_key):
        assert answers[bad.uuid]["status"] == "rejected" and answers[bad.uuid]["reason"], answers[bad.uuid]
    assert "seq" in answers[too_big.uuid]["reason"] and "seq" in answers[negative.uuid]["reason"]
    assert answers[good.uuid]["status"] == "stored", answers[good.uuid]
    assert central.count(StoredEvent, StoredEvent.uuid.in_([e.uuid for e in genuine[:5]])) == 0
    assert central.count(QuarantinedEvent) == 0
    # the same events sent correctly afterwards are stored: nothing of the refusals was kept
    fixed = not_a_server_error(post_batch(agent, batch_json(agent.centre, [e.as_json() for e in genuine[:5]])))
    assert [a["status"] for a in fixed.json()["results"]] == ["stored"] * 5


@pytest.mark.parametrize("envelope", [
    {"centre": "\ud800", "events": []},
    {"centre": "01\x0003", "events": []},
    {"centre": "{centre}", "events": [{"uuid": "\ud800", "seq": 1, "kind": "k", "aggregate_id": "a",
                                       "created_at": "2026-11-25T08:00:00+00:00", "payload": {}}]},
    {"centre": "{centre}", "events": [{"uuid": "u-1", "seq": 1, "kind": "k\x00", "aggregate_id": "a",
                                       "created_at": "2026-11-25T08:00:00+00:00", "payload": {}}]},
    {"centre": "{centre}", "events": [{"uuid": "u-1", "seq": 1, "kind": "k", "aggregate_id": "a\udc80",
                                       "created_at": "2026-11-25T08:00:00+00:00", "payload": {}}]},
], ids=["surrogate-centre", "nul-centre", "surrogate-uuid", "nul-kind", "surrogate-aggregate"])
def test_an_envelope_with_unstorable_text_is_a_clear_400(enrolled: Centre, central: Central, agent: Agent,
                                                          envelope: dict[str, Any], expect_log: Any) -> None:
    if envelope["centre"] == "{centre}":
        envelope = {**envelope, "centre": agent.centre}
    else:  # the batch names another centre than the credential's: 400 or 403, never 500
        expect_log.allow("sent a batch for centre", logger="sync.server.app")
    r = not_a_server_error(post_batch(agent, json.dumps(envelope, ensure_ascii=True)))
    assert r.status_code in (400, 403) and r.json()["error"], r.text


def test_an_unknown_path_and_method_get_the_one_error_shape(central: Central) -> None:
    missing = requests.get(central.url + "/v1/nowhere", timeout=10)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong = requests.delete(central.url + "/v1/health", timeout=10)
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"
    bad_json = requests.post(central.url + "/v1/receipts/verify", data=b"{not json", timeout=10,
                             headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 422 and bad_json.json()["error"] == "invalid"


def test_catalogue_versions_beyond_the_column_are_refused(enrolled: Centre, central: Central, agent: Agent) -> None:
    from tests.sync.test_catalogue_tls import shipped

    for version in (2**31, 2**70):
        body = {**shipped(), "version": version}
        r = not_a_server_error(requests.post(central.url + "/v1/catalogue", json=body, headers=ADMIN, timeout=10))
        assert r.status_code == 422, r.text
        stamp_path = f"/v1/catalogue/{version}"
        stamp = utcnow().isoformat()
        headers = {protocol.HEADER_CENTRE: agent.centre, protocol.HEADER_TIME: stamp,
                   protocol.HEADER_SIGNATURE: protocol.sign(agent.key, "GET", stamp_path, stamp, b"")}
        got = not_a_server_error(requests.get(central.url + stamp_path, headers=headers, timeout=10))
        assert got.status_code in (404, 422), got.text
    with_surrogate = {**shipped(), "version": 7, "note": "\ud800"}
    r = not_a_server_error(requests.post(central.url + "/v1/catalogue", data=json.dumps(with_surrogate),
                                         headers={**ADMIN, "Content-Type": "application/json"}, timeout=10))
    assert r.status_code == 422, r.text


def test_status_and_report_inputs_with_nul_bytes(central: Central) -> None:
    for code in ("1234\x00", "%00", "\x00" * 20):
        r = not_a_server_error(requests.get(central.url + "/v1/status/" + quote(code), timeout=10))
        assert r.status_code in (404, 422)
    # written as sent: %ED%A0%80 is a surrogate encoded as if it were UTF-8 (it is not)
    for query in ("from=2026-11-01%00", "to=%00", "from=%ED%A0%80", "to=%ff", "lang=%00", "from=%00&to=%00"):
        r = not_a_server_error(requests.get(f"{central.url}/v1/reports/kpis?{query}", headers=ADMIN, timeout=10))
        assert r.status_code in (200, 422)
        page = not_a_server_error(requests.get(f"{central.url}/reports?{query}", headers=ADMIN, timeout=10))
        assert page.status_code in (200, 422)


@pytest.mark.expect_log("reports login refused", logger="sync.server.reports")
def test_the_login_form_with_nul_bytes_and_broken_utf8(central: Central) -> None:
    for form in (b"username=%00&password=%00&from=%00&to=%ff%fe&lang=%00", b"username=\xff\xfe&password=\xff",
                 b"%00=%00", b"username=a%ED%A0%80&password=%ED%A0%80", b"username=nour%00admin&password=x"):
        r = not_a_server_error(requests.post(central.url + "/reports/login", data=form, timeout=10,
                                             headers={"Content-Type": "application/x-www-form-urlencoded"},
                                             allow_redirects=False))
        assert r.status_code == 401


def test_enrolment_codes_with_nul_bytes_and_broken_utf8(central: Central) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = protocol.public_pem(Ed25519PrivateKey.generate().public_key())
    for code in ("\x00", "ABCD\x00EFGH", "\udfff" * 3, "%00"):
        r = not_a_server_error(requests.post(central.url + "/v1/centres/enrol-with-code", timeout=10,
                                             json={"code": "X-1", "sync_public_key": pem, "enrolment_code": code}))
        assert r.status_code in (403, 422)
    for body in ({"centre": "\x00"}, {"centre": "GIZ-01", "governorate": "\x00"}, {"centre": "\udfff"}):
        r = not_a_server_error(requests.post(central.url + "/v1/enrolment-codes", json=body, headers=ADMIN, timeout=10))
        assert r.status_code == 422
    for form in (b"centre=%00&lang=%00", b"centre=GIZ-01&governorate=%00", b"centre=%ff%fe"):
        r = not_a_server_error(requests.post(central.url + "/reports/enrolment-codes", data=form, timeout=10,
                                             headers={**ADMIN, "Content-Type": "application/x-www-form-urlencoded"}))
        assert r.status_code == 422


def test_a_centre_header_with_latin1_bytes_is_unauthenticated(central: Central, expect_log: Any) -> None:
    """Headers with characters the database cannot compare are refused as unauthenticated."""
    expect_log.allow("refused an unauthenticated", logger="sync.server.app")
    enrol_key(central, "0177")
    r = not_a_server_error(requests.post(central.url + "/v1/events", data=b"x", timeout=10,
                                         headers={protocol.HEADER_CENTRE: "01\xff77", protocol.HEADER_TIME: "x",
                                                  protocol.HEADER_SIGNATURE: "AAAA"}))
    assert r.status_code == 401


def test_a_form_with_too_many_fields_is_refused_not_a_traceback(central: Central) -> None:
    """Found by the fuzzing: Python's form parser raises past ten fields."""
    form = "&".join(f"f{i}={i}" for i in range(11)).encode()
    for path in ("/reports/login", "/reports/logout"):
        r = not_a_server_error(requests.post(central.url + path, data=form, allow_redirects=False, timeout=10,
                                             headers={"Content-Type": "application/x-www-form-urlencoded"}))
        assert r.status_code == 422 and r.json()["error"] == "invalid", r.text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_failure_of_the_server_still_answers_the_one_shape_without_detail(central: Central,
                                                                            expect_log: Any) -> None:
    """A bug (here: a table gone) is a 500, logged with its traceback, and the client is told
    nothing of the inside (no SQL, no path)."""
    import logging
    import threading

    from sqlalchemy import text

    logged = threading.Event()

    class Waiter(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.exc_info:
                logged.set()

    # uvicorn logs the traceback after the answer has gone out: wait for it
    expect_log.allow("Exception in ASGI application", logger="uvicorn.error", level=logging.ERROR)
    waiter = Waiter()
    logging.getLogger("uvicorn.error").addHandler(waiter)
    try:
        with central.db.engine.begin() as conn:
            conn.execute(text("DROP TABLE quarantine"))
        r = requests.get(central.url + "/v1/quarantine", headers=ADMIN, timeout=10)
        assert r.status_code == 500
        assert r.json() == {"error": "internal_error", "message": "the server failed; the error is logged"}
        assert logged.wait(10)
    finally:
        logging.getLogger("uvicorn.error").removeHandler(waiter)


def test_health_says_503_when_the_database_does_not_answer(tmp_path: Any, expect_log: Any) -> None:
    """A monitor asking /v1/health while the database is gone is told so (503, the one shape), and
    the log says why in one line: the environment, not a bug (it was a 500 with a traceback)."""
    import logging
    import shutil

    from tests.helpers.central import running_central

    folder = tmp_path / "central"
    folder.mkdir()
    expect_log.allow("health check: the database does not answer", logger="sync.server.app", level=logging.ERROR)
    with running_central(f"sqlite:///{folder / 'central.sqlite3'}") as central:
        assert requests.get(central.url + "/v1/health", timeout=10).json()["status"] == "ok"
        shutil.rmtree(folder)  # the disk the database was on is gone
        central.db.engine.dispose()  # no connection left open on the deleted file
        r = requests.get(central.url + "/v1/health", timeout=10)
        assert (r.status_code, r.json()) == (503, {"error": "database_unavailable",
                                                   "message": "the server's database does not answer"})
        folder.mkdir()  # for the server's own shutdown
