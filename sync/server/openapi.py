"""The central server's OpenAPI says what it does (issue 17, item 9).

FastAPI documents what it can see: a route's parameters and its return type. It cannot see that
``/v1/events`` reads a raw gzip body, that a refusal has our one error shape
(:class:`sync.server.errors.ErrorBody`, not FastAPI's ``HTTPValidationError``), which refusals each
operation makes, or that the report pages answer HTML and redirects. :func:`install` completes the
generated document once, from the table :data:`REFUSALS` and the request schemas below, so the
routes in :mod:`sync.server.app` stay as they are.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from sync import protocol
from sync.server.errors import ErrorBody

REF = "#/components/schemas/{model}"

#: What each refusal means, in the document.
MEANINGS = {
    400: "malformed body (not JSON, or for a push: not a gzip-compressed JSON batch with a valid envelope)",
    401: "no valid credential (administrator token, centre signature or session)",
    403: "the credential does not allow this (a batch for another centre; a cross-site form post)",
    404: "not found",
    409: "conflicts with what the server holds",
    413: "the body is larger than the server accepts",
    422: "a field does not validate",
    429: "too many requests; wait for Retry-After seconds",
    503: "the server's database does not answer",
}

#: The refusals each operation makes, besides its success (method, path) -> statuses.
REFUSALS: dict[tuple[str, str], tuple[int, ...]] = {
    ("get", "/v1/health"): (503,),
    ("post", "/v1/centres/enrol"): (400, 401, 413, 422, 429),
    ("post", "/v1/centres/enrol-with-code"): (400, 403, 409, 413, 422, 429),
    ("post", "/v1/enrolment-codes"): (400, 401, 403, 413, 422, 429),
    ("get", "/reports/enrolment-codes"): (401, 403, 422, 429),
    ("post", "/reports/enrolment-codes"): (401, 403, 413, 422, 429),
    ("post", "/v1/events"): (400, 401, 403, 409, 413, 429),
    ("get", "/v1/catalogue/latest"): (401, 404, 409, 429),
    ("get", "/v1/catalogue/{version}"): (401, 404, 409, 422, 429),
    ("post", "/v1/catalogue"): (400, 401, 409, 413, 422, 429),
    ("get", "/v1/quarantine"): (401, 422, 429),
    ("get", "/v1/status/{tracking_code}"): (404, 422, 429),
    ("post", "/v1/receipts/verify"): (400, 413, 422, 429),
    ("get", "/v1/reports/kpis"): (401, 422, 429),
    ("get", "/v1/monitor/centres"): (401, 422, 429),
    ("get", "/reports"): (401, 422, 429),
    ("post", "/reports/login"): (401, 403, 413, 422, 429),
    ("post", "/reports/logout"): (403, 413, 422),
    ("get", "/v1/audit/anchors"): (401, 409, 429),
    ("get", "/v1/audit/anchors/after/{after_id}"): (401, 409, 422, 429),
    ("get", "/v1/audit/check"): (401, 422, 429),
    ("post", protocol.HEARTBEAT_PATH): (401, 403, 409, 413, 422, 429),
    # appointments (sync/server/appointments/routes.py): a refusal's ``error`` is its reason key
    ("get", "/v1/appointments/slots"): (404, 422, 429),
    ("post", "/v1/appointments/bookings"): (400, 403, 404, 409, 413, 422, 429),
    ("get", "/v1/appointments/bookings/{code}"): (404, 422, 429),
    ("post", "/v1/appointments/bookings/{code}/cancel"): (400, 404, 409, 413, 422, 429),
    ("post", "/v1/appointments/bookings/{code}/move"): (400, 403, 404, 409, 413, 422, 429),
    ("get", "/v1/appointments/admin/rules"): (401, 403, 404, 422, 429),
    ("put", "/v1/appointments/admin/rules/{centre}/{group}"): (400, 401, 403, 404, 413, 422, 429),
    ("delete", "/v1/appointments/admin/rules/{centre}/{group}"): (401, 403, 404, 422, 429),
    ("get", "/v1/appointments/admin/closures"): (401, 403, 404, 422, 429),
    ("put", "/v1/appointments/admin/closures/{centre}/{day}"): (400, 401, 403, 404, 413, 422, 429),
    ("delete", "/v1/appointments/admin/closures/{centre}/{day}"): (401, 403, 404, 422, 429),
    # a centre's own bookings, for its agent (sync/server/appointments/centre_pull.py)
    ("get", "/v1/appointments/centre/bookings/since/{version}"): (401, 409, 422, 429),
    ("get", "/v1/appointments/centre/bookings/code/{code}"): (401, 404, 409, 422, 429),
}
#: Operations a centre signs (``sync.protocol.sign``), with the headers that carry the signature;
#: a signed request is refused 401 ``stale_request`` outside the freshness window and 409
#: ``replayed`` when it was seen before (:mod:`sync.server.freshness`).
SIGNED = (("post", "/v1/events"), ("get", "/v1/catalogue/latest"), ("get", "/v1/catalogue/{version}"),
          ("get", "/v1/audit/anchors"), ("get", "/v1/audit/anchors/after/{after_id}"),
          ("post", protocol.HEARTBEAT_PATH), ("get", "/v1/appointments/centre/bookings/since/{version}"),
          ("get", "/v1/appointments/centre/bookings/code/{code}"))
SIGNATURE_HEADERS = (
    {"name": protocol.HEADER_CENTRE, "in": "header", "required": True, "schema": {"type": "string"},
     "description": "the enrolled centre's code"},
    {"name": protocol.HEADER_TIME, "in": "header", "required": True, "schema": {"type": "string"},
     "description": "when the request was signed (ISO 8601)"},
    {"name": protocol.HEADER_SIGNATURE, "in": "header", "required": True, "schema": {"type": "string"},
     "description": "Ed25519 signature (base64) of the version, method, path, time and the body's SHA-256"})
#: Operations whose refusals are pages for a person (HTML), not the JSON error body.
HTML_REFUSALS = {("get", "/reports"): (401, 422), ("post", "/reports/login"): (401,),
                 ("get", "/reports/enrolment-codes"): (401, 403),
                 ("post", "/reports/enrolment-codes"): (401, 403, 422)}
#: Operations that answer a redirect (303 See Other) instead of a body.
REDIRECTS = {("post", "/reports/login"): "logged in: to the report page, with a session cookie",
             ("post", "/reports/logout"): "logged out: to the login page"}


class WireEvent(BaseModel):
    """One event of a batch (``sync.protocol.WireEvent``)."""

    uuid: str = Field(min_length=1, max_length=36)
    seq: int = Field(ge=0, le=2**63 - 1, description="the centre's outbox sequence; events are ordered by it")
    kind: str = Field(min_length=1, max_length=64, examples=["application.submitted"])
    aggregate_id: str = Field(min_length=1, max_length=64)
    created_at: str = Field(min_length=1, max_length=40, description="ISO 8601, UTC")
    payload: dict[str, Any] = Field(description="the event kind's own fields")


class Batch(BaseModel):
    """A push: gzip-compressed, signed JSON (``sync.protocol``)."""

    centre: str = Field(min_length=1, max_length=16)
    events: list[WireEvent] = Field(max_length=protocol.MAX_BATCH_EVENTS)


class EventResult(BaseModel):
    uuid: str
    status: Literal["stored", "duplicate", "rejected", "retry"]
    reason: str = Field(description="why an event was rejected or is to be sent again; empty otherwise")


class Results(BaseModel):
    """One answer per event of the batch, in the order sent."""

    results: list[EventResult]


class Enrolment(BaseModel):
    code: str = Field(min_length=1, max_length=16, examples=["0103"])
    name: str | None = Field(None, max_length=200)
    name_ar: str | None = Field(None, max_length=200, description="the centre's name in Arabic (the portal's pages)")
    name_en: str | None = Field(None, max_length=200, description="the centre's name in English")
    governorate: str | None = Field(None, max_length=2, examples=["01"])
    sync_public_key: str = Field(description="the centre's Ed25519 public key (PEM) that signs its requests")
    receipt_public_key: str | None = Field(None, description="the key its receipts are signed with (PEM)")
    # The centre's public details for the citizens' portal (sync.events.CentreDetails); absent: unchanged
    address_ar: str | None = Field(None, max_length=300, description="the centre's address in Arabic")
    address_en: str | None = Field(None, max_length=300, description="the centre's address in English")
    opening_hours: str | None = Field(None, max_length=200, examples=["sun-thu 08:00-15:00; sat 09:00-13:00"])
    portal_url: str | None = Field(None, max_length=200, examples=["https://portal.example"],
                                   description="the portal its printed QR codes link to")
    services: list[str] | None = Field(None, description="codes of the services it offers (absent: all)")


class ReceiptCheck(BaseModel):
    payload: str = Field(description="the text of a receipt's QR code")


class EnrolmentWithCode(Enrolment):
    enrolment_code: str = Field(min_length=1, max_length=64, examples=["7K2M-Q9XA-40RT-B1ZD"],
                                description="the one-time code issued for this centre (48 hours, used once)")


class CodeRequest(BaseModel):
    centre: str = Field(min_length=1, max_length=16, examples=["GIZ-01"])
    governorate: str | None = Field(None, max_length=2, examples=["21"],
                                    description="a national administrator's choice; a supervisor's is theirs")


class CodeForm(BaseModel):
    centre: str = Field(description="the centre's code")
    governorate: str = Field("", description="(a national administrator) the centre's governorate")
    lang: Literal["ar", "en"] = "ar"


class LoginForm(BaseModel):
    username: str = Field(description="the person's user name")
    password: str = Field(description="their password (five wrong in a row lock the account for 15 minutes)")
    lang: Literal["ar", "en"] = "ar"
    # the period the login page was asked for, kept for after the login
    from_: str = Field("", alias="from", description="YYYY-MM-DD")
    to: str = Field("", description="YYYY-MM-DD")


class HeartbeatAnswer(BaseModel):
    """A heartbeat kept: when the server received it, and the centre's clock minus the server's."""

    centre: str
    received_at: str = Field(description="ISO 8601, the server's clock")
    clock_skew_s: float


MODELS: tuple[type[BaseModel], ...] = (ErrorBody, Batch, Results, Enrolment, ReceiptCheck,
                                       LoginForm, EnrolmentWithCode, CodeRequest, CodeForm, protocol.Heartbeat,
                                       HeartbeatAnswer)


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def document(spec: dict[str, Any]) -> dict[str, Any]:
    """Complete a document generated by FastAPI (changed in place, and returned)."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for model in MODELS:
        generated = model.model_json_schema(ref_template=REF, by_alias=True)
        schemas.update(generated.pop("$defs", {}))
        schemas[model.__name__] = generated
    for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's shape, never ours
        schemas.pop(name, None)
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            key = (method, path)
            responses = operation.setdefault("responses", {})
            for status in REFUSALS.get(key, ()):
                html = status in HTML_REFUSALS.get(key, ())
                content = {"text/html": {"schema": {"type": "string"}}} if html else _json(_ref(ErrorBody))
                responses[str(status)] = {"description": MEANINGS[status], "content": content}
            for status, answer in list(responses.items()):  # FastAPI's own 422 now has our shape
                if status.startswith("4") and "application/json" in answer.get("content", {}):
                    answer["content"] = _json(_ref(ErrorBody))
            if key in REDIRECTS:
                responses.pop("200", None)
                responses["303"] = {"description": REDIRECTS[key],
                                    "headers": {"Location": {"schema": {"type": "string"}}}}
    _request_bodies(spec["paths"])
    return spec


def _request_bodies(paths: dict[str, Any]) -> None:
    events = paths["/v1/events"]["post"]
    events["requestBody"] = {
        "required": True,
        "description": "the batch below as JSON, gzip-compressed: the body is those compressed bytes, which "
                       "the centre's signature covers (the server reads them whatever the Content-Type)",
        "content": {"application/gzip": {"schema": _ref(Batch)}}}
    events["responses"]["200"]["content"] = _json(_ref(Results))
    for method, path in SIGNED:
        paths[path][method].setdefault("parameters", []).extend(SIGNATURE_HEADERS)
    for path, model in (("/v1/centres/enrol", Enrolment), ("/v1/receipts/verify", ReceiptCheck),
                        ("/v1/centres/enrol-with-code", EnrolmentWithCode), ("/v1/enrolment-codes", CodeRequest)):
        paths[path]["post"]["requestBody"] = {"required": True, "content": _json(_ref(model))}
    beat = paths[protocol.HEARTBEAT_PATH]["post"]
    beat["requestBody"] = {"required": True, "description": "JSON (not compressed), signed like a push",
                           "content": _json(_ref(protocol.Heartbeat))}
    beat["responses"]["200"]["content"] = _json(_ref(HeartbeatAnswer))
    for path, form in (("/reports/login", LoginForm), ("/reports/enrolment-codes", CodeForm)):
        paths[path]["post"]["requestBody"] = {
            "required": True, "content": {"application/x-www-form-urlencoded": {"schema": _ref(form)}}}


def install(app: FastAPI) -> None:
    """Serve the completed document at ``/openapi.json`` (built once, on the first request)."""
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(get_openapi(title=app.title, version=app.version, routes=app.routes,
                                                      description=app.description))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
