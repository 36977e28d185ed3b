"""A semaphore that serves its waiters in their order of arrival.

:class:`threading.Semaphore` wakes a waiter when a place is freed, but a thread that comes in the
meantime may take the place first; under load (50 citizens booking at once in one server process,
their requests on 40 threads sharing one interpreter lock) some requests then wait far longer than
the others. Here a freed place is handed to the first waiter, never taken by a newcomer.
"""

from __future__ import annotations

import collections
import threading


class FairSemaphore:
    """At most ``places`` holders at once; the others served in their order of arrival: a freed
    place is handed to the first waiter (:class:`threading.Semaphore` lets a thread that just came
    take the place a woken waiter was about to take, and under load some requests wait far longer
    than others)."""

    def __init__(self, places: int) -> None:
        self._lock = threading.Lock()
        self._free = places
        self._waiters: collections.deque[threading.Event] = collections.deque()

    def __enter__(self) -> FairSemaphore:
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return self
            turn = threading.Event()
            self._waiters.append(turn)
        turn.wait()  # the place is handed over by the holder leaving
        return self

    def __exit__(self, *_exc: object) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set()
            else:
                self._free += 1
