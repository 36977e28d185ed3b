"""What the centre knows about its sync, kept in the centre database (no network, no Qt).

The agent writes the time of its last attempt and success, the last error and the clock skew it
measured against the server's clock (``X-Shubbak-Time``); the counter app reads :func:`snapshot` for its
status line (online or offline, events waiting, the oldest one's age, the last success, alerts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from counter_app.core import changes, outbox, settings
from counter_app.core.clock import as_utc, utcnow

#: An event waiting longer than this raises an alert.
STALE_AFTER = timedelta(days=1)
#: A device whose clock is further off than this from the server's is flagged: the server's window
#: for signed requests, beyond which the agent signs with its clock corrected (sync.agent.freshness).
SKEW_LIMIT_S = 300.0


@dataclass(frozen=True)
class SyncSnapshot:
    configured: bool
    online: bool
    waiting: int
    oldest_waiting_at: datetime | None
    last_success: datetime | None
    last_error: str
    rejected: int
    clock_skew_s: float | None
    now: datetime

    @property
    def oldest_age(self) -> timedelta | None:
        return self.now - self.oldest_waiting_at if self.oldest_waiting_at else None

    @property
    def stale(self) -> bool:
        age = self.oldest_age
        return age is not None and age > STALE_AFTER

    @property
    def clock_flagged(self) -> bool:
        return self.clock_skew_s is not None and abs(self.clock_skew_s) > SKEW_LIMIT_S

    @property
    def alert(self) -> bool:
        return self.stale or self.rejected > 0 or self.clock_flagged


def _time(value: str) -> datetime | None:
    return as_utc(datetime.fromisoformat(value)) if value else None


def snapshot(session: Session, now: datetime | None = None) -> SyncSnapshot:
    moment = as_utc(now or utcnow())
    last_success = _time(settings.get(session, "sync.last_success"))
    last_attempt = _time(settings.get(session, "sync.last_attempt"))
    error = settings.get(session, "sync.last_error")
    skew = settings.get(session, "sync.clock_skew_s")
    online = last_success is not None and not error and (last_attempt is None or last_success >= last_attempt)
    oldest = outbox.oldest_pending_at(session)
    return SyncSnapshot(
        configured=bool(settings.get(session, "sync.server")), online=online, waiting=outbox.pending_count(session),
        oldest_waiting_at=as_utc(oldest) if oldest else None, last_success=last_success, last_error=error,
        rejected=outbox.rejected_count(session), clock_skew_s=float(skew) if skew else None, now=moment)


def record_attempt(session: Session, *, ok: bool, error: str = "", skew_s: float | None = None,
                   at: datetime | None = None) -> None:
    moment = as_utc(at or utcnow()).isoformat()
    settings.put(session, "sync.last_attempt", moment)
    if ok:
        settings.put(session, "sync.last_success", moment)
    settings.put(session, "sync.last_error", "" if ok else error[:500])
    if skew_s is not None:
        settings.put(session, "sync.clock_skew_s", f"{skew_s:.1f}")
    changes.announce(session, changes.SYNC)  # the status lines of the centre read it again
