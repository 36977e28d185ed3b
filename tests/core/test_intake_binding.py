"""Issue 15, items 1, 2 and 17 in the core: an intake is bound to its called ticket, one intake
gives one application (and one payment) however many times it is submitted, and a ticket is never
transferred to its own group."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select

from counter_app.core import applications as apps
from counter_app.core import queue
from counter_app.core.db import Database
from counter_app.core.errors import DomainError, ValidationFailed
from counter_app.core.models import Application, Payment, Ticket, TicketStatus, User
from counter_app.services import counter as counter_service
from counter_app.services.views import IntakeRequest
from tests.helpers.factories import Centre

SERVICE = "MP-REG-CERT"
APPLICANT = apps.Applicant("محمد أحمد علي حسن", "29001010112334", "01001234567")


def _called(site: Centre, counter: int = 0) -> int:
    with site.db.begin() as s:
        queue.issue_ticket(s, "A", service_code=SERVICE)
        ticket = queue.call_next(s, site.counter_ids[counter], site.clerk_ids[counter])
        assert ticket is not None
        return ticket.id


def _intake(site: Centre, ticket_id: int | None, key: str | None = None, counter: int = 0) -> apps.Intake:
    with site.db.read() as s:
        from counter_app.core.models import Service

        docs = tuple(d.code for d in s.get_one(Service, SERVICE).documents)
    return apps.Intake(key or str(uuid.uuid4()), ticket_id, site.counter_ids[counter], SERVICE, APPLICANT, docs,
                       "cash")


def _counts(db: Database) -> tuple[int, int]:
    with db.read() as s:
        return (int(s.scalar(select(func.count()).select_from(Application)) or 0),
                int(s.scalar(select(func.count()).select_from(Payment)) or 0))


def _receive(site: Centre, intake: apps.Intake) -> tuple[int, bool]:
    with site.db.begin() as s:
        app, created = apps.receive_intake(s, intake, clerk=s.get_one(User, site.clerk_ids[0]))
        return app.id, created


def test_same_intake_twice_gives_one_application_and_one_payment(site: Centre) -> None:
    intake = _intake(site, _called(site))
    first, created = _receive(site, intake)
    again, created_again = _receive(site, intake)
    assert created and not created_again and first == again
    assert _counts(site.db) == (1, 1)
    with site.db.read() as s:
        app = s.get_one(Application, first)
        assert app.ticket_id == intake.ticket_id and app.intake_key == intake.key


def test_a_second_intake_of_the_same_ticket_is_another_application(site: Centre) -> None:
    """The same citizen asking for a second service: a new form (a new key) for the same ticket."""
    ticket = _called(site)
    _receive(site, _intake(site, ticket))
    _receive(site, _intake(site, ticket))
    assert _counts(site.db) == (2, 2)


def test_backend_submit_twice_with_one_key(site: Centre) -> None:
    ticket = _called(site)
    intake = _intake(site, ticket)
    req = IntakeRequest(SERVICE, APPLICANT, intake.received, "cash", "", site.counter_ids[0], ticket, intake.key)
    one = counter_service.submit_application(site.db, site.clerk_ids[0], req)
    two = counter_service.submit_application(site.db, site.clerk_ids[0], req)
    assert one.created and not two.created and one.tracking_code == two.tracking_code
    assert _counts(site.db) == (1, 1)


def test_concurrent_submits_of_one_intake_store_one_application(site: Centre) -> None:
    ticket = _called(site)
    intake = _intake(site, ticket)
    req = IntakeRequest(SERVICE, APPLICANT, intake.received, "cash", "", site.counter_ids[0], ticket, intake.key)
    start = threading.Barrier(4)
    results: list[object] = []

    def go() -> None:
        start.wait()
        try:
            results.append(counter_service.submit_application(site.db, site.clerk_ids[0], req).tracking_code)
        except Exception as exc:  # collected, asserted below
            results.append(exc)

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 4 and len(set(results)) == 1, results  # four answers, one application
    assert _counts(site.db) == (1, 1)


def test_no_application_without_a_ticket(site: Centre) -> None:
    with pytest.raises(DomainError) as err:
        _receive(site, _intake(site, None))
    assert err.value.code == "intake_needs_ticket"
    assert "F2" in err.value.message("en") and "kiosk" in err.value.message("en")
    assert _counts(site.db) == (0, 0)


@pytest.mark.parametrize("action", ["transfer", "finish", "other_counter"])
def test_no_application_for_a_ticket_no_longer_called_here(site: Centre, action: str) -> None:
    ticket = _called(site)
    counter, clerk = site.counter_ids[0], site.clerk_ids[0]
    with site.db.begin() as s:
        if action == "transfer":
            queue.transfer(s, ticket, counter, clerk, to_group="B")
        elif action == "finish":
            queue.finish(s, ticket, counter, clerk)
    intake = _intake(site, ticket, counter=1 if action == "other_counter" else 0)
    with pytest.raises(DomainError) as err:
        _receive(site, intake)
    assert err.value.code == "intake_ticket_not_called"
    assert _counts(site.db) == (0, 0)


def test_transfer_to_its_own_group_is_refused(site: Centre) -> None:
    ticket = _called(site)
    with pytest.raises(ValidationFailed) as err, site.db.begin() as s:
        queue.transfer(s, ticket, site.counter_ids[0], site.clerk_ids[0], to_group="a")
    assert err.value.code == "transfer_same_group"
    assert "already in group" in err.value.message("en")
    with site.db.read() as s:
        kept = s.get_one(Ticket, ticket)
        assert kept.status == TicketStatus.CALLED and kept.counter_id == site.counter_ids[0]
    with site.db.begin() as s:  # to a counter, the same group is fine: that is what the counter is for
        queue.transfer(s, ticket, site.counter_ids[0], site.clerk_ids[0], to_counter_id=site.counter_ids[1])
