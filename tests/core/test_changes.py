"""The core's change notification (no Qt): commits of other connections are announced, by channel
on PostgreSQL, as one change per burst, without reading the tables."""

from __future__ import annotations

import queue as stdqueue
import threading
from collections.abc import Iterator

import pytest

from counter_app.core import queue
from counter_app.core.changes import (
    CHANNELS,
    OUTBOX,
    QUEUE,
    SYNC,
    Change,
    ChangeWatcher,
    WatchStatus,
    watch_engine,
)
from counter_app.core.sync_state import record_attempt
from tests.helpers.factories import Centre

WAIT_S = 15.0


class Recorder:
    def __init__(self) -> None:
        self.changes: stdqueue.Queue[Change] = stdqueue.Queue()
        self.statuses: list[WatchStatus] = []
        self.hold = threading.Event()
        self.hold.set()
        self.entered = threading.Event()

    def on_change(self, change: Change) -> None:
        self.entered.set()
        assert self.hold.wait(WAIT_S)
        self.changes.put(change)

    def next(self) -> Change:
        return self.changes.get(timeout=WAIT_S)

    def none_pending(self) -> bool:
        return self.changes.empty()


@pytest.fixture
def watched(site: Centre, db_url: str) -> Iterator[tuple[ChangeWatcher, Recorder]]:
    recorder = Recorder()
    watcher = ChangeWatcher(db_url, recorder.on_change, recorder.statuses.append, name="test-changes")
    watcher.start()
    first = recorder.next()  # connected: a full change first, so a reader catches up
    assert first.full and first.channels == CHANNELS
    yield watcher, recorder
    watcher.stop()
    assert not watcher.running


def test_commits_of_other_connections_are_announced_by_channel(watched: tuple[ChangeWatcher, Recorder],
                                                               site: Centre, db_url: str) -> None:
    _watcher, recorder = watched
    with site.db.begin() as s:
        queue.issue_ticket(s, "A")
    change = recorder.next()
    assert not change.full and change.about(QUEUE)
    with site.db.begin() as s:  # the sync agent records a round
        record_attempt(s, ok=True)
    change = recorder.next()
    if db_url.startswith("sqlite"):  # data_version cannot tell what changed: every channel
        assert change.channels == CHANNELS
    else:  # the queue panels stay still; the status lines read again
        assert change.channels == frozenset({SYNC}) and not change.about(QUEUE) and change.about(OUTBOX, SYNC)
    with site.db.begin() as s:
        queue.issue_ticket(s, "B")
    assert recorder.next().about(QUEUE)
    assert recorder.statuses and recorder.statuses[-1].connected


def test_a_burst_of_commits_is_one_change(watched: tuple[ChangeWatcher, Recorder], site: Centre) -> None:
    watcher, recorder = watched
    recorder.hold.clear()  # the watcher's thread is busy with the next change...
    recorder.entered.clear()
    with site.db.begin() as s:
        queue.issue_ticket(s, "A")
    assert recorder.entered.wait(WAIT_S)
    for letter in "ABCDABCDABCDABCDABCD":  # ...while twenty more commits come
        with site.db.begin() as s:
            queue.issue_ticket(s, letter)
    before = watcher.changes
    recorder.hold.set()
    assert recorder.next().about(QUEUE)  # the first commit
    assert recorder.next().about(QUEUE)  # the twenty others, together
    watcher.stop()
    assert recorder.none_pending() and watcher.changes - before <= 1


def test_nothing_to_watch_in_memory() -> None:
    with pytest.raises(ValueError):
        watch_engine("sqlite://")
