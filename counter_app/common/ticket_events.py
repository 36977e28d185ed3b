"""What happens to a ticket in its centre day, and what the key figures make of it: one definition
for the centre (:mod:`counter_app.core.kpis`, its ``ticket_event`` table) and the central server
(:mod:`sync.server.kpis`, the events the centres send).

* waiting time of a ticket: from its ``issued`` event to its first ``called`` event;
* service time of a served ticket: from its last ``called`` event to its ``finished`` event (an
  expiry, a transfer, a no-show or a skip ends a call without service);
* both summarised as count, mean, median and 90th percentile (nearest rank).
"""

from __future__ import annotations

import enum
import math
import statistics
from dataclasses import dataclass


class TicketEventKind(enum.StrEnum):
    ISSUED = "issued"
    CALLED = "called"
    RECALLED = "recalled"
    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"
    FINISHED = "finished"
    SKIPPED = "skipped"
    EXPIRED = "expired"


ISSUED, CALLED, FINISHED = TicketEventKind.ISSUED.value, TicketEventKind.CALLED.value, TicketEventKind.FINISHED.value
ENDED_WITHOUT_SERVICE = frozenset({TicketEventKind.EXPIRED.value, TicketEventKind.TRANSFERRED.value, TicketEventKind.NO_SHOW.value,
                                   TicketEventKind.SKIPPED.value})


@dataclass(frozen=True)
class Durations:
    """Seconds: how many, mean, median and 90th percentile (nearest rank)."""

    count: int = 0
    mean_s: float = 0.0
    median_s: float = 0.0
    p90_s: float = 0.0

    @staticmethod
    def of(values: list[float]) -> Durations:
        if not values:
            return Durations()
        ordered = sorted(values)
        rank = max(math.ceil(0.9 * len(ordered)), 1)
        return Durations(len(ordered), statistics.fmean(ordered), statistics.median(ordered), ordered[rank - 1])
