"""Fresh, once-only signed requests.

A centre signs the time it sends a request (``X-Shubbak-Time``, covered by the signature). The
server refuses a signed request whose time is more than :data:`WINDOW_S` from its own clock
(401 ``stale_request``, the message names the server's time, which every answer also carries in
``X-Shubbak-Time``), and remembers every request it accepts until a copy of it would be stale
too: the same signed request again is answered 409 ``replayed`` and changes nothing, not even the
centre's ``last_seen`` or clock skew.

Why 409 and not the answers of the first time ("duplicate"): a replayed push whose first answers
were ``rejected`` or ``retry`` would, answered ``duplicate``, make an agent mark events sent that
the server does not hold; a replayed GET has no "duplicate" to answer; and working out the first
answers again is work done for whoever replays. A real agent signs every attempt afresh, so it
only meets ``replayed`` when something on the network sent its request twice; it then signs again
and sends once more, and gets the true answers (idempotent: ``duplicate`` for what is stored).

The remembered request is the SHA-256 of the centre and the signed input (method, path, time,
body hash), not of the signature's text: base64 has more than one spelling of the same bytes.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sync import protocol
from sync.server.db import ServerDatabase
from sync.server.errors import ApiError
from sync.server.models import SeenRequest

log = logging.getLogger(__name__)

#: A signed request is fresh within this many seconds of the server's clock, either way.
WINDOW_S = 300.0
#: A declared clock correction beyond this (ten years) is nonsense, and ignored.
MAX_DECLARED_SKEW_S = 10 * 365 * 24 * 3600.0
#: Forgotten requests are swept at most this often per process.
SWEEP_EVERY_S = 60.0


def check(centre: str, stamp: datetime | None, headers: Mapping[str, str], now: datetime) -> datetime:
    """The device's own clock at sending, when ``stamp`` (the signed time) is within the window of
    ``now``; else 401 ``stale_request``.

    The agent of a centre whose clock is far off signs with its clock corrected to the server's
    and says by how much in ``X-Shubbak-Clock-Skew``; the device's own clock is given back so the
    server still records (and flags) how far off that PC's clock is. That header is not signed: it
    only feeds the monitoring figure, never the freshness decision.
    """
    if stamp is None:
        raise ApiError(401, "stale_request", f"the request carries no readable time; the server's time is "
                                             f"{now.isoformat()}")
    off = (stamp - now).total_seconds()
    if abs(off) > WINDOW_S:
        log.info("refused a stale request from centre %s: its time is %.0f s off the server's", centre, off)
        raise ApiError(401, "stale_request",
                       f"the request's time {stamp.isoformat()} is {abs(off):.0f} s "
                       f"{'ahead of' if off > 0 else 'behind'} the server's time {now.isoformat()} "
                       f"(allowed: {WINDOW_S:.0f} s); sign again with the server's time")
    return stamp + timedelta(seconds=declared_skew(headers))


def declared_skew(headers: Mapping[str, str]) -> float:
    """The agent's correction of its signed time (its clock minus the server's, seconds), or 0."""
    try:
        value = float(headers.get(protocol.HEADER_CLOCK_SKEW) or 0.0)
    except ValueError:
        return 0.0
    return value if math.isfinite(value) and abs(value) <= MAX_DECLARED_SKEW_S else 0.0


def request_digest(centre: str, method: str, path: str, stamp: str, body: bytes) -> str:
    signed = protocol.signing_input(method, path, stamp, body)
    return hashlib.sha256(centre.encode() + b"\0" + signed).hexdigest()


class SeenRequests:
    """The signed requests accepted within the window, in the server database (shared by every
    worker): the primary key decides, atomically, which of two identical requests is the first."""

    def __init__(self, db: ServerDatabase) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def remember(self, centre: str, method: str, path: str, stamp: str, body: bytes, now: datetime) -> None:
        """Note this fresh request; 409 ``replayed`` when it was already answered."""
        digest = request_digest(centre, method, path, stamp, body)
        # its stamp is within a window of now, so a copy is stale two windows from now at the latest
        expires = now + timedelta(seconds=2 * WINDOW_S)
        insert = pg_insert if self.db.dialect == "postgresql" else sqlite_insert
        stmt = insert(SeenRequest).values(digest=digest, centre_code=centre, expires_at=expires) \
            .on_conflict_do_nothing(index_elements=["digest"]).returning(SeenRequest.digest)
        with self.db.sessions.begin() as s:  # (RETURNING: psycopg's rowcount says -1 here)
            first = s.connection().execute(stmt).scalar_one_or_none() is not None
        self._sweep(now)
        if not first:
            log.warning("refused a replayed request from centre %s (%s %s)", centre, method, path)
            raise ApiError(409, "replayed", "this signed request was already received; nothing was changed. "
                                            "Sign it again with a new time to send it again")

    def _sweep(self, now: datetime) -> None:
        with self._lock:
            if time.monotonic() < self._next_sweep:
                return
            self._next_sweep = time.monotonic() + SWEEP_EVERY_S
        with self.db.sessions.begin() as s:
            s.execute(delete(SeenRequest).where(SeenRequest.expires_at < now))
