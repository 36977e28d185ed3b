from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import delete, select, text, update

from counter_app.core import audit, queue
from counter_app.core.db import Database
from counter_app.core.models import AuditEntry, AuditHead, OutboxEvent, Ticket
from tests.helpers.factories import Centre


def verify(db: Database) -> audit.ChainReport:
    with db.read() as s:
        return audit.verify_chain(s)


def some_activity(db: Database, site: Centre, n: int = 5) -> None:
    for _ in range(n):
        with db.begin() as s:
            queue.issue_ticket(s, "A")
    with db.begin() as s:
        queue.call_next(s, site.counter_ids[0], site.clerk_ids[0])


def cli_verify(db: Database) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "counter_app.cli", "audit", "verify", "--db", db.url],
                          capture_output=True, text=True, timeout=120)


def test_intact_chain_verifies(db: Database, site: Centre) -> None:
    some_activity(db, site)
    report = verify(db)
    assert report.ok and report.entries > 10
    result = cli_verify(db)
    assert result.returncode == 0, result.stderr
    assert "intact" in result.stdout


def test_state_change_writes_change_audit_and_outbox_together(db: Database, site: Centre) -> None:
    with db.begin() as s:  # the day's first ticket also opens the day (its own entry and event)
        queue.issue_ticket(s, "A")
    with db.read() as s:
        before = (s.scalar(select(AuditHead.count)), len(s.scalars(select(OutboxEvent)).all()))
    with db.begin() as s:
        t = queue.issue_ticket(s, "B").ticket
    with db.read() as s:
        assert s.scalar(select(AuditHead.count)) == (before[0] or 0) + 1
        assert len(s.scalars(select(OutboxEvent)).all()) == before[1] + 1
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.action == "ticket.issued" and entry.entity_id == str(t.id)
    # A transaction that fails leaves neither the change, nor its audit entry, nor its event.
    with pytest.raises(RuntimeError), db.begin() as s:
        queue.issue_ticket(s, "B")
        raise RuntimeError("crash after the change")
    with db.read() as s:
        assert s.scalar(select(AuditHead.count)) == (before[0] or 0) + 1
        assert len(s.scalars(select(Ticket).where(Ticket.group_letter == "B")).all()) == 1


@pytest.mark.parametrize("tamper", ["edit", "delete_middle", "delete_last", "reorder", "edit_hash_too"])
def test_tampering_is_detected(db: Database, site: Centre, tamper: str) -> None:
    some_activity(db, site)
    with db.read() as s:
        total = s.scalar(select(AuditHead.count)) or 0
    victim = total // 2
    with db.engine.begin() as conn:
        if tamper == "edit":
            conn.execute(update(AuditEntry).where(AuditEntry.id == victim).values(detail='{"forged":true}'))
        elif tamper == "delete_middle":
            conn.execute(delete(AuditEntry).where(AuditEntry.id == victim))
        elif tamper == "delete_last":
            conn.execute(delete(AuditEntry).where(AuditEntry.id == total))
            victim = total
        elif tamper == "reorder":
            a, b = conn.execute(select(AuditEntry.action, AuditEntry.detail).where(AuditEntry.id == victim)).one(), \
                conn.execute(select(AuditEntry.action, AuditEntry.detail).where(AuditEntry.id == victim + 1)).one()
            conn.execute(update(AuditEntry).where(AuditEntry.id == victim).values(action=b[0], detail=b[1]))
            conn.execute(update(AuditEntry).where(AuditEntry.id == victim + 1).values(action=a[0], detail=a[1]))
        else:  # recompute this entry's hash: the next entry no longer follows it
            e = conn.execute(select(AuditEntry).where(AuditEntry.id == victim)).one()
            forged = audit.entry_hash(e.prev_hash, e.id, e.at, e.user_id, "forged", e.entity_type, e.entity_id,
                                      e.detail)
            conn.execute(update(AuditEntry).where(AuditEntry.id == victim).values(action="forged", hash=forged))
            victim += 1
    report = verify(db)
    assert not report.ok
    assert report.broken_id == victim
    result = cli_verify(db)
    assert result.returncode == 1
    assert f"entry {victim}" in result.stdout


def test_chain_is_append_only_under_concurrency(db: Database, site: Centre) -> None:
    import threading

    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(15):
                with db.begin() as s:
                    queue.issue_ticket(s, "C")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = verify(db)
    assert report.ok, report.describe()
    with db.read() as s:
        assert s.scalar(text("SELECT count(*) FROM ticket WHERE group_letter = 'C'")) == 60
