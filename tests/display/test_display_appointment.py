"""Issue 20, item 7: the waiting-hall display marks an appointment's ticket with a clock and the
word «موعد» / "Appointment" (a shape and a word, not a colour alone), where it is called now and
among the recent calls; a walk-in's ticket has no mark."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from counter_app.core import queue
from counter_app.core.clock import utcnow
from counter_app.core.db import Database
from queue_display import texts
from queue_display.state import load_state
from tests.display.test_display_recall_and_wrap import _laid_out, _plain, _shown
from tests.helpers.factories import Centre

WORD = {"ar": "موعد", "en": "Appointment"}


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_an_appointment_s_ticket_is_marked_now_and_among_the_recent_calls(
        qtbot: QtBot, db: Database, site: Centre, lang: str, screenshot: Callable[[QWidget, str], Path]) -> None:
    now = utcnow()
    with db.begin() as s:
        walk_in = queue.issue_ticket(s, "A").ticket
        booked = queue.issue_ticket(s, "A", appointment_at=now - timedelta(minutes=2)).ticket
        later = queue.issue_ticket(s, "A", appointment_at=now + timedelta(minutes=1)).ticket
    called = []
    for c, k in zip(site.counter_ids[:3], site.clerk_ids[:3], strict=True):  # three counters in turn
        with db.begin() as s:
            ticket = queue.call_next(s, c, k)
            assert ticket is not None
            called.append(ticket.id)
    # due appointments first (earliest booked), then the walk-in
    assert called == [booked.id, later.id, walk_in.id]
    with db.read() as s:
        state = load_state(s)
    assert [call.appointment for call in state.calls] == [False, True, True]
    window = _shown(qtbot, lang, 1366, 768)
    window.set_state(state)
    _laid_out(qtbot, window)
    # the walk-in called now: no mark
    assert _plain(window.now_ticket.text()) == walk_in.display_number
    assert window.now_mark.isHidden()
    recent = [_plain(ticket.text()) for ticket, _counter in window.recent_rows if ticket.text()]
    mark = f"{texts.CLOCK} {WORD[lang]}"
    assert recent == [f"{later.display_number}   {mark}", f"{booked.display_number}   {mark}"]

    # the appointment called again now: marked under its number
    with db.begin() as s:
        queue.recall(s, later.id, site.counter_ids[1], site.clerk_ids[1])
    with db.read() as s:
        window.set_state(load_state(s))
    _laid_out(qtbot, window)
    assert _plain(window.now_ticket.text()) == later.display_number
    assert window.now_mark.isVisible() and _plain(window.now_mark.text()) == mark
    assert window.now_mark.fontMetrics().inFontUcs4(ord(texts.CLOCK))
    if lang == "ar":
        path = screenshot(window, "display_ar_appointment")
        assert path.stat().st_size > 20_000
