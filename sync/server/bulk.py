"""Many rows in one short statement (no HTTP here).

SQLAlchemy sends a list of rows as long multi-row ``INSERT ... VALUES`` statements; psycopg converts
each such statement's placeholders anew (a long query is not cached), and that cost more than the
database's own work at ingest's batch sizes (arrays as parameters are no better: psycopg escapes
each element of a text array in Python). On PostgreSQL :func:`insert` sends the rows as one JSON
document instead, ``INSERT ... SELECT * FROM json_to_recordset(%s::json) AS r(column type, ...)``:
a short statement, the same for any number of rows (converted once, cached), the document encoded
by the standard library's C encoder, and the rows inserted in the order given (the order they are
locked in). SQLite keeps SQLAlchemy's own path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import CursorResult, Table, Text, bindparam, cast, column, func, select
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

#: What a caller adds to the dialect's ``INSERT`` (``on_conflict_do_update``, ``returning``).
Tail = Callable[[Any], Any]


def _same(stmt: Any) -> Any:
    return stmt


@lru_cache(maxsize=256)  # a batch's rows share their times (``received_at``)
def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo is not None else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot go into a bulk insert")


@lru_cache(maxsize=64)
def _from_json(table: Table, names: tuple[str, ...]) -> Any:
    """``INSERT INTO table (names) SELECT ... FROM json_to_recordset(:bulk_rows)`` (built once)."""
    records = func.json_to_recordset(cast(bindparam("bulk_rows", type_=Text), JSON)).table_valued(
        *(column(n, table.c[n].type) for n in names)).render_derived(with_types=True)
    return pg_insert(table).from_select(list(names), select(*(records.c[n] for n in names)), include_defaults=False)


def insert(session: Session, table: Table, rows: Sequence[dict[str, Any]], tail: Tail = _same) -> CursorResult[Any]:
    """Insert ``rows`` (dicts with the same keys, in the order to insert them) into ``table``;
    ``tail`` gets the dialect's insert statement (with ``excluded``) and returns it completed. On
    PostgreSQL a column left out gets its server default (or NULL), not SQLAlchemy's: give them all."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return conn.execute(tail(sqlite_insert(table)), list(rows))
    names = tuple(rows[0])
    stmt = tail(_from_json(table, names))
    text = json.dumps(list(rows), default=_json_value,
                      separators=(",", ":"))
    return conn.execute(stmt, {"bulk_rows": text})
