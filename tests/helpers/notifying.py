"""Shared pieces of the notification tests: a real SMTP server (aiosmtpd) on loopback that keeps
what it receives, and an application taken to the states that notify the citizen."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller

from counter_app.core import applications as apps
from counter_app.core.db import Database
from counter_app.core.models import Application, User
from tests.helpers.central import free_port


def approve_and_ready(db: Database, app_id: int) -> None:
    with db.begin() as s:
        reviewer = s.get_one(User, s.get_one(Application, app_id).reviewer_id)
        apps.start_review(s, app_id, reviewer=reviewer)
        apps.approve(s, app_id, reviewer=reviewer)
        apps.mark_ready(s, app_id, user=reviewer)


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: list[str] = []  # replies to give to the next RCPT commands

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse:
            return self.refuse.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


@contextmanager
def running_smtp(port: int | None = None) -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1 (a free port unless given); what it receives lands in the mailbox."""
    box, port = Mailbox(), port or free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()
