"""What the app's shell asks before a window opens: the centre database, the catalogue the
windows show, the login, the counters to choose from, and the first start's set-up (worker
threads, no Qt)."""

from __future__ import annotations

from counter_app.core import catalogue, centre, centre_public, users
from counter_app.core.db import Database as Database
from counter_app.core.db import default_database_url
from counter_app.core.errors import NotFound
from counter_app.core.models import Role
from counter_app.services.views import (
    Catalogue,
    CounterView,
    GroupView,
    UserView,
    centre_view,
    counter_view,
    service_view,
    user_view,
)


def open_database(url: str | None = None) -> Database:
    """The centre database at ``url`` (default: ``SHUBBAK_DB`` or the local SQLite file), migrated."""
    return Database(url or default_database_url())


def load_catalogue(db: Database) -> Catalogue:
    with db.read() as s:
        found = centre.get_centre(s)
        if found is None:
            raise NotFound(what="centre")
        return Catalogue(
            centre_view(found, centre_public.portal_url(s)),
            tuple(GroupView(g.letter, g.name_ar, g.name_en) for g in catalogue.groups(s)),
            tuple(service_view(svc) for svc in catalogue.services(s)),
            tuple(counter_view(c) for c in centre.counters(s)),
            catalogue.active_version(s),
        )


def catalogue_if_set_up(db: Database) -> Catalogue | None:
    """The catalogue, or None before the first start's wizard has set the centre up."""
    try:
        return load_catalogue(db)
    except NotFound:
        return None


def login(db: Database, username: str, password: str) -> UserView:
    """Offline login against the local hash; a failure is committed (count and audit) then raised."""
    error: Exception | None = None
    with db.begin() as s:
        try:
            user = user_view(users.authenticate(s, username, password))
        except Exception as exc:  # committed below; raised after the block
            error = exc
    if error is not None:
        raise error
    return user


def list_counters(db: Database) -> list[CounterView]:
    with db.read() as s:
        return [counter_view(c) for c in centre.counters(s)]


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
