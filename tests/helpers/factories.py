"""Shared builders for tests and benchmarks: a ready centre with users and counters."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from counter_app.core import users
from counter_app.core.db import Database
from counter_app.core.demo import ensure_demo_centre
from counter_app.core.models import User

PASSWORD = "correct horse 1"
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@dataclass
class Centre:
    db: Database
    clerk_ids: list[int]
    reviewer_ids: dict[str, list[int]]
    supervisor_id: int
    admin_id: int
    counter_ids: list[int]

    def user(self, session: Session, user_id: int) -> User:
        return session.get_one(User, user_id)


def build_centre(db: Database, *, counters: int = 3, clerks: int = 3, reviewers_per_department: int = 2) -> Centre:
    """The demo centre (shipped catalogue, one user per role, counters serving every group)."""
    users.set_hasher(CHEAP_HASHER)
    demo = ensure_demo_centre(db, counters=counters, clerks=clerks,
                              reviewers_per_department=reviewers_per_department, password=PASSWORD)
    return Centre(db, demo.clerk_ids, demo.reviewer_ids, demo.supervisor_id, demo.admin_id, demo.counter_ids)
