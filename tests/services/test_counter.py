"""The counter and the kiosk through their services, without Qt: the numbers the clerk and the
citizen see, the order of calls, the intake and the handover."""

from __future__ import annotations

import pytest

from counter_app.services import cashdesk, counter, kiosk
from counter_app.services.errors import ShubbakError, ValidationFailed
from counter_app.services.views import ApplicationState
from tests.helpers.factories import Centre
from tests.services.conftest import APPLICANT, called, error_text, intake, said, service, submitted


def test_the_kiosk_numbers_each_group_and_tells_who_is_ahead(site: Centre) -> None:
    a1 = kiosk.issue_ticket(site.db, "A", False)
    a2 = kiosk.issue_ticket(site.db, "A", False)
    b1 = kiosk.issue_ticket(site.db, "B", False)
    assert (a1.number, a2.number, b1.number) == ("A-001", "A-002", "B-001")
    assert (a1.waiting_ahead, a2.waiting_ahead, b1.waiting_ahead) == (0, 1, 0)
    assert a2.estimated_wait_minutes > 0 and a1.estimated_wait_minutes == 0
    assert kiosk.waiting_counts(site.db) == {"A": 2, "B": 1}


def test_call_next_takes_the_priority_ticket_first_then_the_oldest(site: Centre) -> None:
    kiosk.issue_ticket(site.db, "A", False)
    kiosk.issue_ticket(site.db, "A", True)
    kiosk.issue_ticket(site.db, "A", False)
    c, clerk = site.counter_ids[0], site.clerk_ids[0]
    first = counter.call_next(site.db, c, clerk)
    assert first.current is not None
    assert (first.current.number, first.current.priority) == ("A-002", True)
    assert first.waiting == {"A": 2}
    counter.ticket_action(site.db, "finish", first.current.id, c, clerk)
    second = counter.call_next(site.db, c, clerk)
    assert second.current is not None and second.current.number == "A-001"
    assert counter.queue_state(site.db, c) == second


def test_two_counters_never_get_the_same_ticket(site: Centre) -> None:
    kiosk.issue_ticket(site.db, "A", False)
    kiosk.issue_ticket(site.db, "A", False)
    one = counter.call_next(site.db, site.counter_ids[0], site.clerk_ids[0])
    two = counter.call_next(site.db, site.counter_ids[1], site.clerk_ids[1])
    assert one.current is not None and two.current is not None
    assert {one.current.number, two.current.number} == {"A-001", "A-002"}
    nobody = counter.call_next(site.db, site.counter_ids[2], site.clerk_ids[2])
    assert nobody.current is None and nobody.waiting == {}


def test_a_no_show_needs_the_recalls_first(site: Centre) -> None:
    state = called(site)
    assert state.current is not None
    c, clerk, ticket = site.counter_ids[0], site.clerk_ids[0], state.current.id
    assert state.recalls_left == state.max_recalls > 0
    with pytest.raises(ShubbakError) as refused:
        counter.ticket_action(site.db, "no_show", ticket, c, clerk)
    assert said(refused.value)  # a sentence in Arabic, shown under the buttons
    for left in range(state.max_recalls - 1, -1, -1):
        state = counter.ticket_action(site.db, "recall", ticket, c, clerk)
        assert state.recalls_left == left
    done = counter.ticket_action(site.db, "no_show", ticket, c, clerk)
    assert done.current is None


def test_a_skip_without_a_reason_is_refused_and_changes_nothing(site: Centre) -> None:
    state = called(site)
    assert state.current is not None
    with pytest.raises(ValidationFailed) as refused:
        counter.ticket_action(site.db, "skip", state.current.id, site.counter_ids[0], site.clerk_ids[0], reason="")
    assert said(refused.value) == error_text("reason_required")
    assert counter.queue_state(site.db, site.counter_ids[0]) == state


def test_a_transfer_sends_the_citizen_to_the_other_group(site: Centre) -> None:
    state = called(site)
    assert state.current is not None
    after = counter.ticket_action(site.db, "transfer", state.current.id, site.counter_ids[0], site.clerk_ids[0],
                                  to_group="B")
    assert after.current is None and after.waiting == {"B": 1}


def test_an_intake_is_submitted_once_with_its_receipt_figures(site: Centre) -> None:
    state = called(site)
    req = intake(site, state)
    done = counter.submit_application(site.db, site.clerk_ids[0], req)
    svc = service(site)
    assert done.created and done.total_piastres == svc.total_piastres
    assert {ar for ar, _en in done.documents} == {d.name_ar for d in svc.documents}
    again = counter.submit_application(site.db, site.clerk_ids[0], req)  # a double click
    assert not again.created and again.tracking_code == done.tracking_code
    found = counter.find_application(site.db, done.tracking_code)
    assert (found.state, found.applicant_name, found.national_id) == (ApplicationState.SUBMITTED, APPLICANT.name,
                                                                      APPLICANT.national_id)
    assert found.received == frozenset(d.code for d in svc.documents)


def test_an_intake_missing_a_mandatory_document_is_refused_and_stores_nothing(site: Centre) -> None:
    state = called(site)
    optional = tuple(d.code for d in service(site).documents if not d.mandatory)
    with pytest.raises(ShubbakError) as refused:
        counter.submit_application(site.db, site.clerk_ids[0], intake(site, state, documents=optional))
    assert said(refused.value, "en") == error_text("missing_documents", "en", n=3)
    assert said(refused.value)  # and in Arabic
    assert counter.queue_state(site.db, site.counter_ids[0]) == state  # the citizen is still at the counter


def test_a_mistyped_tracking_code_is_said_so(site: Centre) -> None:
    with pytest.raises(ValidationFailed) as wrong:
        counter.find_application(site.db, "XXXX-0000-0000")
    assert said(wrong.value) == error_text("tracking_code_invalid")


def test_an_approved_file_is_made_ready_and_handed_to_a_representative(site: Centre) -> None:
    from counter_app.services import review

    done = submitted(site)
    reviewer = site.reviewer_ids["MANPOWER"]
    holder = next(r for r in reviewer if done.application_id in
                  {row.application_id for row in review.load_desk(site.db, r).queue})
    review.load_desk(site.db, holder, done.application_id)
    review.approve(site.db, holder, done.application_id)
    ready = counter.mark_ready(site.db, done.application_id, site.clerk_ids[1])
    assert ready.state == ApplicationState.READY
    with pytest.raises(ValidationFailed) as no_relation:  # someone else collects: the relation is asked for
        cashdesk.deliver(site.db, done.application_id, site.clerk_ids[1], "سعيد محمود علي حسن", "28505050112345",
                         None, None)
    assert said(no_relation.value) == error_text("collector_relation_required")
    handed = cashdesk.deliver(site.db, done.application_id, site.clerk_ids[1], "سعيد محمود علي حسن",
                              "28505050112345", "attorney", "توكيل 123")
    assert handed.app.state == ApplicationState.DELIVERED and handed.app.delivered_at is not None
    assert (handed.collector_name, handed.relation, handed.authority) == ("سعيد محمود علي حسن", "attorney",
                                                                         "توكيل 123")
    assert counter.find_application(site.db, done.tracking_code).state == ApplicationState.DELIVERED
