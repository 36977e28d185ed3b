"""The suite's clock: pinned so that no run sees Cairo's midnight.

A ticket lives one centre day (Africa/Cairo) and closes with it. A suite that starts at 23:50 in
Cairo would issue tickets "today" and call them "tomorrow"; CI once failed 27 tests that way. So
the suite moves the domain clock (``counter_app.common.clock.utcnow``) to 10:00 Cairo of the real
Cairo date when it starts, and lets it run on from there in real time: fourteen hours before the
next midnight.

Child processes (``python -m sync.agent``, ``counter_app.cli``, spawned pool workers) keep the same
clock: the shift is in ``SHUBBAK_TESTS_CLOCK_SHIFT`` and ``clock_site/sitecustomize.py``, on
``PYTHONPATH``, applies it when any Python child starts. A test that needs its own moment (just
after midnight, say) uses ``clock_at``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from counter_app.common import clock

SHIFT_ENV = "SHUBBAK_TESTS_CLOCK_SHIFT"
SITE_DIR = Path(__file__).with_name("clock_site")
PINNED_HOUR = 10


def _apply(shift: timedelta) -> None:
    clock._shift = shift  # noqa: SLF001 - the hook exists for this module
    os.environ[SHIFT_ENV] = repr(shift.total_seconds())


def pin_session_clock(hour: int = PINNED_HOUR) -> datetime:
    """Move the domain clock to ``hour``:00 Cairo of today's Cairo date (kept if a parent process
    already pinned it) and make every Python child process inherit it. Returns the pinned now."""
    inherited = os.environ.get(SHIFT_ENV)
    real_now = datetime.now(UTC)
    if inherited:
        shift = timedelta(seconds=float(inherited))
    else:
        target = datetime.combine(real_now.astimezone(clock.CENTRE_TZ).date(), time(hour), clock.CENTRE_TZ)
        shift = target - real_now
    _apply(shift)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(SITE_DIR) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(SITE_DIR), *paths])
    return real_now + shift


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Run the block (and the processes it starts) with the domain clock at ``moment``, running on."""
    previous, saved = clock._shift, os.environ.get(SHIFT_ENV)  # noqa: SLF001
    _apply(moment - datetime.now(UTC))
    try:
        yield
    finally:
        clock._shift = previous  # noqa: SLF001
        if saved is None:
            os.environ.pop(SHIFT_ENV, None)
        else:
            os.environ[SHIFT_ENV] = saved
