"""A ready-to-use demo centre: the shipped catalogue, counters and one user per role."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from counter_app.core import catalogue, centre, centre_public, users
from counter_app.core.db import Database
from counter_app.core.models import Role, User

DEMO_PASSWORD = "shubbak-demo"
#: The demo centre's public details (the portal's centre page): a public office, nothing personal.
DEMO_ADDRESS_AR = "3 شارع مراد، الجيزة، بجوار حديقة الحيوان"
DEMO_ADDRESS_EN = "3 Murad Street, Giza, next to the Zoo"
DEMO_HOURS = "sun-thu 08:00-15:00; sat 09:00-13:00"


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
        if not centre_public.details(s)["address_ar"]:  # the public details the portal shows
            centre_public.set_details(s, address_ar=DEMO_ADDRESS_AR, address_en=DEMO_ADDRESS_EN,
                                      opening_hours=DEMO_HOURS)
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


#: The reviewer the demo suggests (``./dev.sh demo``) and the department of their files.
SUGGESTED_REVIEWER = "rev-manpower-1"


@dataclass
class LeftWork:
    """What the demo leaves for the newcomer once the simulated morning is over."""

    waiting: list[str] = field(default_factory=list)  # ticket numbers waiting now, A-031
    review: dict[str, int] = field(default_factory=dict)  # reviewer's user name -> open files


def leave_work(db: Database, *, waiting: int = 5, files: int = 3, reviewer: str = SUGGESTED_REVIEWER,
               counter_number: int = 1, clerk: str = "clerk1", seed: int = 7) -> LeftWork:
    """Citizens waiting now, one per group in turn (one of them a priority ticket), and files in
    review for ``reviewer``: received at counter ``counter_number`` from a called ticket, as a
    clerk would. Tops up to the numbers asked, so running the demo again adds nothing needless."""
    import random

    from counter_app.core import applications as apps
    from counter_app.core import queue
    from counter_app.core.clock import local_day, utcnow
    from counter_app.core.models import Counter, PaymentMethod, Ticket
    from counter_app.core.simulate import FIRST_NAMES, LAST_NAMES, fake_national_id, four_part_name

    rng = random.Random(seed)
    left = LeftWork()
    with db.read() as s:
        rev = s.scalar(select(User).where(User.username == reviewer))
        clerk_user = s.scalar(select(User).where(User.username == clerk))
        counter = s.scalar(select(Counter).where(Counter.number == counter_number))
        department = rev.department_code if rev is not None else None
        services = [svc.code for svc in catalogue.services(s) if svc.department_code == department]
        groups = [(g.letter, [svc.code for svc in catalogue.services(s) if svc.group_letter == g.letter])
                  for g in catalogue.groups(s)]
    if rev is not None and clerk_user is not None and counter is not None and services:
        for attempt in range(files * 4):  # the system assigns reviewers in turn: a few more files may go to others
            with db.read() as s:
                mine = len(apps.reviewer_queue(s, s.get_one(User, rev.id)))
            if mine >= files:
                break
            service = services[attempt % len(services)]
            with db.begin() as s:
                queue.issue_ticket(s, "", service_code=service)
            with db.begin() as s:
                called = queue.call_next(s, counter.id, clerk_user.id)
                if called is None:
                    break
                user = s.get_one(User, clerk_user.id)
                app = apps.start_application(
                    s, service_code=called.service_code or service, clerk=user, counter_id=counter.id,
                    ticket_id=called.id, applicant=apps.Applicant(
                        four_part_name(rng.choice(FIRST_NAMES), rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)),
                        fake_national_id(rng), f"010{rng.randrange(10**7, 10**8)}"))
                apps.set_documents(s, app.id, [d.code for d in app.documents], clerk=user)
                apps.record_payment(s, app.id, PaymentMethod.CARD, clerk=user,
                                    reference=f"REF{rng.randrange(10**8, 10**9)}")
                apps.submit(s, app.id, clerk=user)
                queue.finish(s, called.id, counter.id, clerk_user.id)
        with db.read() as s:
            left.review[reviewer] = len(apps.reviewer_queue(s, s.get_one(User, rev.id)))
    today = local_day(utcnow())
    with db.read() as s:
        already = s.scalar(select(func.count()).select_from(Ticket)
                           .where(queue.waiting_clause(today))) or 0
    served = [(letter, codes) for letter, codes in groups if codes]
    for i in range(max(0, waiting - already)):
        letter, codes = served[i % len(served)]
        with db.begin() as s:
            queue.issue_ticket(s, letter, service_code=codes[i % len(codes)], priority=i == 2,
                               priority_reason="elderly" if i == 2 else None)
    with db.read() as s:
        left.waiting = [f"{t.letter}-{t.number:03d}" for t in s.scalars(
            select(Ticket).where(queue.waiting_clause(today))
            .order_by(Ticket.queued_at, Ticket.id))]
    return left
