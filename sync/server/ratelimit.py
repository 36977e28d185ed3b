"""Rate limits of the central server, per client (IP address) and per centre, shared by every
worker through the server database.

The limits are the ``limits`` library's fixed windows over :class:`DatabaseStorage`, a storage of
our own on the server database (table ``rate_limit``): one atomic upsert per counted request
(``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``), so two workers, or two servers on one
database, count together and never both let the last request through. A window opens at a key's
first hit and closes ``period`` later; across a window's end a client can make up to twice the
figure in a short burst, which the figures below allow for.

Beyond a limit the answer is 429 ``rate_limited`` with ``Retry-After`` (seconds until the window
ends); the agent already waits at least that long.

The figures (per client address unless said; one address per IPv6 /64, which one host gets):

======================== ======================= ==============================================
rule                     default                 why this figure
======================== ======================= ==============================================
``status``               60 per minute           a citizen checks a few times a minute; a mobile
                                                 carrier's shared address (CGNAT) carries many
                                                 (the JSON look-up and the portal's ``/status``
                                                 page count together)
``receipts``             60 per minute           a bank clerk checking receipts one by one (the
                                                 JSON check and the portal's ``/r/`` page)
``login``                10 per 5 minutes        an administrator mistypes a few times
``enrol``                30 per minute           a technician's script enrolling many centres
``admin``                120 per minute          an administrator's report pages and API calls
``ticket``               120 per minute          a phone refreshes its ticket every 15 s (4 a
                                                 minute); many phones share one CGNAT address.
                                                 Counted in memory per process (:data:`IN_MEMORY`)
``slots``                120 per minute          a citizen looks through a few centres' and
                                                 days' slots; many share a CGNAT address
``booking``              30 per minute           booking, looking up, cancelling and moving a
                                                 booking: a few per citizen, many citizens per
                                                 CGNAT address; a booking's secret (144 bits)
                                                 is not guessed at any rate
``centre`` (per centre)  600 per minute          every signed request of one centre: 300,000
                                                 events a minute in full batches; a week offline
                                                 at a big centre is about 35,000 events
======================== ======================= ==============================================

``SHUBBAK_RATE_LIMITS`` changes them for a deployment (read when the app is made, so every
worker reads it): ``off``, or ``rule=figure`` pairs, e.g. ``status=120/minute,centre=1200/minute``.

The client's address is the connection's, which uvicorn takes from ``X-Forwarded-For`` only when
the connection comes from a trusted proxy (``--forwarded-allow-ips``, loopback by default): behind
a reverse proxy on another host, trust it there, or every citizen shares the proxy's address.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sync.server import errors
from sync.server.db import ServerDatabase
from sync.server.models import RateLimitCounter

log = logging.getLogger(__name__)

ENVIRONMENT = "SHUBBAK_RATE_LIMITS"
DEFAULTS: Mapping[str, str] = {
    "status": "60/minute",
    "receipts": "60/minute",
    "login": "10 per 5 minutes",
    "enrol": "30/minute",
    "admin": "120/minute",
    "centre": "600/minute",
    "ticket": "120/minute",
    "slots": "120/minute",
    "booking": "30/minute",
}
#: Which requests count against which per-client rule: (method, exact path or prefix ending in /).
ROUTES: tuple[tuple[str, str, str], ...] = (
    ("GET", "/v1/status/", "status"),
    ("GET", "/status", "status"),  # the portal's look-up page (sync/server/portal/status.py)
    ("GET", "/t/", "ticket"),  # the mobile ticket page, its state and opening its event stream (portal/ticket*.py)
    ("POST", "/v1/receipts/verify", "receipts"),
    ("GET", "/r/", "receipts"),  # the portal's receipt page (sync/server/portal/receipts.py)
    ("POST", "/reports/login", "login"),
    ("POST", "/v1/centres/enrol", "enrol"),
    ("POST", "/v1/centres/enrol-with-code", "enrol"),  # codes are 80 random bits: 30 a minute guess none
    ("POST", "/v1/enrolment-codes", "admin"),
    ("POST", "/reports/enrolment-codes", "admin"),
    ("GET", "/v1/reports/kpis", "admin"),
    ("GET", "/reports", "admin"),
    ("GET", "/v1/quarantine", "admin"),
    ("POST", "/v1/catalogue", "admin"),
    ("GET", "/v1/audit/check", "admin"),
    ("GET", "/v1/appointments/admin/", "admin"),  # the appointments' management (sync/server/appointments)
    ("PUT", "/v1/appointments/admin/", "admin"),
    ("DELETE", "/v1/appointments/admin/", "admin"),
    ("GET", "/v1/appointments/slots", "slots"),
    ("POST", "/v1/appointments/bookings", "booking"),
    ("POST", "/v1/appointments/bookings/", "booking"),  # cancel, move
    ("GET", "/v1/appointments/bookings/", "booking"),  # a booking by its code and secret
    ("GET", "/appointments", "slots"),  # the portal's booking pages (sync/server/portal/appointments_pages.py)
    ("GET", "/appointments/book", "slots"),
    ("POST", "/appointments/", "booking"),  # booking, cancelling and moving there
    ("GET", "/appointments/m/", "booking"),  # a booking's manage pages (by its code and secret)
)
#: Rules counted in each server process's memory, not in the database: the mobile ticket's page and
#: state are refreshed by every phone of every centre every 15 s, and a database write per refresh
#: would cost more than the answer (bench/portal.py). Each process's share is the whole figure: with
#: N worker processes (``--workers N``, on one or several machines) a client may make up to N times
#: the figure. That is accepted: the page only reads, its tokens (128 random bits) cannot be guessed
#: at any rate, so the limit only stops one client from flooding a process; and dividing the figure
#: by N would refuse a busy CGNAT address early, since the kernel does not spread one address's
#: connections evenly over the processes. A deployment that wants a strict total sets
#: ``ticket=<figure / N>`` in ``SHUBBAK_RATE_LIMITS`` (tests/sync/test_workers.py shows the share).
IN_MEMORY = frozenset({"ticket"})
#: Ended windows are swept at most this often per process.
SWEEP_EVERY_S = 60.0


class DatabaseStorage(Storage):
    """A ``limits`` storage on the central server's database, for the fixed-window strategy.

    Window times are the system clock (``time.time()``, as the ``limits`` library's own), stored as
    seconds since the epoch; workers on several hosts share them within their NTP accuracy.
    """

    STORAGE_SCHEME = None

    def __init__(self, db: ServerDatabase) -> None:
        super().__init__()
        self.db = db
        self._insert = pg_insert if db.dialect == "postgresql" else sqlite_insert
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        old = RateLimitCounter
        ended = old.expires_at <= now
        stmt = self._insert(old).values(key=key, hits=amount, expires_at=now + expiry).on_conflict_do_update(
            index_elements=["key"],
            set_={"hits": case((ended, amount), else_=old.hits + amount),
                  "expires_at": case((ended, now + expiry), else_=old.expires_at)},
        ).returning(old.hits)
        with self.db.sessions.begin() as s:
            hits = int(s.connection().execute(stmt).scalar_one())
        self._sweep(now)
        return hits

    def get(self, key: str) -> int:
        with self.db.sessions() as s:
            row = s.get(RateLimitCounter, key)
            return row.hits if row is not None and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        with self.db.sessions() as s:
            expires = s.scalar(select(RateLimitCounter.expires_at).where(RateLimitCounter.key == key))
        return float(expires) if expires is not None else time.time()

    def check(self) -> bool:
        try:
            with self.db.sessions() as s:
                s.scalar(select(RateLimitCounter.key).limit(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.db.sessions.begin() as s:
            return int(s.execute(delete(RateLimitCounter)).rowcount)  # type: ignore[attr-defined]

    def clear(self, key: str) -> None:
        with self.db.sessions.begin() as s:
            s.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))

    def _sweep(self, now: float) -> None:
        with self._lock:
            if time.monotonic() < self._next_sweep:
                return
            self._next_sweep = time.monotonic() + SWEEP_EVERY_S
        with self.db.sessions.begin() as s:
            s.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at < now))


def policy(setting: str | None = None) -> dict[str, RateLimitItem]:
    """The rules in force: the defaults changed by ``setting`` (or ``SHUBBAK_RATE_LIMITS``)."""
    text = (os.environ.get(ENVIRONMENT, "") if setting is None else setting).strip()
    if text.lower() == "off":
        return {}
    figures = dict(DEFAULTS)
    for pair in filter(None, (p.strip() for p in text.split(","))):
        rule, _, figure = pair.partition("=")
        if rule.strip() not in DEFAULTS or not figure.strip():
            raise ValueError(f"{ENVIRONMENT}: unknown rule or no figure in {pair!r} (rules: {', '.join(DEFAULTS)})")
        figures[rule.strip()] = figure.strip()
    return {rule: parse(figure) for rule, figure in figures.items()}


@dataclass(frozen=True)
class Refusal:
    message: str
    retry_after: int

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class RateLimits:
    """The rules of one app, counted in its database."""

    def __init__(self, db: ServerDatabase, rules: Mapping[str, RateLimitItem] | None = None) -> None:
        self.rules = dict(policy() if rules is None else rules)
        self.limiter = FixedWindowRateLimiter(DatabaseStorage(db))
        self.memory = FixedWindowRateLimiter(MemoryStorage())

    def hit(self, rule: str, who: str) -> Refusal | None:
        """Count one request of ``who`` under ``rule``; a refusal when it is over the limit."""
        item = self.rules.get(rule)
        limiter = self.memory if rule in IN_MEMORY else self.limiter
        if item is None or limiter.hit(item, rule, who):
            return None
        reset = limiter.get_window_stats(item, rule, who).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        log.info("rate limit %s (%s) reached by %s", rule, item, who)
        return Refusal(f"too many requests ({rule}: {item}); try again in {wait} s", wait)

    def hit_centre(self, centre: str) -> None:
        """Count one signed request of ``centre``; 429 beyond its limit."""
        refusal = self.hit("centre", centre)
        if refusal is not None:
            raise errors.ApiError(429, "rate_limited", refusal.message, headers=refusal.headers())

    def rule_for(self, method: str, path: str) -> str | None:
        for want, route, rule in ROUTES:
            if method == want and (path == route or (route.endswith("/") and path.startswith(route))) \
                    and rule in self.rules:
                return rule
        return None


def client_of(scope: Scope) -> str:
    """The client's address; an IPv6 address by its /64 (one host's share)."""
    client = scope.get("client")
    host = str(client[0]) if client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class PerClientLimits:
    """ASGI middleware: counts the requests of the routes in :data:`ROUTES` per client, before
    their body is read; answers 429 beyond the limit."""

    def __init__(self, app: ASGIApp, limits: RateLimits) -> None:
        self.app, self.limits = app, limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            rule = self.limits.rule_for(scope["method"], scope["path"])
            if rule is not None:
                refusal = await run_in_threadpool(self.limits.hit, rule, client_of(scope))
                if refusal is not None:
                    response: Response = JSONResponse(errors.body("rate_limited", refusal.message), 429,
                                                      headers=refusal.headers())
                    if not scope["path"].startswith("/v1/") and rule in ("status", "receipts", "slots", "booking"):
                        response = _portal_refusal(scope, refusal)  # a citizen's page: a page, not JSON
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def _portal_refusal(scope: Scope, refusal: Refusal) -> Response:
    """The portal's page for a citizen past a limit, in their language, with ``Retry-After``."""
    from starlette.requests import Request

    from sync.server.portal import render

    response = render(Request(scope), "too_many.html", status=429, cache="no-store",
                      minutes=max(1, math.ceil(refusal.retry_after / 60)))
    response.headers.update(refusal.headers())
    return response


def install(app: Any, db: ServerDatabase) -> RateLimits:
    """Add the per-client limits to ``app``; returns the limits, for the per-centre one."""
    limits = RateLimits(db)
    app.add_middleware(PerClientLimits, limits=limits)
    return limits
