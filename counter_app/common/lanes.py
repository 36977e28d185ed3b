"""Which threads may open a write transaction on the centre database.

The counter app runs its background work on two lanes (``counter_app.ui.shell.operations``): a pool for
reads, and one thread for writes, so that writes never queue on SQLite's single writer inside the
pool. A worker of the read lane runs inside :func:`read_only`; ``Database.begin`` calls
:func:`check_write`, and a write transaction opened there is reported through :data:`on_misuse`
(a warning in the log; the tests make it fail). The write still happens: the lane is a matter of
throughput, never of correctness.

Standard library only: the counter app imports this before SQLAlchemy is loaded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

_local = threading.local()


def _warn(message: str) -> None:
    log.warning("%s", message)


#: Told (on the worker's thread) when a write transaction is opened on a read-only lane.
on_misuse: Callable[[str], None] = _warn


@contextmanager
def read_only(lane: str) -> Iterator[None]:
    """The work inside runs on ``lane``, which must not open a write transaction."""
    previous = getattr(_local, "lane", None)
    _local.lane = lane
    try:
        yield
    finally:
        _local.lane = previous


def current() -> str | None:
    """The read-only lane this thread works for, or None."""
    lane = getattr(_local, "lane", None)
    return lane if isinstance(lane, str) else None


def check_write() -> None:
    """Called as a write transaction opens: reports it when this thread is on a read-only lane."""
    lane = current()
    if lane is not None:
        on_misuse(f"a write transaction was opened on {lane}; run it on the write lane (ops.write)")
