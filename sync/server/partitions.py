"""The event table partitioned by month of ``created_at`` on PostgreSQL (declarative partitioning,
s0009); SQLite keeps one table and every function here does nothing there.

``created_at`` is the time the centre gave its event, stored as sent (an ISO 8601 text); a month's
partition holds the texts from ``'YYYY-MM'`` up to the next month's ``'YYYY-MM'``, compared as
text, so the reports' cut by ``created_at`` prunes partitions. Partitions live in the schema
``event_month`` (``event_month.event_2026_11``) and are made ahead at start-up (this month and the
next two) and by ingest when a batch meets a month without one: under a transaction-scoped advisory
lock, in the batch's own transaction (the new partition is visible to others at its commit). A
``DEFAULT`` partition holds a text no month can hold (none that :func:`sync.protocol.is_time` accepts).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import date

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

SCHEMA = "event_month"
LOCK = 0x5348_4250  # pg_advisory_xact_lock key of partition creation ("SHBP")
_known: dict[str, set[str]] = {}  # database URL -> months known to have their partition
_guard = threading.Lock()


def _month_text(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _next(month: str) -> str | None:
    year, m = int(month[:4]), int(month[5:7])
    if (year, m) == (9999, 12):
        return None
    return _month_text(year + m // 12, m % 12 + 1)


def month_of(created_at: str) -> str | None:
    """The month whose partition holds ``created_at`` (the greatest ``'YYYY-MM'`` not after it as
    text); None for a text before every month (the default partition's)."""
    head = created_at[:7]
    if len(head) == 7 and head[:4].isdigit() and head[4] == "-" and head[5:].isdigit() and 1 <= int(head[5:]) <= 12 \
            and int(head[:4]) >= 1:
        return head
    if not (len(created_at) >= 4 and created_at[:4].isascii() and created_at[:4].isdigit()):
        return None
    year = int(created_at[:4])
    candidates = [_month_text(y, m) for y in (year - 1, year) if 1 <= y <= 9999 for m in range(1, 13)]
    return max((m for m in candidates if m <= created_at), default=None)


def name(month: str) -> str:
    return f"event_{month[:4]}_{month[5:7]}"


def _existing(conn: Connection) -> set[str]:
    rows = conn.execute(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace "
        "WHERE p.relname = 'event' AND n.nspname = current_schema()"))
    return {r[0] for r in rows}


def create(conn: Connection, months: Iterable[str]) -> None:
    """Make the partitions of ``months`` that are missing, in ``conn``'s transaction."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK})
    have = _existing(conn)
    for month in sorted(set(months)):
        if name(month) in have:
            continue
        upper = _next(month)
        bound = f"'{upper}'" if upper else "MAXVALUE"
        conn.execute(text(f'CREATE TABLE {SCHEMA}.{name(month)} PARTITION OF event '
                          f"FOR VALUES FROM ('{month}') TO ({bound})"))


def ensure(session: Session, created_at: Iterable[str]) -> None:
    """Ingest's check: each event's month has its partition (cached per process)."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    url = str(bind.engine.url if isinstance(bind, Connection) else bind.url)
    months = {m for c in created_at if (m := month_of(c)) is not None}
    with _guard:
        missing = months - _known.setdefault(url, set())
    if not missing:
        return
    create(session.connection(), missing)
    with _guard:
        _known[url] |= missing  # if the transaction rolls back, the next batch finds them missing and makes them


def ahead(engine: Engine, today: date, months: int = 3) -> None:
    """At start-up: this month's partition and the next ones'."""
    if engine.dialect.name != "postgresql":
        return
    wanted, year, month = [], today.year, today.month
    for _ in range(months):
        wanted.append(_month_text(year, month))
        year, month = year + month // 12, month % 12 + 1
    with engine.begin() as conn:
        create(conn, wanted)
