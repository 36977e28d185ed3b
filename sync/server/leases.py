"""Work that one central server process of many does at a time: a lease in the database.

Every worker process (``--workers N``), and every server on the same database, runs the same
periodic jobs (the ticket projection's hourly cleaning, :mod:`sync.server.projection_cleanup`; the
monitoring's alert evaluation may use the same). :meth:`Lease.claim` says yes to exactly one caller
per ``period_s`` over all of them: the first claim of a window takes it by the same atomic upsert as
the rate limits (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` on table ``rate_limit``, key
``lease:<name>``; :class:`sync.server.ratelimit.DatabaseStorage`), so two processes asking at once
never both get it, on PostgreSQL and SQLite alike. The window opens at the first claim and ends
``period_s`` later (the system clock); a process that dies while holding it leaves the work to the
next window's first claimer. Nothing is held open between claims: no connection, no lock.
"""

from __future__ import annotations

import math

from sync.server.db import ServerDatabase
from sync.server.ratelimit import DatabaseStorage


class Lease:
    """``claim()`` is true for one caller per ``period_s`` across every process on ``db``."""

    def __init__(self, db: ServerDatabase, name: str, period_s: float) -> None:
        self.key, self.period_s = f"lease:{name}", max(1, math.ceil(period_s))
        self._storage = DatabaseStorage(db)

    def claim(self) -> bool:
        return self._storage.incr(self.key, self.period_s) == 1
