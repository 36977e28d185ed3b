"""The counter window's calls into the core (worker threads, no Qt): the queue (call next,
recall, no-show, finish, skip, transfer), the intake submitted as one transaction, and a file
looked up, marked ready, sent back to review or asked to be cancelled. Handing a result over
and paying a refund are in ``services.cashdesk``.

Each function opens one transaction for one user action and returns frozen dataclasses
(``services.views``), so a window never holds an ORM object (and never triggers SQL by touching
one).
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from counter_app.core import applications, queue, requests, settings, users
from counter_app.core.db import Database
from counter_app.core.models import RequestKind
from counter_app.services.views import (
    ApplicationView,
    IntakeRequest,
    QueueState,
    SubmittedView,
    application_view,
    submitted_view,
    ticket_view,
)


def _state(s: Session, counter_id: int) -> QueueState:
    return QueueState(ticket_view(queue.current_ticket(s, counter_id)), queue.waiting_counts(s),
                      settings.max_recalls(s))


def queue_state(db: Database, counter_id: int) -> QueueState:
    with db.read() as s:
        return _state(s, counter_id)


def call_next(db: Database, counter_id: int, clerk_id: int) -> QueueState:
    with db.begin() as s:
        ticket = ticket_view(queue.call_next(s, counter_id, clerk_id))
        return QueueState(ticket, queue.waiting_counts(s), settings.max_recalls(s))


def ticket_action(db: Database, action: str, ticket_id: int, counter_id: int, clerk_id: int, *,
                  reason: str = "", to_group: str | None = None, to_counter_id: int | None = None) -> QueueState:
    """recall, no_show, finish, skip (with a reason) or transfer the counter's current ticket."""
    with db.begin() as s:
        if action == "recall":
            queue.recall(s, ticket_id, counter_id, clerk_id)
        elif action == "no_show":
            queue.no_show(s, ticket_id, counter_id, clerk_id)
        elif action == "finish":
            queue.finish(s, ticket_id, counter_id, clerk_id)
        elif action == "skip":
            queue.skip(s, ticket_id, counter_id, clerk_id, reason)
        elif action == "transfer":
            queue.transfer(s, ticket_id, counter_id, clerk_id, to_group=to_group, to_counter_id=to_counter_id,
                           reason=reason or None)
        else:  # pragma: no cover - a programming error
            raise ValueError(action)
        return _state(s, counter_id)


def submit_application(db: Database, clerk_id: int, req: IntakeRequest) -> SubmittedView:
    """Start, check documents, take the payment and submit: one transaction, one user action,
    bound to the called ticket; the same intake submitted twice gives its first application."""
    intake = applications.Intake(req.intake_key, req.ticket_id, req.counter_id, req.service_code, req.applicant,
                                 tuple(req.received_documents), req.payment_method, req.payment_reference,
                                 req.cash_received)
    try:
        with db.begin() as s:
            app, created = applications.receive_intake(s, intake, clerk=users.get_user(s, clerk_id))
            return submitted_view(app, created)
    except IntegrityError:  # a concurrent submit of the same intake won the unique key
        with db.read() as s:
            first = applications.find_by_intake_key(s, req.intake_key)
            if first is None:
                raise
            return submitted_view(first, False)


def find_application(db: Database, tracking_code: str) -> ApplicationView:
    with db.read() as s:
        return application_view(applications.find_by_tracking_code(s, tracking_code))


def mark_ready(db: Database, application_id: int, user_id: int) -> ApplicationView:
    with db.begin() as s:
        return application_view(applications.mark_ready(s, application_id, user=users.get_user(s, user_id)))


def resubmit(db: Database, application_id: int, clerk_id: int, received: list[str]) -> ApplicationView:
    """A returned file at the citizen's next visit: the documents now in hand, then back to review
    (one transaction; refused, with nothing changed, while a mandatory document is still missing)."""
    with db.begin() as s:
        clerk = users.get_user(s, clerk_id)
        applications.set_documents(s, application_id, received, clerk=clerk)
        return application_view(applications.submit(s, application_id, clerk=clerk))


def request_cancellation(db: Database, application_id: int, user_id: int, reason: str) -> ApplicationView:
    with db.begin() as s:
        requests.request(s, application_id, RequestKind.CANCEL, by=users.get_user(s, user_id), reason=reason)
        return application_view(applications.get_application(s, application_id))
