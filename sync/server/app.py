"""The central server's HTTP application (FastAPI over SQLAlchemy; PostgreSQL in production,
SQLite by default); ``central-server`` (:mod:`sync.server.__main__`) serves it on uvicorn.

Endpoints (OpenAPI at ``/openapi.json``, browsable at ``/docs``):

* ``GET /v1/health``
* ``POST /v1/centres/enrol`` (administrator token, automation) and ``POST /v1/centres/enrol-with-code``
  (a one-time code, :mod:`sync.server.enrol_codes`): a centre's public keys
* ``POST /v1/enrolment-codes`` and the page ``/reports/enrolment-codes`` (a national administrator or
  governorate supervisor): issue a code
* ``POST /v1/events`` (signed by the centre): a batch push, one answer per event
* ``GET /v1/catalogue/latest`` and ``GET /v1/catalogue/{version}`` (signed)
* ``POST /v1/catalogue`` (administrator token): publish a new catalogue version
* ``GET /v1/quarantine`` (administrator token): events refused as conflicting, for a supervisor
* ``POST /v1/heartbeat`` (signed by the centre): its backlog, queue now, version and clock, see
  :mod:`sync.server.heartbeats`
* ``GET /v1/audit/anchors`` (signed) and ``GET /v1/audit/check`` (administrator token): the audit
  heads each batch carried, see :mod:`sync.server.anchors`
* ``GET /v1/status/{tracking_code}``: a citizen's look-up, with no personal data
* ``POST /v1/receipts/verify``: is this receipt QR payload genuine?
* ``GET /v1/reports/kpis`` and the ``/reports`` web page (administrator): see :mod:`sync.server.reports`
* the citizens' portal at ``/`` (:mod:`sync.server.portal`): ``/services``, ``/status``, ``/r/<payload>``, ``/appointments``, ...
* ``GET /v1/appointments/centre/bookings/since/{version}`` and ``.../code/{code}`` (signed): a
  centre's own bookings for its agent (:mod:`sync.server.appointments.centre_pull`)
* ``/v1/appointments/...``: free slots, bookings, their cancel and move, and the slot rules' and closed
  days' management (:mod:`sync.server.appointments.routes`), and their page ``/reports/appointments``
  (:mod:`sync.server.appointments.slots_page`)
"""

from __future__ import annotations

import contextlib
import gc
import hmac
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from fastapi import Body, FastAPI, Header, HTTPException, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from counter_app.common.clock import utcnow
from sync import protocol
from sync.server import (
    accounts,
    alerts,
    docs,
    enrol_code_page,
    enrol_codes,
    errors,
    freshness,
    headers,
    inputs,
    limits,
    monitor_page,
    openapi,
    portal,
    ratelimit,
)
from sync.server.anchors import add_anchor_routes, record_head
from sync.server.appointments import centre_pull, notices, slots_page
from sync.server.appointments import routes as appointments
from sync.server.centre_details import apply_details, details_from_enrolment
from sync.server.db import DEFAULT_URL, ServerDatabase
from sync.server.heartbeats import add_heartbeat_routes
from sync.server.ingest import ingest, status_of
from sync.server.leases import Lease
from sync.server.models import EnrolledCentre, PublishedCatalogue, QuarantinedEvent
from sync.server.portal import appointments_pages as portal_appointments
from sync.server.portal import centres as portal_centres
from sync.server.portal import receipts as portal_receipts
from sync.server.portal import services as portal_services
from sync.server.portal import status as portal_status
from sync.server.portal import ticket_events as portal_ticket_events
from sync.server.portal import ticket_snapshots as portal_ticket_snapshots
from sync.server.portal import tickets as portal_tickets
from sync.server.projection_cleanup import PRUNE_EVERY_S, ProjectionPruner
from sync.server.receipts import check_receipt
from sync.server.reports import PAGE_HEADERS, add_report_routes

log = logging.getLogger(__name__)
SKEW_FLAG_S = 300.0
#: A worker reads a centre's enrolled key again after this long (another worker may have replaced it).
KEY_CACHE_S = 30.0


def _now() -> datetime:
    return utcnow()


def _parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class ServerTime:
    """Every answer carries the server's clock, by which a centre measures its own. Plain ASGI:
    as a ``BaseHTTPMiddleware`` (an extra task per request) it cost ~12% of a health check and ~19%
    of a one-event push (sequential requests, median of 3)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                stamp = (protocol.HEADER_TIME.lower().encode(), _now().isoformat().encode())
                message = {**message, "headers": [*message.get("headers", ()), stamp]}
            await send(message)

        await self.app(scope, receive, stamped)


def create_app(db: ServerDatabase, admin_token: str, read_db: ServerDatabase | None = None,
               alert_settings: alerts.AlertSettings | None = None,
               notice_settings: notices.NoticeSettings | None = None) -> FastAPI:
    """The app on ``db``; the reports' reading on ``read_db`` when given (``--read-db``: a replica,
    read-only), else on ``db``. Nothing in it assumes it is the only process on ``db``: see the
    README's "Several server processes" and :mod:`sync.server.__main__`.

    ``alert_settings``: this process takes part in evaluating the alerts (one process at a time
    does: :mod:`sync.server.alerts`); None: it does not (tests that do not watch alerts).
    ``notice_settings``: likewise for the booking SMS' rounds (reminders, numbers' deletion, sending:
    :mod:`sync.server.appointments.notices`)."""
    runner = alerts.AlertRunner(db, alert_settings) if alert_settings is not None else None
    notice_runner = notices.NoticeRunner(db, notice_settings) if notice_settings is not None else None

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if runner is not None:
            runner.start()
        if notice_runner is not None:
            notice_runner.start()
        yield
        if runner is not None:
            await run_in_threadpool(runner.stop)
        if notice_runner is not None:
            await run_in_threadpool(notice_runner.stop)
        await portal_ticket_snapshots.close(db)  # its task ends with the server's loop

    # /docs from the installed package's files (sync.server.docs); FastAPI's own load from a CDN
    app = FastAPI(title="Shubbak central server", version=protocol.VERSION, docs_url=None, redoc_url=None,
                  lifespan=lifespan)
    # per-event answers of a big batch; level 6 (zlib's default): the monitoring page of 2,000 centres
    # (~0.7 MB) takes 15 ms at 6 and 40 ms at Starlette's 9, for 7% more bytes
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    app.add_middleware(limits.BodyLimits, admin_token=admin_token)  # sizes and admin token before bodies
    errors.install(app)
    rate_limits = ratelimit.install(app, db)  # per client, before a body is read; per centre in authenticate
    seen_requests = freshness.SeenRequests(db)
    openapi.install(app)
    headers.install(app)
    docs.install(app)

    app.add_middleware(ServerTime)
    # centre -> (pem, key, read at): a cache of enrolled keys, read again after KEY_CACHE_S, so a
    # centre enrolled again through another worker (a new key) is refused its old key within that
    keys: dict[str, tuple[str, Any, float]] = {}
    app.state.read_db = read_db or db  # the reports' (and the monitoring's) reading
    # old days, one round an hour by one of the processes on the database (a lease)
    app.state.projection_pruner = pruner = ProjectionPruner(
        db.sessions, claim=Lease(db, "projection-prune", PRUNE_EVERY_S).claim)

    def require_admin(authorization: str | None) -> None:
        expected = f"Bearer {admin_token}"
        if not admin_token or not authorization or not hmac.compare_digest(authorization, expected):
            raise HTTPException(401, "administrator token required")

    def centre_key(code: str, *, fresh: bool = False) -> Any:
        """The centre's enrolled public key (cached; read again when ``fresh``)."""
        cached = keys.get(code)
        if cached is not None and not fresh and time.monotonic() - cached[2] < KEY_CACHE_S:
            return cached[1]
        with db.sessions() as s:
            centre = s.get(EnrolledCentre, code)
            pem = centre.sync_public_key if centre else None
        if pem is None:
            keys.pop(code, None)
            return None
        key = cached[1] if cached is not None and cached[0] == pem else protocol.load_public(pem)
        keys[code] = (pem, key, time.monotonic())
        return key

    async def authenticate(request: Request) -> tuple[str, bytes, datetime | None]:
        """The centre that signed this request, the body it signed and the device's clock.
        The body is read only once the headers name an enrolled centre and carry a signature
        (and only up to the route's limit: :class:`sync.server.limits.BodyLimits`)."""
        centre = request.headers.get(protocol.HEADER_CENTRE, "")
        stamp = request.headers.get(protocol.HEADER_TIME, "")
        signature = request.headers.get(protocol.HEADER_SIGNATURE, "")
        key = None
        if centre and signature and len(centre) <= 16:
            key = await run_in_threadpool(centre_key, centre)
        body = await request.body() if key is not None else b""

        def valid(key: Any) -> bool:
            return key is not None and protocol.verify(key, signature, request.method, request.url.path, stamp, body)

        ok = valid(key)
        if key is not None and not ok:  # re-enrolled since it was cached (perhaps by another worker)?
            ok = valid(await run_in_threadpool(centre_key, centre, fresh=True))
        if not ok:
            log.warning("refused an unauthenticated %s %s (centre %r)", request.method, request.url.path, centre)
            raise HTTPException(401, "request not signed by an enrolled centre")
        # fresh (else 401), once (else 409), within the centre's rate (else 429): nothing changed yet
        device_time = freshness.check(centre, _parse_time(stamp), request.headers, _now())
        await run_in_threadpool(seen_requests.remember, centre, request.method, request.url.path, stamp, body, _now())
        await run_in_threadpool(rate_limits.hit_centre, centre)
        return centre, body, device_time

    def seen(session: Any, centre: str, device_time: datetime | None, now: datetime) -> None:
        row = session.get(EnrolledCentre, centre)
        if row is None:
            return
        row.last_seen = now
        if device_time is not None:
            row.clock_skew_s = (device_time - now).total_seconds()
            flagged = abs(row.clock_skew_s) > SKEW_FLAG_S
            if flagged and not row.clock_flagged:
                log.warning("centre %s's clock is off by %.0f s", centre, row.clock_skew_s)
            row.clock_flagged = flagged

    @app.get("/v1/health")
    def health() -> dict[str, str]:
        try:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:  # the database is down or unreachable: the environment, not a bug
            log.error("health check: the database does not answer: %s", exc.orig)
            raise errors.ApiError(503, "database_unavailable", "the server's database does not answer") from None
        return {"status": "ok", "database": db.dialect}

    @app.post("/v1/centres/enrol", status_code=201)
    def enrol(request: Request, payload: dict[str, Any] = Body(...),
              authorization: str | None = Header(None)) -> dict[str, str]:
        """Automation's enrolment, with the administrator token (people use a one-time code)."""
        require_admin(authorization)
        return register(payload, None, request.client.host if request.client else None)

    @app.post("/v1/centres/enrol-with-code", status_code=201)
    def enrol_with_code(request: Request, payload: dict[str, Any] = Body(...)) -> dict[str, str]:
        """A centre's enrolment with a one-time code (:mod:`sync.server.enrol_codes`)."""
        code = payload.get("enrolment_code")
        if not isinstance(code, str) or not code.strip() or len(code) > 64:
            raise HTTPException(422, "bad enrolment: an enrolment_code is needed")
        return register(payload, code, request.client.host if request.client else None)

    def register(payload: dict[str, Any], enrolment_code: str | None, client: str | None) -> dict[str, str]:
        try:
            code = str(payload["code"]).strip()
            protocol.load_public(str(payload["sync_public_key"]))
            receipt = payload.get("receipt_public_key")
            if receipt:
                protocol.load_public(str(receipt))
            details = details_from_enrolment(payload)  # the portal's address, hours, services
        except (KeyError, protocol.ProtocolError, ValueError) as exc:
            raise HTTPException(422, f"bad enrolment: {exc}") from exc
        if not code or len(code) > 16:
            raise HTTPException(422, "bad centre code")
        for field in ("code", "name", "governorate", "name_ar", "name_en"):
            inputs.require_text(field, str(payload[field]) if payload.get(field) is not None else None)
        refused: accounts.AccountError | None = None
        try:
            with db.sessions.begin() as s:
                governorate = (str(payload["governorate"])[:2] if payload.get("governorate") else None)
                if enrolment_code is None:
                    accounts.audit(s, "token", "centre.enrol", _now(), target=code, client=client)
                else:
                    try:  # spent in this transaction, with the key stored: exactly one of a race wins
                        governorate = enrol_codes.use(s, enrolment_code, code, _now(), client)
                    except accounts.AccountError as exc:
                        refused = exc  # committed all the same: the refusal's audit, nothing else
                if refused is None:
                    store(s, code, governorate, payload, receipt, details)
        except IntegrityError:
            # Two enrolments of the same new centre at the same moment (two codes, or the token):
            # both found no row and inserted one; the other committed first. This one is rolled
            # back whole (its code unspent) and refused, rather than silently replacing a key
            # stored a moment ago.
            with db.sessions() as s:
                if s.get(EnrolledCentre, code) is None:
                    raise
            with db.sessions.begin() as s:
                accounts.audit(s, f"centre:{code}" if enrolment_code is not None else "token",
                               "centre.enrol_refused", _now(), target=code, client=client,
                               reason="enrolled_meanwhile")
            log.warning("centre %s: two enrolments at the same moment; the later one refused", code)
            raise errors.ApiError(409, "enrolled_meanwhile", (
                f"centre {code} was enrolled by another enrolment at the same moment; this one changed nothing"
                + (" and its enrolment code was not spent" if enrolment_code is not None else "")
                + ". Check which machine is the centre's: enrolling again replaces the centre's key.")) from None
        if refused is not None:
            raise errors.ApiError(409 if refused.key == "used_code" else 403, refused.key, str(refused))
        keys.pop(code, None)
        log.info("centre %s enrolled", code)
        return {"centre": code}

    def store(s: Any, code: str, governorate: str | None, payload: dict[str, Any], receipt: Any,
              details: Any) -> None:
        row = s.get(EnrolledCentre, code)
        if row is None:
            row = EnrolledCentre(code=code, enrolled_at=_now(), clock_flagged=False)
            s.add(row)
        row.name = str(payload.get("name") or code)[:200]
        row.governorate = governorate
        row.sync_public_key = str(payload["sync_public_key"])
        row.receipt_public_key = str(receipt) if receipt else None
        apply_details(row, details)

    @app.post("/v1/events")
    async def push(request: Request) -> JSONResponse:
        centre, body, device_time = await authenticate(request)
        try:
            batch_centre, events, audit_head = protocol.decode_batch(body)
        except protocol.BatchTooLarge as exc:
            raise limits.inflated_too_large(exc) from exc.with_traceback(None)
        except protocol.ProtocolError as exc:  # frames dropped: chained, they kept the parsed body till a full GC
            raise HTTPException(400, str(exc)) from exc.with_traceback(None)
        if len(events) > protocol.MAX_BATCH_EVENTS:  # an agent never sends more: not stored, not half-stored
            raise errors.ApiError(413, "too_many_events", f"a batch holds at most {protocol.MAX_BATCH_EVENTS} events")
        if batch_centre != centre:
            log.warning("centre %s sent a batch for centre %s: refused", centre, batch_centre)
            raise HTTPException(403, "the batch's centre does not match the credential")
        def store() -> list[protocol.EventResult]:
            now = _now()
            with db.sessions.begin() as s:
                results = ingest(s, centre, events, now)
                record_head(s, centre, audit_head, now)  # None from an older agent: nothing anchored
                seen(s, centre, device_time, now)
            return results

        return JSONResponse(protocol.encode_results(await run_in_threadpool(store)),
                            background=pruner.after_ingest(_now()))  # after the answer is sent

    @app.get("/v1/catalogue/latest")
    async def catalogue_latest(request: Request) -> dict[str, Any]:
        await authenticate(request)
        with db.sessions() as s:
            row = s.scalar(select(PublishedCatalogue).order_by(PublishedCatalogue.version.desc()).limit(1))
            if row is None:
                raise HTTPException(404, "no catalogue published")
            return {"version": row.version, "catalogue": json.loads(row.body)}

    @app.get("/v1/catalogue/{version}")
    async def catalogue(request: Request, version: int = Path(ge=0, le=inputs.INTEGER_MAX)) -> dict[str, Any]:
        await authenticate(request)
        with db.sessions() as s:
            row = s.get(PublishedCatalogue, version)
            if row is None:
                raise HTTPException(404, f"no catalogue version {version}")
            return {"version": row.version, "catalogue": json.loads(row.body)}

    @app.post("/v1/catalogue", status_code=201)
    def publish(payload: dict[str, Any] = Body(...), authorization: str | None = Header(None)) -> dict[str, int]:
        require_admin(authorization)
        from counter_app.common.catalogue_data import CatalogueError, parse_catalogue

        try:
            version = int(parse_catalogue(payload).version)
        except (CatalogueError, ValueError, TypeError, KeyError) as exc:
            raise HTTPException(422, f"bad catalogue: {exc}") from exc
        if not 0 <= version <= inputs.INTEGER_MAX:
            raise HTTPException(422, f"bad catalogue: version {version} is out of range")
        inputs.require_json("catalogue", payload)
        with db.sessions.begin() as s:
            newest = s.scalar(select(PublishedCatalogue.version).order_by(PublishedCatalogue.version.desc()).limit(1))
            if newest is not None and version <= newest:
                raise HTTPException(409, f"version {version} is not newer than {newest}")
            s.add(PublishedCatalogue(version=version, body=json.dumps(payload, ensure_ascii=False),
                                     published_at=_now()))
            accounts.audit(s, "token", "catalogue.publish", _now(), target=str(version))
        return {"version": version}

    @app.get("/v1/quarantine")
    def quarantine(authorization: str | None = Header(None), centre: str | None = None) -> list[dict[str, Any]]:
        """Events that came again with another payload, for a supervisor (administrator token)."""
        require_admin(authorization)
        inputs.require_text("centre", centre, 16)
        with db.sessions() as s:
            query = select(QuarantinedEvent).order_by(QuarantinedEvent.id)
            if centre:
                query = query.where(QuarantinedEvent.centre_code == centre)
            rows = s.scalars(query.limit(1000)).all()
            return [{"uuid": r.uuid, "centre": r.centre_code, "received_at": r.received_at.isoformat(),
                     "payload": json.loads(r.payload)} for r in rows]

    @app.get("/v1/status/{tracking_code}")
    def status(tracking_code: str) -> dict[str, str]:
        from counter_app.common.tracking import normalise_tracking_code

        code = normalise_tracking_code(tracking_code)
        if code is None:
            raise HTTPException(422, "not a tracking code")
        with db.sessions() as s:
            found = status_of(s, code)
        if found is None:
            raise HTTPException(404, "unknown tracking code")
        return found

    @app.post("/v1/receipts/verify")
    def verify_receipt(payload: dict[str, Any] = Body(...)) -> dict[str, Any]:
        with db.sessions() as s:
            return check_receipt(s, str(payload.get("payload") or ""))

    add_report_routes(app, db, admin_token, read_db=read_db)
    enrol_codes.add_routes(app, db, admin_token)
    enrol_code_page.add_routes(app, db, admin_token, PAGE_HEADERS)  # /reports/enrolment-codes
    add_anchor_routes(app, db, authenticate, require_admin)
    add_heartbeat_routes(app, db, authenticate)  # POST /v1/heartbeat (signed)
    monitor_page.add_routes(app, db, admin_token)  # /monitor, /monitor/centres/<code>, /v1/monitor/centres
    app.state.alerts = runner
    app.state.notices = notice_runner
    portal.install(app)  # the citizens' pages at / (sync/server/portal)
    for feature in (portal_services, portal_status, portal_receipts):
        feature.add_routes(app, db)
    portal_tickets.add_routes(app, db)  # the mobile ticket /t/<token>
    portal_ticket_events.add_routes(app, db)  # its live stream /t/<token>/events
    portal_centres.add_routes(app, db)  # /centres, live
    appointments.add_routes(app, db, admin_token)  # /v1/appointments/... (sync/server/appointments)
    slots_page.add_routes(app, db, admin_token)  # /reports/appointments: the slot rules' and closed days' page
    portal_appointments.add_routes(app, db)  # the booking pages /appointments (sync/server/portal)
    centre_pull.add_routes(app, db, authenticate)  # /v1/appointments/centre/... (signed by the centre)
    return app


def seed_catalogue(db: ServerDatabase) -> None:
    """Publish the shipped catalogue when the server has none yet."""
    from importlib.resources import files

    try:
        with db.sessions.begin() as s:
            if s.scalar(select(PublishedCatalogue.version).limit(1)) is None:
                body = json.loads((files("resources") / "catalogue" / "services.json").read_text(encoding="utf-8"))
                s.add(PublishedCatalogue(version=int(body["version"]), body=json.dumps(body, ensure_ascii=False),
                                         published_at=_now()))
    except IntegrityError:  # another server process starting at the same moment published it first
        log.info("the shipped catalogue was published by another server process")


def app_from_environment() -> FastAPI:
    """The app of one worker process (``--workers N``); the parent applied the migrations."""
    db = ServerDatabase(os.environ.get("SHUBBAK_CENTRAL_DB", DEFAULT_URL), migrate=False)
    read_url = os.environ.get("SHUBBAK_CENTRAL_READ_DB", "")
    read_db = ServerDatabase(read_url, migrate=False, read_only=True) if read_url else None
    return settled(create_app(db, os.environ.get("SHUBBAK_ADMIN_TOKEN", ""), read_db,
                              alerts.AlertSettings.from_environment(), notices.NoticeSettings.from_environment()))


def settled(app: FastAPI) -> FastAPI:
    """``app`` once built, its objects (the modules, the catalogue, the routes: hundreds of thousands)
    moved out of the garbage collector's sight (:func:`gc.freeze`): they live as long as the
    process, and every full collection would walk them again while each request waits, a pause
    that fell on one booking in twenty (bench/appointments.py at load 3: booking_p95_ms 230 -> 185,
    326 -> 264 ms, medians of six runs alternated, the server's CPU a booking the same)."""
    gc.collect()
    gc.freeze()
    return app
