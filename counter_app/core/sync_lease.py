"""The centre's sending lease (the ``sync_lease`` table): which sync agent may send the outbox now.

Only the queries live here; the agent's policy (how long a lease lasts, when a holder is gone)
is :mod:`sync.agent.lease`'s. Taking the lease is one ``INSERT ... ON CONFLICT DO UPDATE ...
WHERE``: two agents taking it at the same instant never both hold it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from counter_app.core.models import SyncLease

#: The lease of the outbox (the only one so far).
OUTBOX = "outbox"


def holder(session: Session, name: str = OUTBOX) -> str | None:
    """Who holds (or last held) the lease; None when nobody took it or it was released."""
    return session.scalar(select(SyncLease.holder).where(SyncLease.name == name))


def take(session: Session, who: str, *, until: datetime, now: datetime, name: str = OUTBOX) -> bool:
    """Take the lease for ``who`` until ``until``, or renew it when ``who`` holds it already;
    another holder's lease is taken only once it has expired (before ``now``). True when ``who``
    holds the lease afterwards."""
    dialect = session.get_bind().dialect.name
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(SyncLease)
    stmt = insert.values(name=name, holder=who, expires_at=until).on_conflict_do_update(
        index_elements=[SyncLease.name],
        set_={"holder": insert.excluded.holder, "expires_at": insert.excluded.expires_at},
        where=(SyncLease.expires_at < now) | (SyncLease.holder == insert.excluded.holder))
    session.execute(stmt)
    return holder(session, name) == who


def release(session: Session, who: str, name: str = OUTBOX) -> None:
    """Give the lease up; nothing happens when ``who`` does not hold it."""
    session.execute(delete(SyncLease).where(SyncLease.name == name, SyncLease.holder == who))
