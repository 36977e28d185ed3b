"""The sync agent and the citizens' notifications inside ``counter-app`` (a one-PC centre), each on
its own thread, never the GUI's.

The thread builds the agent (it reads the centre database) and runs its loop: a round at start,
after each commit that queued events (the database's outbox listeners kick it), every minute, and
on the backoff's schedule while the server cannot be reached. Nothing here touches a widget: the
status line reads what the agent records (``counter_app.core.sync_state``) when the database announces it.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from counter_app.notify.senders import Sender
    from counter_app.services.shell import Database
    from sync.agent.agent import Agent

log = logging.getLogger(__name__)


class SyncRunner:
    def __init__(self, db: Database, *, ca_bundle: str = "", interval: float | None = None) -> None:
        self.db, self.ca_bundle, self.interval = db, ca_bundle, interval
        self.agent: Agent | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self.started = threading.Event()  # set once the agent runs (or has decided not to)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sync-agent", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from counter_app.services.status import enrolled
        from sync.agent.agent import INTERVAL_S, Agent, SyncError

        try:
            if not enrolled(self.db):
                log.info("not enrolled with a central server: the outbox waits (shubbak centre enrol)")
                return
            try:
                agent = Agent(self.db, verify=self.ca_bundle or True)
            except SyncError as exc:
                log.warning("sync agent not started: %s", exc)
                return
            self.agent = agent
            if self._stopped.is_set():
                return
        finally:
            self.started.set()
        try:
            agent.run_forever(self.interval or INTERVAL_S)
        finally:
            agent.close()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopped.set()
        self.started.wait(timeout)
        if self.agent is not None:
            self.agent.stop()
        if self._thread is not None:
            self._thread.join(timeout)


class NotifyRunner:
    """Sends the citizens' SMS and e-mail from the app (the ``[notifications]`` settings of the
    counter's file): at start, after each commit that queued events (a state change that queues a
    message also queues its outbox event) and every ``interval`` seconds for retries."""

    def __init__(self, db: Database, options: dict[str, str], *, interval: float = 30.0) -> None:
        self.db, self.options, self.interval = db, options, interval
        self.senders: dict[str, Sender] = {}  # built on the thread (it imports the HTTP stack)
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def configured(self) -> bool:
        """A gateway is named (see ``counter_app.notify.senders.senders_from``)."""
        return bool(self.options.get("smtp_host") or self.options.get("sms_url"))

    def kick(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self.db.outbox_listeners.append(self.kick)
        self._thread = threading.Thread(target=self._run, name="notify", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from counter_app.notify.dispatch import run
        from counter_app.notify.senders import senders_from
        from counter_app.services.status import notification_store

        self.senders = senders_from(self.options)
        while not self._stopped.is_set():
            try:
                run(notification_store(self.db), self.senders, interval=self.interval, stop=self._stopped.is_set, wake=self._wake)
            except Exception:  # a database or gateway failure must not end the sending for the day
                log.exception("notification round failed; trying again")
                self._stopped.wait(self.interval)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopped.set()
        self._wake.set()
        if self.kick in self.db.outbox_listeners:
            self.db.outbox_listeners.remove(self.kick)
        if self._thread is not None:
            self._thread.join(timeout)
        for sender in self.senders.values():
            close = getattr(sender, "close", None)
            if callable(close):
                close()
