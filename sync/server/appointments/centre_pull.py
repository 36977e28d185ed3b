"""A centre's own bookings, for its sync agent (issue 20 item 3), and its check-ins (item 4).

Signed by the centre as its events are (``authenticate`` of :func:`sync.server.app.create_app`):

* ``GET /v1/appointments/centre/bookings/since/{version}``: the centre's bookings changed after
  ``version`` (every change takes the centre's next version, :mod:`.bookings`) whose day is today
  or later, oldest change first, at most :data:`PAGE` of them; ``version`` in the answer is the
  newest change it holds (ask again from there while ``more``). A cancelled or moved booking comes
  again with its new state or slot. The national ID travels (the kiosk finds a booking by it), the
  mobile number and the manage secret never do.
* ``GET /v1/appointments/centre/bookings/code/{code}``: one booking of the centre by its code (a
  booking made after the agent's last pull, asked by the kiosk while online); 404 otherwise.

A ``booking.checked_in`` event of the centre (:func:`record_check_ins`, called by the ingest in
the batch's transaction) sets its booking ``checked_in`` with the kiosk's time (and, checked in on
time, the appointment ticket's UUID: :mod:`.outcomes` records its first call), deletes its mobile
number (:func:`.notices.booking_over`), and takes the centre's next version. A ``booking.no_show``
is folded by :func:`.outcomes.record_no_shows`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import Any

from fastapi import FastAPI, HTTPException, Path, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from counter_app.common.clock import as_utc, local_day, utcnow
from sync.protocol import WireEvent
from sync.server import inputs
from sync.server.appointments import bookings, notices
from sync.server.db import ServerDatabase
from sync.server.models import Booking

#: Bookings in one answer at most.
PAGE = 1000
Authenticate = Callable[[Request], Awaitable[tuple[str, bytes, datetime | None]]]


def wire_booking(row: Booking) -> dict[str, Any]:
    return {"code": row.code, "national_id": row.national_id, "service": row.service_code,
            "group": row.group_letter, "start": as_utc(row.slot_start).isoformat(), "day": row.day.isoformat(),
            "state": row.state, "version": row.version}


def changes_since(session: Session, centre: str, version: int, today: date, limit: int = PAGE) -> dict[str, Any]:
    """The centre's bookings of today and later changed after ``version`` (see the module's text)."""
    rows = session.scalars(select(Booking).where(
        Booking.centre_code == centre, Booking.version > version, Booking.day >= today)
        .order_by(Booking.version).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"centre": centre, "version": rows[-1].version if rows else version, "more": more,
            "bookings": [wire_booking(r) for r in rows]}


def one(session: Session, centre: str, code: str) -> dict[str, Any] | None:
    row = session.scalar(select(Booking).where(Booking.code == bookings.normalise_code(code),
                                               Booking.centre_code == centre))
    return wire_booking(row) if row is not None else None


def record_check_ins(session: Session, centre: str, events: Sequence[WireEvent]) -> int:
    """The centre's check-ins stored in this batch: each booked booking of the centre becomes
    ``checked_in`` (a booking of another centre, or one no longer booked, is left as it is)."""
    changed = 0
    for e in events:
        if e.kind != "booking.checked_in":
            continue
        code = str(e.payload.get("booking", ""))
        row = session.scalar(select(Booking).where(Booking.code == code, Booking.centre_code == centre)
                             .with_for_update())
        if row is None or row.state != bookings.BOOKED:
            continue
        try:
            at = as_utc(datetime.fromisoformat(str(e.payload.get("at"))))
        except ValueError:
            at = utcnow()
        row.state, row.checked_in_at = bookings.CHECKED_IN, at
        if e.payload.get("on_time") is True:  # an appointment ticket: its first call is the punctuality's
            row.ticket_uuid = str(e.payload.get("ticket") or "")[:36] or None
        notices.booking_over(session, row)  # the number deleted, its pending SMS void
        row.updated_at, row.version = utcnow(), bookings.next_version(session, centre)
        changed += 1
    return changed


def add_routes(app: FastAPI, db: ServerDatabase, authenticate: Authenticate) -> None:
    @app.get("/v1/appointments/centre/bookings/since/{version}")
    async def centre_bookings(request: Request,
                              version: int = Path(ge=0, le=inputs.INTEGER_MAX)) -> dict[str, Any]:
        """The signing centre's bookings changed after ``version`` (today and later)."""
        centre, _body, _time = await authenticate(request)

        def read() -> dict[str, Any]:
            with db.sessions() as s:
                return changes_since(s, centre, version, local_day(utcnow()))

        return await run_in_threadpool(read)

    @app.get("/v1/appointments/centre/bookings/code/{code}")
    async def centre_booking(request: Request, code: str = Path(max_length=16)) -> dict[str, Any]:
        """One booking of the signing centre by its code."""
        centre, _body, _time = await authenticate(request)

        def read() -> dict[str, Any] | None:
            with db.sessions() as s:
                return one(s, centre, code)

        found = await run_in_threadpool(read)
        if found is None:
            raise HTTPException(404, "no booking of this centre with this code")
        return found

