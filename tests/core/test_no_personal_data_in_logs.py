"""What the core puts in a log names no citizen: a failed statement's error carries no values,
a notification that failed for good is logged without its recipient."""

from __future__ import annotations

import logging
import traceback
from datetime import timedelta

import pytest
from sqlalchemy import text

from counter_app.core.clock import utcnow
from counter_app.core.db import Database
from counter_app.core.models import Notification, NotificationState
from counter_app.core.notifications import mark_failed_attempt
from tests.helpers.logfail import Expectations

NATIONAL_ID = "29901011234567"
NAME = "محمد أحمد علي حسن"
EMAIL = "mona.ali@example.org"
PHONE = "+201012345678"


def test_a_failed_statement_does_not_show_its_values(db: Database) -> None:
    with pytest.raises(Exception) as failure, db.begin() as s:
        s.execute(text("INSERT INTO no_such_table (national_id, name) VALUES (:nid, :name)"),
                  {"nid": NATIONAL_ID, "name": NAME})
    shown = "".join(traceback.format_exception(failure.value))  # the error and every cause, as logged
    assert "no_such_table" in shown  # the statement itself is there for a technician
    assert NATIONAL_ID not in shown and NAME not in shown


@pytest.mark.parametrize(("channel", "recipient", "error"), [
    ("email", EMAIL, f"recipient refused: {{'{EMAIL}': (550, b'5.1.1 no such user')}}"),
    ("sms", PHONE, f'SMS gateway refused: 400 {{"error": "bad number {PHONE}"}}'),
], ids=["email", "sms"])
def test_a_notification_that_failed_for_good_is_logged_without_its_recipient(
        channel: str, recipient: str, error: str, caplog: pytest.LogCaptureFixture, expect_log: Expectations) -> None:
    now = utcnow()
    note = Notification(id=7, application_id=1, event="ready:1", channel=channel, recipient=recipient, subject="",
                        body="", state=NotificationState.PENDING, attempts=0, created_at=now - timedelta(hours=1),
                        next_attempt_at=now)
    with expect_log(rf"^notification 7 \({channel}\) failed for good: ", logger="counter_app.core.notifications"):
        mark_failed_attempt(note, error, now, permanent=True)
    assert note.state == NotificationState.FAILED and note.last_error == error  # the supervisor still sees why
    [record] = [r for r in caplog.records if r.name == "counter_app.core.notifications"]
    assert record.levelno == logging.WARNING
    assert recipient not in record.getMessage() and ("[e-mail]" in record.getMessage() or "[phone]" in record.getMessage())
