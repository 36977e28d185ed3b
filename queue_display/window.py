"""The waiting-hall screen: now calling (very large, flashing), recent calls, people waiting per
group, the centre's name, the date and time, and a ticker of services with their documents and
fees. Everything scales with the window's height (1280×720 to 4K).

The window only shows a :class:`DisplayState`; the watcher thread produces it and the
:class:`DisplayController` brings it to the GUI thread through a queued signal.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from counter_app.common.palette import display_colours
from counter_app.core.clock import local_day, utcnow
from queue_display import texts
from queue_display.announcer import Announcement, Announcer
from queue_display.state import Call, DisplayState
from queue_display.watcher import WatchStatus

FLASH_S = 6.0
FLASH_MS = 450
#: How long the banner shows an unexpected error (it is in the log) before the connection state.
ERROR_SHOWN_MS = 30_000
TICKER_MS = 33
#: The display's big-screen colours, from the one palette of every window (counter_app/common/palette.py).
COLOURS = display_colours()


class DisplayController(QObject):
    """Carries the watcher's and announcer's callbacks (any thread) to the GUI thread."""

    state_changed = Signal(object)
    status_changed = Signal(object)
    announcing = Signal(object)

    def on_state(self, state: DisplayState) -> None:
        self.state_changed.emit(state)

    def on_status(self, status: WatchStatus) -> None:
        self.status_changed.emit(status)

    def on_announce(self, item: Announcement) -> None:
        self.announcing.emit(item)


class Ticker(QWidget):
    """A line of text that scrolls in the reading direction, painted (no relayout per frame)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = ""
        self.offset = 0.0
        self.speed = 2.0
        self._timer = QTimer(self)
        self._timer.setInterval(TICKER_MS)
        self._timer.timeout.connect(self._step)
        self._timer.start()

    def set_text(self, text: str) -> None:
        if text != self.text:
            self.text, self.offset = text, 0.0
            self.update()

    def _step(self) -> None:
        if self.text and self.isVisible():
            self.offset += self.speed
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(COLOURS.ticker))
        if not self.text:
            return
        painter.setFont(self.font())
        painter.setPen(QColor(COLOURS.text))
        width = QFontMetricsF(self.font()).horizontalAdvance(self.text) + self.width() * 0.3
        shift = self.offset % (width + self.width())
        rtl = self.layoutDirection() == Qt.LayoutDirection.RightToLeft
        x = (-width + shift) if rtl else (self.width() - shift)
        flags = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignAbsolute | Qt.AlignmentFlag.AlignLeft
        painter.drawText(QRectF(x, 0, width, self.height()), int(flags), self.text)
        painter.end()


class DisplayWindow(QWidget):
    """``model_updated`` fires after each new state is on screen (the latency benchmark waits on it)."""

    model_updated = Signal(object)

    def __init__(self, lang: str = "ar", groups: Sequence[str] | None = None,
                 announcer: Announcer | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lang = "en" if lang == "en" else "ar"
        self.words = texts.translator(self.lang)
        self.groups = tuple(groups or ())
        self.announcer = announcer
        self.state: DisplayState | None = None
        self.status = WatchStatus(False)
        self.last_event_id: int | None = None  # None until the first state: old calls are not announced
        self.announced: list[Announcement] = []
        self.updated_at = 0.0
        self._flash_until = 0.0
        self._flash_on = False
        self.setObjectName("queueDisplay")
        self.setLayoutDirection(Qt.LayoutDirection.RightToLeft if self.lang == "ar" else Qt.LayoutDirection.LeftToRight)
        self.setStyleSheet(f"QWidget#queueDisplay {{ background: {COLOURS.bg}; }} QLabel {{ color: {COLOURS.text}; }}")
        self.setAutoFillBackground(True)

        self.centre = QLabel(self)
        self.clock = QLabel(self)
        self.banner = QLabel(self)
        self.banner.setObjectName("reconnecting")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setStyleSheet(f"background: {COLOURS.flash}; color: {COLOURS.text};")
        self.banner.hide()
        self.now_title = QLabel(self)
        self.now_ticket = QLabel(self)
        self.now_ticket.setObjectName("nowTicket")
        self.now_counter = QLabel(self)
        self.now_counter.setObjectName("nowCounter")
        # An appointment's ticket: a clock and the word «موعد», not a colour alone.
        self.now_mark = QLabel(self)
        self.now_mark.setObjectName("nowAppointment")
        self.now_mark.hide()
        for label in (self.now_title, self.now_ticket, self.now_mark, self.now_counter):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.now_panel = QWidget(self)
        self.now_panel.setObjectName("nowPanel")
        now = QVBoxLayout(self.now_panel)
        now.addStretch(1)
        now.addWidget(self.now_title)
        now.addWidget(self.now_ticket)
        now.addWidget(self.now_mark)
        now.addWidget(self.now_counter)
        now.addStretch(1)
        self.recent_title = QLabel(self)
        self.recent_rows = [(QLabel(self), QLabel(self)) for _ in range(6)]
        recent = QGridLayout()
        recent.setContentsMargins(32, 16, 32, 16)
        recent.setHorizontalSpacing(48)
        recent.setVerticalSpacing(0)
        recent.addWidget(self.recent_title, 0, 0, 1, 2)
        leading = Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignVCenter
        trailing = Qt.AlignmentFlag.AlignTrailing | Qt.AlignmentFlag.AlignVCenter
        for i, (ticket, counter) in enumerate(self.recent_rows, start=1):
            recent.addWidget(ticket, i, 0, leading)
            recent.addWidget(counter, i, 1, trailing)
        recent.setColumnStretch(0, 1)
        recent.setColumnStretch(1, 1)
        self.recent_panel = QWidget(self)
        self.recent_panel.setObjectName("recentPanel")
        self.recent_panel.setLayout(recent)
        self.waiting = QLabel(self)
        self.waiting.setObjectName("waiting")
        self.waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.ticker = Ticker(self)
        for label in (self.waiting, self.centre, self.now_counter, self.banner):
            # long texts must never widen the window beyond the screen: they wrap instead
            label.setWordWrap(True)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        top = QHBoxLayout()
        top.addWidget(self.centre, 1)
        top.addWidget(self.clock)
        middle = QHBoxLayout()
        middle.addWidget(self.now_panel, 3)
        middle.addWidget(self.recent_panel, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.setSpacing(12)
        top.setContentsMargins(8, 0, 8, 0)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addLayout(middle, 1)
        layout.addWidget(self.waiting)
        layout.addWidget(self.ticker)
        self._panel_style(False)

        self._clock_timer = QTimer(self)
        self._clock_timer.setInterval(1000)
        self._clock_timer.timeout.connect(self._tick)
        self._clock_timer.start()
        self._flash_timer = QTimer(self)
        self._flash_timer.setInterval(FLASH_MS)
        self._flash_timer.timeout.connect(self._flash)
        self._error_timer = QTimer(self)
        self._error_timer.setSingleShot(True)
        self._error_timer.setInterval(ERROR_SHOWN_MS)
        self._error_timer.timeout.connect(lambda: self.set_status(self.status))
        tr = self.words
        self.setWindowTitle(tr("display.window_title"))
        self.resize(1280, 720)
        self._scale()
        self.render_state()

    # -- inputs --------------------------------------------------------------------------------
    @Slot(object)
    def set_state(self, state: DisplayState) -> None:
        previous = self.state
        first = self.last_event_id is None or (previous is not None and previous.day != state.day)
        last = 0 if first or self.last_event_id is None else self.last_event_id
        new_calls = [] if first else [c for c in state.calls if c.event_id > last]
        self.last_event_id = max(state.last_event_id, last)  # a new day starts over: nothing old is announced
        self.state = state
        for call in reversed(new_calls):  # oldest first: the order they were made
            self._announce(call)
        if new_calls:
            self._flash_until = time.monotonic() + FLASH_S
            self._flash_timer.start()
        self.render_state()
        self.updated_at = time.time()
        self.model_updated.emit(state)

    @Slot(object)
    def set_status(self, status: WatchStatus) -> None:
        self.status = status
        self.banner.setVisible(not status.connected and status.attempts > 0)
        tr = self.words
        self.banner.setText(tr("display.reconnecting"))

    @Slot(object)
    def show_error(self, exc: BaseException) -> None:
        """An error nobody caught (already in the log): the banner says so for a while."""
        self.banner.setText(self.words("status.error", error=exc))
        self.banner.show()
        self._error_timer.start()

    def _announce(self, call: Call) -> None:
        item = Announcement(call.letter, call.number, call.counter_number)
        self.announced.append(item)
        if self.announcer is not None:
            self.announcer.submit(item)

    # -- rendering -----------------------------------------------------------------------------
    def render_state(self) -> None:
        lang, state, tr = self.lang, self.state, self.words
        self._tick()
        self.now_title.setText(tr("display.now_calling"))
        self.recent_title.setText(tr("display.recent"))
        if state is None:
            self.centre.setText("")
            self.now_ticket.setText("—")
            self.now_counter.setText("")
            self.now_mark.hide()
            self.waiting.setText("")
            return
        self.centre.setText(state.centre_ar if lang == "ar" else state.centre_en)
        current = state.now_calling
        if current is None:
            self.now_ticket.setText("—")
            self.now_counter.setText(tr("display.nobody_called"))
        else:
            self.now_ticket.setText(texts.ticket_text(current.letter, current.number))
            self.now_counter.setText(tr("display.go_to_counter", counter=texts.counter_text(lang, current.counter_number)))
        self.now_mark.setText(texts.appointment_mark(lang))
        self.now_mark.setVisible(current is not None and current.appointment)
        recent = state.recent
        for i, (ticket, counter) in enumerate(self.recent_rows):
            call = recent[i] if i < len(recent) else None
            ticket.setText(texts.recent_ticket_text(lang, call) if call else "")
            counter.setText(tr("display.counter", counter=texts.counter_text(lang, call.counter_number)) if call else "")
        self.waiting.setText(texts.waiting_text(lang, state.waiting))
        self.ticker.set_text(texts.ticker_text(lang, state.ticker))

    def _tick(self) -> None:
        now = utcnow()
        day = self.state.day if self.state else local_day(now)
        self.clock.setText(texts.clock_text(self.lang, day, now))

    def _flash(self) -> None:
        if time.monotonic() >= self._flash_until:
            self._flash_timer.stop()
            self._flash_on = False
        else:
            self._flash_on = not self._flash_on
        self._panel_style(self._flash_on)

    def _panel_style(self, on: bool) -> None:
        colour = COLOURS.flash if on else COLOURS.panel
        self.now_panel.setStyleSheet(f"QWidget#nowPanel {{ background: {colour}; border-radius: 16px; }}")
        self.recent_panel.setStyleSheet(f"QWidget#recentPanel {{ background: {COLOURS.panel}; border-radius: 16px; }}")
        self.now_ticket.setStyleSheet(f"color: {COLOURS.text if on else COLOURS.accent};")

    @property
    def flashing(self) -> bool:
        return self._flash_timer.isActive()

    # -- scaling -------------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._scale()

    def _scale(self) -> None:
        unit = max(self.height(), 360) / 100.0  # one hundredth of the screen's height

        def font(size: float, bold: bool = False) -> QFont:
            f = QFont("DejaVu Sans")
            f.setPixelSize(max(int(size * unit), 8))
            f.setBold(bold)
            return f

        self.centre.setFont(font(4.2, True))
        self.clock.setFont(font(3.6))
        self.banner.setFont(font(3.6, True))
        self.now_title.setFont(font(4.5))
        self.now_ticket.setFont(font(19, True))
        self.now_counter.setFont(font(6.5, True))
        self.now_mark.setFont(font(5, True))
        self.recent_title.setFont(font(3.8, True))
        for ticket, counter in self.recent_rows:
            ticket.setFont(font(4.2, True))
            counter.setFont(font(3.8))
        self.waiting.setFont(font(3.4))
        self.ticker.setFont(font(3.6))
        self.ticker.setFixedHeight(int(7 * unit))
        self.ticker.speed = max(unit * 0.35, 1.0)
