"""The central login leads back to the page that asked for it (the reports, the enrolment codes,
the monitoring, a centre's monitoring page), and never anywhere else; the real server on loopback.
The routing does not depend on the database: SQLite only."""

from __future__ import annotations

import re

import pytest
import requests

from tests.helpers.central import PASSWORD, Central, add_person, log_in

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

ASKED = ["/reports", "/reports/enrolment-codes", "/monitor", "/monitor/centres/GIZ-01"]


@pytest.mark.parametrize("page", ASKED)
def test_the_login_leads_back_to_the_page_that_asked_for_it(central: Central, page: str) -> None:
    add_person(central, "nour")
    form = requests.get(central.url + page, params={"lang": "en"}, timeout=10)
    assert form.status_code == 401
    kept = re.search(r'name="next" value="([^"]*)"', form.text)
    assert kept is not None and kept.group(1) == page
    answer = log_in(central.url, "nour", next=kept.group(1))
    assert answer.status_code == 303 and answer.headers["location"] == page + "?lang=en"


@pytest.mark.expect_log(r"^reports login refused from ")
def test_a_refused_login_keeps_where_it_leads(central: Central) -> None:
    add_person(central, "nour")
    refused = log_in(central.url, "nour", password=PASSWORD + "x", next="/monitor/centres/GIZ-01")
    assert refused.status_code == 401 and 'name="next" value="/monitor/centres/GIZ-01"' in refused.text


@pytest.mark.parametrize("hostile", ["//evil.example/reports", "https://evil.example", "/monitor/../x",
                                     "/reports?next=//evil", "/monitor/centres/<b>", "/monitorx", " /monitor",
                                     "/monitor/centres/" + "A" * 41, ""])
def test_the_login_never_leads_elsewhere(central: Central, hostile: str) -> None:
    add_person(central, "nour")
    answer = log_in(central.url, "nour", next=hostile)
    assert answer.status_code == 303 and answer.headers["location"] == "/reports?lang=en"
