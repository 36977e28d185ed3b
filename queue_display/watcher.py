"""Keeps the display state up to date: one :func:`load_state` per change of the queue.

The change detection is the core's :class:`~counter_app.core.changes.ChangeWatcher` (PostgreSQL
``LISTEN`` on the queue channel, SQLite ``PRAGMA data_version``; bursts coalesced, a full reload
every 30 s, reconnection with a growing delay). On its thread this watcher loads the calls and
counts after each change, and the ticker (the catalogue) only at a full reload. No Qt: it calls
``on_state`` and ``on_status`` from the watcher's thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from counter_app.core.changes import QUEUE, Change, ChangeWatcher, WatchStatus
from queue_display.state import DisplayState, TickerService, load_state

__all__ = ["Watcher", "WatchStatus"]

log = logging.getLogger(__name__)


class Watcher:
    """Runs on its own thread until :meth:`stop`; reports through the two callbacks."""

    def __init__(self, url: str, on_state: Callable[[DisplayState], Any], on_status: Callable[[WatchStatus], Any],
                 groups: frozenset[str] | None = None) -> None:
        self.url, self.groups = url, groups
        self.on_state, self.on_status = on_state, on_status
        self.reloads = 0
        self._ticker: tuple[TickerService, ...] | None = None
        self._changes = ChangeWatcher(url, self._changed, on_status, channels={QUEUE}, name="display-watcher")

    def start(self) -> None:
        self._changes.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._changes.stop(timeout)

    def _changed(self, change: Change) -> None:
        """A change reloads the calls and counts; the ticker (the catalogue) only at a full reload."""
        ticker = None if change.full else self._ticker
        with self._changes.read() as s:
            state = load_state(s, self.groups, with_ticker=ticker is None)
        if ticker is None:
            self._ticker = state.ticker
        else:
            state = replace(state, ticker=ticker)
        self.reloads += 1
        self.on_state(state)
