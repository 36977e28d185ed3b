"""Issue 20 items 3 and 4 with the real agent and the real central server on loopback: the agent
pulls the centre's bookings (signed, by version: only the changes since its last pull, another
centre's never), check-in works with the network down, the check-in event sets the booking
``checked_in`` at the server, and a booking made after the last pull is fetched by its code."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from counter_app.core import booking
from counter_app.core.centre import centre_code
from counter_app.core.clock import local_day, utcnow
from counter_app.core.errors import DomainError
from counter_app.core.models import Booking as LocalBooking
from counter_app.services import kiosk
from sync.agent.agent import Agent, SyncError
from sync.server.appointments import bookings
from sync.server.models import Booking, EnrolledCentre
from tests.helpers.central import Central
from tests.helpers.factories import Centre
from tests.helpers.faultproxy import FaultProxy

NID = "29001012345675"


def add_booking(central: Central, centre: str, *, minutes: int = 10, nid: str = NID, days: int = 0) -> str:
    """A booking at the server (as the portal makes it; made here directly since today's slots
    are past the booking's cutoff), taking the centre's next version as every change does."""
    code = "".join(secrets.choice(bookings.CODE_ALPHABET) for _ in range(bookings.CODE_LENGTH))
    now = utcnow()
    start = (now + timedelta(days=days, minutes=minutes)).replace(second=0, microsecond=0)
    with central.db.sessions.begin() as s:
        s.add(Booking(code=code, secret_digest="0" * 64, centre_code=centre, group_letter="A",
                      service_code="MP-REG-CERT", slot_start=start, day=local_day(start), national_id=nid,
                      mobile="+201012345678", lang="ar", state=bookings.BOOKED,
                      active_key=f"{nid}|MP-REG-CERT|{local_day(start)}", created_at=now, updated_at=now,
                      version=bookings.next_version(s, centre)))
    return code


def server_state(central: Central, code: str) -> str:
    with central.db.sessions() as s:
        return s.scalars(select(Booking.state).where(Booking.code == code)).one()


def local_codes(site: Centre) -> set[str]:
    with site.db.read() as s:
        return set(s.scalars(select(LocalBooking.code)))


def test_pull_then_offline_check_in_synced_to_the_server(enrolled: Centre, central: Central, agent: Agent) -> None:
    with FaultProxy(central.port) as proxy:  # the centre's network: closed half-way
        checked_in_offline(enrolled, central, agent, proxy)


def checked_in_offline(enrolled: Centre, central: Central, agent: Agent, proxy: FaultProxy) -> None:
    through = Agent(enrolled.db, proxy.url, timeout=(1.0, 1.5))
    with enrolled.db.read() as s:
        centre = centre_code(s)
    with central.db.sessions.begin() as s:
        s.add(EnrolledCentre(code="OTHER-01", name="other", sync_public_key="-", enrolled_at=utcnow(),
                             clock_flagged=False))
    today = add_booking(central, centre, minutes=10)
    later = add_booking(central, centre, days=2, nid="29001012345683")
    add_booking(central, "OTHER-01", nid="29001012345691")  # another centre's: never sent to this one
    assert through.pull_bookings() == 2
    assert local_codes(enrolled) == {today, later}
    assert through.pull_bookings() == 0  # nothing changed since its version
    # a move at the server comes again with its new slot
    with central.db.sessions.begin() as s:
        row = s.scalars(select(Booking).where(Booking.code == later)).one()
        row.slot_start += timedelta(hours=1)
        row.version = bookings.next_version(s, centre)
    assert through.pull_bookings() == 1

    # the network goes down: check-in works on the local copy, the event waits in the outbox
    proxy.close()
    with pytest.raises(SyncError):
        through.pull_bookings()
    with enrolled.db.begin() as s:
        done = booking.check_in(s, NID)  # by national ID: today's booking
    assert done.booking_code == today and done.reason is None
    assert done.issued.ticket.appointment_at is not None
    with enrolled.db.begin() as s, pytest.raises(DomainError) as again:
        booking.check_in(s, today)
    assert again.value.code == "booking_checked_in"
    agent.sync_once()  # the network is back
    assert server_state(central, today) == "checked_in"
    assert server_state(central, later) == "booked"
    # the server's check-in is a change the next pull brings; the local copy stays checked in
    assert agent.pull_bookings() == 1
    with enrolled.db.read() as s:
        assert s.get_one(LocalBooking, today).state == "checked_in"


def test_a_booking_made_after_the_pull_is_fetched_by_its_code(enrolled: Centre, central: Central,
                                                                agent: Agent) -> None:
    with enrolled.db.read() as s:
        centre = centre_code(s)
    agent.pull_bookings()
    fresh = add_booking(central, centre, minutes=5)
    with enrolled.db.begin() as s, pytest.raises(DomainError) as unknown:
        booking.check_in(s, fresh)
    assert unknown.value.code == "booking_unknown"
    assert agent.fetch_booking("ZZZZ2345") is False  # no such booking of this centre: 404
    # the kiosk's check-in asks the server (the agent's look-up) and checks the booking in
    done = kiosk.check_in(enrolled.db, f"https://portal.example/appointments/{fresh}?s=x", agent.fetch_booking)
    assert done.reason is None and done.issued.appointment_at is not None
    with pytest.raises(DomainError) as unknown:
        kiosk.check_in(enrolled.db, "ZZZZ2345", agent.fetch_booking)
    assert unknown.value.code == "booking_unknown"
    with pytest.raises(DomainError) as offline:
        kiosk.check_in(enrolled.db, "YYYY2345", lambda _text: None)  # the server unreachable
    assert offline.value.code == "booking_offline"


@pytest.mark.allow_log(r"^refused an unauthenticated GET /v1/appointments/centre/", logger="sync.server.app",
                       level="WARNING")
def test_the_pull_is_for_signed_centres_only(central: Central) -> None:
    answer = requests.get(central.url + "/v1/appointments/centre/bookings/since/0", timeout=10)
    assert answer.status_code == 401
