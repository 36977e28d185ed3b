"""The citizens' messages' retry rule, shared by the centre's outbox
(:mod:`counter_app.core.notifications`) and the central server's (:mod:`sync.server.appointments.notices`):
a failed attempt waits on :data:`BACKOFF` (the last wait repeats) until a day after the message was
queued (:data:`RETRY_FOR`); then, or at once for a permanent refusal, the message has failed for good.

In ``common`` (not ``counter_app.notify``) because ``core`` may import only ``common``."""

from __future__ import annotations

from datetime import datetime, timedelta

from counter_app.common.clock import as_utc

#: Retries stop this long after the message was queued: then it is ``failed``.
RETRY_FOR = timedelta(days=1)
#: Waits between attempts (the last one repeats until a day has passed).
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))


def next_attempt(attempts: int, at: datetime, created_at: datetime, *, permanent: bool) -> datetime | None:
    """When to try again after the ``attempts``-th attempt (counting this one) failed at ``at``;
    None: the message has failed for good."""
    next_at = as_utc(at) + BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
    if permanent or next_at > as_utc(created_at) + RETRY_FOR:
        return None
    return next_at
