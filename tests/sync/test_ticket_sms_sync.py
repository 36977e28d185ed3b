"""Issue 18, item 3: the mobile number typed at the kiosk never reaches the central server. A real
agent syncs a day of tickets with numbers (issued, called, recalled, transferred, expired at the
day's close) to the real central server: every ticket event arrives, none carries the number."""

from __future__ import annotations

from sqlalchemy import select

from counter_app.core import counter_queries, queue
from counter_app.core.models import Notification
from sync.agent.agent import Agent
from sync.server.models import StoredEvent
from tests.helpers.central import Central
from tests.helpers.factories import Centre
from tests.helpers.syncing import assert_exactly_once


def test_the_number_stays_in_the_centre(enrolled: Centre, central: Central, agent: Agent) -> None:
    site = enrolled
    c, k = site.counter_ids[0], site.clerk_ids[0]
    with site.db.begin() as s:
        mine = queue.issue_ticket(s, "A", sms_phone="01012345678").ticket.id
        for _ in range(4):
            queue.issue_ticket(s, "A")
        queue.issue_ticket(s, "A", sms_phone="+20 112 345 6789")
    with site.db.begin() as s:
        queue.call_next(s, c, k)
        queue.recall(s, mine, c, k)
        queue.transfer(s, mine, c, k, to_group="B")
        queue.call_next(s, c, k)  # mine again (it kept its place): no second SMS
        queue.call_next(s, c, k)  # 3 ahead of the other number
    with site.db.read() as s:
        queued = s.scalars(select(Notification.event).where(Notification.ticket_id.is_not(None))).all()
    assert sorted(queued) == ["ahead", "called"]  # the SMS exist at the centre
    with site.db.begin() as s:
        counter_queries.close_day(s, by=site.supervisor_id)
    agent.sync_once()
    assert assert_exactly_once(site.db, central) > 0
    with central.db.sessions() as s:
        events = s.execute(select(StoredEvent.kind, StoredEvent.payload)
                           .where(StoredEvent.kind.like("ticket.%"))).all()
    kinds = {kind for kind, _ in events}
    assert {"ticket.issued", "ticket.called", "ticket.recalled", "ticket.transferred", "ticket.expired"} <= kinds
    for _kind, payload in events:
        flat = payload.replace(" ", "")
        assert "1012345678" not in flat and "1123456789" not in flat and "sms" not in flat.lower()
