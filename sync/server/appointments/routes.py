"""The appointments' HTTP API (:mod:`sync.server.appointments`).

Public (rate-limited per client, :mod:`sync.server.ratelimit` rules ``slots`` and ``booking``):

* ``GET /v1/appointments/slots?centre=C&service=S&from=YYYY-MM-DD&days=N``: the bookable days,
  each with its slots (``start``: UTC, what a booking names; ``time``: Cairo, ``HH:MM``) and their
  free places;
* ``POST /v1/appointments/bookings``: book (201 with the code and the manage secret, shown once);
* ``GET /v1/appointments/bookings/{code}`` with the secret in ``X-Booking-Secret``;
* ``POST /v1/appointments/bookings/{code}/cancel`` and ``/move`` with the secret in the body.

A refusal has the server's error shape (``error``: the reason key, ``message``: English) and
``localised``: the message in the language asked (``lang``, Arabic by default).

Management (a login or the administrator token; audited): a national administrator for every
centre (and the national holidays), a governorate supervisor for their governorate's centres, a
centre viewer reads their centre's only:

The rules of who may and what is valid are :mod:`sync.server.appointments.manage`'s (the
management page's too):

* ``GET /v1/appointments/admin/rules?centre=C``, ``PUT /v1/appointments/admin/rules/{centre}/{group}``;
* ``GET /v1/appointments/admin/closures?centre=C`` (with the national holidays),
  ``PUT`` and ``DELETE /v1/appointments/admin/closures/{centre}/{day}`` (``centre`` ``national``:
  a public holiday). A day with booked bookings is refused (409 ``day_has_bookings`` with their
  number, ``bookings``) unless the body says ``"cancel_bookings": true``: then they are cancelled,
  each citizen texted, and the answer's ``bookings_cancelled`` counts them.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import date, datetime
from typing import Any

from fastapi import FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from counter_app.common.clock import as_utc, local_day, to_local, utcnow
from sync.server import errors, inputs
from sync.server.accounts import Scope
from sync.server.appointments import bookings, manage, slots
from sync.server.appointments.errors import AppointmentError
from sync.server.db import ServerDatabase
from sync.server.fairness import FairSemaphore
from sync.server.models import Booking, EnrolledCentre
from sync.server.portal.catalogue import latest_catalogue
from sync.server.sessions import client_of, request_scope, require_same_origin

NATIONAL_PATH = manage.NATIONAL_PATH
#: A booking's transaction is tried this often when it meets a unique key another one took.
TRIES = 3
#: Booking transactions at once per server process; the others wait their turn before they start.
#: Every booking of a centre waits for its version's row: with 40 threads of one process on it, the
#: thread holding the lock waited for the GIL behind the others (bench/appointments.py, 50 bookers,
#: load 5: p95 733 and 842 ms with 4, 947 and 1,072 ms without, runs alternated). They are served
#: in their order of arrival (:class:`~sync.server.fairness.FairSemaphore`; with the standard
#: library's semaphore, at load 3: p95 257 ms against 191, medians of five runs alternated).
BOOKING_WRITERS = 4


class BookingRequest(BaseModel):
    centre: str = Field(max_length=16)
    service: str = Field(max_length=32)
    slot: datetime = Field(description="the slot's start, as the slots' list gives it (ISO 8601, UTC)")
    national_id: str = Field(max_length=40)
    mobile: str = Field(max_length=40)
    lang: str = Field("ar", max_length=5)
    reminders: bool = Field(True, description="SMS reminders the day before and an hour before")


class ManageRequest(BaseModel):
    secret: str = Field(max_length=100)
    lang: str = Field("ar", max_length=5)


class MoveRequest(ManageRequest):
    slot: datetime


class ClosureRequest(BaseModel):
    reason_ar: str = Field(min_length=1, max_length=200)
    reason_en: str = Field(min_length=1, max_length=200)
    #: a day with booked bookings is closed only so: they are cancelled and each citizen texted
    cancel_bookings: bool = False


def refusal(exc: AppointmentError, lang: str) -> JSONResponse:
    extra: dict[str, Any] = {"localised": exc.message(lang)}
    if "until" in exc.values:
        extra["until"] = exc.values["until"].isoformat()
    return JSONResponse(errors.body(exc.key, str(exc), **extra), exc.status)


def _local(moment: datetime) -> str:
    return to_local(moment).strftime("%Y-%m-%d %H:%M")


def booking_view(row: Booking) -> dict[str, Any]:
    """What the citizen's manage link shows: no national ID, the mobile masked."""
    start = as_utc(row.slot_start)
    return {"code": row.code, "centre": row.centre_code, "service": row.service_code, "group": row.group_letter,
            "slot": start.isoformat(), "local": _local(start), "state": row.state,
            "mobile": ("…" + row.mobile[-3:]) if row.mobile else None}


class ServiceGroups:
    """Service code -> group letter, from the newest published catalogue (read again after a minute)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: dict[str, str] = {}
        self._read_at = -1e9

    def group(self, session: Session, service: str) -> str:
        with self._lock:
            if time.monotonic() - self._read_at > 60:
                catalogue = latest_catalogue(session)
                self._groups = {s.code: s.group for s in catalogue.services} if catalogue else {}
                self._read_at = time.monotonic()
            found = self._groups.get(service)
        if found is None:
            raise AppointmentError("no_appointments", f"no service {service!r}")
        return found


def _offers(session: Session, centre: str, service: str) -> None:
    row = session.get(EnrolledCentre, centre)
    offered = None
    if row is not None and row.services is not None:
        try:
            offered = json.loads(row.services)
        except ValueError:
            offered = None
    if row is None or (isinstance(offered, list) and service not in offered):
        raise AppointmentError("no_appointments", f"centre {centre} takes no appointments for {service}")


def add_routes(app: FastAPI, db: ServerDatabase, admin_token: str) -> None:
    groups = ServiceGroups()
    limits = bookings.Limits.from_environment()
    writers = FairSemaphore(BOOKING_WRITERS)

    @app.get("/v1/appointments/slots", response_model=None)
    def free_slots(centre: str = Query(max_length=16), service: str = Query(max_length=32),
                   first: date | None = Query(None, alias="from"), days: int = Query(31, ge=1, le=slots.MAX_DAYS_ASKED),
                   lang: str = Query("ar", max_length=5)) -> Any:
        """The bookable slots of ``days`` days from ``from`` (today by default), each with its free places."""
        inputs.require_text("centre", centre)
        inputs.require_text("service", service)
        now = utcnow()
        try:
            with db.sessions() as s:
                _offers(s, centre, service)
                group = groups.group(s, service)
                rule, found = slots.free_slots(s, centre, group, first or local_day(now), days, now)
        except AppointmentError as exc:
            return refusal(exc, lang)
        # a JSONResponse as it is: FastAPI's encoding of a month's ~800 slots cost more than the query
        return JSONResponse({"centre": centre, "service": service, "group": group, "places": rule.places,
                             "days": [{"day": d.day.isoformat(),
                                       "slots": [{"start": f.iso or f.start.isoformat(), "time": f.time, "free": f.free}
                                                 for f in d.slots]} for d in found]})

    @app.post("/v1/appointments/bookings", status_code=201, response_model=None)
    def book(payload: BookingRequest, request: Request) -> Any:
        """A booking; the answer's ``secret`` is the manage link's, shown only here."""
        for name in ("centre", "service", "national_id", "mobile"):
            inputs.require_text(name, getattr(payload, name))
        for attempt in range(TRIES):
            try:
                with writers, db.sessions.begin() as s:
                    made = bookings.book(
                        s, centre=payload.centre, group=groups.group(s, payload.service), service=payload.service,
                        start=payload.slot, national_id_text=payload.national_id, mobile_text=payload.mobile,
                        lang=payload.lang, now=utcnow(), limits=limits, reminders=payload.reminders,
                        site=str(request.base_url).rstrip("/"))
                # the answer made once committed: the centre's version row is held till then
                return JSONResponse({**booking_view(made.booking), "secret": made.secret}, 201)
            except AppointmentError as exc:
                return refusal(exc, payload.lang)
            except IntegrityError:
                if attempt == TRIES - 1:
                    raise
        raise AssertionError("unreachable")

    @app.get("/v1/appointments/bookings/{code}", response_model=None)
    def view(code: str, x_booking_secret: str = Header("", max_length=100), lang: str = Query("ar", max_length=5)) -> Any:
        try:
            with db.sessions() as s:
                return booking_view(bookings.find(s, code, x_booking_secret))
        except AppointmentError as exc:
            return refusal(exc, lang)

    @app.post("/v1/appointments/bookings/{code}/cancel", response_model=None)
    def cancel(code: str, payload: ManageRequest) -> Any:
        try:
            with db.sessions.begin() as s:
                return booking_view(bookings.cancel(s, code, payload.secret, utcnow()))
        except AppointmentError as exc:
            return refusal(exc, payload.lang)

    @app.post("/v1/appointments/bookings/{code}/move", response_model=None)
    def move(code: str, payload: MoveRequest) -> Any:
        for attempt in range(TRIES):
            try:
                with db.sessions.begin() as s:
                    return booking_view(bookings.move(s, code, payload.secret, payload.slot, utcnow(), limits))
            except AppointmentError as exc:
                return refusal(exc, payload.lang)
            except IntegrityError:
                if attempt == TRIES - 1:
                    raise
        raise AssertionError("unreachable")

    # -- management ---------------------------------------------------------------------------------
    def who(request: Request) -> Scope:
        scope = request_scope(db, admin_token, request)
        if scope is None:
            raise errors.ApiError(401, "unauthenticated", "a login or the administrator token is required")
        if scope.actor != "token" and request.method != "GET":
            require_same_origin(request)
        return scope

    def refused(scope: Scope, action: str, target: str, request: Request, exc: AppointmentError) -> errors.ApiError:
        """The refusal as the API's error; a forbidden one audited (in a transaction of its own)."""
        if exc.key == "forbidden":
            with db.sessions.begin() as s:
                manage.audit_refusal(s, scope, action, target, utcnow(), client_of(request), "forbidden")
        return errors.ApiError(exc.status, exc.key, str(exc))

    @app.get("/v1/appointments/admin/rules")
    def get_rules(request: Request, centre: str = Query(max_length=16)) -> list[dict[str, Any]]:
        scope = who(request)
        inputs.require_text("centre", centre)
        try:
            with db.sessions() as s:
                rows = manage.rules_of(s, scope, centre)
        except AppointmentError as exc:
            raise errors.ApiError(exc.status, exc.key, str(exc)) from None
        return [{"centre": r.centre_code, "group": r.group_letter, "hours": json.loads(r.hours),
                 "slot_minutes": r.slot_minutes, "places": r.places, "horizon_days": r.horizon_days,
                 "cutoff_days_before": r.cutoff_days_before, "cutoff_time": r.cutoff_time,
                 "updated_at": as_utc(r.updated_at).isoformat(), "updated_by": r.updated_by} for r in rows]

    @app.put("/v1/appointments/admin/rules/{centre}/{group}")
    def put_rule(request: Request, centre: str, group: str, payload: dict[str, Any]) -> dict[str, Any]:
        scope = who(request)
        inputs.require_text("centre", centre, 16)
        inputs.require_text("group", group, 4)
        try:
            rule = slots.parse_rule(payload)
        except AppointmentError as exc:
            raise errors.ApiError(422, exc.key, str(exc)) from None
        try:
            manage.in_transaction(db, lambda s: manage.set_rule(s, scope, centre, group, rule, utcnow(),
                                                                client_of(request)))
        except AppointmentError as exc:
            raise refused(scope, "rule_set", f"{centre}/{group}", request, exc) from None
        return {"centre": centre, "group": group, "hours": slots.hours_json(rule), "slot_minutes": rule.slot_minutes,
                "places": rule.places, "horizon_days": rule.horizon_days,
                "cutoff_days_before": rule.cutoff_days_before, "cutoff_time": rule.cutoff_time.strftime("%H:%M")}

    @app.delete("/v1/appointments/admin/rules/{centre}/{group}")
    def delete_rule(request: Request, centre: str, group: str) -> dict[str, Any]:
        scope = who(request)
        inputs.require_text("centre", centre, 16)
        inputs.require_text("group", group, 4)
        try:
            manage.in_transaction(db, lambda s: manage.delete_rule(s, scope, centre, group, utcnow(),
                                                                   client_of(request)))
        except AppointmentError as exc:
            raise refused(scope, "rule_delete", f"{centre}/{group}", request, exc) from None
        return {"centre": centre, "group": group, "deleted": True}

    @app.get("/v1/appointments/admin/closures")
    def get_closures(request: Request, centre: str = Query(max_length=16),
                     first: date | None = Query(None, alias="from")) -> list[dict[str, Any]]:
        scope = who(request)
        inputs.require_text("centre", centre)
        try:
            with db.sessions() as s:
                rows = manage.closures_of(s, scope, centre, first or local_day(utcnow()))
        except AppointmentError as exc:
            raise errors.ApiError(exc.status, exc.key, str(exc)) from None
        return [{"centre": r.centre_code or NATIONAL_PATH, "day": r.day.isoformat(), "reason_ar": r.reason_ar,
                 "reason_en": r.reason_en} for r in rows]

    @app.put("/v1/appointments/admin/closures/{centre}/{day}", response_model=None)
    def put_closure(request: Request, centre: str, day: date, payload: ClosureRequest) -> dict[str, Any] | JSONResponse:
        scope = who(request)
        inputs.require_text("centre", centre, 16)
        inputs.require_text("reason_ar", payload.reason_ar)
        inputs.require_text("reason_en", payload.reason_en)
        try:
            cancelled = manage.in_transaction(db, lambda s: manage.set_closure(
                s, scope, centre, day, payload.reason_ar, payload.reason_en, utcnow(), client_of(request),
                cancel_bookings=payload.cancel_bookings, site=str(request.base_url)))
        except AppointmentError as exc:
            if exc.key == "day_has_bookings":  # not closed: asked again with "cancel_bookings": true
                return JSONResponse(errors.body(exc.key, str(exc), bookings=exc.values.get("count", 0)), exc.status)
            raise refused(scope, "closure_set", f"{centre}/{day.isoformat()}", request, exc) from None
        return {"centre": centre, "day": day.isoformat(), "bookings_cancelled": cancelled}

    @app.delete("/v1/appointments/admin/closures/{centre}/{day}")
    def delete_closure(request: Request, centre: str, day: date) -> dict[str, Any]:
        scope = who(request)
        inputs.require_text("centre", centre, 16)
        try:
            with db.sessions.begin() as s:
                manage.delete_closure(s, scope, centre, day, utcnow(), client_of(request))
        except AppointmentError as exc:
            raise refused(scope, "closure_delete", f"{centre}/{day.isoformat()}", request, exc) from None
        return {"centre": centre, "day": day.isoformat(), "deleted": True}
