"""Issue 15, item 6, driven with the keyboard in Arabic and English: after a full day the Day tab
says the day is open (not «غير مفتوح»); closing asks first with the numbers waiting and in service
(Esc cancels, a double Enter closes once); after closing the kiosk and the counter refuse new work
with a clear message; a supervisor reopens the day only with a reason (audited)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from counter_app.core import queue
from counter_app.core.models import AuditEntry, DayState
from counter_app.services.config import AppConfig
from counter_app.ui.counter.counter_window import CounterWindow
from counter_app.ui.kiosk.kiosk import KioskWindow
from counter_app.ui.shell.app import Shell
from counter_app.ui.supervisor.supervisor import SupervisorWindow
from tests.helpers.bidi import plain
from tests.helpers.factories import Centre
from tests.ui.conftest import WAIT_MS, log_in, wait_idle

WORDS = {
    "ar": {"open": "مفتوح", "closed": "مغلق", "not_open": "غير مفتوح", "waiting": "شخصان ينتظران",
           "in_service": "شخص واحد أمام شباك", "refused": "مغلق", "reason": "السبب"},
    "en": {"open": "(open)", "closed": "(closed)", "not_open": "not open", "waiting": "2 people waiting",
           "in_service": "1 person being served", "refused": "is closed", "reason": "reason"},
}


def _a_full_day(site: Centre) -> None:
    """Four citizens came: one served, one at the counter now, two still waiting."""
    with site.db.begin() as s:
        for _ in range(4):
            queue.issue_ticket(s, "A")
    with site.db.begin() as s:
        queue.call_next(s, site.counter_ids[0], site.clerk_ids[0])
        queue.call_next(s, site.counter_ids[0], site.clerk_ids[0])


def _closes(site: Centre) -> int:
    with site.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "day.close")) or 0)


def _press(qtbot: QtBot, widget: object, key: Qt.Key = Qt.Key.Key_Space) -> None:
    widget.setFocus()  # type: ignore[attr-defined]
    qtbot.keyClick(widget, key)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_day_tab_closes_with_a_question_and_reopens_with_a_reason(
        qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, site: Centre, lang: str) -> None:
    words = WORDS[lang]
    _a_full_day(site)
    shell = make_shell(replace(config, lang=lang))
    window = log_in(qtbot, shell, "supervisor")
    assert isinstance(window, SupervisorWindow)
    qtbot.waitUntil(lambda: window.data is not None, timeout=WAIT_MS)
    window.tabs.setFocus()
    qtbot.keyClick(window.tabs, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)  # the Day tab
    assert window.tabs.currentIndex() == 1
    summary = plain(window.day_label.text())
    assert words["open"] in summary and words["not_open"] not in summary
    assert window.close_day_button.isEnabled() and not window.open_day_button.isEnabled()
    assert not window.reopen_button.isEnabled()

    # closing asks first, with the numbers; Esc leaves the day open
    _press(qtbot, window.close_day_button)
    qtbot.waitUntil(window.close_confirm_box.isVisible, timeout=WAIT_MS)
    question = plain(window.close_confirm.text())
    assert words["waiting"] in question and words["in_service"] in question
    qtbot.keyClick(window.confirm_close_button, Qt.Key.Key_Escape)
    assert not window.close_confirm_box.isVisible()
    wait_idle(qtbot, shell)
    assert _closes(site) == 0

    # asked again, Enter pressed twice: closed once
    _press(qtbot, window.close_day_button)
    qtbot.waitUntil(window.close_confirm_box.isVisible, timeout=WAIT_MS)
    qtbot.keyClick(window.confirm_close_button, Qt.Key.Key_Return)
    qtbot.keyClick(window.confirm_close_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.data is not None and window.data.day.state == DayState.CLOSED, timeout=WAIT_MS)
    wait_idle(qtbot, shell)
    assert _closes(site) == 1
    assert words["closed"] in plain(window.day_label.text())
    assert not window.close_day_button.isEnabled() and window.reopen_button.isEnabled()

    # reopening without a reason is refused and changes nothing; with one it reopens
    _press(qtbot, window.reopen_reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: words["reason"] in plain(window.message.text()).lower(), timeout=WAIT_MS)
    assert window.data is not None and window.data.day.state == DayState.CLOSED
    window.reopen_reason.setFocus()
    qtbot.keyClicks(window.reopen_reason, "late batch of files")
    qtbot.keyClick(window.reopen_reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.data is not None and window.data.day.state == DayState.OPEN, timeout=WAIT_MS)
    with site.db.read() as s:
        reopened = s.scalars(select(AuditEntry).where(AuditEntry.action == "day.reopen")).one()
    assert "late batch of files" in (reopened.detail or "")
    assert words["open"] in plain(window.day_label.text())


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_after_closing_the_kiosk_and_the_counter_refuse_new_work(
        qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, site: Centre, lang: str) -> None:
    from counter_app.core import counter_queries

    words = WORDS[lang]
    _a_full_day(site)
    with site.db.begin() as s:
        counter_queries.close_day(s, by=site.supervisor_id)

    kiosk_shell = make_shell(replace(config, lang=lang), kiosk=True)
    kiosk = kiosk_shell.window
    assert isinstance(kiosk, KioskWindow)
    _press(qtbot, kiosk.buttons["A"])
    qtbot.waitUntil(lambda: words["refused"] in plain(kiosk.result.text()), timeout=WAIT_MS)

    shell = make_shell(replace(config, lang=lang))
    window = log_in(qtbot, shell, "clerk1")
    assert isinstance(window, CounterWindow)
    wait_idle(qtbot, shell)
    qtbot.keyClick(window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: words["refused"] in plain(window.queue.message.text()), timeout=WAIT_MS)
    with site.db.read() as s:
        assert queue.waiting_counts(s) == {}
