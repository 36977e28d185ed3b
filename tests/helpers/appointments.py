"""Shared pieces of the appointments' tests (the API's and the portal pages')."""

from __future__ import annotations

from datetime import datetime, timedelta

from counter_app.common.clock import CENTRE_TZ, local_day, utcnow
from sync.server.db import ServerDatabase
from sync.server.models import Booking


def nid(n: int) -> str:
    """A valid national ID (born 1 January 1990 in Cairo), the ``n``-th of its kind."""
    return f"290010121{n:04d}5"


def add_no_shows(db: ServerDatabase, national_id: str, service: str, days_ago: tuple[int, ...] = (60, 20, 5)) -> None:
    """Bookings of ``national_id`` at GIZ-01 that became no-shows ``days_ago`` days ago."""
    today = local_day(utcnow())
    with db.sessions.begin() as s:
        for i, ago in enumerate(days_ago):
            start = datetime.combine(today - timedelta(days=ago), datetime.min.time(), CENTRE_TZ)
            s.add(Booking(code=f"NS{i}22222", secret_digest="-", centre_code="GIZ-01", group_letter="A",
                          service_code=service, slot_start=start, day=today - timedelta(days=ago),
                          national_id=national_id, mobile=None, lang="ar", state="no_show", active_key=None,
                          version=0, created_at=start, updated_at=start))
