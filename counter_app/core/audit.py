"""The append-only, hash-chained audit log.

Each entry stores the hash of the entry before it; its own hash covers its id, time, user,
action, entity and detail. :class:`AuditHead` keeps the newest id, hash and count, so that an
entry edited, deleted (even the last one) or reordered is found by :func:`verify_chain`.
Appends are serialised: SQLite write transactions hold the write lock from their start, and on
PostgreSQL a transaction-scoped advisory lock is taken before reading the head.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from counter_app.common.i18n import N_
from counter_app.core.clock import as_utc, utcnow
from counter_app.core.models import AuditEntry, AuditHead, table

GENESIS_HASH = "0" * 64
_AUDIT_LOCK_KEY = 0x5348424B  # "SHBK"


def _canonical(entry_id: int, at: datetime, user_id: int | None, action: str, entity_type: str,
               entity_id: str, detail: str) -> bytes:
    body = {
        "id": entry_id,
        "at": as_utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "user": user_id,
        "action": action,
        "entity": [entity_type, entity_id],
        "detail": detail,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(prev_hash: str, entry_id: int, at: datetime, user_id: int | None, action: str,
               entity_type: str, entity_id: str, detail: str) -> str:
    digest = hashlib.sha256(prev_hash.encode())
    digest.update(_canonical(entry_id, at, user_id, action, entity_type, entity_id, detail))
    return digest.hexdigest()


def lock_chain(session: Session) -> None:
    """Serialise chain appends on PostgreSQL (SQLite's BEGIN IMMEDIATE already does)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _AUDIT_LOCK_KEY})


# Built once: constant statements are compiled once and served from SQLAlchemy's cache.
_INSERT_ENTRY = insert(table(AuditEntry))
_INSERT_HEAD = insert(table(AuditHead)).values(id=1)
_SELECT_HEAD = select(table(AuditHead).c.last_id, table(AuditHead).c.last_hash,
                      table(AuditHead).c.count).where(table(AuditHead).c.id == 1)
_UPDATE_HEAD = update(table(AuditHead)).where(table(AuditHead).c.id == 1)


def _head(session: Session) -> tuple[int, str, int] | None:
    """The chain head for this transaction, read once and then kept in ``session.info``.

    The transaction holds the chain's lock (see :func:`lock_chain`), so nobody else can move the
    head until it ends; the cache is keyed by the transaction so a later one reads afresh.
    """
    tx = session.get_transaction()
    cached = session.info.get("audit_head")
    if cached is not None and cached[0] is tx:
        return cached[1]  # type: ignore[no-any-return]
    row = session.connection().execute(_SELECT_HEAD).first()
    head = (int(row[0]), str(row[1]), int(row[2])) if row else None
    session.info["audit_head"] = (tx, head)
    return head


def record(session: Session, *, user_id: int | None, action: str, entity_type: str, entity_id: object,
           detail: dict[str, Any] | None = None, at: datetime | None = None) -> str:
    """Append one entry to the chain inside the caller's transaction; returns its hash."""
    lock_chain(session)
    head = _head(session)
    prev_hash = head[1] if head else GENESIS_HASH
    next_id = head[0] + 1 if head else 1
    count = head[2] + 1 if head else 1
    moment = at or utcnow()
    detail_text = json.dumps(detail or {}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    entity = str(entity_id)
    digest = entry_hash(prev_hash, next_id, moment, user_id, action, entity_type, entity, detail_text)
    conn = session.connection()
    conn.execute(_INSERT_ENTRY, {
        "id": next_id, "at": moment, "user_id": user_id, "action": action, "entity_type": entity_type,
        "entity_id": entity, "detail": detail_text, "prev_hash": prev_hash, "hash": digest,
    })
    conn.execute(_INSERT_HEAD if head is None else _UPDATE_HEAD,
                 {"last_id": next_id, "last_hash": digest, "count": count})
    session.info["audit_head"] = (session.get_transaction(), (next_id, digest, count))
    return digest


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    broken_id: int | None = None
    problem: str | None = None  # in English, for the command line and the log
    #: The problem's message id (``audit.problem_*``) for a window or a report.
    problem_id: str | None = None

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.entries} entries"
        return f"audit chain broken at entry {self.broken_id}: {self.problem}"


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the whole chain; report the first entry that was edited, removed or moved."""
    prev_hash = GENESIS_HASH
    expected_id = 1
    count = 0
    last_id = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            break
        for e in rows:
            if e.id != expected_id:
                return ChainReport(False, count, expected_id, f"entry {expected_id} is missing",
                                   N_("audit.problem_missing"))
            if e.prev_hash != prev_hash:
                return ChainReport(False, count, e.id, "does not follow the entry before it",
                                   N_("audit.problem_order"))
            digest = entry_hash(prev_hash, e.id, e.at, e.user_id, e.action, e.entity_type,
                                e.entity_id, e.detail)
            if digest != e.hash:
                return ChainReport(False, count, e.id, "its content was changed", N_("audit.problem_content"))
            prev_hash, expected_id, last_id = e.hash, e.id + 1, e.id
            count += 1
        session.expunge_all()
    head = session.get(AuditHead, 1)
    if head is None:
        if count:
            return ChainReport(False, count, 1, "the chain head record is missing", N_("audit.problem_head"))
        return ChainReport(True, 0)
    if head.last_id != last_id or head.last_hash != prev_hash or head.count != count:
        return ChainReport(False, count, last_id + 1, f"entries after {last_id} were removed",
                           N_("audit.problem_truncated"))
    return ChainReport(True, count)


# -- anchoring off the PC -------------------------------------------------------------------------
# Whoever can write the centre database can rewrite the chain and its head consistently; only a
# copy kept elsewhere catches that. The sync agent sends the head with every batch and the central
# server keeps each head it saw; these read the local side of that comparison.


def head(session: Session) -> tuple[int, str] | None:
    """The chain's newest entry as (sequence, hash), as the head record states it; None while
    the chain is empty."""
    row = session.execute(select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1)).first()
    return (int(row[0]), str(row[1])) if row else None


def first_entry_at(session: Session) -> datetime | None:
    """When the chain began (the time of its first entry)."""
    moment = session.scalar(select(AuditEntry.at).order_by(AuditEntry.id).limit(1))
    return as_utc(moment) if moment is not None else None


@dataclass(frozen=True)
class AnchorCheck:
    """The local chain against the heads the central server saw, by sequence."""

    checked: int
    #: The lowest anchored sequence whose local entry is missing or has another hash.
    first_different: int | None = None
    missing: bool = False  # that entry is gone (else its hash differs)
    #: The highest anchored sequence below ``first_different`` that matches (the chain is
    #: known good up to there).
    last_matching: int | None = None

    @property
    def ok(self) -> bool:
        return self.first_different is None


def check_anchors(session: Session, anchors: list[tuple[int, str]], chunk: int = 500) -> AnchorCheck:
    """For each anchored head (sequence, hash): the local entry at that sequence must exist and
    carry that hash. Together with :func:`verify_chain` (each hash covers every entry before
    it) this proves the chain up to the newest anchor is the one the server saw."""
    wanted: dict[int, set[str]] = {}
    for seq, digest in anchors:
        wanted.setdefault(seq, set()).add(digest)
    first_bad: int | None = None
    missing = False
    seqs = sorted(wanted)
    for start in range(0, len(seqs), chunk):
        part = seqs[start:start + chunk]
        local = dict(session.execute(select(AuditEntry.id, AuditEntry.hash).where(AuditEntry.id.in_(part))).all())
        for seq in part:
            # Two heads at one sequence (the server flagged the second): the entry cannot match both.
            if seq not in local or wanted[seq] != {local[seq]}:
                first_bad, missing = seq, seq not in local
                break
        if first_bad is not None:
            break
    if first_bad is None:
        return AnchorCheck(len(seqs), last_matching=seqs[-1] if seqs else None)
    below = [s for s in seqs if s < first_bad]
    return AnchorCheck(len(seqs), first_bad, missing, below[-1] if below else None)
