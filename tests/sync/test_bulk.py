"""sync/server/bulk.py: rows in one statement (one JSON document on PostgreSQL) insert, upsert and
return in the order given, with dates, times and NULLs as SQLAlchemy would have sent them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import cast

from sqlalchemy import Table, select

from sync.server import bulk, partitions
from sync.server.db import ServerDatabase
from sync.server.models import EventKey, RollupApplication, StoredEvent


def test_rows_are_inserted_upserted_and_returned_in_order(central_url: str) -> None:
    db = ServerDatabase(central_url)
    keys, apps, events = (cast(Table, m.__table__) for m in (EventKey, RollupApplication, StoredEvent))
    cairo = timezone(timedelta(hours=2))
    try:
        with db.sessions.begin() as s:
            rows = [{"centre_code": "BLK-01", "uuid": f"u-{i:02d}", "created_at": "2026-04-01T08:00:00+00:00",
                     "payload_hash": "h"} for i in (3, 1, 2)]
            got = bulk.insert(s, keys, rows, lambda stmt: stmt.on_conflict_do_nothing(
                index_elements=["centre_code", "uuid"]).returning(keys.c.uuid)).scalars().all()
            assert got == ["u-03", "u-01", "u-02"]  # the order given
            again = bulk.insert(s, keys, rows[:2] + [{**rows[0], "uuid": "u-04"}],
                                lambda stmt: stmt.on_conflict_do_nothing(
                                    index_elements=["centre_code", "uuid"]).returning(keys.c.uuid))
            assert again.scalars().all() == ["u-04"]
            bulk.insert(s, apps, [
                {"centre_code": "BLK-01", "application_uuid": "a", "day": date(2026, 4, 1), "service_code": "S",
                 "state": "draft"},
                {"centre_code": "BLK-01", "application_uuid": "b", "day": None, "service_code": "S'\"ع",
                 "state": "paid"}])
            bulk.insert(s, apps, [{"centre_code": "BLK-01", "application_uuid": "a", "day": date(2026, 4, 2),
                                   "service_code": "S", "state": "submitted"}],
                        lambda stmt: stmt.on_conflict_do_update(index_elements=["centre_code", "application_uuid"],
                                                                set_={"state": stmt.excluded.state}))
            partitions.ensure(s, {"2026-04-01T08:00:00+00:00"})  # the event table's month on PostgreSQL
            bulk.insert(s, events, [{"uuid": "u-01", "centre_code": "BLK-01", "seq": 2**40, "kind": "k",
                                     "aggregate_id": "g", "created_at": "2026-04-01T08:00:00+00:00",
                                     "payload": '{"a": "\\u0000 ع"}', "payload_hash": "h",
                                     "received_at": datetime(2026, 4, 1, 10, 0, tzinfo=cairo)}])
        with db.sessions() as s:
            assert s.execute(select(apps.c.application_uuid, apps.c.day, apps.c.service_code, apps.c.state)
                             .order_by(apps.c.application_uuid)).all() == [
                ("a", date(2026, 4, 1), "S", "submitted"), ("b", None, "S'\"ع", "paid")]
            seq, payload, received = s.execute(select(events.c.seq, events.c.payload, events.c.received_at)).one()
            assert (seq, payload) == (2**40, '{"a": "\\u0000 ع"}')
            assert received.astimezone(UTC) == datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    finally:
        db.dispose()
