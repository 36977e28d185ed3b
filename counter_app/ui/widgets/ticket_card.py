"""The counter's current-ticket card: the number called, large, and the service timer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from counter_app.common.clock import utcnow
from counter_app.common.formatting import elapsed
from counter_app.ui.shell.i18n import Language
from counter_app.ui.widgets.style import SPACE, set_state

TICK_MS = 1000


def _now() -> datetime:
    return utcnow()


class TicketCard(QFrame):
    """The ticket the counter serves now: its number as large as the window allows, a line about it
    (group, priority, recalls) and the service timer, minutes and seconds since the call.

    Called, the card takes the waiting-hall display's navy with the number in its amber (the
    style sheet's ``QFrame#ticketCard[state="called"]``); without a ticket it is a quiet outline.
    While a ticket is called a one-second timer redraws the timer's label, and only that label.
    ``clock`` gives the current time (aware); a test may pass its own.
    """

    def __init__(self, lang: Language, parent: QWidget | None = None, *,
                 clock: Callable[[], datetime] = _now) -> None:
        super().__init__(parent)
        self.lang = lang
        self.clock = clock
        self.setObjectName("ticketCard")
        self.setProperty("state", "")
        self.called_at: datetime | None = None
        self.number = QLabel("—", self)
        self.number.setObjectName("currentTicket")
        self.detail = QLabel(self)
        self.detail.setObjectName("ticketDetail")
        self.detail.setWordWrap(True)
        self.timer_label = QLabel(self)
        self.timer_label.setObjectName("serviceTimer")
        for label in (self.number, self.detail, self.timer_label):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        box = QVBoxLayout(self)
        box.setContentsMargins(SPACE.card, SPACE.tight, SPACE.card, SPACE.gap)
        box.setSpacing(0)
        box.addStretch(1)
        box.addWidget(self.number)
        box.addWidget(self.detail)
        box.addSpacing(SPACE.tight)
        box.addWidget(self.timer_label)
        box.addStretch(1)
        self.ticker = QTimer(self)
        self.ticker.setInterval(TICK_MS)
        self.ticker.timeout.connect(self.render_timer)

    def show_ticket(self, number: str | None, detail: str, called_at: datetime | None) -> None:
        """Show the ticket called (``number`` None: no ticket, ``detail`` says so)."""
        self.number.setText(number or "—")
        self.detail.setText(detail)
        self.called_at = called_at if number else None
        set_state(self, "called" if number else "")
        if self.called_at is None:
            self.ticker.stop()
        elif not self.ticker.isActive():
            self.ticker.start()
        self.render_timer()

    def elapsed_seconds(self) -> int | None:
        """Whole seconds since the call (never negative: the PC's clock may lag the database's)."""
        if self.called_at is None:
            return None
        return max(0, int((self.clock() - self.called_at).total_seconds()))

    @Slot()
    def render_timer(self) -> None:
        seconds = self.elapsed_seconds()
        text = "" if seconds is None else self.lang.text("queue.timer", elapsed=elapsed(seconds))
        if text != self.timer_label.text():
            self.timer_label.setText(text)
