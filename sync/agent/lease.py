"""The centre's sending lease: a row in the centre database lets one agent send per centre.

A lease expires after ``LEASE_TTL`` without renewal; one left by a process of this machine that no
longer runs (killed, crashed) is taken over at once.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from counter_app.core.clock import as_utc, utcnow

log = logging.getLogger("shubbak.sync.agent")

LEASE_TTL = timedelta(seconds=90)


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _dead_local_holder(holder: str) -> bool:
    """A lease left by a process of this machine that no longer runs (killed, crashed)."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire_lease(session: Session, holder: str, now: datetime | None = None) -> bool:
    """Take (or renew) the centre's sending lease; False while another agent holds it. A lease
    expires after ``LEASE_TTL`` without renewal; one left by a dead process of this machine is
    taken over at once."""
    moment = as_utc(now or utcnow())
    current = session.execute(text("SELECT holder FROM sync_lease WHERE name = 'outbox'")).scalar()
    if current and current != holder and _dead_local_holder(str(current)):
        log.info("taking over the sync lease of %s (that process is gone)", current)
        session.execute(text("DELETE FROM sync_lease WHERE name = 'outbox' AND holder = :h"), {"h": current})
    on_conflict = "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at " \
                  "WHERE sync_lease.expires_at < :now OR sync_lease.holder = excluded.holder"
    session.execute(text(f"INSERT INTO sync_lease (name, holder, expires_at) VALUES ('outbox', :holder, :until) "
                         f"{on_conflict}"), {"holder": holder, "until": moment + LEASE_TTL, "now": moment})
    current = session.execute(text("SELECT holder FROM sync_lease WHERE name = 'outbox'")).scalar()
    return bool(current == holder)


def release_lease(session: Session, holder: str) -> None:
    session.execute(text("DELETE FROM sync_lease WHERE name = 'outbox' AND holder = :holder"), {"holder": holder})
