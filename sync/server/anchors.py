"""Anchoring each centre's audit chain off its PC.

Whoever can write a centre's database can rewrite its audit chain and the head record together
(drop the last entries, or edit one and recompute every hash after it): the chain still verifies
on the PC. Every batch a centre pushes carries its audit head (sequence, hash; signed with the
batch), and the server keeps each head it is given, in order, for good (``audit_anchor``). Each
hash covers every entry before it, so a head the server saw pins the whole chain up to it:

* ``shubbak audit verify --against-central`` reads this centre's heads (``GET /v1/audit/anchors``,
  signed) and checks the local entry at each anchored sequence still has that hash;
* the server itself flags a head that does not extend the one it saw before (a lower sequence,
  or the same sequence with another hash): kept, logged as a warning and listed for the
  governance centre by ``GET /v1/audit/check`` (administrator token). A restored backup shows up
  here too, as it should: entries the server saw are gone.

A head equal to the newest one kept is not stored again, so the history grows by at most one row
per batch that follows new audit entries: never more than the events themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Header, Path, Request
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from sync.protocol import MAX_SEQ, AuditHead
from sync.server.db import ServerDatabase
from sync.server.models import AuditAnchor, EnrolledCentre

log = logging.getLogger(__name__)

#: Writing the centre's row (changing nothing) locks it: PostgreSQL's row lock, and on SQLite the
#: database's write lock (its server transactions begin at the first write, not at the first read).
_LOCK_CENTRE = (update(EnrolledCentre).where(EnrolledCentre.code == bindparam("centre"))
                .values(clock_flagged=EnrolledCentre.clock_flagged))
_NEWEST = (select(AuditAnchor.seq, AuditAnchor.hash).where(AuditAnchor.centre_code == bindparam("centre"))
           .order_by(AuditAnchor.id.desc()).limit(1))
_INSERT = insert(AuditAnchor)

#: Heads per page of ``GET /v1/audit/anchors`` (about 150 bytes each).
PAGE = 2000


def record_head(session: Session, centre: str, head: AuditHead | None, now: datetime) -> bool | None:
    """Keep the head a batch carried, in the batch's transaction. Returns None when nothing was
    kept (no head: an agent older than anchoring; or the same head as last time), else whether
    the new head was flagged."""
    if head is None:
        return None
    conn = session.connection()  # Core statements, cached: this runs on every push
    # One push of a centre at a time compares with the newest head: its row is locked first.
    conn.execute(_LOCK_CENTRE, {"centre": centre})
    last = conn.execute(_NEWEST, {"centre": centre}).first()
    if last is not None and (last.seq, last.hash) == (head.seq, head.hash):
        return None
    flagged = last is not None and head.seq <= last.seq
    conn.execute(_INSERT, {"centre_code": centre, "seq": head.seq, "hash": head.hash, "received_at": now,
                           "flagged": flagged})
    if flagged and last is not None:
        log.warning("centre %s's audit head went from entry %d (%s) to entry %d (%s): its chain does not extend "
                    "what it anchored before", centre, last.seq, last.hash[:12], head.seq, head.hash[:12])
    return flagged


def _head_json(row: AuditAnchor) -> dict[str, Any]:
    return {"seq": row.seq, "hash": row.hash, "received_at": row.received_at.isoformat(), "flagged": row.flagged}


def anchors_of(session: Session, centre: str, after_id: int = 0, limit: int | None = None) -> dict[str, Any]:
    limit = limit or PAGE
    rows = session.scalars(select(AuditAnchor).where(AuditAnchor.centre_code == centre, AuditAnchor.id > after_id)
                           .order_by(AuditAnchor.id).limit(limit)).all()
    return {"centre": centre, "anchors": [_head_json(r) for r in rows],
            "next": rows[-1].id if len(rows) == limit else None}


def check(session: Session) -> dict[str, Any]:
    """Every enrolled centre's newest head, and the first one that did not extend its predecessor."""
    newest_ids = dict(session.execute(select(AuditAnchor.centre_code, func.max(AuditAnchor.id))
                                      .group_by(AuditAnchor.centre_code)).all())
    flagged_counts = dict(session.execute(select(AuditAnchor.centre_code, func.count())
                                          .where(AuditAnchor.flagged).group_by(AuditAnchor.centre_code))
                          .all())
    rows = {r.id: r for r in session.scalars(select(AuditAnchor).where(AuditAnchor.id.in_(newest_ids.values())))}
    centres = []
    for code in session.scalars(select(EnrolledCentre.code).order_by(EnrolledCentre.code)):
        newest = rows.get(newest_ids.get(code, -1))
        entry: dict[str, Any] = {"centre": code, "newest": _head_json(newest) if newest else None,
                                 "flagged": flagged_counts.get(code, 0), "first_flagged": None, "before_it": None}
        if entry["flagged"]:
            first = session.scalar(select(AuditAnchor).where(AuditAnchor.centre_code == code, AuditAnchor.flagged)
                                   .order_by(AuditAnchor.id).limit(1))
            assert first is not None
            before = session.scalar(select(AuditAnchor).where(AuditAnchor.centre_code == code,
                                                              AuditAnchor.id < first.id)
                                    .order_by(AuditAnchor.id.desc()).limit(1))
            entry["first_flagged"] = _head_json(first)
            entry["before_it"] = _head_json(before) if before else None
        centres.append(entry)
    return {"ok": not flagged_counts, "centres": centres}


def add_anchor_routes(app: FastAPI, db: ServerDatabase, authenticate: Callable[[Request], Awaitable[Any]],
                      require_admin: Callable[[str | None], None]) -> None:
    """``authenticate`` and ``require_admin`` are the app's own checks (a signed centre request,
    the administrator's token)."""

    async def anchors_page(request: Request, after_id: int) -> dict[str, Any]:
        centre = (await authenticate(request))[0]

        def read() -> dict[str, Any]:
            with db.sessions() as s:
                return anchors_of(s, centre, after_id)

        return await run_in_threadpool(read)

    @app.get("/v1/audit/anchors")
    async def audit_anchors(request: Request) -> dict[str, Any]:
        """The audit heads this centre's batches carried, oldest first (signed by the centre; it
        sees only its own). A page holds up to 2000; ``next``, when not null, is the page after:
        ``/v1/audit/anchors/after/{next}``."""
        return await anchors_page(request, 0)

    @app.get("/v1/audit/anchors/after/{after_id}")
    async def audit_anchors_after(request: Request, after_id: int = Path(ge=0, le=MAX_SEQ)) -> dict[str, Any]:
        """The next page of this centre's audit heads (signed; the cursor is in the signed path)."""
        return await anchors_page(request, after_id)

    @app.get("/v1/audit/check")
    def audit_check(authorization: str | None = Header(None)) -> dict[str, Any]:
        """Each centre's newest audit head and whether one ever failed to extend the head before
        it (administrator token): ``ok`` is false when any did."""
        require_admin(authorization)
        with db.sessions() as s:
            return check(s)
