"""The OpenAPI says what the server does (issue 17, item 9): read from the real server's
``/openapi.json`` and held against real answers on loopback."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
import requests

from sync import protocol
from tests.helpers.central import ADMIN_TOKEN, Central

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ERROR = "#/components/schemas/ErrorBody"


@pytest.fixture
def spec(central: Central) -> dict[str, Any]:
    r = requests.get(central.url + "/openapi.json", timeout=10)
    assert r.status_code == 200
    return dict(r.json())


def operation(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return dict(spec["paths"][path][method])


def error_schema(op: dict[str, Any], status: int) -> str:
    return str(op["responses"][str(status)]["content"]["application/json"]["schema"]["$ref"])


def test_every_refusal_is_documented_with_the_one_error_shape(spec: dict[str, Any]) -> None:
    expected = {
        ("post", "/v1/centres/enrol"): {401, 413, 422, 429},
        ("post", "/v1/events"): {400, 401, 403, 409, 413, 429},
        ("get", "/v1/catalogue/latest"): {401, 404, 409, 429},
        ("get", "/v1/catalogue/{version}"): {401, 404, 409, 422, 429},
        ("post", "/v1/catalogue"): {401, 409, 413, 422, 429},
        ("get", "/v1/quarantine"): {401, 422, 429},
        ("get", "/v1/status/{tracking_code}"): {404, 422, 429},
        ("post", "/v1/receipts/verify"): {413, 422, 429},
        ("get", "/v1/reports/kpis"): {401, 422, 429},
        ("post", "/reports/login"): {401, 403, 429},
        ("get", "/v1/audit/anchors"): {401, 409, 429},
        ("get", "/v1/audit/check"): {401, 429},
    }
    for (method, path), statuses in expected.items():
        op = operation(spec, method, path)
        assert statuses <= {int(s) for s in op["responses"]}, (method, path, sorted(op["responses"]))
    assert set(spec["components"]["schemas"]["ErrorBody"]["required"]) == {"error", "message"}
    # every JSON refusal anywhere has the one shape; FastAPI's own is gone
    text = json.dumps(spec)
    assert "HTTPValidationError" not in text and "#/components/schemas/ValidationError" not in text
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            for status, answer in op["responses"].items():
                if status.startswith("4") and "application/json" in answer.get("content", {}):
                    assert error_schema(op, int(status)) == ERROR, (method, path, status)


def test_the_push_documents_its_gzip_body_signature_and_answers(spec: dict[str, Any]) -> None:
    push = operation(spec, "post", "/v1/events")
    body = push["requestBody"]["content"]["application/gzip"]["schema"]
    assert "gzip-compressed" in push["requestBody"]["description"]
    batch = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert set(batch["required"]) == {"centre", "events"}
    event = spec["components"]["schemas"]["WireEvent"]
    assert set(event["required"]) == {"uuid", "seq", "kind", "aggregate_id", "created_at", "payload"}
    assert event["properties"]["seq"]["maximum"] == 2**63 - 1
    headers = {p["name"] for p in push["parameters"] if p["in"] == "header"}
    assert {protocol.HEADER_CENTRE, protocol.HEADER_TIME, protocol.HEADER_SIGNATURE} <= headers
    results = push["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert results.endswith("/Results")


def test_the_report_pages_are_documented_as_html_and_redirects(spec: dict[str, Any]) -> None:
    page = operation(spec, "get", "/reports")
    assert list(page["responses"]["200"]["content"]) == ["text/html"]
    assert list(page["responses"]["401"]["content"]) == ["text/html"]  # the login form
    login = operation(spec, "post", "/reports/login")
    assert "303" in login["responses"] and "200" not in login["responses"]
    assert "application/x-www-form-urlencoded" in login["requestBody"]["content"]
    assert "303" in operation(spec, "post", "/reports/logout")["responses"]


def test_enrolment_and_receipt_bodies_have_schemas(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    enrol = operation(spec, "post", "/v1/centres/enrol")["requestBody"]["content"]["application/json"]["schema"]
    assert set(schemas[enrol["$ref"].rsplit("/", 1)[1]]["required"]) == {"code", "sync_public_key"}
    check = operation(spec, "post", "/v1/receipts/verify")["requestBody"]["content"]["application/json"]["schema"]
    assert schemas[check["$ref"].rsplit("/", 1)[1]]["required"] == ["payload"]


@pytest.mark.expect_log("refused an unauthenticated", logger="sync.server.app")
def test_real_refusals_are_documented_and_have_the_shape(central: Central, spec: dict[str, Any]) -> None:
    """What the server really answers is what its document says, status and body."""
    tries: list[tuple[str, str, requests.Response]] = [
        ("post", "/v1/events", requests.post(central.url + "/v1/events", data=gzip.compress(b"{}"), timeout=10)),
        ("post", "/v1/centres/enrol", requests.post(central.url + "/v1/centres/enrol", json={}, timeout=10)),
        ("post", "/v1/centres/enrol", requests.post(central.url + "/v1/centres/enrol", json={"code": "x"},
                                                    headers=ADMIN, timeout=10)),
        ("get", "/v1/status/{tracking_code}", requests.get(central.url + "/v1/status/nope", timeout=10)),
        ("get", "/v1/status/{tracking_code}", requests.get(central.url + "/v1/status/1234-5678-9012", timeout=10)),
        ("get", "/v1/quarantine", requests.get(central.url + "/v1/quarantine", timeout=10)),
        ("get", "/v1/reports/kpis", requests.get(central.url + "/v1/reports/kpis?from=x", headers=ADMIN, timeout=10)),
        ("post", "/v1/receipts/verify", requests.post(central.url + "/v1/receipts/verify", json=[], timeout=10)),
        ("get", "/v1/catalogue/{version}", requests.get(central.url + "/v1/catalogue/x", timeout=10)),
    ]
    for method, path, r in tries:
        documented = operation(spec, method, path)["responses"]
        assert str(r.status_code) in documented, (method, path, r.status_code, sorted(documented))
        assert r.status_code >= 400 and set(r.json()) == {"error", "message"}, r.text
    page = requests.get(central.url + "/reports", timeout=10)
    assert page.status_code == 401 and page.headers["content-type"].startswith("text/html")
