"""The ticket kiosk's calls into the core (worker threads, no Qt): a numbered ticket for a group,
and the people waiting per group shown on its buttons."""

from __future__ import annotations

from counter_app.core import queue
from counter_app.core.clock import as_utc
from counter_app.core.db import Database
from counter_app.services.views import IssuedView, ticket_number


def issue_ticket(db: Database, group: str, priority: bool) -> IssuedView:
    with db.begin() as s:
        issued = queue.issue_ticket(s, group, priority=priority)
        t = issued.ticket
        return IssuedView(ticket_number(t), t.priority, issued.waiting_ahead, issued.estimated_wait_minutes,
                          as_utc(t.issued_at), t.uuid, t.group_letter, t.public_token or "")


def waiting_counts(db: Database) -> dict[str, int]:
    """Waiting tickets per group letter today (the core's one definition of waiting)."""
    with db.read() as s:
        return queue.waiting_counts(s)
