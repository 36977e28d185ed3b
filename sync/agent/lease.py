"""The centre's sending lease: a row in the centre database lets one agent send per centre.

A lease expires after ``LEASE_TTL`` without renewal; one left by a process of this machine that no
longer runs (killed, crashed) is taken over at once.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from counter_app.core import sync_lease
from counter_app.core.clock import as_utc, utcnow

log = logging.getLogger(__name__)

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
    current = sync_lease.holder(session)
    if current and current != holder and _dead_local_holder(current):
        log.info("taking over the sync lease of %s (that process is gone)", current)
        sync_lease.release(session, current)
    return sync_lease.take(session, holder, until=moment + LEASE_TTL, now=moment)


def release_lease(session: Session, holder: str) -> None:
    sync_lease.release(session, holder)
