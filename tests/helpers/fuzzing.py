"""Schemathesis hooks for the fuzzing of the central server's OpenAPI (tests/sync/test_openapi_fuzz.py).

Loaded by the ``st`` command line through ``SCHEMATHESIS_HOOKS=tests.helpers.fuzzing``:

* a push's body is documented as ``application/gzip`` (gzip-compressed JSON, :mod:`sync.protocol`):
  schemathesis has no serializer for it, so it gets this one;
* when ``SHUBBAK_FUZZ_CENTRE`` and ``SHUBBAK_FUZZ_KEY`` (a PEM file) name an enrolled centre, every
  request to a signed operation is signed as that centre, with its generated body, so the fuzzing
  reaches past authentication into decoding and storing a batch (or a heartbeat); a batch names
  that centre, so it is not refused for naming another one.
"""

from __future__ import annotations

import gzip
import json
import os
from functools import cache
from typing import Any

import schemathesis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from schemathesis.core import NotSet

from counter_app.common.clock import utcnow
from sync import protocol

CENTRE_ENV, KEY_ENV = "SHUBBAK_FUZZ_CENTRE", "SHUBBAK_FUZZ_KEY"
SIGNED_PATHS = ("/v1/events", "/v1/catalogue/", protocol.HEARTBEAT_PATH, "/v1/appointments/centre/")


def gzip_json(value: Any) -> bytes:
    raw = value if isinstance(value, bytes) else json.dumps(value, ensure_ascii=True).encode()
    return gzip.compress(raw, 1)


@schemathesis.serializer("application/gzip")
def gzip_body(_ctx: schemathesis.SerializationContext, value: Any) -> bytes:
    return gzip_json(value)


@cache
def centre_key() -> tuple[str, Ed25519PrivateKey] | None:
    centre, path = os.environ.get(CENTRE_ENV), os.environ.get(KEY_ENV)
    if not centre or not path:
        return None
    with open(path, "rb") as pem:
        key = load_pem_private_key(pem.read(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return centre, key


@schemathesis.hook
def before_call(_context: schemathesis.HookContext, case: schemathesis.Case[Any], kwargs: dict[str, Any]) -> None:
    signer = centre_key()
    if signer is None or not case.path.startswith(SIGNED_PATHS):
        return
    centre, key = signer
    body = b""
    if not isinstance(case.body, NotSet):
        value = case.body
        if isinstance(value, dict) and "centre" in value:
            value = {**value, "centre": centre}
        # a push is gzip-compressed JSON; a heartbeat plain JSON
        body = json.dumps(value).encode() if case.path == protocol.HEARTBEAT_PATH else gzip_json(value)
        kwargs["data"] = body  # sent as signed: schemathesis does not serialize it again
    path = case.formatted_path
    stamp = utcnow().isoformat()  # the suite's pinned clock, inherited by this process
    case.headers.update({protocol.HEADER_CENTRE: centre, protocol.HEADER_TIME: stamp,
                         protocol.HEADER_SIGNATURE: protocol.sign(key, case.method.upper(), path, stamp, body)})
