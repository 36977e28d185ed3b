"""The supervisor window's calls into the core (worker threads, no Qt): the centre day, users,
counters and failed print jobs. Every write checks the acting user's role in the core's own terms,
so a clerk cannot do a supervisor's work. The reports are in ``services.reports``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from counter_app.core import audit, catalogue, centre, counter_queries, users
from counter_app.core.counter_queries import DaySummary as DaySummary
from counter_app.core.db import Database
from counter_app.core.errors import PermissionDenied
from counter_app.core.models import Role, User
from counter_app.services.views import CounterView, UserView, counter_view, user_view

SUPERVISOR_ROLES = (Role.SUPERVISOR, Role.ADMIN)


class PrintJobLike(Protocol):
    """What a discard needs of a stored print job (``printers.jobs.PrintJob``)."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def printer_url(self) -> str: ...
    @property
    def error_en(self) -> str: ...
    @property
    def created_at(self) -> str: ...


class PrintJobs(Protocol):
    """The app's print-job queue (``printers.jobs.PrintQueue``), as a discard uses it."""

    def get(self, job_id: str) -> PrintJobLike: ...
    def discard(self, job_id: str) -> object: ...


@dataclass(frozen=True)
class Overview:
    users: tuple[UserView, ...]
    counters: tuple[CounterView, ...]
    catalogue_version: int | None
    day: DaySummary
    departments: tuple[tuple[str, str, str], ...] = ()  # (code, Arabic name, English name)


def acting(s: Session, user_id: int) -> User:
    """The acting user, refused unless they supervise (an active supervisor or admin)."""
    user = users.get_user(s, user_id)
    users.require_role(user, *SUPERVISOR_ROLES)
    return user


def overview(db: Database, user_id: int) -> Overview:
    with db.read() as s:
        acting(s, user_id)
        day = counter_queries.current_day(s)
        return Overview(
            tuple(user_view(u) for u in users.users(s)),
            tuple(counter_view(c) for c in centre.counters(s, active_only=False)),
            catalogue.active_version(s),
            counter_queries.day_summary(s, day),
            tuple((d.code, d.name_ar, d.name_en) for d in users.departments(s)),
        )


def open_day(db: Database, user_id: int) -> None:
    with db.begin() as s:
        counter_queries.start_day(s, by=acting(s, user_id).id)


def close_day(db: Database, user_id: int) -> DaySummary:
    with db.begin() as s:
        return counter_queries.close_day(s, by=acting(s, user_id).id)


def day_now(db: Database, user_id: int) -> DaySummary:
    """The open day's figures read now (waiting, in service), for the question before closing."""
    with db.read() as s:
        acting(s, user_id)
        return counter_queries.day_summary(s, counter_queries.current_day(s))


def reopen_day(db: Database, user_id: int, reason: str) -> DaySummary:
    """Reopen today's closed day: a supervisor only, with a reason (audited, synced)."""
    with db.begin() as s:
        return counter_queries.reopen_day(s, by=acting(s, user_id).id, reason=reason)


def discard_print_job(db: Database, user_id: int, queue: PrintJobs, job_id: str) -> str:
    """A supervisor gives up a failed print job (it will never print); audited. Returns its kind."""
    with db.begin() as s:
        by = acting(s, user_id)
        job = queue.get(job_id)
        audit.record(s, user_id=by.id, action="print_job.discard", entity_type="print_job", entity_id=job.id,
                     detail={"kind": job.kind, "printer": job.printer_url, "error": job.error_en,
                             "created_at": job.created_at})
        queue.discard(job_id)  # last: a refused discard rolls the audit entry back
    return job.kind


def add_user(db: Database, user_id: int, username: str, full_name: str, role: Role, password: str,
             department_code: str | None = None) -> UserView:
    with db.begin() as s:
        by = acting(s, user_id)
        if role == Role.ADMIN and by.role != Role.ADMIN:
            raise PermissionDenied()
        return user_view(users.create_user(s, username=username, full_name=full_name, role=role,
                                           password=password, department_code=department_code,
                                           created_by=by.id))


def unlock_user(db: Database, user_id: int, target_id: int) -> None:
    with db.begin() as s:
        users.unlock(s, users.get_user(s, target_id), by=acting(s, user_id))


def reset_password(db: Database, user_id: int, target_id: int, password: str) -> None:
    with db.begin() as s:
        users.reset_password(s, users.get_user(s, target_id), password, by=acting(s, user_id))


def set_user_active(db: Database, user_id: int, target_id: int, active: bool) -> None:
    with db.begin() as s:
        by = acting(s, user_id)
        users.set_active(s, users.get_user(s, target_id), active, by=by)


def add_counter(db: Database, user_id: int, number: int, groups: str) -> CounterView:
    with db.begin() as s:
        return counter_view(centre.create_counter(s, number=number, groups=groups, by=acting(s, user_id).id))


def set_counter_groups(db: Database, user_id: int, counter_id: int, groups: str) -> CounterView:
    with db.begin() as s:
        return counter_view(centre.set_counter_groups(s, counter_id, groups, by=acting(s, user_id).id))
