"""Issue 15, items 1, 2, 13, 15, 16, 17 (and the fee box of 18c): the counter window driven with the
keyboard, at 1366x768, in Arabic and in English.

* an intake belongs to the called ticket: the ticket's group's services come first and the
  service is preselected when the group has one; F2, F4, F5, F6 and F7 with something typed ask
  first (no keeps everything and does nothing; yes clears the form with the ticket);
* no application without a ticket; a double click or Ctrl+Enter twice stores one application,
  prints one receipt and never a false "not submitted" slip;
* F5 is disabled with the recalls left until the configured recalls are done;
* messages go with the state they describe; closing or logging out with a half-typed form asks;
* a transfer to the ticket's own group is refused with a clear message.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from counter_app.common.i18n import Lang, gettext, ngettext
from counter_app.core import queue
from counter_app.core.models import Application, Payment, Ticket, TicketStatus
from counter_app.services.config import AppConfig
from counter_app.ui.counter.counter_window import CounterWindow
from counter_app.ui.login.login import LoginWindow
from counter_app.ui.shell.app import Shell
from tests.helpers.bidi import plain
from tests.helpers.factories import Centre
from tests.ui.conftest import WAIT_MS, log_in

NAME = "محمد أحمد علي حسن"
NID = "29001010112334"
LANGS = pytest.mark.parametrize("lang", ["ar", "en"])


def tr(msgid: str, lang: str, **fields: Any) -> str:
    return gettext(msgid, cast(Lang, lang), **fields)


def ntr(msgid: str, n: int, lang: str) -> str:
    return ngettext(msgid, n, cast(Lang, lang), n=n)


def issue(site: Centre, group: str, service: str | None = None) -> str:
    with site.db.begin() as s:
        t = queue.issue_ticket(s, group, service_code=service).ticket
        return f"{t.letter}-{t.number:03d}"


def counts(site: Centre) -> tuple[int, int]:
    with site.db.read() as s:
        return (int(s.scalar(select(func.count()).select_from(Application)) or 0),
                int(s.scalar(select(func.count()).select_from(Payment)) or 0))


def receipts_and_slips(printer_dir: Path) -> int:
    return len(list(printer_dir.glob("*.bin")))


def open_counter(qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, lang: str) -> CounterWindow:
    config.lang = lang
    shell = make_shell(config)
    window = log_in(qtbot, shell, "clerk1")
    assert isinstance(window, CounterWindow)
    window.resize(1366, 768)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    return window


def idle(qtbot: QtBot, window: CounterWindow) -> None:
    qtbot.waitUntil(lambda: not window.queue.busy and not window.intake.busy and not window.ctx.ops.busy,
                    timeout=WAIT_MS)


def press(qtbot: QtBot, window: CounterWindow, key: Qt.Key,
          modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(window, key, modifier)


def call(qtbot: QtBot, window: CounterWindow, number: str) -> None:
    press(qtbot, window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: plain(window.queue.ticket_label.text()) == number and not window.queue.busy,
                    timeout=WAIT_MS)


def type_text(widget: QWidget, text: str) -> None:
    """Key presses carrying ``text`` (QTest's keyClicks takes Latin-1 only, not Arabic letters)."""
    widget.setFocus()
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))


def type_applicant(qtbot: QtBot, window: CounterWindow, nid: str = NID) -> None:
    intake = window.intake
    type_text(intake.name, NAME)
    qtbot.keyClicks(intake.national_id, nid)
    qtbot.keyClicks(intake.phone, "01001234567")


def answer(qtbot: QtBot, window: CounterWindow, discard: bool, question_id: str = "intake.discard_continue") -> None:
    """The discard question is open, in the window's language: answer it with the keyboard."""
    qtbot.waitUntil(lambda: window.intake.question is not None and window.intake.question.isVisible(),
                    timeout=WAIT_MS)
    box = window.intake.question
    assert box is not None
    lang = window.ctx.lang.lang
    assert plain(box.text()) == plain(tr(question_id, lang))
    if discard:
        yes = box.findChild(QPushButton, "discardYes")
        assert yes is not None and plain(yes.text()) == plain(tr("intake.discard_yes", lang))
        yes.setFocus()
        qtbot.keyClick(yes, Qt.Key.Key_Space)
    else:  # "no" is the default and the escape answer
        qtbot.keyClick(box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.intake.question is None, timeout=WAIT_MS)
    if window.isVisible():  # the window manager gives the focus back to the window
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)


def ticket_status(site: Centre, number: str) -> TicketStatus:
    letter, n = number.split("-")
    with site.db.read() as s:
        t = s.scalar(select(Ticket).where(Ticket.letter == letter, Ticket.number == int(n)))
        assert t is not None
        return t.status


@LANGS
def test_f2_mid_intake_asks_and_the_next_ticket_gets_its_own_service(
        qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, site: Centre, lang: str,
        screenshot: Callable[[QWidget, str], Path]) -> None:
    c1 = issue(site, "C")  # licences: one service in the group
    a1 = issue(site, "A")  # manpower: four services, none named by the ticket
    window = open_counter(qtbot, make_shell, config, lang)
    intake = window.intake
    call(qtbot, window, c1)
    assert intake.current_service() is not None and intake.current_service().code == "LU-SHOP-LICENCE"  # type: ignore[union-attr]
    type_applicant(qtbot, window)
    screenshot(window, f"intake-bound-{lang}")

    press(qtbot, window, Qt.Key.Key_F2)  # asks first
    answer(qtbot, window, discard=False)  # no: nothing happens
    idle(qtbot, window)
    assert plain(window.queue.ticket_label.text()) == c1 and ticket_status(site, c1) == TicketStatus.CALLED
    assert ticket_status(site, a1) == TicketStatus.WAITING
    assert plain(intake.name.text()) == NAME and plain(intake.national_id.text()) == NID

    press(qtbot, window, Qt.Key.Key_F2)
    answer(qtbot, window, discard=True)
    qtbot.waitUntil(lambda: plain(window.queue.ticket_label.text()) == a1, timeout=WAIT_MS)
    idle(qtbot, window)
    assert ticket_status(site, c1) == TicketStatus.DONE
    # the previous citizen's data is gone, and so is the C service
    assert (intake.name.text(), intake.national_id.text(), intake.phone.text()) == ("", "", "")
    assert intake.current_service() is None and intake.documents.count() == 0
    assert plain(intake.service.placeholderText()) == plain(tr("intake.service_placeholder", lang))
    assert str(intake.service.itemData(0)).startswith("MP-")  # the A group's services first
    groups = [s.group for s in intake.ordered_services()]
    assert groups[:4] == ["A"] * 4 and "A" not in groups[4:]
    # nothing can be submitted before the service is chosen
    type_applicant(qtbot, window)
    press(qtbot, window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert plain(intake.result.text()) == plain(tr("intake.choose_service", lang))
    assert counts(site) == (0, 0)


@LANGS
@pytest.mark.parametrize("key", ["F4", "F5", "F6", "F7"])
def test_every_ticket_action_asks_before_discarding_the_intake(
        qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, site: Centre, lang: str, key: str) -> None:
    a1 = issue(site, "A", "MP-REG-CERT")
    window = open_counter(qtbot, make_shell, config, lang)
    call(qtbot, window, a1)
    if key == "F5":
        for _ in range(3):
            press(qtbot, window, Qt.Key.Key_F3)  # a recall keeps the same citizen: it never asks
            idle(qtbot, window)
        assert window.intake.question is None
    type_applicant(qtbot, window)
    if key == "F6":
        window.queue.reason.setText("left the hall")
    if key == "F7":
        window.queue.to_group.setCurrentIndex(window.queue.to_group.findData("B"))
    qt_key = getattr(Qt.Key, f"Key_{key}")
    press(qtbot, window, qt_key)
    answer(qtbot, window, discard=False)
    idle(qtbot, window)
    assert ticket_status(site, a1) == TicketStatus.CALLED and plain(window.intake.name.text()) == NAME
    press(qtbot, window, qt_key)
    answer(qtbot, window, discard=True)
    qtbot.waitUntil(lambda: window.queue.state.current is None, timeout=WAIT_MS)
    idle(qtbot, window)
    assert ticket_status(site, a1) != TicketStatus.CALLED
    assert window.intake.name.text() == "" and window.intake.ticket is None
    # the form holds no ticket now: Ctrl+Enter and F8 store and print nothing, and say why
    type_applicant(qtbot, window)
    window.intake.set_checked(None)
    printed_before = receipts_and_slips(Path(config.receipt_printer.removeprefix("virtual://")))
    for submit_key in (Qt.Key.Key_Return, Qt.Key.Key_F8):
        press(qtbot, window, submit_key,
              Qt.KeyboardModifier.ControlModifier if submit_key == Qt.Key.Key_Return else Qt.KeyboardModifier.NoModifier)
        assert plain(window.intake.result.text()) == plain(tr("intake.no_ticket", lang))
    idle(qtbot, window)
    assert counts(site) == (0, 0)
    assert receipts_and_slips(Path(config.receipt_printer.removeprefix("virtual://"))) == printed_before


@LANGS
def test_double_click_and_ctrl_enter_twice_give_one_application_and_no_false_slip(
        qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, site: Centre, lang: str,
        printer_dir: Path) -> None:
    a1 = issue(site, "A", "MP-REG-CERT")
    window = open_counter(qtbot, make_shell, config, lang)
    intake = window.intake
    call(qtbot, window, a1)
    type_applicant(qtbot, window)
    intake.set_checked(None)
    busy_states: list[bool] = []
    set_busy = intake._set_busy

    def recording(busy: bool) -> None:
        busy_states.append(busy)
        set_busy(busy)

    intake._set_busy = recording  # type: ignore[method-assign]
    # a double click as the system delivers it: press, release, double-click press, release
    qtbot.mouseClick(intake.submit_button, Qt.MouseButton.LeftButton)
    qtbot.mouseDClick(intake.submit_button, Qt.MouseButton.LeftButton)
    qtbot.mouseRelease(intake.submit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: intake.submitted_tracking is not None, timeout=WAIT_MS)
    idle(qtbot, window)
    tracking = intake.submitted_tracking
    assert tracking is not None and tracking in plain(intake.result.text())
    assert busy_states == [True, False]  # disabled while the submit ran, once
    qtbot.waitUntil(lambda: receipts_and_slips(printer_dir) == 1, timeout=WAIT_MS)
    # the clerk, unsure, presses Ctrl+Enter twice and F8: nothing is stored or printed, and the line says why
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F8):
        press(qtbot, window, key, Qt.KeyboardModifier.NoModifier if key == Qt.Key.Key_F8
              else Qt.KeyboardModifier.ControlModifier)
        assert tracking in plain(intake.result.text())
        expected = tr("intake.already_submitted", lang, tracking=tracking)
        assert plain(intake.result.text()) == plain(expected)
    idle(qtbot, window)
    assert counts(site) == (1, 1)
    assert receipts_and_slips(printer_dir) == 1  # the receipt, and no slip


@LANGS
def test_ctrl_enter_twice_fast_on_a_filled_form(qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig,
                                                site: Centre, lang: str, printer_dir: Path) -> None:
    a1 = issue(site, "A", "MP-REG-CERT")
    window = open_counter(qtbot, make_shell, config, lang)
    call(qtbot, window, a1)
    type_applicant(qtbot, window)
    window.intake.set_checked(None)
    press(qtbot, window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    press(qtbot, window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # before the first is done
    qtbot.waitUntil(lambda: window.intake.submitted_tracking is not None, timeout=WAIT_MS)
    idle(qtbot, window)
    qtbot.waitUntil(lambda: receipts_and_slips(printer_dir) == 1, timeout=WAIT_MS)
    assert counts(site) == (1, 1)
    with site.db.read() as s:
        app = s.scalars(select(Application)).one()
        assert app.ticket_id is not None and app.intake_key is not None
    # another service for the same citizen: Clear the form starts a new intake of the same ticket
    press(qtbot, window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.intake.intake_key is not None and window.intake.result.text() == ""


@LANGS
def test_no_show_waits_for_the_recalls_and_says_how_many(
        qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, site: Centre, lang: str) -> None:
    a1 = issue(site, "A", "MP-REG-CERT")
    window = open_counter(qtbot, make_shell, config, lang)
    call(qtbot, window, a1)
    no_show = window.queue.buttons["no_show"]
    for left in (3, 2, 1):
        assert not no_show.isEnabled()
        assert plain(no_show.toolTip()) == plain(ntr("error.recalls_pending", left, lang))
        press(qtbot, window, Qt.Key.Key_F5)  # refused at once, with the recalls left
        assert plain(window.queue.message.text()) == plain(no_show.toolTip())
        press(qtbot, window, Qt.Key.Key_F3)
        idle(qtbot, window)
        assert window.queue.message.text() == ""  # the message went with the recall it asked for
    assert no_show.isEnabled() and no_show.toolTip() == ""
    press(qtbot, window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.queue.state.current is None, timeout=WAIT_MS)
    idle(qtbot, window)
    assert ticket_status(site, a1) == TicketStatus.NO_SHOW


@LANGS
def test_transfer_to_its_own_group_or_nowhere_is_refused(
        qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, site: Centre, lang: str) -> None:
    a1 = issue(site, "A", "MP-REG-CERT")
    window = open_counter(qtbot, make_shell, config, lang)
    call(qtbot, window, a1)
    type_applicant(qtbot, window)
    panel = window.queue
    assert panel.to_group.currentIndex() == -1  # no group chosen for the clerk
    press(qtbot, window, Qt.Key.Key_F7)
    assert plain(panel.message.text()) == plain(tr("error.transfer_target", lang))
    panel.to_group.setCurrentIndex(panel.to_group.findData("A"))
    press(qtbot, window, Qt.Key.Key_F7)
    assert window.intake.question is None  # refused before asking anything
    idle(qtbot, window)
    expected = tr("error.transfer_same_group", lang, letter="A")
    assert plain(panel.message.text()) == plain(expected)
    assert ticket_status(site, a1) == TicketStatus.CALLED and plain(window.intake.name.text()) == NAME


@LANGS
def test_messages_go_with_the_state_they_describe(
        qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, site: Centre, lang: str) -> None:
    window = open_counter(qtbot, make_shell, config, lang)
    press(qtbot, window, Qt.Key.Key_F2)  # nobody waiting
    qtbot.waitUntil(lambda: plain(window.queue.message.text()) == plain(tr("queue.nobody_waiting", lang)),
                    timeout=WAIT_MS)
    a1 = issue(site, "A", "MP-REG-CERT")  # a citizen takes a ticket at the kiosk
    qtbot.waitUntil(lambda: window.queue.message.text() == "", timeout=WAIT_MS)

    call(qtbot, window, a1)
    intake = window.intake
    type_applicant(qtbot, window, nid=NID[:12])
    intake.set_checked(None)
    press(qtbot, window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "14" in plain(intake.result.text()), timeout=WAIT_MS)
    idle(qtbot, window)
    qtbot.keyClicks(intake.national_id, NID[12:])  # the valid ID now
    assert intake.result.text() == ""
    assert counts(site) == (0, 0)


@LANGS
def test_delivery_forgets_the_previous_file_after_a_forged_receipt(
        qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, site: Centre, lang: str) -> None:
    from tests.helpers.applications import submitted

    app_id = submitted(site, clerk_id=site.clerk_ids[1])
    with site.db.read() as s:
        tracking = s.get_one(Application, app_id).tracking_code
    window = open_counter(qtbot, make_shell, config, lang)
    press(qtbot, window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    delivery = window.delivery
    qtbot.keyClicks(delivery.code, tracking)
    qtbot.keyClick(delivery.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: delivery.app is not None, timeout=WAIT_MS)
    assert tracking in plain(delivery.details.text())
    delivery.code.clear()
    qtbot.keyClicks(delivery.code, f"SHB1|XX|{tracking}|0|forged")
    qtbot.keyClick(delivery.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: plain(delivery.message.text()) != "", timeout=WAIT_MS)
    idle(qtbot, window)
    assert delivery.app is None and tracking not in plain(delivery.details.text())
    assert plain(delivery.details.text()) == plain(tr("delivery.none", lang))
    assert not delivery.deliver_button.isEnabled() and not delivery.cancel_button.isEnabled()


@LANGS
def test_closing_or_logging_out_with_a_half_typed_form_asks(
        qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, site: Centre, lang: str) -> None:
    a1 = issue(site, "A", "MP-REG-CERT")
    window = open_counter(qtbot, make_shell, config, lang)
    shell = window.parent() or None
    del shell
    call(qtbot, window, a1)
    type_applicant(qtbot, window)
    window.close()  # the title bar's close button or Alt+F4
    answer(qtbot, window, discard=False, question_id="intake.discard_close")
    assert window.isVisible() and plain(window.intake.name.text()) == NAME
    # log out with Ctrl+Shift+Q: asked, no keeps the counter window and the form
    press(qtbot, window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    answer(qtbot, window, discard=False, question_id="intake.discard_logout")
    assert window.isVisible() and plain(window.intake.name.text()) == NAME
    with qtbot.wait_signal(window.logout_requested, timeout=WAIT_MS):
        press(qtbot, window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        answer(qtbot, window, discard=True, question_id="intake.discard_logout")


@LANGS
def test_closing_with_a_half_typed_form_yes_closes(
        qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, site: Centre, lang: str) -> None:
    a1 = issue(site, "A", "MP-REG-CERT")
    window = open_counter(qtbot, make_shell, config, lang)
    call(qtbot, window, a1)
    type_applicant(qtbot, window)
    window.close()
    answer(qtbot, window, discard=True, question_id="intake.discard_close")
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    assert not isinstance(window, LoginWindow)
