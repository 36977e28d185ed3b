"""Issue 20, item 7: the counter window shows the booked time of the appointment's ticket it serves
(Cairo time, the app's time format, isolated inside the Arabic sentence); a walk-in's ticket shows
none. Driven with the keyboard at 1366x768 in both languages: F2 pressed twice calls once, F4
pressed while a call is under way does nothing, the window closed while a call is under way leaves
the queue whole (the ticket called once, nothing lost)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from counter_app.common.formatting import format_time
from counter_app.common.i18n import Lang
from counter_app.core import queue
from counter_app.core.clock import CENTRE_TZ, utcnow
from counter_app.core.models import Ticket, TicketStatus
from counter_app.services.config import AppConfig
from counter_app.ui.shell.app import Shell
from tests.helpers.bidi import assert_reads_in_order, plain
from tests.helpers.factories import Centre
from tests.ui.conftest import WAIT_MS
from tests.ui.counter.test_intake_binding import LANGS, idle, open_counter, press, tr


def issue(site: Centre, appointment_at: datetime | None = None) -> tuple[int, str]:
    with site.db.begin() as s:
        t = queue.issue_ticket(s, "A", appointment_at=appointment_at).ticket
        return t.id, t.display_number


def statuses(site: Centre) -> dict[int, tuple[TicketStatus, int | None]]:
    with site.db.read() as s:
        return {t.id: (t.status, t.counter_id) for t in s.scalars(select(Ticket))}


def one_line(qtbot: QtBot, label: QLabel) -> None:
    """The label shows its text whole on one line (the card has no room for a second)."""
    qtbot.waitUntil(lambda: label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width(),
                    timeout=WAIT_MS)


@LANGS
def test_the_booked_time_of_the_appointment_served_by_keyboard(
        qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, site: Centre, lang: str,
        screenshot: Callable[[QWidget, str], Path]) -> None:
    booked = (utcnow() - timedelta(minutes=1)).replace(second=0, microsecond=0)
    walk_in, walk_in_number = issue(site)
    appointment, appointment_number = issue(site, booked)
    window = open_counter(qtbot, make_shell, config, lang)
    counter_id = window.ctx.counter.id if window.ctx.counter else 0

    # F2 twice in a row: one call, the due appointment before the walk-in who came first
    press(qtbot, window, Qt.Key.Key_F2)
    press(qtbot, window, Qt.Key.Key_F2)
    idle(qtbot, window)
    qtbot.waitUntil(lambda: plain(window.queue.ticket_label.text()) == appointment_number, timeout=WAIT_MS)
    assert statuses(site) == {appointment: (TicketStatus.CALLED, counter_id), walk_in: (TicketStatus.WAITING, None)}
    shown_time = format_time(booked, cast(Lang, lang))  # isolated, in the centre's zone
    assert plain(shown_time) == booked.astimezone(CENTRE_TZ).strftime("%H:%M")
    detail = window.queue.detail_label.text()
    assert detail == tr("queue.detail_appointment", lang, time=shown_time, group="A", recalls=0)
    assert shown_time in detail  # the value isolated inside the sentence
    assert_reads_in_order(detail, plain(shown_time))
    one_line(qtbot, window.queue.detail_label)
    # a priority citizen's appointment (its line leaves the recalls out to stay on one line)
    label = window.queue.detail_label
    priority = tr("queue.detail_priority_appointment", lang, time=shown_time, group="A")
    assert label.fontMetrics().horizontalAdvance(priority) <= label.contentsRect().width()
    if lang == "ar":
        path = screenshot(window, "counter_ar_appointment_1366")
        assert path.stat().st_size > 20_000

    # F2 then F4 at once: F4 finds the call under way (its button disabled) and does nothing
    press(qtbot, window, Qt.Key.Key_F2)
    press(qtbot, window, Qt.Key.Key_F4)
    idle(qtbot, window)
    qtbot.waitUntil(lambda: plain(window.queue.ticket_label.text()) == walk_in_number, timeout=WAIT_MS)
    assert statuses(site) == {appointment: (TicketStatus.DONE, counter_id), walk_in: (TicketStatus.CALLED, counter_id)}
    assert window.queue.detail_label.text() == tr("queue.detail", lang, group="A", recalls=0)

    # the window closed while a call is under way: the call completes once, nothing is lost
    later, _number = issue(site, booked + timedelta(minutes=5))
    press(qtbot, window, Qt.Key.Key_F2)
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.ctx.ops.busy, timeout=WAIT_MS)
    assert statuses(site) == {appointment: (TicketStatus.DONE, counter_id), walk_in: (TicketStatus.DONE, counter_id),
                              later: (TicketStatus.CALLED, counter_id)}
