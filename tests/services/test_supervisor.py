"""The supervisor window's services, without Qt: only a supervisor may act; the day opens, closes
with its figures and stops the queue; users, counters and failed print jobs."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from counter_app.services import counter, kiosk, shell, supervisor
from counter_app.services.errors import PermissionDenied, ShubbakError
from counter_app.services.views import Role
from tests.helpers.factories import PASSWORD, Centre
from tests.services.conftest import called, error_text, said, submitted


def test_a_clerk_is_refused_every_supervisor_action(site: Centre) -> None:
    clerk = site.clerk_ids[0]
    for action in (lambda: supervisor.overview(site.db, clerk), lambda: supervisor.close_day(site.db, clerk),
                   lambda: supervisor.add_counter(site.db, clerk, 9, "A")):
        with pytest.raises(PermissionDenied) as refused:
            action()
        assert said(refused.value) == error_text("permission_denied")
    assert len(supervisor.overview(site.db, site.supervisor_id).counters) == 3  # nothing was added


def test_the_overview_shows_users_counters_and_the_day(site: Centre) -> None:
    kiosk.issue_ticket(site.db, "A", False)
    called(site)
    view = supervisor.overview(site.db, site.supervisor_id)
    assert {u.username for u in view.users} >= {"admin", "supervisor", "clerk1"}
    assert [c.number for c in view.counters] == [1, 2, 3]
    assert view.catalogue_version is not None
    assert (view.day.tickets_issued, view.day.waiting, view.day.in_service) == (2, 1, 1)
    assert "MANPOWER" in {code for code, _ar, _en in view.departments}


def test_closing_the_day_ends_the_queue_until_it_is_reopened(site: Centre) -> None:
    submitted(site)  # one citizen served (A-001, still at the counter)
    kiosk.issue_ticket(site.db, "B", False)  # one left waiting
    before = supervisor.day_now(site.db, site.supervisor_id)
    assert (before.waiting, before.in_service, before.applications) == (1, 1, 1)
    closed = supervisor.close_day(site.db, site.supervisor_id)
    assert closed.is_closed and closed.expired == 2 and closed.applications == 1
    assert kiosk.waiting_counts(site.db) == {}
    with pytest.raises(ShubbakError) as refused:
        kiosk.issue_ticket(site.db, "A", False)
    assert said(refused.value)  # the kiosk says the day is closed
    with pytest.raises(ShubbakError):
        counter.call_next(site.db, site.counter_ids[0], site.clerk_ids[0])
    with pytest.raises(ShubbakError) as no_reason:
        supervisor.reopen_day(site.db, site.supervisor_id, "")
    assert said(no_reason.value) == error_text("reason_required")
    supervisor.reopen_day(site.db, site.supervisor_id, "مواطنون بالخارج")
    assert kiosk.issue_ticket(site.db, "A", False).number == "A-002"


def test_users_are_added_locked_out_and_unlocked(site: Centre) -> None:
    added = supervisor.add_user(site.db, site.supervisor_id, "clerk9", "منى سعيد علي", Role.CLERK, "long password 9")
    assert (added.role, added.active, added.locked) == (Role.CLERK, True, False)
    with pytest.raises(PermissionDenied):  # only an admin makes an admin
        supervisor.add_user(site.db, site.supervisor_id, "root2", "مدير", Role.ADMIN, "long password 9")
    for _ in range(5):
        with pytest.raises(ShubbakError):
            shell.login(site.db, "clerk9", "wrong password")
    locked = next(u for u in supervisor.overview(site.db, site.supervisor_id).users if u.id == added.id)
    assert locked.locked
    with pytest.raises(ShubbakError) as still_locked:
        shell.login(site.db, "clerk9", "long password 9")
    assert said(still_locked.value)
    supervisor.unlock_user(site.db, site.supervisor_id, added.id)
    assert shell.login(site.db, "clerk9", "long password 9").id == added.id
    supervisor.set_user_active(site.db, site.supervisor_id, added.id, False)
    with pytest.raises(ShubbakError):
        shell.login(site.db, "clerk9", "long password 9")
    supervisor.reset_password(site.db, site.supervisor_id, site.clerk_ids[0], "a new password 1")
    assert shell.login(site.db, "clerk1", "a new password 1").id == site.clerk_ids[0]
    with pytest.raises(ShubbakError):
        shell.login(site.db, "clerk1", PASSWORD)


def test_counters_are_added_and_given_their_groups(site: Centre) -> None:
    four = supervisor.add_counter(site.db, site.supervisor_id, 4, "AB")
    assert (four.number, four.groups) == (4, "AB")
    assert supervisor.set_counter_groups(site.db, site.supervisor_id, four.id, "C").groups == "C"
    with pytest.raises(ShubbakError) as unknown:
        supervisor.set_counter_groups(site.db, site.supervisor_id, four.id, "Z")
    assert said(unknown.value)
    assert [c.groups for c in shell.list_counters(site.db) if c.number == 4] == ["C"]


@dataclass
class Job:
    id: str
    kind: str = "receipt"
    printer_url: str = "tcp://192.0.2.1:9100"
    error_en: str = "connection refused"
    created_at: str = "2026-11-25T08:00:00+00:00"


@dataclass
class Jobs:
    """A print queue holding failed jobs; a refused discard leaves the audit log as it was."""

    failed: dict[str, Job] = field(default_factory=dict)
    refuse: bool = False

    def get(self, job_id: str) -> Job:
        return self.failed[job_id]

    def discard(self, job_id: str) -> Job:
        if self.refuse:
            raise KeyError(job_id)
        return self.failed.pop(job_id)


def test_a_failed_print_job_is_discarded_with_an_audit_entry(site: Centre) -> None:
    from counter_app.services import review

    jobs = Jobs({"j1": Job("j1"), "j2": Job("j2", kind="ticket")})
    assert supervisor.discard_print_job(site.db, site.supervisor_id, jobs, "j1") == "receipt"
    assert set(jobs.failed) == {"j2"}
    jobs.refuse = True
    with pytest.raises(KeyError):
        supervisor.discard_print_job(site.db, site.supervisor_id, jobs, "j2")
    discards = review.search_audit(site.db, site.supervisor_id, review.AuditFilter(action="print_job.discard"))
    assert [row.entity_id for row in discards] == ["j1"]
