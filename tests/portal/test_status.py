"""The portal's status look-up: a real centre (core, real agent) sends its applications to the real
central server; the page shows state, service, centre and date, and for a returned file the
documents to bring; nothing personal; unknown and malformed codes say so; rate-limited per client;
in Chromium on a phone and a desktop, Arabic and English, with axe-core."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from counter_app.common.tracking import new_tracking_code
from counter_app.core import applications as apps
from counter_app.core.models import Application, User
from sync import protocol
from sync.agent.agent import Agent
from sync.server import ratelimit
from sync.server.models import StoredEvent
from tests.helpers.applications import NAME, NID, submitted
from tests.helpers.browser import ON_SQLITE, SIZES, assert_public_page, browser_page
from tests.helpers.central import Central, enrol_site
from tests.helpers.factories import Centre

SHOTS = Path("/tmp/portal-shots")
STATUS_LIMIT = ratelimit.policy("")["status"].amount


def returned_and_submitted(site: Centre, portal: Central) -> tuple[str, str, list[str]]:
    """A submitted file and a file returned for two documents, synced by a real agent: their
    tracking codes and the returned documents' Arabic names."""
    enrol_site(portal, site.db)
    done, back = submitted(site), submitted(site)
    with site.db.begin() as s:
        app = s.get_one(Application, back)
        reviewer = s.get_one(User, app.reviewer_id)
        apps.start_review(s, back, reviewer=reviewer)
        wanted = [app.documents[1], app.documents[2]]
        apps.return_for_documents(s, back, reviewer=reviewer, missing=[d.code for d in wanted], note="غير واضحة")
        codes = s.get_one(Application, done).tracking_code, app.tracking_code
        names = [d.name_ar for d in wanted]
    with closing(Agent(site.db)) as agent:
        agent.sync_once()
    return codes[0], codes[1], names


def look_up(portal: Central, code: str, lang: str = "ar") -> requests.Response:
    return requests.get(f"{portal.url}/status", params={"code": code, "lang": lang}, timeout=10)


def test_submitted_returned_unknown_and_malformed(site: Centre, portal: Central) -> None:
    done, back, wanted = returned_and_submitted(site, portal)
    page = look_up(portal, done.replace("-", " "))  # typed with spaces: the canonical code is found
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "state-submitted" in page.text and "مُقدَّم" in page.text
    assert "شهادة القيد" in page.text and done in page.text  # the service by name, the code
    assert "أحضر ما يلي" not in page.text
    returned = look_up(portal, back)
    assert returned.status_code == 200 and "state-returned" in returned.text and "أحضر ما يلي" in returned.text
    for name in wanted:
        assert f"<li>{name}</li>" in returned.text
    # the clerk ticks one of them while the file is still returned: a later event, the same documents to bring
    with site.db.begin() as s:
        app = s.get_one(Application, s.scalar(select(Application.id).where(Application.tracking_code == back)))
        apps.set_documents(s, app.id, [d.code for d in app.documents if d.name_ar != wanted[1]],
                           clerk=s.get_one(User, site.clerk_ids[0]))
    with closing(Agent(site.db)) as agent:
        agent.sync_once()
    with portal.db.sessions() as s:
        assert s.scalar(select(StoredEvent.kind).order_by(StoredEvent.seq.desc()).limit(1)) == "application.documents"
    again = look_up(portal, back)
    assert "state-returned" in again.text and all(f"<li>{name}</li>" in again.text for name in wanted)
    english = look_up(portal, back, "en")
    assert "Bring the following" in english.text and "Registration certificate" in english.text
    for answer in (page, returned, english):  # nothing personal on the page
        assert NAME not in answer.text and NID not in answer.text and "1012345678" not in answer.text
        assert "citizen@example.org" not in answer.text and "غير واضحة" not in answer.text  # nor the reviewer's note
    unknown = look_up(portal, new_tracking_code())
    assert unknown.status_code == 404 and "لا نجد طلبًا" in unknown.text
    for bad in ("1234", "abcd-efgh-ijkl", done[:-1] + str((int(done[-1]) + 1) % 10)):  # short, letters, a wrong digit
        malformed = look_up(portal, bad)
        assert malformed.status_code == 422 and "ليس رقم متابعة صحيحًا" in malformed.text
    form = requests.get(f"{portal.url}/status", timeout=10)
    assert form.status_code == 200 and 'name="code"' in form.text
    home = requests.get(f"{portal.url}/", timeout=10).text  # the home page has the look-up form too
    assert 'action="/status"' in home and "تابِع طلبك برقم المتابعة" in home
    assert "/status" not in requests.get(f"{portal.url}/openapi.json", timeout=10).json()["paths"]


def test_the_page_is_rate_limited_per_client_with_the_json_look_up(portal: Central) -> None:
    code = new_tracking_code()
    answers = [look_up(portal, code) for _ in range(STATUS_LIMIT - 1)]
    answers.append(requests.get(f"{portal.url}/v1/status/{code}", timeout=10))  # the JSON look-up counts too
    assert {a.status_code for a in answers} == {404}
    refused = look_up(portal, code)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert protocol.HEADER_TIME in refused.headers
    assert "text/html" in refused.headers["content-type"] and "طلبات كثيرة" in refused.text  # a page, in Arabic
    api = requests.get(f"{portal.url}/v1/status/{code}", timeout=10)
    assert api.status_code == 429 and api.json()["error"] == "rate_limited"  # the API's refusal stays JSON
    other = requests.get(f"{portal.url}/status", params={"code": code}, timeout=10,
                         headers={"X-Forwarded-For": "203.0.113.9"})  # another citizen is not held up
    assert other.status_code == 404


@ON_SQLITE
@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_status_in_chromium(site: Centre, portal: Central, size: str, lang: str) -> None:
    _, back, wanted = returned_and_submitted(site, portal)
    SHOTS.mkdir(exist_ok=True)
    with browser_page(SIZES[size], lang) as (page, requests_made):
        page.goto(f"{portal.url}/status?lang={lang}")
        page.fill("#code", "12")
        page.press("#code", "Enter")
        page.wait_for_url("**/status?code=12")
        assert page.get_by_role("alert").count() == 1
        assert_public_page(page, requests_made, portal.url, lang=lang)
        page.fill("#code", back)
        page.press("#code", "Enter")
        page.wait_for_url("**/status?code=*")
        body = page.inner_text("main")
        assert back in body and ("1234-5678-9012" in body)
        if lang == "ar":
            assert all(name in body for name in wanted)
        page.screenshot(path=str(SHOTS / f"status-{lang}-{size}.png"), full_page=True)
        assert_public_page(page, requests_made, portal.url, lang=lang)
