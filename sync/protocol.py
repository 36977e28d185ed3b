"""The wire protocol between a centre's sync agent and the central server (both import this).

A push is one HTTP ``POST /v1/events`` whose body is gzip-compressed JSON::

    {"centre": "0103", "schema": 1, "events": [{"uuid", "seq", "kind", "aggregate_id", "created_at", "payload"}, ...],
     "audit_head": {"seq": 812, "hash": "<sha-256 hex>"}}

``audit_head`` is the centre's audit chain head when the batch was read (see :class:`AuditHead`);
it is optional, so a batch from an agent older than it is still accepted (nothing is anchored).

``seq`` is the event's local sequence (the outbox id): events are ordered by it, never by the
wall clock. Each kind's payload has a schema (:mod:`sync.events`, of version ``schema``); the
server stores an event only when it validates. The server answers one result per event, in the
same order (an event sent twice in a batch gets two answers)::

    {"results": [{"uuid": ..., "status": "stored" | "duplicate" | "rejected" | "retry", "reason": ...}]}

Every request is signed with the centre's Ed25519 key (enrolled on the server): the signature
covers the method, the path, the timestamp and the SHA-256 of the exact body bytes, so a changed
body, path or centre is refused. A request whose time is more than five minutes off the server's
is refused (401 ``stale_request``), and the same signed request twice is refused the second time
(409 ``replayed``): the agent signs again and retries once (:mod:`sync.server.freshness`).

A heartbeat (at least each minute, with or without events to send) is ``POST /v1/heartbeat``,
signed the same way, whose body is plain JSON (:class:`Heartbeat`, at the end of this module).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

# The event schemas live in their own module (they grow by kind and version; the wire format
# does not); both sides reach them through this one.
from sync.events import MAX_PIASTRES as MAX_PIASTRES
from sync.events import SCHEMA_VERSION as SCHEMA_VERSION
from sync.events import CentreDetails as CentreDetails
from sync.events import is_day as is_day
from sync.events import is_time as is_time
from sync.events import reasons as _reasons

VERSION = "1"
HEADER_CENTRE = "X-Shubbak-Centre"
HEADER_TIME = "X-Shubbak-Time"
HEADER_SIGNATURE = "X-Shubbak-Signature"
#: Sent by an agent that signs with its clock corrected to the server's: its own clock minus the
#: server's, in seconds (not signed; the server only records it as the centre's clock skew).
HEADER_CLOCK_SKEW = "X-Shubbak-Clock-Skew"
STATUSES = ("stored", "duplicate", "rejected", "retry")
#: Bounds of one batch (the agent fills a batch up to either).
MAX_BATCH_EVENTS = 500
MAX_BATCH_BYTES = 512 * 1024
#: What the server inflates of one batch at most: 8x the batch bound (the agent's largest batch is
#: ~525 KB of JSON), so a compressed "bomb" costs the server 4 MiB, never what it claims to hold.
MAX_INFLATED_BYTES = 8 * MAX_BATCH_BYTES


class ProtocolError(ValueError):
    """A message that does not follow the protocol (a malformed request or reply)."""


class BatchTooLarge(ProtocolError):
    """A batch that inflates beyond :data:`MAX_INFLATED_BYTES` (refused before any parsing)."""


@dataclass(frozen=True)
class WireEvent:
    uuid: str
    seq: int
    kind: str
    aggregate_id: str
    created_at: str
    payload: dict[str, Any]
    schema: int = SCHEMA_VERSION  # the batch's schema version (not part of the event's content)

    def as_json(self) -> dict[str, Any]:
        return {"uuid": self.uuid, "seq": self.seq, "kind": self.kind, "aggregate_id": self.aggregate_id,
                "created_at": self.created_at, "payload": self.payload}

    def payload_hash(self, payload_text: str | None = None) -> str:
        """What identifies the content: a UUID sent again must carry the same hash. The SHA-256 of
        ``canonical({"kind", "aggregate_id", "payload"})``, put together from ``payload_text``
        (``canonical(self.payload)``) when the caller has it already: the payload is encoded once."""
        text = canonical(self.payload) if payload_text is None else payload_text
        whole = (f'{{"aggregate_id":{json.dumps(self.aggregate_id, ensure_ascii=False)},'
                 f'"kind":{json.dumps(self.kind, ensure_ascii=False)},"payload":{text}}}')
        return hashlib.sha256(whole.encode()).hexdigest()


@dataclass(frozen=True)
class EventResult:
    uuid: str
    status: str
    reason: str = ""


def canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def encode_batch(centre: str, events: list[WireEvent], audit_head: AuditHead | None = None) -> bytes:
    data: dict[str, Any] = {"centre": centre, "schema": SCHEMA_VERSION, "events": [e.as_json() for e in events]}
    if audit_head is not None:
        data["audit_head"] = audit_head.as_json()
    return gzip.compress(canonical(data).encode(), 5)


def storable_text(value: str) -> bool:
    """Text a database can hold: no NUL (PostgreSQL refuses it), no lone surrogate (not UTF-8)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")  # fails on a lone surrogate ("\ud800" is valid JSON)
    except UnicodeEncodeError:
        return False
    return True


def _text(obj: dict[str, Any], key: str, limit: int = 200) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value or len(value) > limit or "\x00" in value:
        raise ProtocolError(f"'{key}' must be a non-empty string")
    if not storable_text(value):
        raise ProtocolError(f"'{key}' holds a NUL character or a lone surrogate")
    return value


def inflate(body: bytes, limit: int = MAX_INFLATED_BYTES) -> bytes:
    """The gzip ``body`` inflated, a piece at a time, refused with :class:`BatchTooLarge` as soon as
    it passes ``limit`` bytes (``gzip.decompress`` would allocate whatever the body claims).
    Concatenated gzip members are read as one, as ``gzip.decompress`` does."""
    out = bytearray()
    pending = body
    while True:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip header and trailer
        while not inflater.eof:
            try:
                piece = inflater.decompress(pending, min(64 * 1024, limit + 1 - len(out)))
            except zlib.error as exc:
                raise ProtocolError(f"not a gzip-compressed batch: {exc}") from exc
            out += piece
            if len(out) > limit:
                raise BatchTooLarge(f"the batch inflates to more than {limit} bytes")
            pending = inflater.unconsumed_tail
            if not piece and not pending:  # nothing more to read, nothing more produced
                raise ProtocolError("not a gzip-compressed batch: it ends before its last block")
        pending = inflater.unused_data.lstrip(b"\0")  # gzip tolerates zero padding after a member
        if not pending:
            return bytes(out)


def decode_batch(body: bytes, max_inflated: int = MAX_INFLATED_BYTES
                 ) -> tuple[str, list[WireEvent], AuditHead | None]:
    text = inflate(body, max_inflated)  # before any parsing
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"not a gzip-compressed JSON batch: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise ProtocolError("a batch is an object with 'centre' and 'events'")
    centre = _text(data, "centre", 16)
    schema = data.get("schema", 1)  # agents before issue 17 wrote version 1 and did not say so
    if not isinstance(schema, int) or isinstance(schema, bool) or not 1 <= schema < 2**31:
        raise ProtocolError("'schema' must be a positive integer")
    events = []
    for item in data["events"]:
        if not isinstance(item, dict) or not isinstance(item.get("payload"), dict):
            raise ProtocolError("each event is an object with a 'payload' object")
        seq = item.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise ProtocolError("'seq' must be an integer")
        events.append(WireEvent(_text(item, "uuid", 36), seq, _text(item, "kind", 64), _text(item, "aggregate_id", 64),
                                _text(item, "created_at", 40), item["payload"], schema))
    return centre, events, decode_audit_head(data.get("audit_head"))


# -- the audit head, anchored on the server ----------------------------------------------------------
#: A sequence the server's BIGINT holds.
MAX_SEQ = 2**63 - 1


@dataclass(frozen=True)
class AuditHead:
    """The newest entry of a centre's audit chain: its sequence and hash. Each hash covers every
    entry before it, so the server keeping the heads it saw anchors the whole chain off the PC."""

    seq: int
    hash: str

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash}


def decode_audit_head(value: object) -> AuditHead | None:
    """The batch's ``audit_head``: absent (an older agent) is None; present, it must be well formed."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ProtocolError("'audit_head' must be an object with 'seq' and 'hash'")
    seq, digest = value.get("seq"), value.get("hash")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SEQ:
        raise ProtocolError("'audit_head.seq' must be a positive integer")
    if not isinstance(digest, str) or len(digest) != 64 or digest.strip("0123456789abcdef"):
        raise ProtocolError("'audit_head.hash' must be 64 lowercase hex digits")
    return AuditHead(seq, digest)


def invalid_events(events: list[WireEvent]) -> list[str | None]:
    """Per event, None when it follows the schema of its kind, else why not (naming the field)."""
    return _reasons([e.as_json() for e in events])


def encode_results(results: list[EventResult]) -> dict[str, Any]:
    return {"results": [{"uuid": r.uuid, "status": r.status, "reason": r.reason} for r in results]}


def decode_results(data: object, sent: list[WireEvent]) -> list[EventResult]:
    """The server's answer, checked against what was sent: one result per event, in the order
    sent (a malformed reply marks nothing)."""
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ProtocolError("the reply has no 'results' list")
    if len(data["results"]) != len(sent):
        raise ProtocolError(f"{len(data['results'])} results for {len(sent)} events")
    results = []
    for item, event in zip(data["results"], sent, strict=True):
        if not isinstance(item, dict) or item.get("status") not in STATUSES or item.get("uuid") != event.uuid:
            raise ProtocolError(f"malformed result {item!r}")
        results.append(EventResult(str(item["uuid"]), str(item["status"]), str(item.get("reason") or "")))
    return results


# -- signatures ---------------------------------------------------------------------------------
def signing_input(method: str, path: str, timestamp: str, body: bytes) -> bytes:
    return "\n".join((VERSION, method.upper(), path, timestamp, hashlib.sha256(body).hexdigest())).encode()


def sign(key: Ed25519PrivateKey, method: str, path: str, timestamp: str, body: bytes) -> str:
    return base64.b64encode(key.sign(signing_input(method, path, timestamp, body))).decode()


def verify(public: Ed25519PublicKey, signature: str, method: str, path: str, timestamp: str, body: bytes) -> bool:
    try:
        public.verify(base64.b64decode(signature, validate=True), signing_input(method, path, timestamp, body))
        return True
    except (InvalidSignature, ValueError):
        return False


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def load_public(pem: str) -> Ed25519PublicKey:
    key = load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ProtocolError("not an Ed25519 public key")
    return key


# -- the heartbeat (issue 19) ---------------------------------------------------------------------
#: ``POST`` with a JSON :class:`Heartbeat` body, signed as a push is; the server keeps the latest
#: per centre (:mod:`sync.server.heartbeats`).
HEARTBEAT_PATH = "/v1/heartbeat"
#: The most a heartbeat body may hold: 26 groups and a few figures are ~700 bytes of JSON.
MAX_HEARTBEAT_BYTES = 4 * 1024
#: A figure of the heartbeat: a count, or an age or a wait in seconds (up to ~31 years).
_Figure = Annotated[int, Field(ge=0, le=10**9)]
_Group = Annotated[str, StringConstraints(pattern=r"^[A-Z]$")]
_SoftwareVersion = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z.+_-]+$")]
_Centre = Annotated[str, StringConstraints(min_length=1, max_length=16, pattern=r"^[^\x00]+$")]
_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)


class HeartbeatBacklog(BaseModel):
    """The centre's outbox: events waiting to be sent, the oldest one's age (by the centre's own
    clock; None when none waits) and the events the server refused for good."""

    model_config = _STRICT
    events: _Figure
    oldest_age_s: _Figure | None
    rejected: _Figure


class HeartbeatQueue(BaseModel):
    """The queue now (:func:`counter_app.core.queue_now.queue_now`): the centre day, tickets waiting
    per group letter, the longest current wait in seconds (None when nobody waits), the counters
    open and the counters configured."""

    model_config = _STRICT
    day: date
    waiting: Annotated[dict[_Group, _Figure], Field(max_length=26)]
    longest_wait_s: _Figure | None
    counters_open: _Figure
    counters_active: _Figure


class Heartbeat(BaseModel):
    """What an agent reports at least each minute, with or without events to send. ``clock`` is the
    centre PC's own clock when it was made (not the corrected time it signs with): the server's
    receive time minus it is the centre's clock skew. Strict JSON types, bounded, no extra field."""

    model_config = _STRICT
    centre: _Centre
    clock: AwareDatetime
    version: _SoftwareVersion
    backlog: HeartbeatBacklog
    queue: HeartbeatQueue

    def encode(self) -> bytes:
        return self.model_dump_json().encode()
