"""Sessions of the /reports page live on the server (sync/server/sessions.py): logout revokes a
cookie wherever it was copied to, and the login and logout forms refuse posts from other sites.
(Disabling a person or a new password ends their sessions too: test_central_accounts.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import update

from sync.server.models import ReportSession
from sync.server.sessions import COOKIE
from tests.helpers.central import PASSWORD, Central, add_person, running_central


@pytest.fixture
def central(central: Central) -> Central:
    add_person(central, "nour.admin")
    return central


def log_in(url: str, **headers: str) -> requests.Response:
    return requests.post(url + "/reports/login", data={"username": "nour.admin", "password": PASSWORD, "lang": "en"},
                         headers=headers, timeout=10, allow_redirects=False)


def cookie_of(login: requests.Response) -> str:
    value = login.cookies.get(COOKIE)
    assert isinstance(value, str) and value, login.text
    return value


def page(url: str, cookie: str) -> int:
    return requests.get(url + "/reports", cookies={COOKIE: cookie}, timeout=10).status_code


def test_logout_revokes_a_copied_cookie_in_every_worker(central: Central, central_url: str) -> None:
    login = log_in(central.url)
    assert login.status_code == 303
    copied = cookie_of(login)
    assert PASSWORD not in copied and page(central.url, copied) == 200
    with running_central(central_url) as second:  # another worker on the same database
        assert page(second.url, copied) == 200
        out = requests.post(second.url + "/reports/logout", cookies={COOKIE: copied}, timeout=10,
                            allow_redirects=False)
        assert out.status_code == 303
        assert page(second.url, copied) == 401
    assert page(central.url, copied) == 401  # the copy kept before logout opens nothing any more
    assert central.count(ReportSession) == 0


def test_a_session_ends_with_its_time(central: Central) -> None:
    first, second = cookie_of(log_in(central.url)), cookie_of(log_in(central.url))
    assert first != second and page(central.url, first) == page(central.url, second) == 200
    with central.db.sessions.begin() as s:
        s.execute(update(ReportSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert page(central.url, first) == 401 and page(central.url, second) == 401
    third = cookie_of(log_in(central.url))
    assert page(central.url, third) == 200


CROSS_SITE = [{"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"},
              {"Sec-Fetch-Site": "same-site", "Origin": "https://reports.evil.example"},
              {"Referer": "https://evil.example/page.html"}]


@pytest.mark.parametrize("headers", CROSS_SITE, ids=lambda h: ",".join(f"{k}={v}" for k, v in h.items()))
def test_cross_site_form_posts_are_refused(central: Central, headers: dict[str, str]) -> None:
    forged = log_in(central.url, **headers)
    assert forged.status_code == 403 and forged.json()["error"] == "cross_site"
    assert COOKIE not in forged.cookies and central.count(ReportSession) == 0
    cookie = cookie_of(log_in(central.url))
    out = requests.post(central.url + "/reports/logout", cookies={COOKIE: cookie}, headers=headers, timeout=10,
                        allow_redirects=False)
    assert out.status_code == 403 and out.json()["error"] == "cross_site"
    assert page(central.url, cookie) == 200  # not logged out by another site


def test_the_servers_own_pages_may_post(central: Central) -> None:
    own = central.url.removeprefix("http://")
    for headers in ({"Origin": central.url}, {"Sec-Fetch-Site": "same-origin", "Origin": central.url},
                    {"Referer": central.url + "/reports?lang=en"}, {"Host": own, "Origin": f"http://{own}"}):
        login = log_in(central.url, **headers)
        assert login.status_code == 303, (headers, login.text)
        out = requests.post(central.url + "/reports/logout", cookies={COOKIE: cookie_of(login)},
                            headers=headers, timeout=10, allow_redirects=False)
        assert out.status_code == 303
