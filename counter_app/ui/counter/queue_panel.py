"""The counter's queue panel: waiting per group, the current ticket and its service timer, and
call next / recall / finish / no-show / skip (with a reason) / transfer, each with a shortcut."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from counter_app.common import formatting
from counter_app.common.i18n import N_
from counter_app.services import counter as counter_service
from counter_app.services.errors import ValidationFailed
from counter_app.services.views import QueueState, TicketView
from counter_app.ui.shell.context import AppContext
from counter_app.ui.shell.i18n import Binder
from counter_app.ui.shell.operations import Reload
from counter_app.ui.widgets import MessageLine, TicketCard, mark_primary

#: action -> (message id of the button, shortcut)
ACTIONS: dict[str, tuple[str, str]] = {
    "call_next": (N_("queue.call_next"), "F2"),
    "recall": (N_("queue.recall"), "F3"),
    "finish": (N_("queue.finish"), "F4"),
    "no_show": (N_("queue.no_show"), "F5"),
    "skip": (N_("queue.skip"), "F6"),
    "transfer": (N_("queue.transfer"), "F7"),
}


class QueuePanel(QWidget):
    """``ticket_changed(TicketView | None)`` after every change of the current ticket."""

    ticket_changed = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.t = Binder(ctx.lang, self)
        self.state = QueueState(None, {})
        self.busy = False
        self.pressed_at: float | None = None  # perf_counter of the last call-next press (benchmark)
        self.shown_at: float | None = None
        self._error: BaseException | str | None = None
        self._error_state: tuple[object, ...] | None = None  # the state the message describes
        # Asked before an action that ends the intake of the current ticket (the counter window
        # asks the intake form); runs the action at once when nothing would be lost.
        self.confirm: Callable[[Callable[[], None]], None] = lambda go: go()

        self.card = TicketCard(ctx.lang, self)
        self.ticket_label, self.detail_label, self.timer_label = self.card.number, self.card.detail, self.card.timer_label
        self.waiting_label = QLabel(self)
        self.waiting_label.setObjectName("waiting")
        self.waiting_label.setWordWrap(True)
        self.message = MessageLine(ctx.lang, self, name="queueMessage")

        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for i, action in enumerate(ACTIONS):
            button = QPushButton(self)
            button.setObjectName(action)
            button.setMinimumHeight(40)
            self.buttons[action] = button
            grid.addWidget(button, i // 3, i % 3)
        mark_primary(self.buttons["call_next"])
        self._retitle_buttons()
        self.t.also(self._retitle_buttons)
        self.buttons["call_next"].clicked.connect(self.request_call_next)
        for action in ("recall", "finish", "no_show"):
            self.buttons[action].clicked.connect(lambda _c=False, a=action: self.ticket_action(a))
        self.buttons["skip"].clicked.connect(self.skip)
        self.buttons["transfer"].clicked.connect(self.transfer)
        for action, (_msg, key) in ACTIONS.items():  # immediate (a button shortcut animates 100 ms)
            QShortcut(QKeySequence(key), self, lambda a=action: self._key(a))

        self.reason = QLineEdit(self)
        self.reason.setObjectName("reason")
        self.to_group = QComboBox(self)
        self.to_group.setObjectName("toGroup")
        self.to_counter = QComboBox(self)
        self.to_counter.setObjectName("toCounter")
        self.reason_label, self.transfer_label = QLabel(self), QLabel(self)
        self.t(self.reason_label.setText, "queue.reason")
        self.t(self.transfer_label.setText, "queue.transfer_to")
        extra = QHBoxLayout()
        extra.addWidget(self.reason_label)
        extra.addWidget(self.reason, 2)
        extra.addWidget(self.transfer_label)
        extra.addWidget(self.to_group, 1)
        extra.addWidget(self.to_counter, 1)

        # who is waiting and what just happened share a line above the actions
        said = QHBoxLayout()
        said.addWidget(self.waiting_label, 2)
        said.addWidget(self.message, 3)
        right = QVBoxLayout()
        right.addLayout(said)
        right.addLayout(grid)
        right.addLayout(extra)
        top = QHBoxLayout(self)
        top.setContentsMargins(0, 0, 0, 0)  # the window's body has the margins
        top.addWidget(self.card, 1)
        top.addLayout(right, 3)

        self.t.also(self.update_texts)
        # No poll: the queue is read again when the database announces a change (and at start).
        self._reload: Reload[QueueState] = Reload(ctx.ops, self._read_state, self._refreshed, self)
        ctx.changes.queue_changed.connect(self.refresh)
        self.update_texts()
        self._reload.now()

    # -- helpers ---------------------------------------------------------------------------
    def _retitle_buttons(self) -> None:
        for action, (msg_id, key) in ACTIONS.items():
            self.buttons[action].setText(self.ctx.lang.text("common.with_key", text=self.ctx.lang.text(msg_id), key=key))

    def _ids(self) -> tuple[int, int]:
        assert self.ctx.counter is not None and self.ctx.user is not None
        return self.ctx.counter.id, self.ctx.user.id

    def _key(self, action: str) -> None:
        """A function key: the button's action, or why it is not available (F5 before the recalls)."""
        button = self.buttons[action]
        if button.isEnabled():
            button.click()
        elif action == "no_show" and not self.busy and self.state.recalls_left > 0:
            self._say(button.toolTip())

    def _say(self, message: BaseException | str) -> None:
        self._error = message
        self._error_state = self._state_key(message)
        self.update_texts()

    def _state_key(self, message: BaseException | str | None) -> tuple[object, ...]:
        """What a message is about: the current ticket (and its recalls); «nobody waiting» also
        the number waiting for this counter. The message goes when that changes."""
        ticket = self.state.current
        key: tuple[object, ...] = (ticket.id, ticket.recall_count) if ticket else (None,)
        if message == "queue.nobody_waiting":
            key += (self.waiting_here(),)
        return key

    def waiting_here(self) -> int:
        groups = self.ctx.counter.groups if self.ctx.counter else "".join(self.state.waiting)
        return sum(n for letter, n in self.state.waiting.items() if letter in groups)

    def _run(self, fn: Callable[[], Any], on_done: Callable[[Any], None]) -> None:
        self.busy = True
        self._set_enabled()
        self._error = None
        self._reload.hold()  # a read under way may be older than what the action brings back
        self.ctx.ops.write(fn, lambda r: self._finish(on_done, r), self._failed, owner=self)

    def _finish(self, on_done: Callable[[Any], None], result: Any) -> None:
        self.busy = False
        on_done(result)
        self._reload.release()

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self._say(exc)
        self._reload.release(reload=True)

    def _set_enabled(self) -> None:
        has = self.state.current is not None
        for action, button in self.buttons.items():
            button.setEnabled(not self.busy and (has or action == "call_next"))
        # No-show only after the configured recalls: until then F5 is disabled and says how many remain.
        left = self.state.recalls_left
        no_show = self.buttons["no_show"]
        if has and left > 0:
            no_show.setEnabled(False)
            no_show.setToolTip(self.ctx.lang.ntext("error.recalls_pending", left))
        else:
            no_show.setToolTip("")

    def _apply(self, state: QueueState) -> None:
        before = self.state.current
        self.state = state
        self.update_texts()
        if (before.id if before else None) != (state.current.id if state.current else None):
            self.ticket_changed.emit(state.current)

    # -- actions ---------------------------------------------------------------------------
    @Slot()
    def refresh(self) -> None:
        """Read the queue again (a change was announced); one read at a time, none during an action."""
        self._reload.request()

    def _read_state(self) -> Callable[[], QueueState] | None:
        if self.ctx.counter is None:
            return None
        db, (counter_id, _) = self.ctx.db, self._ids()
        return lambda: counter_service.queue_state(db, counter_id)

    def _refreshed(self, state: QueueState) -> None:
        if not self.busy:
            self._apply(state)

    @Slot()
    def call_next(self) -> None:
        if self.busy:
            return
        self.pressed_at = time.perf_counter()
        db, (counter_id, clerk_id) = self.ctx.db, self._ids()
        self._run(lambda: counter_service.call_next(db, counter_id, clerk_id), self._called)

    def _called(self, state: QueueState) -> None:
        self._apply(state)
        if state.current is None:
            self._say(N_("queue.nobody_waiting"))
        self.shown_at = time.perf_counter()

    @Slot()
    def request_call_next(self) -> None:
        """F2: asks first when the current intake holds typed data (it would be discarded)."""
        if not self.busy:
            self.confirm(self.call_next)

    def ticket_action(self, action: str, **kwargs: Any) -> None:
        ticket = self.state.current
        if self.busy or ticket is None:
            return
        if action == "recall":  # the same citizen: the intake goes on
            self._ticket_action(action, **kwargs)
        else:  # the ticket's intake ends: ask first when something is typed
            self.confirm(lambda: self._ticket_action(action, **kwargs))

    def _ticket_action(self, action: str, **kwargs: Any) -> None:
        ticket = self.state.current
        if self.busy or ticket is None:
            return
        db, (counter_id, clerk_id) = self.ctx.db, self._ids()
        self._run(lambda: counter_service.ticket_action(db, action, ticket.id, counter_id, clerk_id, **kwargs), self._done)

    def _done(self, state: QueueState) -> None:
        self.reason.clear()
        self._apply(state)

    @Slot()
    def skip(self) -> None:
        reason = self.reason.text().strip()
        if not reason:
            self._say(N_("queue.reason_needed"))
            self.reason.setFocus()
            return
        self.ticket_action("skip", reason=reason)

    @Slot()
    def transfer(self) -> None:
        """F7: to the counter chosen, else to the group chosen (never the ticket's own group:
        the core refuses it too); nothing chosen says so. Checked before asking about the form."""
        ticket, data, group = self.state.current, self.to_counter.currentData(), self.to_group.currentData()
        if ticket is None or self.busy:
            return
        if data:
            self.ticket_action("transfer", to_counter_id=int(data), reason=self.reason.text())
        elif not group:
            self._say(N_("error.transfer_target"))
            self.to_group.setFocus()
        elif str(group) == ticket.group:
            self._say(ValidationFailed("transfer_same_group", letter=formatting.code(ticket.group)))
            self.to_group.setFocus()
        else:
            self.ticket_action("transfer", to_group=str(group), reason=self.reason.text())

    # -- rendering -------------------------------------------------------------------------
    def fill_targets(self) -> None:
        cat, lang = self.ctx.catalogue, self.ctx.lang
        if cat is None:
            return
        g, c = self.to_group.currentIndex(), self.to_counter.currentIndex()
        self.to_group.clear()
        self.to_group.setPlaceholderText(lang.text("queue.choose_group"))  # nothing chosen until the clerk chooses
        for group in cat.groups:
            self.to_group.addItem(lang.text("common.group_item", letter=group.letter,
                                          name=lang.pick(group.name_ar, group.name_en)), group.letter)
        self.to_counter.clear()
        self.to_counter.addItem(lang.text("queue.any_counter"), 0)
        for counter in cat.counters:
            if self.ctx.counter is None or counter.id != self.ctx.counter.id:
                self.to_counter.addItem(lang.pick(counter.name_ar, counter.name_en), counter.id)
        self.to_group.setCurrentIndex(g)
        self.to_counter.setCurrentIndex(max(c, 0))

    def update_texts(self) -> None:
        tr, ticket = self.ctx.lang.text, self.state.current
        if ticket is None:
            self.card.show_ticket(None, tr("queue.no_ticket"), None)
        else:
            self.card.show_ticket(ticket.number, self.detail_text(ticket), ticket.called_at)
        cat = self.ctx.catalogue
        letters = [g.letter for g in cat.groups] if cat else sorted(self.state.waiting)
        if self.ctx.counter is not None:
            letters = [x for x in letters if x in self.ctx.counter.groups]
        items = [tr("queue.waiting_item", letter=x, count=self.state.waiting.get(x, 0)) for x in letters]
        self.waiting_label.setText(tr("queue.waiting", items="   ".join(items)))
        if self._error is not None and self._error_state != self._state_key(self._error):
            self._error = None  # the situation it described has changed
        err = self._error
        if err is None:
            self.message.clear()
        elif err == "queue.nobody_waiting":
            self.message.say(err, state="info")
        else:
            self.message.fail(err)
        self.fill_targets()
        self._set_enabled()

    def detail_text(self, ticket: TicketView) -> str:
        """The line under the number: priority, an appointment's booked time (Cairo time), the group
        and the recalls, on one line (the card has no room for a second one at 1366x768: a priority
        citizen's appointment leaves the recalls out)."""
        tr = self.ctx.lang.text
        if ticket.appointment_at is None:
            key = N_("queue.detail_priority") if ticket.priority else N_("queue.detail")
            return tr(key, group=ticket.group, recalls=ticket.recall_count)
        key = N_("queue.detail_priority_appointment") if ticket.priority else N_("queue.detail_appointment")
        return tr(key, group=ticket.group, recalls=ticket.recall_count,
                  time=formatting.format_time(ticket.appointment_at, self.ctx.lang.lang))

    def current(self) -> TicketView | None:
        return self.state.current
