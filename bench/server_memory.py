"""Central server memory under hostile bodies: the real server (``python -m sync.server``, one
process, a throwaway SQLite database, a free port) takes 10 concurrent maximum-size bodies of each
kind, and its resident memory is read from ``/proc/<pid>/status``.

    python bench/server_memory.py [--concurrency 10] [--unsigned-mb 100] [--server-code DIR]

Kinds of body (each fired ``--concurrency`` at once, one kind after the other):

* ``signed_bomb``: correctly signed gzip bombs at the compressed limit (~1 MiB inflating to ~1 GiB);
* ``signed_json_at_cap``: correctly signed bodies that inflate to just under the inflation cap as
  valid JSON of ~1.4 million empty objects (the costliest thing to parse within the limits);
* ``signed_over_limit``: correctly signed incompressible bodies of twice the compressed limit;
* ``unsigned_announced`` / ``unsigned_chunked``: ``--unsigned-mb`` unsigned, with a Content-Length
  or chunked; the client sends all of it whatever the server answers (as an attacker would);
* ``forged_chunked``: the same, chunked, naming an enrolled centre with a wrong signature (read up to
  the limit, then refused);
* ``enrol_no_token``: ``--unsigned-mb`` of JSON to the enrolment without the administrator token.

Prints ``name: value`` lines: ``idle_rss_mb`` (after a few genuine pushes), for every kind
``<kind>_peak_over_idle_mb`` and ``<kind>_statuses``, then ``peak_rss_mb`` and ``peak_over_idle_mb``
(the highest of all). The peak is the kernel's high-water mark (``VmHWM``, reset before each kind
through ``/proc/<pid>/clear_refs``) and, as a cross-check, ``VmRSS`` sampled every 5 ms.
``--server-code DIR`` runs the server from another checkout (to compare with the code before).
"""

from __future__ import annotations

import sys
from pathlib import Path

# This folder holds a file named like the ``sync`` package: take it off the path first.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))

import argparse  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
import zlib  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402

import requests  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from counter_app.common.clock import utcnow  # noqa: E402
from sync import protocol  # noqa: E402
from tests.helpers.central import start_central_process  # noqa: E402

TOKEN = "bench-admin-token"
CENTRE = "MEM1"
#: The server's limit on a push's compressed body (sync.server.limits.EVENTS_BODY; written here so
#: that the same bodies can be fired at a server that has no limits).
EVENTS_BODY = 2 * protocol.MAX_BATCH_BYTES
INFLATED_CAP = 8 * protocol.MAX_BATCH_BYTES
PIECE = 64 * 1024


def status_kb(pid: int, field: str) -> int:
    match = re.search(rf"{field}:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) if match else 0


class Sampler:
    """The server's highest VmRSS, sampled, and its VmHWM since :meth:`reset`."""

    def __init__(self, pid: int) -> None:
        self.pid, self.high_kb, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            try:
                self.high_kb = max(self.high_kb, status_kb(self.pid, "VmRSS"))
            except OSError:
                return

    def reset(self) -> None:
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # VmHWM starts again from VmRSS
        except OSError:
            pass  # not permitted here: the sampled figure still holds
        self.high_kb = status_kb(self.pid, "VmRSS")

    def peak_kb(self) -> int:
        return max(self.high_kb, status_kb(self.pid, "VmHWM"))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def gzip_bomb(max_bytes: int, segment: int = 16 << 20) -> bytes:
    """A valid gzip member of at most ``max_bytes`` of zeros inflating ~1,000 times (see
    tests/sync/test_body_limits.py: after a full flush every segment compresses alike)."""
    zeros = bytes(segment)
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    first = deflater.compress(zeros) + deflater.flush(zlib.Z_FULL_FLUSH)
    steady = deflater.compress(zeros) + deflater.flush(zlib.Z_FULL_FLUSH)
    end = deflater.flush()[:-8]
    count = 1 + (max_bytes - len(first) - len(end) - 8) // len(steady)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    return first + steady * (count - 1) + end + struct.pack("<II", crc, (count * segment) & 0xFFFFFFFF)


def json_at_cap() -> bytes:
    """Valid JSON just under the inflation cap, as many objects as fit: the dearest parse."""
    head, tail = b'{"centre":"' + CENTRE.encode() + b'","events":[', b"{}]}"
    count = (INFLATED_CAP - len(head) - len(tail)) // 3
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return deflater.compress(head + b"{}," * count + tail) + deflater.flush()


def signed_headers(key: Ed25519PrivateKey, body: bytes, signature: str | None = None) -> dict[str, str]:
    stamp = utcnow().isoformat()
    return {protocol.HEADER_CENTRE: CENTRE, protocol.HEADER_TIME: stamp,
            protocol.HEADER_SIGNATURE: signature or protocol.sign(key, "POST", "/v1/events", stamp, body)}


def raw_post(url: str, path: str, headers: dict[str, str], total: int, chunked: bool) -> str:
    """Send ``total`` bytes of junk whatever the server answers (stopping only if it closes), then
    read its status line. The client never holds the body: a 64 KiB piece is sent again and again."""
    host, port = url.rsplit("//", 1)[1].split(":")
    total -= total % PIECE  # whole pieces: a Content-Length the client really sends
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}")
    piece = b"[" * PIECE
    framed = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        try:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            for _ in range(total // PIECE):
                sock.sendall(framed)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server closed: what it answered first is still in the socket, or not
        try:
            answer = sock.recv(4096)
        except OSError as exc:
            return f"reset({exc.__class__.__name__})"
    return answer.split(b"\r\n", 1)[0].split(b" ")[1].decode() if answer.startswith(b"HTTP/") else "closed"


def post(url: str, body: bytes, headers: dict[str, str]) -> str:
    try:
        return str(requests.post(url + "/v1/events", data=body, headers=headers, timeout=300).status_code)
    except requests.RequestException as exc:
        return f"error({exc.__class__.__name__})"


def fire(count: int, shot: Callable[[], str]) -> list[str]:
    results: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(count)

    def one() -> None:
        barrier.wait()
        outcome = shot()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def start_server(db_url: str, code: Path) -> tuple[subprocess.Popen[bytes], str]:
    return start_central_process(db_url, TOKEN, cwd=code, env={"PYTHONPATH": str(code)})


def genuine_pushes(url: str, key: Ed25519PrivateKey, batches: int) -> None:
    """A few ordinary batches: the server's code paths are loaded before idle is measured."""
    for b in range(batches):
        events = [protocol.WireEvent(str(uuid.uuid4()), b * 200 + n + 1, "test.event", str(n),
                                     "2026-11-23T09:00:00+00:00", {"n": n, "note": secrets.token_hex(100)})
                  for n in range(200)]
        body = protocol.encode_batch(CENTRE, events)
        r = requests.post(url + "/v1/events", data=body, headers=signed_headers(key, body), timeout=60)
        r.raise_for_status()


def kinds(url: str, key: Ed25519PrivateKey, unsigned: int) -> Iterator[tuple[str, Callable[[], str]]]:
    bomb = gzip_bomb(EVENTS_BODY)
    yield "signed_bomb", lambda: post(url, bomb, signed_headers(key, bomb))
    parse = json_at_cap()
    yield "signed_json_at_cap", lambda: post(url, parse, signed_headers(key, parse))
    big = secrets.token_bytes(2 * EVENTS_BODY)
    yield "signed_over_limit", lambda: post(url, big, signed_headers(key, big))
    yield "unsigned_announced", lambda: raw_post(url, "/v1/events", {}, unsigned, chunked=False)
    yield "unsigned_chunked", lambda: raw_post(url, "/v1/events", {}, unsigned, chunked=True)
    yield "forged_chunked", lambda: raw_post(url, "/v1/events", signed_headers(key, b"", "AAAA"), unsigned,
                                             chunked=True)
    yield "enrol_no_token", lambda: raw_post(url, "/v1/centres/enrol", {}, unsigned, chunked=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--unsigned-mb", type=int, default=100)
    parser.add_argument("--server-code", type=Path, default=_BENCH.parent)
    parser.add_argument("--kinds", default="", help="only these kinds (comma-separated)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shubbak-bench-memory-") as tmp:
        proc, url = start_server(f"sqlite:///{tmp}/central.sqlite3", args.server_code.resolve())
        sampler = Sampler(proc.pid)
        try:
            key = Ed25519PrivateKey.generate()
            requests.post(url + "/v1/centres/enrol", timeout=30, headers={"Authorization": f"Bearer {TOKEN}"},
                          json={"code": CENTRE, "sync_public_key": protocol.public_pem(key.public_key())}
                          ).raise_for_status()
            genuine_pushes(url, key, 5)
            time.sleep(0.5)
            idle_kb = status_kb(proc.pid, "VmRSS")
            print(f"idle_rss_mb: {idle_kb / 1024:.0f}", flush=True)
            highest = idle_kb
            for name, shot in kinds(url, key, args.unsigned_mb * 1_000_000):
                if args.kinds and name not in args.kinds.split(","):
                    continue
                sampler.reset()
                started = time.perf_counter()
                outcomes = fire(args.concurrency, shot)
                elapsed = time.perf_counter() - started
                peak = sampler.peak_kb()
                highest = max(highest, peak)
                summary = ",".join(f"{s}x{outcomes.count(s)}" for s in sorted(set(outcomes)))
                print(f"{name}_peak_over_idle_mb: {(peak - idle_kb) / 1024:.0f}", flush=True)
                print(f"{name}_statuses: {summary}", flush=True)
                print(f"{name}_s: {elapsed:.2f}", flush=True)
            print(f"peak_rss_mb: {highest / 1024:.0f}")
            print(f"peak_over_idle_mb: {(highest - idle_kb) / 1024:.0f}")
        finally:
            sampler.stop()
            proc.terminate()
            proc.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
