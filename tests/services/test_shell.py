"""The shell's services, without Qt: the first start, the catalogue the windows show, the login."""

from __future__ import annotations

import pytest

from counter_app.services import shell
from counter_app.services.errors import ShubbakError
from counter_app.services.views import Role
from tests.helpers.factories import PASSWORD, Centre
from tests.services.conftest import error_text, said


def test_a_new_database_has_no_catalogue_until_the_first_start_sets_it_up(db_url: str) -> None:
    db = shell.open_database(db_url)
    try:
        assert shell.catalogue_if_set_up(db) is None
        shell.setup_centre(db, "giz-01", "مركز الجيزة", "Giza centre", 2, None, ("boss", "مدير المركز", "long password 1"))
        cat = shell.catalogue_if_set_up(db)
        assert cat is not None
        assert (cat.centre.code, cat.centre.name_ar) == ("GIZ-01", "مركز الجيزة")
        assert [c.number for c in cat.counters] == [1, 2]
        assert all(c.groups == "".join(g.letter for g in cat.groups) for c in cat.counters)
        assert cat.services and all(s.documents and s.fees for s in cat.services)
        assert shell.login(db, "boss", "long password 1").role == Role.ADMIN
    finally:
        db.dispose()


def test_login_gives_the_user_and_a_wrong_password_is_said_so(site: Centre) -> None:
    user = shell.login(site.db, "supervisor", PASSWORD)
    assert (user.id, user.role, user.supervises) == (site.supervisor_id, Role.SUPERVISOR, True)
    clerk = shell.login(site.db, "clerk1", PASSWORD)
    assert not clerk.supervises and clerk.clerk_number
    with pytest.raises(ShubbakError) as wrong:
        shell.login(site.db, "clerk1", "not the password")
    assert said(wrong.value) == error_text("bad_credentials")
    assert said(wrong.value, "en") == error_text("bad_credentials", "en")


def test_the_catalogue_lists_groups_services_and_counters(site: Centre) -> None:
    cat = shell.load_catalogue(site.db)
    assert [g.letter for g in cat.groups] == ["A", "B", "C", "D"]
    assert {s.group for s in cat.services} == {"A", "B", "C", "D"}
    assert all(s.total_piastres == sum(f.amount_piastres for f in s.fees) for s in cat.services)
    assert [c.number for c in shell.list_counters(site.db)] == [c.number for c in cat.counters] == [1, 2, 3]
