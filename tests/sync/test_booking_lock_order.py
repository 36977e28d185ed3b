"""A check-in batch and a closure of the same day lock the day's bookings in one order (PostgreSQL,
where rows are locked one by one; SQLite locks the whole database): the ingest locks every booking
of its check-ins and no-shows at once, in the closure's order (centre, id), before it takes any, so
neither can hold a booking the other waits for while it waits for one the other holds."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

from sqlalchemy import select, text

from counter_app.common.clock import local_day, utcnow
from sync.protocol import WireEvent
from sync.server.appointments import bookings
from sync.server.db import ServerDatabase
from sync.server.ingest import ingest
from sync.server.models import Booking, EnrolledCentre
from tests.helpers.appointments import nid
from tests.helpers.postgres import Cluster, External
from tests.helpers.waiting import wait_for

CENTRE = "GIZ-01"


def booked(db: ServerDatabase, n: int) -> str:
    now = utcnow()
    start = (now + timedelta(minutes=10 + n)).replace(second=0, microsecond=0)
    code = f"LOCK{n:04d}".replace("0", "2").replace("1", "3")
    with db.sessions.begin() as s:
        s.add(Booking(code=code, secret_digest="0" * 64, centre_code=CENTRE, group_letter="A",
                      service_code="MP-REG-CERT", slot_start=start, day=local_day(start), national_id=nid(n),
                      mobile="+201012345678", lang="ar", state=bookings.BOOKED,
                      active_key=f"{nid(n)}|MP-REG-CERT|{local_day(start)}", created_at=now, updated_at=now,
                      version=bookings.next_version(s, CENTRE)))
    return code


def check_in(code: str, seq: int) -> WireEvent:
    at = utcnow().isoformat()
    return WireEvent(str(uuid.uuid4()), seq, "booking.checked_in", code, at,
                     {"booking": code, "ticket": str(uuid.uuid4()), "at": at, "on_time": True})


def waiting_for_a_lock(db: ServerDatabase) -> bool:
    with db.engine.connect() as conn:
        return bool(conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND wait_event_type = 'Lock'")).scalar())


def test_a_check_in_batch_never_holds_a_booking_a_closure_waits_for(pg_cluster: Cluster | External) -> None:
    db = ServerDatabase(str(pg_cluster.create_database()))
    try:
        with db.sessions.begin() as s:
            s.add(EnrolledCentre(code=CENTRE, name="giza", governorate="21", sync_public_key="-",
                                 enrolled_at=utcnow(), clock_flagged=False))
        first, second = booked(db, 1), booked(db, 2)  # the closure's order: first, then second
        results: list[object] = []

        def batch() -> None:  # the kiosk's check-ins, in the order they came: second, then first
            try:
                with db.sessions.begin() as s:
                    results.extend(r.status for r in ingest(s, CENTRE, [check_in(second, 1), check_in(first, 2)],
                                                            utcnow()))
            except Exception as exc:  # noqa: BLE001 - the test reports it
                results.append(exc)

        # a closure of the day has locked the first booking, and goes on to the second
        closure = db.sessions()
        closure.begin()
        closure.scalars(select(Booking.id).where(Booking.code == first).with_for_update()).one()
        thread = threading.Thread(target=batch)
        thread.start()
        wait_for(lambda: waiting_for_a_lock(db))  # the batch waits for the first booking...
        # ... holding none: the closure takes the second at once (before, the batch held it, and
        # each waited for the other until PostgreSQL broke the deadlock by failing one of them)
        closure.scalars(select(Booking.id).where(Booking.code == second).with_for_update(nowait=True)).one()
        closure.rollback()
        closure.close()
        thread.join(30)
        assert results == ["stored", "stored"]
        with db.sessions() as s:
            states = {b.code: b.state for b in s.scalars(select(Booking))}
        assert states == {first: bookings.CHECKED_IN, second: bookings.CHECKED_IN}
    finally:
        db.dispose()
