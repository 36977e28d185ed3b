"""./dev.sh demo (issue 15, item 26): after the simulated morning the newcomer finds citizens
waiting, files in review for the suggested reviewer, and is told what to open."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from counter_app import cli
from counter_app.core import applications as apps
from counter_app.core import users
from counter_app.core.clock import local_day, utcnow
from counter_app.core.db import Database
from counter_app.core.demo import SUGGESTED_REVIEWER
from counter_app.core.models import Ticket, TicketStatus, User
from tests.helpers.factories import CHEAP_HASHER


def test_demo_leaves_work_and_says_what_to_open(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    users.set_hasher(CHEAP_HASHER)
    monkeypatch.delenv("SHUBBAK_DB", raising=False)
    data = tmp_path / "demo-data"
    assert cli.main(["demo", "--data-dir", str(data), "--citizens", "12", "--counters", "2"]) == 0
    out = capsys.readouterr().out
    for words in ("clerk1", SUGGESTED_REVIEWER, "log in as supervisor", "counter-app --kiosk", "queue-display",
                  "shubbak-demo", str(data / "counter.ini")):
        assert words in out, words
    db = Database(f"sqlite:///{data / 'centre.sqlite3'}")
    try:
        with db.read() as s:
            waiting = s.scalars(select(Ticket).where(Ticket.day == local_day(utcnow()),
                                                     Ticket.status == TicketStatus.WAITING)).all()
            reviewer = s.scalars(select(User).where(User.username == SUGGESTED_REVIEWER)).one()
            files = apps.reviewer_queue(s, reviewer)
    finally:
        db.dispose()
    assert len(waiting) >= 3 and len({t.letter for t in waiting}) >= 2
    assert len(files) >= 3
    assert f"{len(waiting)} citizens waiting" in out and f"{len(files)} files in review" in out
    assert (data / "counter.ini").read_text(encoding="utf-8").startswith("[app]")
    # Again: nothing piles up.
    assert cli.main(["demo", "--data-dir", str(data), "--citizens", "0", "--counters", "2"]) == 0
    assert f"{len(waiting)} citizens waiting" in capsys.readouterr().out
