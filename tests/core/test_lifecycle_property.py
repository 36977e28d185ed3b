"""Any sequence of actions by any actor keeps the application's invariants."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counter_app.core import applications as apps
from counter_app.core import audit
from counter_app.core.db import Database
from counter_app.core.errors import DomainError
from counter_app.core.models import Application, ApplicationState, User
from counter_app.core.national_id import NationalIdError
from tests.helpers.factories import Centre

S = ApplicationState
ACTIONS = ["docs_all", "docs_some", "pay_cash", "pay_card_noref", "submit", "review", "review_by_receiver",
           "review_by_other", "approve", "reject", "return", "ready", "deliver", "deliver_bad_id"]
# What each action may do when the core accepts it.
ALLOWED = {
    "submit": ({S.DRAFT, S.RETURNED}, S.SUBMITTED), "review": ({S.SUBMITTED}, S.IN_REVIEW),
    "approve": ({S.IN_REVIEW}, S.APPROVED), "reject": ({S.IN_REVIEW}, S.REJECTED),
    "return": ({S.IN_REVIEW}, S.RETURNED), "ready": ({S.APPROVED}, S.READY), "deliver": ({S.READY}, S.DELIVERED),
}


def _apply(s, app: Application, action: str, site: Centre) -> None:  # type: ignore[no-untyped-def]
    clerk = s.get_one(User, site.clerk_ids[0])
    other_clerk = s.get_one(User, site.clerk_ids[1])
    assigned = s.get(User, app.reviewer_id) if app.reviewer_id else None
    other_rev = next(s.get_one(User, r) for r in site.reviewer_ids["MANPOWER"] if r != app.reviewer_id)
    reviewer = assigned or other_rev
    if action == "docs_all":
        apps.set_documents(s, app.id, [d.code for d in app.documents], clerk=other_clerk)
    elif action == "docs_some":
        apps.set_documents(s, app.id, [d.code for d in app.documents][1:], clerk=clerk)
    elif action == "pay_cash":
        apps.record_payment(s, app.id, "cash", clerk=clerk)
    elif action == "pay_card_noref":
        apps.record_payment(s, app.id, "card", clerk=clerk)
    elif action == "submit":
        apps.submit(s, app.id, clerk=clerk)
    elif action == "review":
        apps.start_review(s, app.id, reviewer=reviewer)
    elif action == "review_by_receiver":
        apps.start_review(s, app.id, reviewer=clerk)
    elif action == "review_by_other":
        apps.start_review(s, app.id, reviewer=other_rev)
    elif action == "approve":
        apps.approve(s, app.id, reviewer=reviewer)
    elif action == "reject":
        apps.reject(s, app.id, reviewer=reviewer, reason="سبب الرفض")
    elif action == "return":
        apps.return_for_documents(s, app.id, reviewer=reviewer, missing=[app.documents[0].code])
    elif action == "ready":
        apps.mark_ready(s, app.id, user=reviewer)
    elif action == "deliver":
        apps.deliver(s, app.id, clerk=other_clerk, collected_by_name="محمد أحمد علي حسن",
                     collected_by_national_id="29001010112355")
    elif action == "deliver_bad_id":
        apps.deliver(s, app.id, clerk=other_clerk, collected_by_name="محمد أحمد علي حسن",
                     collected_by_national_id="123")


@pytest.mark.allow_log(r"^refused attempt audited: sod\.violation$", logger="counter_app.core.db")
@pytest.mark.allow_log(r"^refused attempt audited: review\.not_assigned$", logger="counter_app.core.db")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(actions=st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=20))
def test_any_action_sequence_keeps_invariants(db: Database, site: Centre, actions: list[str]) -> None:
    with db.begin() as s:
        app = apps.start_application(s, service_code="MP-REG-CERT", clerk=s.get_one(User, site.clerk_ids[0]),
                                     applicant=apps.Applicant("محمد أحمد علي حسن", "29001010112355"))
        app_id = app.id
    for action in actions:
        with db.read() as s:
            before = s.get_one(Application, app_id).state
        try:
            with db.begin() as s:
                _apply(s, s.get_one(Application, app_id), action, site)
            accepted = True
        except (DomainError, NationalIdError):
            accepted = False
        with db.read() as s:
            app = s.get_one(Application, app_id)
            after = app.state
            if not accepted:
                assert after == before, f"refused {action} changed the state"
            elif action in ALLOWED:
                sources, target = ALLOWED[action]
                assert before in sources and after == target, (action, before, after)
            else:
                assert after == before
            assert action not in ("review_by_receiver", "pay_card_noref", "deliver_bad_id") or not accepted
            if after not in (S.DRAFT,):
                assert sum(p.amount_piastres for p in app.payments) == app.fee_total_piastres
                assert len(app.payments) == 1
            if after in (S.SUBMITTED, S.IN_REVIEW, S.APPROVED, S.READY, S.DELIVERED):
                assert not apps.missing_documents(app) or after != S.SUBMITTED
                assert app.reviewer_id != app.received_by
            assert app.fee_total_piastres == sum(f.amount_piastres for f in app.fees)
    with db.read() as s:
        assert audit.verify_chain(s).ok
