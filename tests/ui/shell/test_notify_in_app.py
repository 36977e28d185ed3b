"""The counter app sends the citizens' messages itself when its file names a gateway: an e-mail
reaches a real SMTP server as soon as the file is ready, an SMS with no gateway waits, and a
gateway that is down is retried without losing the message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from pytestqt.qtbot import QtBot
from sqlalchemy import select, update

from counter_app.core.clock import utcnow
from counter_app.core.models import Notification, NotificationState
from counter_app.services.config import AppConfig, load_config
from counter_app.ui.shell.app import Shell
from tests.helpers.applications import submitted
from tests.helpers.central import free_port
from tests.helpers.factories import Centre as Site
from tests.helpers.notifying import Mailbox, approve_and_ready, running_smtp
from tests.ui.conftest import WAIT_MS


def states(site: Site, app_id: int) -> dict[str, NotificationState]:
    with site.db.read() as s:
        return {n.channel: n.state for n in s.scalars(select(Notification).where(Notification.application_id == app_id))}


def test_counter_file_notifications_section_is_read_and_written(config: AppConfig) -> None:
    options = {"smtp_host": "127.0.0.1", "smtp_port": "2525", "smtp_from": "centre@example.org"}
    replace(config, notifications=options).save()
    assert config.path is not None
    assert load_config(config.path).notifications == options


def test_ready_file_is_mailed_by_the_app(qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig,
                                         site: Site, smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    shell = make_shell(replace(config, notifications={"smtp_host": "127.0.0.1", "smtp_port": str(port),
                                                      "smtp_from": "centre@example.org"}))
    assert shell.notify_runner is not None and shell.notify_runner.configured
    app_id = submitted(site)
    approve_and_ready(site.db, app_id)  # the commit kicks the sender: no waiting for the next round
    qtbot.waitUntil(lambda: len(box.messages) == 1, timeout=WAIT_MS)
    message = box.messages[0]
    assert message["To"] == "citizen@example.org" and "جاهز للاستلام" in message.get_content()
    qtbot.waitUntil(lambda: states(site, app_id).get("email") == NotificationState.SENT, timeout=WAIT_MS)
    assert states(site, app_id)["sms"] == NotificationState.PENDING  # no SMS gateway in this file


def test_a_mail_server_that_is_down_is_retried(qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig,
                                               site: Site) -> None:
    port = free_port()  # nothing listens yet
    shell = make_shell(replace(config, notifications={"smtp_host": "127.0.0.1", "smtp_port": str(port)}))
    assert shell.notify_runner is not None
    app_id = submitted(site, phone=None)
    approve_and_ready(site.db, app_id)

    def attempted() -> bool:
        with site.db.read() as s:
            note = s.scalars(select(Notification).where(Notification.application_id == app_id)).one()
            return note.attempts >= 1 and note.state == NotificationState.PENDING and bool(note.last_error)

    qtbot.waitUntil(attempted, timeout=WAIT_MS)
    with running_smtp(port) as (box, _port):
        with site.db.begin() as s:  # the backoff's time has come (minutes in real life)
            s.execute(update(Notification).where(Notification.application_id == app_id)
                      .values(next_attempt_at=utcnow()))
        shell.notify_runner.kick()
        qtbot.waitUntil(lambda: len(box.messages) == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: states(site, app_id) == {"email": NotificationState.SENT}, timeout=WAIT_MS)
