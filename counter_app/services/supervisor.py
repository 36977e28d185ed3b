"""The supervisor window's calls into the core (worker threads, no Qt). Every write checks the
acting user's role in the core's own terms, so a clerk cannot do a supervisor's work."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from counter_app.core import audit, catalogue, centre, counter_queries, users
from counter_app.core.clock import to_local, utcnow
from counter_app.core.counter_queries import DaySummary
from counter_app.core.db import Database
from counter_app.core.models import Role, User
from counter_app.services import reports
from counter_app.services.counter import CounterView, UserView, counter_view, user_view
from printers.jobs import PrintQueue
from printers.period_report import PeriodReportData

SUPERVISOR_ROLES = (Role.SUPERVISOR, Role.ADMIN)


@dataclass(frozen=True)
class Overview:
    users: tuple[UserView, ...]
    counters: tuple[CounterView, ...]
    catalogue_version: int | None
    day: DaySummary
    departments: tuple[tuple[str, str, str], ...] = ()  # (code, Arabic name, English name)


def _acting(s: object, user_id: int) -> User:
    user = s.get_one(User, user_id)  # type: ignore[attr-defined]
    users.require_role(user, *SUPERVISOR_ROLES)
    return user  # type: ignore[no-any-return]


def overview(db: Database, user_id: int) -> Overview:
    with db.read() as s:
        _acting(s, user_id)
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
        counter_queries.start_day(s, by=_acting(s, user_id).id)


def close_day(db: Database, user_id: int) -> DaySummary:
    with db.begin() as s:
        return counter_queries.close_day(s, by=_acting(s, user_id).id)


def day_now(db: Database, user_id: int) -> DaySummary:
    """The open day's figures read now (waiting, in service), for the question before closing."""
    with db.read() as s:
        _acting(s, user_id)
        return counter_queries.day_summary(s, counter_queries.current_day(s))


def reopen_day(db: Database, user_id: int, reason: str) -> DaySummary:
    """Reopen today's closed day: a supervisor only, with a reason (audited, synced)."""
    with db.begin() as s:
        return counter_queries.reopen_day(s, by=_acting(s, user_id).id, reason=reason)


def dashboard(db: Database, user_id: int, first: date, last: date) -> PeriodReportData:
    """The key figures of days ``first``..``last`` for the supervisor's dashboard."""
    with db.read() as s:
        _acting(s, user_id)
        return reports.build(s, first, last, reports.kind_of(first, last))


REPORT_FORMATS = ("pdf", "csv", "xlsx")
#: The day-close (Z) report's PDF: ``day-close-<date>.pdf`` (``-en`` in English; ``-2``, ``-3`` for
#: the closes of a reopened day). A record: written once, never overwritten. Every other export is
#: named with the time it was made (``<kind>-<dates>[-en]-export-<yyyymmdd-hhmmss>``), so no export
#: ever replaces another or the Z report.
DAY_CLOSE_PREFIX = "day-close-"


def _publish(write: Callable[[Path], None], folder: Path, stem: str, ext: str) -> Path:
    """Write a new file ``<stem>.<ext>`` (``<stem>-2.<ext>``… when taken) in ``folder``, never
    replacing an existing one: written beside it first, then linked in place, which fails if
    the name was taken meanwhile. A reader never sees half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{stem}.{uuid.uuid4().hex}.part"
    try:
        write(partial)
        for n in range(1, 1000):
            target = folder / (f"{stem}.{ext}" if n == 1 else f"{stem}-{n}.{ext}")
            try:
                os.link(partial, target)
            except FileExistsError:
                continue
            return target
        raise FileExistsError(folder / f"{stem}.{ext}")
    finally:
        partial.unlink(missing_ok=True)


def _export_stamp(now: datetime | None = None) -> str:
    return to_local(now or utcnow()).strftime("%Y%m%d-%H%M%S")


def export_report(db: Database, user_id: int, first: date, last: date, fmt: str, folder: Path,
                  lang: str = "ar", *, now: datetime | None = None) -> Path:
    """Write the report of days ``first``..``last`` (PDF, CSV or XLSX) into ``folder`` as a new
    file named with the time of export; its path. Never the day-close report's name."""
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"unknown report format {fmt!r}")
    with db.read() as s:
        _acting(s, user_id)
        kind = reports.kind_of(first, last)
        data = reports.build(s, first, last, kind)
    name = f"{kind}-{first.isoformat()}" if first == last else f"{kind}-{first.isoformat()}-{last.isoformat()}"
    stem = f"{name}{'' if lang == 'ar' or fmt != 'pdf' else '-en'}-export-{_export_stamp(now)}"
    return _publish(lambda path: reports.write(data, path, fmt, lang), folder, stem, fmt)


def day_close_reports(folder: Path, day: date, lang: str = "ar") -> list[Path]:
    """The day-close (Z) PDFs of ``day`` already saved, oldest close first."""
    stem = f"{DAY_CLOSE_PREFIX}{day.isoformat()}{'-en' if lang == 'en' else ''}"
    pattern = re.compile(re.escape(stem) + r"(?:-(\d+))?\.pdf")
    found = [(int(m.group(1) or 1), p) for p in folder.glob(f"{stem}*.pdf") if (m := pattern.fullmatch(p.name))]
    return [p for _n, p in sorted(found)]


def save_day_close_report(db: Database, user_id: int, day: date, folder: Path, lang: str = "ar", *,
                          closing: bool) -> Path:
    """The day-close (Z) report's A4 PDF: ``closing`` (the day was just closed) writes a new record,
    never over an earlier close's; otherwise (a reprint) the latest record is returned as it is,
    and written only when there is none yet."""
    if not closing:
        existing = day_close_reports(folder, day, lang)
        if existing:
            with db.read() as s:
                _acting(s, user_id)
            return existing[-1]
    with db.read() as s:
        _acting(s, user_id)
        data = reports.build(s, day, day, "day")
    stem = f"{DAY_CLOSE_PREFIX}{day.isoformat()}{'-en' if lang == 'en' else ''}"
    return _publish(lambda path: reports.write(data, path, "pdf", lang), folder, stem, "pdf")


def discard_print_job(db: Database, user_id: int, queue: PrintQueue, job_id: str) -> str:
    """A supervisor gives up a failed print job (it will never print); audited. Returns its kind."""
    with db.begin() as s:
        by = _acting(s, user_id)
        job = queue.get(job_id)
        audit.record(s, user_id=by.id, action="print_job.discard", entity_type="print_job", entity_id=job.id,
                     detail={"kind": job.kind, "printer": job.printer_url, "error": job.error_en,
                             "created_at": job.created_at})
        queue.discard(job_id)  # last: a refused discard rolls the audit entry back
    return job.kind


def add_user(db: Database, user_id: int, username: str, full_name: str, role: Role, password: str,
             department_code: str | None = None) -> UserView:
    with db.begin() as s:
        by = _acting(s, user_id)
        if role == Role.ADMIN and by.role != Role.ADMIN:
            from counter_app.core.errors import PermissionDenied

            raise PermissionDenied()
        return user_view(users.create_user(s, username=username, full_name=full_name, role=role,
                                           password=password, department_code=department_code,
                                           created_by=by.id))


def unlock_user(db: Database, user_id: int, target_id: int) -> None:
    with db.begin() as s:
        users.unlock(s, users.get_user(s, target_id), by=_acting(s, user_id))


def reset_password(db: Database, user_id: int, target_id: int, password: str) -> None:
    with db.begin() as s:
        users.reset_password(s, users.get_user(s, target_id), password, by=_acting(s, user_id))


def set_user_active(db: Database, user_id: int, target_id: int, active: bool) -> None:
    with db.begin() as s:
        by = _acting(s, user_id)
        users.set_active(s, users.get_user(s, target_id), active, by=by)


def add_counter(db: Database, user_id: int, number: int, groups: str) -> CounterView:
    with db.begin() as s:
        return counter_view(centre.create_counter(s, number=number, groups=groups, by=_acting(s, user_id).id))


def set_counter_groups(db: Database, user_id: int, counter_id: int, groups: str) -> CounterView:
    with db.begin() as s:
        return counter_view(centre.set_counter_groups(s, counter_id, groups, by=_acting(s, user_id).id))


def setup_centre(db: Database, code: str, name_ar: str, name_en: str, counters: int, groups: str | None,
                 admin: tuple[str, str, str] | None) -> None:
    """First start: the centre, the shipped catalogue, its counters and the first admin, at once."""
    with db.begin() as s:
        centre.setup_centre(s, code=code, name_ar=name_ar, name_en=name_en)
        catalogue.ensure_catalogue(s)
        letters = groups or "".join(g.letter for g in catalogue.groups(s))
        have = {c.number for c in centre.counters(s, active_only=False)}
        for n in range(1, counters + 1):
            if n not in have:
                centre.create_counter(s, number=n, groups=letters)
        if admin is not None:
            username, full_name, password = admin
            users.create_user(s, username=username, full_name=full_name, role=Role.ADMIN, password=password)


def centre_exists(db: Database) -> bool:
    with db.read() as s:
        return centre.get_centre(s) is not None
