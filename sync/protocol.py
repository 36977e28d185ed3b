"""The wire protocol between a centre's sync agent and the central server (both import this).

A push is one HTTP ``POST /v1/events`` whose body is gzip-compressed JSON::

    {"centre": "0103", "events": [{"uuid", "seq", "kind", "aggregate_id", "created_at", "payload"}, ...]}

``seq`` is the event's local sequence (the outbox id): events are ordered by it, never by the
wall clock. The server answers one result per event, in the same order::

    {"results": [{"uuid": ..., "status": "stored" | "duplicate" | "rejected" | "retry", "reason": ...}]}

Every request is signed with the centre's Ed25519 key (enrolled on the server): the signature
covers the method, the path, the timestamp and the SHA-256 of the exact body bytes, so a changed
body, path or centre is refused. A replayed request only meets ``duplicate`` answers.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

VERSION = "1"
HEADER_CENTRE = "X-Shubbak-Centre"
HEADER_TIME = "X-Shubbak-Time"
HEADER_SIGNATURE = "X-Shubbak-Signature"
STATUSES = ("stored", "duplicate", "rejected", "retry")
#: Bounds of one batch (the agent fills a batch up to either).
MAX_BATCH_EVENTS = 500
MAX_BATCH_BYTES = 512 * 1024


class ProtocolError(ValueError):
    """A message that does not follow the protocol (a malformed request or reply)."""


@dataclass(frozen=True)
class WireEvent:
    uuid: str
    seq: int
    kind: str
    aggregate_id: str
    created_at: str
    payload: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"uuid": self.uuid, "seq": self.seq, "kind": self.kind, "aggregate_id": self.aggregate_id,
                "created_at": self.created_at, "payload": self.payload}

    def payload_hash(self) -> str:
        """What identifies the content: a UUID sent again must carry the same hash."""
        return hashlib.sha256(canonical({"kind": self.kind, "aggregate_id": self.aggregate_id,
                                         "payload": self.payload}).encode()).hexdigest()


@dataclass(frozen=True)
class EventResult:
    uuid: str
    status: str
    reason: str = ""


def canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def encode_batch(centre: str, events: list[WireEvent]) -> bytes:
    return gzip.compress(canonical({"centre": centre, "events": [e.as_json() for e in events]}).encode(), 5)


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
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ProtocolError(f"'{key}' must be a non-empty string")
    if not storable_text(value):
        raise ProtocolError(f"'{key}' holds a NUL character or a lone surrogate")
    return value


def decode_batch(body: bytes) -> tuple[str, list[WireEvent]]:
    try:
        data = json.loads(gzip.decompress(body))
    except (OSError, EOFError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"not a gzip-compressed JSON batch: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise ProtocolError("a batch is an object with 'centre' and 'events'")
    centre = _text(data, "centre", 16)
    events = []
    for item in data["events"]:
        if not isinstance(item, dict) or not isinstance(item.get("payload"), dict):
            raise ProtocolError("each event is an object with a 'payload' object")
        seq = item.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise ProtocolError("'seq' must be an integer")
        events.append(WireEvent(_text(item, "uuid", 36), seq, _text(item, "kind", 64), _text(item, "aggregate_id", 64),
                                _text(item, "created_at", 40), item["payload"]))
    return centre, events


def encode_results(results: list[EventResult]) -> dict[str, Any]:
    return {"results": [{"uuid": r.uuid, "status": r.status, "reason": r.reason} for r in results]}


def decode_results(data: object, sent: list[WireEvent]) -> list[EventResult]:
    """The server's answer, checked against what was sent (a malformed reply marks nothing)."""
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ProtocolError("the reply has no 'results' list")
    sent_ids = {e.uuid for e in sent}
    results = []
    for item in data["results"]:
        if not isinstance(item, dict) or item.get("status") not in STATUSES or item.get("uuid") not in sent_ids:
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
