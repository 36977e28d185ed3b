"""Issue 15, item 18a: the waiting-hall display lists a recalled ticket once among the recent calls,
and its waiting line wraps between groups, never inside a department's name; item 3: its counts
are the core's (today's tickets only), the same the kiosk shows."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtGui import QTextLayout, QTextOption
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from counter_app.common.i18n import strip_isolates
from counter_app.core import queue
from counter_app.core.db import Database
from queue_display import texts
from queue_display.state import load_state
from queue_display.window import DisplayWindow
from tests.helpers.factories import Centre

NBSP = "\u00a0"
WAIT_MS = 20_000


def _plain(text: str) -> str:
    return strip_isolates(text).replace(NBSP, " ")


def _issue(db: Database, letter: str, n: int = 1) -> None:
    with db.begin() as s:
        for _ in range(n):
            queue.issue_ticket(s, letter)


def _shown(qtbot: QtBot, lang: str, width: int = 1920, height: int = 1080) -> DisplayWindow:
    window = DisplayWindow(lang)
    qtbot.addWidget(window)
    window.resize(width, height)
    window.show()
    qtbot.waitExposed(window)
    # scaled to the shown size (the ticker's height is set from the window's height)
    qtbot.waitUntil(lambda: window.height() == height and window.ticker.height() == int(7 * height / 100),
                    timeout=WAIT_MS)
    return window


def _laid_out(qtbot: QtBot, window: DisplayWindow) -> None:
    """Wait until the new texts are laid out (a grab before that shows clipped, stale geometry)."""
    def done() -> bool:
        labels = [window.centre, window.clock, window.now_ticket, window.now_counter, window.waiting,
                  *(label for row in window.recent_rows for label in row)]
        for label in labels:
            if label.wordWrap():
                if label.height() < label.heightForWidth(label.width()):
                    return False
            elif label.text() and label.width() < label.sizeHint().width():
                return False
        return True

    qtbot.waitUntil(done, timeout=WAIT_MS)


def _lines(label: QLabel) -> list[str]:
    """The lines the label shows its text on, laid out as Qt lays it out at the label's width."""
    layout = QTextLayout(label.text(), label.font())
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WordWrap)
    option.setTextDirection(label.layoutDirection())
    layout.setTextOption(option)
    layout.beginLayout()
    lines = []
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(label.contentsRect().width())
        lines.append(label.text()[line.textStart():line.textStart() + line.textLength()])
    layout.endLayout()
    return lines


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_recalled_ticket_is_listed_once_at_its_latest_call(qtbot: QtBot, db: Database, site: Centre, lang: str,
                                                             screenshot: Callable[[QWidget, str], Path]) -> None:
    _issue(db, "A", 4)
    c1, c2 = site.counter_ids[:2]
    k1, k2 = site.clerk_ids[:2]
    with db.begin() as s:
        first = queue.call_next(s, c1, k1)
        second = queue.call_next(s, c2, k2)
        assert first is not None and second is not None
        queue.recall(s, second.id, c2, k2)  # the ticket called now, recalled
        queue.recall(s, first.id, c1, k1)  # an earlier ticket, recalled: it is now the one called
        third = queue.call_next(s, c2, k2)  # counter 2 moves on
        assert third is not None
    with db.read() as s:
        state = load_state(s)
    window = _shown(qtbot, lang)
    window.set_state(state)
    _laid_out(qtbot, window)
    now = _plain(window.now_ticket.text())
    recent = [_plain(ticket.text()) for ticket, _counter in window.recent_rows if ticket.text()]
    assert now == third.display_number
    # recall events are all still there for the announcer; the list shows each ticket once
    assert [c.recall for c in state.calls[:2]] == [False, True]
    assert recent == [first.display_number, second.display_number]
    assert len(recent) == len(set(recent)) and now not in recent
    if lang == "ar":
        path = screenshot(window, "display_ar_after_recall")
        assert path.stat().st_size > 20_000
        if os.environ.get("SHUBBAK_SCREENSHOTS"):
            assert window.grab().height() == 1080


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768), (1280, 1024)])
@pytest.mark.parametrize("each", [1, 11])
def test_the_waiting_line_never_wraps_inside_a_group(qtbot: QtBot, db: Database, site: Centre, lang: str,
                                                     size: tuple[int, int], each: int) -> None:
    with db.read() as s:
        letters = [g.letter for g in load_state(s).waiting]
    for letter in letters:
        _issue(db, letter, each)
    with db.read() as s:
        state = load_state(s)
    window = _shown(qtbot, lang, *size)
    window.set_state(state)
    _laid_out(qtbot, window)
    tr = texts.translator(lang)
    items = [_plain(tr.n("display.waiting_count", g.waiting, group=g.name_ar if lang == "ar" else g.name_en))
             for g in state.waiting]
    lines = [_plain(line) for line in _lines(window.waiting)]
    assert len(lines) > 1, "the test needs a line long enough to wrap"
    for item in items:
        assert any(item in line for line in lines), f"{item!r} is cut across lines: {lines!r}"


def test_display_and_kiosk_count_the_same_waiting_tickets(db: Database, site: Centre) -> None:
    from counter_app.services import kiosk

    _issue(db, "A", 3)
    _issue(db, "B", 1)
    with db.begin() as s:
        queue.call_next(s, site.counter_ids[0], site.clerk_ids[0])
    with db.read() as s:
        shown = {g.letter: g.waiting for g in load_state(s).waiting if g.waiting}
    assert shown == kiosk.waiting_counts(db) == {"A": 2, "B": 1}
