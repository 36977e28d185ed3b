"""A ready-to-use demo centre: the shipped catalogue, counters and one user per role."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from counter_app.core import catalogue, centre, users
from counter_app.core.db import Database
from counter_app.core.models import Role, User

DEMO_PASSWORD = "shubbak-demo"


@dataclass
class DemoCentre:
    clerk_ids: list[int] = field(default_factory=list)
    reviewer_ids: dict[str, list[int]] = field(default_factory=dict)
    supervisor_id: int = 0
    admin_id: int = 0
    counter_ids: list[int] = field(default_factory=list)


def ensure_demo_centre(db: Database, *, counters: int = 3, clerks: int | None = None,
                       reviewers_per_department: int = 2, password: str = DEMO_PASSWORD,
                       code: str = "GIZ-01") -> DemoCentre:
    """Create (or reuse) the demo centre; idempotent, so a demo can be started again and again."""
    clerks = counters if clerks is None else clerks
    result = DemoCentre()
    with db.begin() as s:
        if centre.get_centre(s) is None:
            centre.setup_centre(s, code=code, name_ar="المركز التكنولوجي لخدمة المواطنين بالجيزة",
                                name_en="Giza Citizen Service Centre")
        catalogue.ensure_catalogue(s)
        existing = {u.username: u for u in s.scalars(select(User))}

        def user(username: str, full_name: str, role: Role, department: str | None = None) -> int:
            found = existing.get(username)
            if found is None:
                found = users.create_user(s, username=username, full_name=full_name, role=role,
                                          password=password, department_code=department)
            return found.id

        result.admin_id = user("admin", "مدير النظام", Role.ADMIN)
        result.supervisor_id = user("supervisor", "مشرف المركز", Role.SUPERVISOR)
        result.clerk_ids = [user(f"clerk{i + 1}", f"موظف الشباك {i + 1}", Role.CLERK) for i in range(clerks)]
        departments = sorted({svc.department_code for svc in catalogue.services(s)})
        for dep in departments:
            result.reviewer_ids[dep] = [
                user(f"rev-{dep.lower()}-{j + 1}", f"مراجع {j + 1}", Role.REVIEWER, dep)
                for j in range(reviewers_per_department)
            ]
        letters = "".join(g.letter for g in catalogue.groups(s))
        have = {c.number: c for c in centre.counters(s, active_only=False)}
        for n in range(1, counters + 1):
            counter = have.get(n) or centre.create_counter(s, number=n, groups=letters)
            result.counter_ids.append(counter.id)
    return result
