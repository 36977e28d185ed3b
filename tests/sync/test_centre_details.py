"""Issue 18 (PRINT): the central server knows each centre's public details for the portal.

The real core, the real agent and the real central server (SQLite and PostgreSQL): the enrolment
request carries the address, the opening hours, the portal and the active services
(``shubbak centre enrol --portal``); later changes travel in ``centre.updated`` events, emitted
only when something changed (a setting, a catalogue that drops a service)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from counter_app import cli
from counter_app.common.catalogue_data import load_catalogue
from counter_app.core import catalogue, centre_public
from counter_app.core.demo import DEMO_ADDRESS_AR, DEMO_ADDRESS_EN, DEMO_HOURS
from counter_app.core.errors import ValidationFailed
from counter_app.core.models import OutboxEvent
from sync import protocol
from sync.agent.agent import Agent
from sync.server.models import EnrolledCentre
from tests.helpers.central import ADMIN_TOKEN, Central
from tests.helpers.factories import Centre


def stored(central: Central, code: str) -> EnrolledCentre:
    with central.db.sessions() as s:
        row = s.get(EnrolledCentre, code)
        assert row is not None
        s.expunge(row)
        return row


def centre_events(site: Centre) -> list[dict[str, object]]:
    with site.db.read() as s:
        return [json.loads(p) for p in s.scalars(select(OutboxEvent.payload).where(
            OutboxEvent.kind == "centre.updated").order_by(OutboxEvent.id))]


def active_codes(site: Centre) -> list[str]:
    with site.db.read() as s:
        return sorted(svc.code for svc in catalogue.services(s))


def test_the_enrolment_carries_the_public_details(site: Centre, central: Central,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["centre", "enrol", "--db", site.db.url, "--server", central.url, "--admin-token", ADMIN_TOKEN,
                     "--portal", "https://portal.example/", "--governorate", "21"]) == 0
    row = stored(central, "GIZ-01")
    assert (row.address_ar, row.address_en, row.opening_hours) == (DEMO_ADDRESS_AR, DEMO_ADDRESS_EN, DEMO_HOURS)
    assert row.portal_url == "https://portal.example"
    assert row.services is not None and json.loads(row.services) == active_codes(site)
    with site.db.read() as s:
        assert centre_public.portal_url(s) == "https://portal.example", "kept for the counter PCs' printed codes"
    last = centre_events(site)[-1]
    assert last["portal_url"] == "https://portal.example" and last["services"] == active_codes(site)
    capsys.readouterr()


def test_a_change_reaches_the_central_server_in_a_centre_updated_event(enrolled: Centre, central: Central,
                                                                       agent: Agent) -> None:
    before = len(centre_events(enrolled))
    with enrolled.db.begin() as s:
        assert centre_public.set_details(s, address_en="3 Murad St., Giza (2nd floor)", opening_hours="sun-thu 8:00-14:00",
                                         portal_url="https://portal.example/eg", by=enrolled.supervisor_id)
    with enrolled.db.begin() as s:  # the same again: nothing to tell
        assert not centre_public.set_details(s, address_en="3 Murad St., Giza (2nd floor)", portal_url="https://portal.example/eg/")
    assert len(centre_events(enrolled)) == before + 1
    report = agent.sync_once()
    assert report.rejected == 0 and report.sent >= 1
    row = stored(central, "GIZ-01")
    assert (row.address_ar, row.address_en) == (DEMO_ADDRESS_AR, "3 Murad St., Giza (2nd floor)")
    assert (row.opening_hours, row.portal_url) == ("sun-thu 08:00-14:00", "https://portal.example/eg")

    # a catalogue that no longer offers a service: the centre says so by itself
    shipped = load_catalogue()
    dropped = shipped.services[0].code
    with enrolled.db.begin() as s:
        catalogue.apply_catalogue(s, dataclasses.replace(shipped, version=shipped.version + 1,
                                                         services=shipped.services[1:]))
    # clearing the portal: the server forgets it
    assert cli.main(["centre", "details", "--db", enrolled.db.url, "--portal", ""]) == 0
    agent.sync_once()
    row = stored(central, "GIZ-01")
    assert row.services is not None and dropped not in json.loads(row.services)
    assert json.loads(row.services) == active_codes(enrolled)
    assert row.portal_url is None and row.address_ar == DEMO_ADDRESS_AR


def test_wrong_details_are_refused_at_the_centre_and_at_the_server(enrolled: Centre, central: Central) -> None:
    refused: list[Callable[[Session], object]] = [
        lambda s: centre_public.set_details(s, portal_url="https://portal.example/?c=1"),
        lambda s: centre_public.set_details(s, opening_hours="always"),
        lambda s: centre_public.set_details(s, address_ar="x" * 301),
    ]
    for change in refused:
        with enrolled.db.begin() as s, pytest.raises(ValidationFailed):
            change(s)
    assert cli.main(["centre", "enrol", "--db", enrolled.db.url, "--server", central.url, "--admin-token",
                     ADMIN_TOKEN, "--portal", "ftp://portal.example"]) == 2
    key = protocol.public_pem(protocol.load_public(stored(central, "GIZ-01").sync_public_key))
    for bad_body in ({"portal_url": "javascript:alert(1)"}, {"services": "all"}, {"address_en": 5},
                     {"opening_hours": "x" * 201}):
        r = requests.post(central.url + "/v1/centres/enrol", timeout=10, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                          json={"code": "GIZ-01", "name": "Giza", "sync_public_key": key, **bad_body})
        assert r.status_code == 422, (bad_body, r.text)
    assert stored(central, "GIZ-01").address_ar == DEMO_ADDRESS_AR, "a refused enrolment changed nothing"
