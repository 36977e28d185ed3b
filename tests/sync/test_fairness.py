"""The booking writers' semaphore (sync.server.fairness): at most its places held, waiters served
in their order of arrival, a freed place never taken by a thread that came after a waiter."""

from __future__ import annotations

import functools
import threading

from sync.server.fairness import FairSemaphore
from tests.helpers.waiting import wait_for


def waiting(gate: FairSemaphore) -> int:
    with gate._lock:
        return len(gate._waiters)


def queued(gate: FairSemaphore, count: int) -> bool:
    return waiting(gate) == count


def test_waiters_are_served_in_their_order_of_arrival() -> None:
    gate = FairSemaphore(1)
    order: list[int] = []
    gate.__enter__()  # held by this thread
    threads = []
    for k in range(6):
        def take(k: int = k) -> None:
            with gate:
                order.append(k)
        thread = threading.Thread(target=take)
        thread.start()
        wait_for(functools.partial(queued, gate, k + 1))  # queued before the next one comes
        threads.append(thread)
    gate.__exit__(None, None, None)
    for thread in threads:
        thread.join(10)
    assert order == list(range(6))
    assert gate._free == 1 and waiting(gate) == 0


def test_a_freed_place_goes_to_the_waiter_not_to_a_newcomer() -> None:
    gate = FairSemaphore(1)
    gate.__enter__()
    inside, leave, took = threading.Event(), threading.Event(), []

    def waiter() -> None:
        with gate:
            took.append("waiter")
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=waiter)
    thread.start()
    wait_for(lambda: waiting(gate) == 1)
    gate.__exit__(None, None, None)  # handed to the waiter, even before it runs
    def newcomer_takes() -> None:
        with gate:
            took.append("newcomer")

    newcomer = threading.Thread(target=newcomer_takes)
    newcomer.start()
    inside.wait(10)
    wait_for(lambda: waiting(gate) == 1)  # the newcomer waits its turn
    assert took == ["waiter"]
    leave.set()
    thread.join(10)
    newcomer.join(10)
    assert took == ["waiter", "newcomer"] and gate._free == 1


def test_never_more_holders_than_places() -> None:
    gate, lock = FairSemaphore(3), threading.Lock()
    holding, most = [0], [0]

    def work() -> None:
        for _ in range(200):
            with gate:
                with lock:
                    holding[0] += 1
                    most[0] = max(most[0], holding[0])
                with lock:
                    holding[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert most[0] <= 3 and holding[0] == 0 and gate._free == 3
