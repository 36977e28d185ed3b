"""The dispatcher of the citizens' notifications: moves each queued message through pending →
sent → delivered (or failed), with the senders of :mod:`counter_app.notify.senders`.

A message is sent outside any database transaction and marked afterwards, one transaction per
message: a crash between the two sends it again (a citizen may get an SMS twice, never none).
Connection errors, timeouts, 4xx SMTP replies, and HTTP 408, 429 and 5xx are retried on the
store's backoff for a day; other refusals fail at once.

The messages wait in a :class:`Store`: for a centre, its database
(:class:`counter_app.core.notifications.Store`). ``shubbak notify dispatch --db URL [--smtp-host H
...] [--sms-url U ...] [--once]`` runs it, and so does ``counter-app`` on a thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from counter_app.common.clock import utcnow
from counter_app.notify.senders import HttpSmsSender, Message, Sender, SendError

log = logging.getLogger(__name__)


class Store(Protocol):
    """Where the messages wait; each method is one transaction."""

    def due(self, now: datetime, limit: int) -> Sequence[Message]:
        """Messages to send now, oldest first."""
        ...

    def sent(self, message_id: int, provider_id: str | None, at: datetime, *, delivered: bool) -> None: ...

    def failed_attempt(self, message_id: int, error: str, at: datetime, *, permanent: bool) -> bool:
        """Record a failed attempt; True when the message failed for good (no retry)."""
        ...

    def awaiting_delivery(self, limit: int) -> Sequence[tuple[int, str]]:
        """SMS sent but not known delivered: (message id, the gateway's id)."""
        ...

    def delivered(self, message_id: int, at: datetime) -> None: ...

    def undelivered(self, message_id: int) -> None: ...


@dataclass
class DispatchReport:
    sent: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0  # no sender configured for the channel


def _now() -> datetime:
    return utcnow()


def dispatch(store: Store, senders: dict[str, Sender], now: datetime | None = None, limit: int = 50) -> DispatchReport:
    report = DispatchReport()
    for note in store.due(now or _now(), limit):
        sender = senders.get(note.channel)
        if sender is None:
            report.skipped += 1
            continue
        try:
            outcome = sender.send(note)
        except SendError as exc:
            failed = store.failed_attempt(note.id, str(exc), now or _now(), permanent=exc.permanent)
            report.failed += failed
            report.retried += not failed
            continue
        store.sent(note.id, outcome.provider_id, now or _now(), delivered=outcome.delivered)
        report.sent += 1
        report.delivered += outcome.delivered
    return report


def poll_deliveries(store: Store, sms: HttpSmsSender, now: datetime | None = None) -> int:
    """Ask the gateway about messages sent but not yet known delivered; returns how many changed."""
    changed = 0
    for note_id, provider_id in store.awaiting_delivery(200):
        try:
            status = sms.delivery(provider_id)
        except SendError as exc:
            log.info("delivery report not available now: %s", exc)
            break
        if status == "pending":
            continue
        if status == "delivered":
            store.delivered(note_id, now or _now())
        else:
            store.undelivered(note_id)
        changed += 1
    return changed


def run(store: Store, senders: dict[str, Sender], *, once: bool = False, interval: float = 30.0,
        stop: Callable[[], bool] = lambda: False, wake: threading.Event | None = None) -> DispatchReport:
    """Send what is due, ask the SMS gateway about deliveries; again every ``interval`` seconds,
    or as soon as ``wake`` is set (a commit that queued messages)."""
    total = DispatchReport()
    while True:
        if wake is not None:
            wake.clear()
        report = dispatch(store, senders)
        for name in ("sent", "delivered", "retried", "failed", "skipped"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        sms = senders.get("sms")
        if isinstance(sms, HttpSmsSender):
            total.delivered += poll_deliveries(store, sms)
        if once or stop():
            return total
        if wake is not None:
            wake.wait(interval)
        else:
            time.sleep(interval)
        if stop():
            return total
