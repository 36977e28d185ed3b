"""The sync agent: sends a centre's outbox to the central server, nothing lost, nothing twice.

``sync-agent`` (:mod:`sync.agent.__main__`) runs it as its own process for a multi-counter centre;
inside ``counter-app`` it runs on its own thread for a one-PC centre. A lease row in the centre
database (:mod:`sync.agent.lease`) makes sure only one agent sends per centre.

A round reads the pending events in their local order, sends them in batches bounded in count
and bytes (gzip-compressed, signed), and marks exactly the events the server acknowledged
(``stored`` or ``duplicate``); ``rejected`` ones are set aside with their reason (an alert), and
``retry`` ones stay pending. Connection errors, timeouts, 408, 429 and 5xx are retried with full
jitter backoff, at least as long as a ``Retry-After`` asks; a malformed reply marks nothing.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from sqlalchemy.orm import Session

from counter_app.core import audit, outbox, settings
from counter_app.core.booking import PulledBooking
from counter_app.core.centre import centre_code
from counter_app.core.clock import as_utc, local_day, utcnow
from counter_app.core.db import Database
from counter_app.core.models import OutboxEvent
from counter_app.core.sync_state import record_attempt
from sync import protocol
from sync.agent.freshness import SigningClock, refusal_code, sign_again
from sync.agent.heartbeat import HEARTBEAT_S, Heartbeats
from sync.agent.lease import acquire_lease, default_holder, release_lease

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 429}) | frozenset(range(500, 600))
INTERVAL_S = 60.0
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 60.0


class SyncError(Exception):
    """A round that could not finish. ``retryable`` errors are the network's or the server's."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.retryable, self.retry_after, self.status = retryable, retry_after, status


@dataclass
class RoundReport:
    sent: int = 0
    duplicates: int = 0
    rejected: int = 0
    retry: int = 0
    batches: int = 0
    bytes: int = 0
    leased_elsewhere: bool = False


# -- keys ---------------------------------------------------------------------------------------
def load_or_create_key(session: Session) -> Ed25519PrivateKey:
    pem = settings.get(session, "sync.private_key")
    if pem:
        key = load_pem_private_key(pem.encode(), password=None)
        assert isinstance(key, Ed25519PrivateKey)
        return key
    key = Ed25519PrivateKey.generate()
    settings.put(session, "sync.private_key",
                 key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode())
    return key



def wire_event(row: OutboxEvent) -> protocol.WireEvent:
    """An outbox row as it travels: its local sequence is its id."""
    return protocol.WireEvent(row.uuid, row.id, row.kind, row.aggregate_id, as_utc(row.created_at).isoformat(),
                              json.loads(row.payload))


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        try:
            return max((parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds(), 0.0)
        except (TypeError, ValueError):
            return None


def _skew(response: requests.Response, sent_at: datetime) -> float | None:
    """Local clock minus the server's: its ``X-Shubbak-Time`` (the server's own clock, to the
    microsecond), else its ``Date`` header (one-second resolution)."""
    stamp = response.headers.get(protocol.HEADER_TIME)
    if stamp:
        try:
            server = datetime.fromisoformat(stamp)
        except ValueError:
            server = None
        if server is not None and server.tzinfo is not None:
            return (sent_at - server).total_seconds()
    date = response.headers.get("Date")
    if not date:
        return None
    try:
        server = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        return None
    return (sent_at - server).total_seconds()


def _pulled(item: dict[str, object]) -> PulledBooking:
    """One booking as the server sends it (:mod:`sync.server.appointments.centre_pull`)."""
    return PulledBooking(code=str(item["code"]), national_id=str(item["national_id"]),
                         service_code=str(item["service"]), group_letter=str(item["group"]),
                         booked_at=as_utc(datetime.fromisoformat(str(item["start"]))),
                         day=date.fromisoformat(str(item["day"])), state=str(item["state"]),
                         version=int(str(item["version"])))


class Agent:
    def __init__(self, db: Database, server: str | None = None, *, verify: bool | str = True,
                 holder: str | None = None, max_events: int = protocol.MAX_BATCH_EVENTS,
                 max_bytes: int = protocol.MAX_BATCH_BYTES, timeout: tuple[float, float] = (5.0, 30.0),
                 http: requests.Session | None = None) -> None:
        self.db = db
        with db.begin() as s:
            self.server = (server or settings.get(s, "sync.server")).rstrip("/")
            self.key = load_or_create_key(s)
            self.centre = centre_code(s)
            self.clock = SigningClock.from_setting(settings.get(s, "sync.clock_skew_s"))
        if not self.server:
            raise SyncError("no central server configured (shubbak centre enrol)", retryable=False)
        self.verify, self.timeout = verify, timeout
        self.max_events, self.max_bytes = max_events, max_bytes
        self.holder = holder or default_holder()
        self.http = http or requests.Session()
        self._kick = threading.Event()
        self._stop = threading.Event()
        self.failures = 0
        #: The audit head read with the last batch, and the last one the server answered for.
        self._audit_head: protocol.AuditHead | None = None
        self._anchored: protocol.AuditHead | None = None
        self._heartbeats: Heartbeats | None = None

    def close(self) -> None:
        """Close the kept-alive connections to the server."""
        self.http.close()

    def __enter__(self) -> Agent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- HTTP -----------------------------------------------------------------------------------
    def request(self, method: str, path: str, body: bytes = b"", *,
                http: requests.Session | None = None) -> requests.Response:
        """One signed request, on ``http`` (the heartbeat's own connection) or the agent's."""
        response = self._send(method, path, body, http)
        if sign_again(response):  # stale (this PC's clock; now measured) or replayed (the network): once
            log.info("the server refused a request as %s; signing it again", refusal_code(response))
            response = self._send(method, path, body, http)
        if sign_again(response):
            raise SyncError(f"server refused the request as {refusal_code(response)} twice: {response.text[:200]}",
                            retryable=True)
        if response.status_code in RETRY_STATUSES:
            raise SyncError(f"server answered {response.status_code}", retryable=True,
                            retry_after=_retry_after(response.headers.get("Retry-After")))
        if response.status_code >= 400:
            raise SyncError(f"server refused: {response.status_code} {response.text[:200]}", retryable=False,
                            status=response.status_code)
        return response

    def _send(self, method: str, path: str, body: bytes, http: requests.Session | None = None) -> requests.Response:
        """One attempt, signed with the time now (corrected when this PC's clock is far off)."""
        sent_at = utcnow()
        stamp, extra = self.clock.stamp(sent_at)
        headers = {protocol.HEADER_CENTRE: self.centre, protocol.HEADER_TIME: stamp,
                   protocol.HEADER_SIGNATURE: protocol.sign(self.key, method, path, stamp, body), **extra}
        if body:
            headers["Content-Type"] = "application/octet-stream"
        try:
            response = (http or self.http).request(method, self.server + path, data=body or None, headers=headers,
                                         timeout=self.timeout, verify=self.verify)
        except requests.exceptions.SSLError as exc:
            raise SyncError(f"TLS verification failed: {exc}", retryable=False) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise SyncError(f"central server unreachable: {exc}", retryable=True) from exc
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            raise SyncError(f"the connection broke during the answer: {exc}", retryable=True) from exc
        except requests.RequestException as exc:  # a bad URL or setting: not the network's fault
            raise SyncError(f"cannot reach the central server: {exc}", retryable=False) from exc
        self.clock.observe(response, sent_at)
        return response

    # -- one round ------------------------------------------------------------------------------
    def _batch(self, after_id: int) -> list[tuple[int, protocol.WireEvent]]:
        with self.db.read() as s:
            rows = outbox.pending(s, limit=self.max_events, after_id=after_id)
            head = audit.head(s)
        self._audit_head = protocol.AuditHead(*head) if head else None
        batch: list[tuple[int, protocol.WireEvent]] = []
        size = 0
        for row in rows:
            event = wire_event(row)
            size += len(row.payload.encode()) + 200
            if batch and size > self.max_bytes:
                break
            batch.append((row.id, event))
        return batch

    def sync_once(self) -> RoundReport:
        """Send everything pending now; raises SyncError when the round cannot finish."""
        report = RoundReport()
        with self.db.begin() as s:
            if not acquire_lease(s, self.holder):
                report.leased_elsewhere = True
                return report
        after_id, skew = 0, None
        try:
            while not self._stop.is_set():
                batch = self._batch(after_id)
                if not batch and self._audit_head in (None, self._anchored):
                    break
                # Nothing pending but new audit entries (a login, say): a batch of none anchors them.
                events = [e for _id, e in batch]
                body = protocol.encode_batch(self.centre, events, self._audit_head)
                sent_at = utcnow()
                response = self.request("POST", "/v1/events", body)
                skew = _skew(response, sent_at)
                try:
                    results = protocol.decode_results(response.json(), events)
                except (ValueError, requests.JSONDecodeError, protocol.ProtocolError) as exc:
                    raise SyncError(f"malformed reply from the server: {exc}", retryable=True) from exc
                self._apply(results, report)
                self._anchored = self._audit_head
                report.batches += 1
                report.bytes += len(body)
                if not batch:
                    break
                after_id = batch[-1][0]
                with self.db.begin() as s:
                    if not acquire_lease(s, self.holder):  # renew; lost it (we stalled): stop here
                        report.leased_elsewhere = True
                        break
        except SyncError as exc:
            with self.db.begin() as s:
                record_attempt(s, ok=False, error=str(exc), skew_s=skew if skew is not None else self.clock.skew_s)
            raise
        with self.db.begin() as s:
            record_attempt(s, ok=True, skew_s=skew)
        return report

    def _apply(self, results: list[protocol.EventResult], report: RoundReport) -> None:
        done = [r.uuid for r in results if r.status in ("stored", "duplicate")]
        rejected = {r.uuid: r.reason or "rejected" for r in results if r.status == "rejected"}
        with self.db.begin() as s:
            outbox.mark_sent(s, done)
            outbox.mark_rejected(s, rejected)
        report.sent += sum(r.status == "stored" for r in results)
        report.duplicates += sum(r.status == "duplicate" for r in results)
        report.rejected += len(rejected)
        report.retry += sum(r.status == "retry" for r in results)
        for event_uuid, reason in rejected.items():
            log.warning("the server rejected event %s: %s", event_uuid, reason)

    # -- catalogue ------------------------------------------------------------------------------
    def pull_catalogue(self) -> int | None:
        """Apply a newer catalogue from the server in one transaction; returns the version applied.
        Skipped while a local catalogue change waits to be sent (it is never overwritten)."""
        from counter_app.common.catalogue_data import parse_catalogue
        from counter_app.core import catalogue

        response = self.request("GET", "/v1/catalogue/latest")
        try:
            incoming = parse_catalogue(response.json()["catalogue"])
        except Exception as exc:
            raise SyncError(f"malformed catalogue from the server: {exc}", retryable=True) from exc
        with self.db.begin() as s:
            current = catalogue.active_version(s)
            if current is not None and incoming.version <= current:
                return None
            if outbox.unsent_kind_waiting(s, "catalogue."):
                log.info("catalogue %d not applied: local catalogue changes are not sent yet", incoming.version)
                return None
            catalogue.apply_catalogue(s, incoming)
        log.info("applied catalogue version %d from the central server", incoming.version)
        return incoming.version

    # -- the centre's bookings --------------------------------------------------------------------
    def pull_bookings(self) -> int:
        """Bring the centre's copy of its bookings up to date (the changes after the newest version
        it holds, page by page, each page in its own transaction); returns the bookings changed.
        The copies of past days' bookings are deleted."""
        from counter_app.core import booking

        with self.db.read() as s:
            version = booking.local_version(s)
        changed = 0
        while not self._stop.is_set():
            answer = self.request("GET", f"/v1/appointments/centre/bookings/since/{version}")
            try:
                body = answer.json()
                rows = [_pulled(item) for item in body["bookings"]]
                newest, more = int(body["version"]), bool(body["more"])
            except (ValueError, KeyError, TypeError, requests.JSONDecodeError) as exc:
                raise SyncError(f"malformed bookings from the server: {exc}", retryable=True) from exc
            with self.db.begin() as s:
                changed += booking.apply_pulled(s, rows)
                booking.forget_before(s, local_day(utcnow()))
            if not more or newest <= version:
                break
            version = newest
        if changed:
            log.info("%d bookings of the centre pulled from the central server", changed)
        return changed

    def fetch_booking(self, code: str) -> bool:
        """Ask the server for one booking of the centre (made after the last pull) and keep it;
        False when the server has none of this code. Raises :class:`SyncError` when unreachable."""
        from counter_app.core import booking

        found = booking.entry_code(code)
        if found is None:
            return False
        try:
            answer = self.request("GET", f"/v1/appointments/centre/bookings/code/{found}")
        except SyncError as exc:
            if exc.status == 404:
                return False
            raise
        try:
            row = _pulled(answer.json())
        except (ValueError, KeyError, TypeError, requests.JSONDecodeError) as exc:
            raise SyncError(f"malformed booking from the server: {exc}", retryable=True) from exc
        with self.db.begin() as s:
            booking.apply_pulled(s, [row])
        return True

    # -- being told of new events -------------------------------------------------------------
    def _listen_postgres(self) -> None:
        """LISTEN for commits of other processes of the centre (PostgreSQL), and kick."""
        import psycopg
        from sqlalchemy import make_url

        conninfo = make_url(self.db.url).set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {outbox.OUTBOX_CHANNEL}")
                    while not self._stop.is_set():
                        for _note in conn.notifies(timeout=1.0, stop_after=1):
                            self.kick()
            except psycopg.Error as exc:
                log.warning("outbox notifications lost (%s); reconnecting", exc)
                self._stop.wait(5.0)

    # -- running --------------------------------------------------------------------------------
    def kick(self) -> None:
        """Sync soon (called after each local transaction)."""
        self._kick.set()

    def stop(self) -> None:
        self._stop.set()
        self._kick.set()
        if self._heartbeats is not None:
            self._heartbeats.stop(join=False)  # run_forever waits for it as it ends

    def backoff(self, error: SyncError) -> float:
        self.failures += 1
        delay = random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** min(self.failures, 16)))
        return max(delay, error.retry_after or 0.0)

    def run_forever(self, interval: float = INTERVAL_S, heartbeat_interval: float | None = HEARTBEAT_S) -> None:
        """At start, after each kick, every ``interval`` and, while offline, on the backoff's
        schedule (so the first round after the network returns sends everything). Heartbeats go
        every ``heartbeat_interval`` on their own thread (:mod:`sync.agent.heartbeat`; None: none)."""
        next_pull = 0.0
        if heartbeat_interval is not None and not self._stop.is_set():
            self._heartbeats = Heartbeats(self, heartbeat_interval)
            self._heartbeats.start()
        self.db.outbox_listeners.append(self.kick)  # commits of this process
        if self.db.dialect == "postgresql":
            threading.Thread(target=self._listen_postgres, name="sync-agent-listen", daemon=True).start()
        while not self._stop.is_set():
            self._kick.clear()
            wait = interval
            try:
                if time.monotonic() >= next_pull:
                    try:
                        self.pull_catalogue()
                    except SyncError as exc:
                        if exc.retryable:
                            raise
                        log.warning("catalogue not pulled: %s", exc)  # never blocks sending
                    next_pull = time.monotonic() + 15 * interval
                try:  # every round: a booking made a minute ago is known at the kiosk
                    self.pull_bookings()
                except SyncError as exc:
                    if exc.retryable:
                        raise
                    log.warning("bookings not pulled: %s", exc)  # never blocks sending
                self.sync_once()
                self.failures = 0
            except SyncError as exc:
                log.warning("sync failed: %s", exc)
                wait = self.backoff(exc) if exc.retryable else interval
            except Exception:  # a bug or the local database: keep the thread alive, say it loudly
                log.exception("sync round failed")
                wait = min(interval, self.backoff(SyncError("unexpected", retryable=True)))
            self._kick.wait(wait)
        if self.kick in self.db.outbox_listeners:
            self.db.outbox_listeners.remove(self.kick)
        if self._heartbeats is not None:
            self._heartbeats.stop()
        with self.db.begin() as s:
            release_lease(s, self.holder)
