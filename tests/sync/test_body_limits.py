"""Bounded bodies (issue 17, items 1 and 2), against the real central server on loopback: a gzip bomb
is refused after at most MAX_INFLATED_BYTES of inflation; a body over its route's limit is refused;
a body without credentials (a centre's signature headers, the administrator's token) is answered
before it is read; and the largest batch a genuine agent sends is still stored."""

from __future__ import annotations

import gzip
import json
import re
import secrets
import socket
import struct
import time
import uuid
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counter_app.core import outbox
from counter_app.core.centre import centre_code
from counter_app.core.clock import utcnow
from sync import protocol
from sync.agent.agent import Agent
from sync.server import limits
from sync.server.models import StoredEvent
from tests.helpers.central import ADMIN_TOKEN, Central
from tests.helpers.factories import Centre
from tests.helpers.logfail import Expectations
from tests.helpers.syncing import pending_wire_events

CENTRE = "LIM1"
#: Long enough for a loaded CI machine; the old server never answered these at all.
ANSWER_S = 10.0


# -- helpers ------------------------------------------------------------------------------------
def gzip_bomb(max_bytes: int, segment: int = 16 << 20) -> bytes:
    """One valid gzip member of at most ``max_bytes`` that inflates ~1,000 times (segments of zeros).
    After a full flush the compressor's history is reset, so every further segment of zeros
    compresses to the same bytes: two are compressed, the second is repeated (fast to make)."""
    zeros = bytes(segment)
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    first = deflater.compress(zeros) + deflater.flush(zlib.Z_FULL_FLUSH)
    steady = deflater.compress(zeros) + deflater.flush(zlib.Z_FULL_FLUSH)
    end = deflater.flush()[:-8]  # the last (empty) block; the trailer is written for the whole
    count = 1 + (max_bytes - len(first) - len(end) - 8) // len(steady)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    return first + steady * (count - 1) + end + struct.pack("<II", crc, (count * segment) & 0xFFFFFFFF)


def signed(key: Ed25519PrivateKey, body: bytes, centre: str = CENTRE) -> dict[str, str]:
    stamp = utcnow().isoformat()
    return {protocol.HEADER_CENTRE: centre, protocol.HEADER_TIME: stamp,
            protocol.HEADER_SIGNATURE: protocol.sign(key, "POST", "/v1/events", stamp, body)}


def rejection(n: int, reason_chars: int, centre: str) -> tuple[str, dict[str, object]]:
    """A valid ``application.reject`` payload (:mod:`sync.events`) whose reason does not compress."""
    application = str(uuid.uuid4())
    return application, {"application": application, "tracking_code": f"{n % 10000:04d}-0000-0000", "centre": centre,
                         "service": "LU-SHOP-LICENCE", "state": "rejected", "fee_total": 15000, "received_by": 2,
                         "reviewer_id": 3, "governorate": "01", "catalogue_version": 1,
                         "at": "2026-11-23T09:00:00+00:00", "reason": secrets.token_urlsafe(reason_chars)[:2000]}


def random_batch(count: int, payload_chars: int) -> bytes:
    events = []
    for n in range(count):
        application, payload = rejection(n, payload_chars, CENTRE)
        events.append(protocol.WireEvent(str(uuid.uuid4()), n + 1, "application.reject", application,
                                         "2026-11-23T09:00:00+00:00", payload))
    return protocol.encode_batch(CENTRE, events)


def peak_rss_mb() -> float:
    """This process's peak resident memory since the last :func:`reset_peak` (the server runs in it)."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM starts again from the current RSS


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def error(self) -> str:
        return str(json.loads(self.body)["error"])


def post_part(central: Central, path: str, headers: dict[str, str], part: bytes, *,
              content_length: int | None = None, pieces: int = 1) -> Answer:
    """POST that announces a body (``content_length``, or chunked when None) and sends only
    ``part`` of it, in ``pieces``, then waits for the answer without ever sending the rest: only a
    server that answers before reading the whole body answers at all."""
    address = urlsplit(central.url)
    lines = [f"POST {path} HTTP/1.1", f"Host: {address.netloc}", "Content-Type: application/octet-stream"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {content_length}" if content_length is not None else "Transfer-Encoding: chunked")
    with socket.create_connection((address.hostname, address.port), timeout=ANSWER_S) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        step = -(-len(part) // pieces)
        for start in range(0, len(part), step):
            piece = part[start:start + step]
            sock.sendall(piece if content_length is not None else b"%x\r\n%s\r\n" % (len(piece), piece))
        received = b""
        while b"\r\n\r\n" not in received:
            data = sock.recv(65536)
            assert data, "the server closed the connection without answering"
            received += data
        head, _, rest = received.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        answer_headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
        length = int(answer_headers.get("content-length", "0"))
        while len(rest) < length:
            data = sock.recv(65536)
            assert data, "the answer was cut short"
            rest += data
    return Answer(int(status_line.split()[1]), answer_headers, rest[:length])


@pytest.fixture
def key(central: Central) -> Ed25519PrivateKey:
    """A centre enrolled with a fresh key (no centre database needed to sign a body)."""
    private = Ed25519PrivateKey.generate()
    r = requests.post(central.url + "/v1/centres/enrol", timeout=10, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                      json={"code": CENTRE, "sync_public_key": protocol.public_pem(private.public_key())})
    assert r.status_code == 201, r.text
    return private


# -- the inflation cap (protocol) ---------------------------------------------------------------
def test_inflate_stops_at_the_cap_and_reads_what_gzip_reads() -> None:
    text = b'{"centre": "C1", "events": []}'
    assert protocol.inflate(gzip.compress(text)) == text
    assert protocol.inflate(gzip.compress(text) + gzip.compress(text)) == text * 2  # two members
    assert protocol.inflate(gzip.compress(bytes(1000)), limit=1000) == bytes(1000)  # at the cap: kept
    with pytest.raises(protocol.BatchTooLarge):
        protocol.inflate(gzip.compress(bytes(1001)), limit=1000)
    with pytest.raises(protocol.BatchTooLarge):  # a 1 GiB bomb stops after the cap
        protocol.inflate(gzip_bomb(64 * 1024))
    for broken in (b"", b"not gzip", gzip.compress(text)[:-3], gzip.compress(text) + b"junk"):
        with pytest.raises(protocol.ProtocolError):
            protocol.inflate(broken)


# -- a signed push --------------------------------------------------------------------------------
def test_a_signed_gzip_bomb_is_refused_after_a_few_megabytes(central: Central, key: Ed25519PrivateKey) -> None:
    """1 MiB on the wire that inflates to ~1 GiB: 413 at the inflation cap, quickly, and the
    process (the server runs in it) never grows by more than a fraction of it."""
    bomb = gzip_bomb(limits.EVENTS_BODY)
    assert limits.EVENTS_BODY - 50_000 < len(bomb) <= limits.EVENTS_BODY  # a bomb at the limits
    assert struct.unpack("<I", bomb[-4:])[0] >= 1_000_000_000  # what it holds (~1 GiB)
    headers = signed(key, bomb)
    reset_peak()
    before = peak_rss_mb()
    started = time.monotonic()
    r = requests.post(central.url + "/v1/events", data=bomb, headers=headers, timeout=60)
    elapsed = time.monotonic() - started
    assert (r.status_code, r.json()["error"]) == (413, "inflated_too_large"), r.text
    assert elapsed < 5.0, elapsed
    assert peak_rss_mb() - before < 100, (before, peak_rss_mb())
    assert central.count(StoredEvent) == 0


def test_bodies_parsed_at_the_cap_are_not_kept(central: Central, key: Ed25519PrivateKey) -> None:
    """Ten concurrent signed bodies that inflate to just under the cap as valid JSON of ~1.4 million
    empty objects (the dearest parse the limits allow, ~110 MB each): refused with 400, and no
    parsed body outlives its request (a refusal chained to the parser's frames kept each one alive
    until a full garbage collection: ~800 MB)."""
    head, tail = b'{"centre":"' + CENTRE.encode() + b'","events":[', b"{}]}"
    text = head + b"{}," * ((protocol.MAX_INFLATED_BYTES - len(head) - len(tail)) // 3) + tail
    body = gzip.compress(text, 9)
    reset_peak()
    before = peak_rss_mb()

    def push(_: int) -> int:
        return requests.post(central.url + "/v1/events", data=body, headers=signed(key, body), timeout=60).status_code

    with ThreadPoolExecutor(10) as pool:
        assert list(pool.map(push, range(10))) == [400] * 10
    assert peak_rss_mb() - before < 300, (before, peak_rss_mb())


def test_a_compressed_body_over_the_limit_is_refused(central: Central, key: Ed25519PrivateKey) -> None:
    """A genuine, correctly signed batch whose compressed body is over 1 MiB: 413, nothing stored,
    whether its length is announced or it comes chunked (counted as it is read)."""
    body = random_batch(2000, 600)  # ~2 MB of JSON: under the inflation cap
    assert len(body) > limits.EVENTS_BODY
    r = requests.post(central.url + "/v1/events", data=body, headers=signed(key, body), timeout=30)
    assert (r.status_code, r.json()["error"]) == (413, "body_too_large"), r.text

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start:start + 64 * 1024]

    r = requests.post(central.url + "/v1/events", data=chunks(), headers=signed(key, body), timeout=30)
    assert (r.status_code, r.json()["error"]) == (413, "body_too_large"), r.text
    assert central.count(StoredEvent) == 0


def test_a_batch_of_more_events_than_an_agent_sends_is_refused(central: Central, key: Ed25519PrivateKey) -> None:
    body = random_batch(protocol.MAX_BATCH_EVENTS + 1, 8)
    r = requests.post(central.url + "/v1/events", data=body, headers=signed(key, body), timeout=30)
    assert (r.status_code, r.json()["error"]) == (413, "too_many_events"), r.text
    assert central.count(StoredEvent) == 0
    body = random_batch(protocol.MAX_BATCH_EVENTS, 8)
    r = requests.post(central.url + "/v1/events", data=body, headers=signed(key, body), timeout=30)
    assert r.status_code == 200 and central.count(StoredEvent) == protocol.MAX_BATCH_EVENTS


@pytest.mark.parametrize("case", ["announced", "chunked", "unknown centre", "bad signature"])
def test_a_big_body_is_answered_before_it_is_read(central: Central, key: Ed25519PrivateKey, case: str,
                                                  expect_log: Expectations) -> None:
    """100 MB announced (or streamed without a length): the answer comes while the client has sent
    a fraction of it. An unsigned or unknown centre's body is not read at all; an enrolled centre's
    is read up to the limit (the signature covers the body), never beyond."""
    headers = {protocol.HEADER_CENTRE: CENTRE, protocol.HEADER_TIME: utcnow().isoformat(),
               protocol.HEADER_SIGNATURE: "AAAA"}
    part, length, expected = secrets.token_bytes(64 * 1024), None, (401, "unauthenticated")
    if case == "announced":
        headers, length, expected = {}, 100_000_000, (413, "body_too_large")
    elif case == "chunked":
        headers = {}
    elif case == "unknown centre":
        headers[protocol.HEADER_CENTRE] = "NOPE"
    else:  # read up to the limit, refused at the first piece past it
        part, expected = secrets.token_bytes(limits.EVENTS_BODY + 256 * 1024), (413, "body_too_large")
    warned = expect_log("refused an unauthenticated POST /v1/events", logger="sync.server.app")
    with warned if expected[0] == 401 else nullcontext():
        answer = post_part(central, "/v1/events", headers, part, content_length=length, pieces=8)
    assert (answer.status, answer.error()) == expected
    assert protocol.HEADER_TIME.lower() in answer.headers


# -- the other bodies -----------------------------------------------------------------------------
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.mark.parametrize(("path", "headers", "expected"), [
    ("/v1/centres/enrol", {}, (401, "unauthenticated")),
    ("/v1/centres/enrol", {"Authorization": "Bearer wrong"}, (401, "unauthenticated")),
    ("/v1/catalogue", {}, (401, "unauthenticated")),
    ("/v1/centres/enrol", ADMIN, (413, "body_too_large")),
    ("/v1/catalogue", ADMIN, (413, "body_too_large")),
    ("/v1/receipts/verify", {}, (413, "body_too_large")),
    ("/reports/login", {}, (413, "body_too_large")),
    ("/reports/logout", {}, (413, "body_too_large")),
])
def test_other_bodies_are_refused_from_their_headers(central: Central, path: str, headers: dict[str, str],
                                                     expected: tuple[int, str]) -> None:
    """50 MB announced: refused before a byte of it is read (the token first, then the size)."""
    answer = post_part(central, path, headers, b"{" * 1024, content_length=50_000_000)
    assert (answer.status, answer.error()) == expected


@pytest.mark.parametrize("path", ["/v1/centres/enrol", "/v1/catalogue"])
def test_an_administrators_body_is_not_read_without_the_token(central: Central, path: str) -> None:
    """Streamed without a length and never finished: 401 all the same. A complete body that is not
    even JSON: 401, not FastAPI's 422 (it was parsed before the token was checked)."""
    answer = post_part(central, path, {}, b'{"code": "' + b"9" * 256 * 1024, pieces=4)
    assert (answer.status, answer.error()) == (401, "unauthenticated")
    r = requests.post(central.url + path, data=b"{not json" * 1000, timeout=10,
                      headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()["error"]) == (401, "unauthenticated")


def test_a_chunked_body_past_its_limit_is_stopped(central: Central) -> None:
    answer = post_part(central, "/v1/centres/enrol", ADMIN, b'{"code": "' + b"9" * 64 * 1024, pieces=4)
    assert (answer.status, answer.error()) == (413, "body_too_large")
    answer = post_part(central, "/reports/login", {}, b"token=" + b"x" * 16 * 1024, pieces=4)
    assert (answer.status, answer.error()) == (413, "body_too_large")


def test_the_shipped_catalogue_fits_with_room_to_grow() -> None:
    shipped = Path(__file__).resolve().parents[2] / "resources" / "catalogue" / "services.json"
    assert shipped.stat().st_size * 50 < limits.CATALOGUE_BODY


# -- what a genuine centre sends still goes through -----------------------------------------------
def test_the_largest_batch_an_agent_sends_is_stored(enrolled: Centre, central: Central, agent: Agent) -> None:
    """500 events filling the agent's byte bound (MAX_BATCH_BYTES), with payloads that do not
    compress: one batch, every event stored."""
    with enrolled.db.begin() as s:
        code = centre_code(s)
        for n in range(protocol.MAX_BATCH_EVENTS):
            application, payload = rejection(n, 380, code)
            outbox.emit(s, "application.reject", application, payload)
    wire = pending_wire_events(enrolled.db)
    text = protocol.canonical({"centre": "x", "events": [e.as_json() for e in wire]}).encode()
    assert len(wire) == protocol.MAX_BATCH_EVENTS and 0.9 * protocol.MAX_BATCH_BYTES < len(text)
    report = agent.sync_once()
    assert (report.batches, report.sent) == (1, protocol.MAX_BATCH_EVENTS)
    assert report.bytes > 0.4 * protocol.MAX_BATCH_BYTES  # the reasons do not compress: far from the usual ~10%
    assert central.count(StoredEvent, StoredEvent.uuid.in_([e.uuid for e in wire])) == protocol.MAX_BATCH_EVENTS

