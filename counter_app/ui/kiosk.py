"""The ticket kiosk / reception window: one large touch button per service group (Arabic names),
a priority option, the number of people waiting per group; a press issues and prints a ticket."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from counter_app.common.formatting import ticket_label
from counter_app.common.i18n import N_, Msg
from counter_app.ui import backend
from counter_app.ui.backend import GroupView, IssuedView
from counter_app.ui.context import AppContext
from counter_app.ui.i18n import Binder
from counter_app.ui.printing import ticket_document

REFRESH_MS = 5_000
MESSAGE_MS = 15_000


class KioskWindow(QWidget):
    """``issued(IssuedView)`` after a ticket is taken (its print job is queued)."""

    issued = Signal(object)
    exit_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.t = Binder(ctx.lang, self)
        self.setObjectName("kioskWindow")
        self.waiting: dict[str, int] = {}
        self.busy = False
        self._last: IssuedView | None = None
        self._error: BaseException | None = None

        self.title = QLabel(self)
        self.title.setObjectName("title")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        self.prompt = QLabel(self)
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.priority = QPushButton(self)
        self.priority.setObjectName("priority")
        self.priority.setCheckable(True)
        self.priority.setMinimumHeight(64)
        self.priority.toggled.connect(lambda _on: self.update_texts())
        self.language_button = QPushButton(self)
        self.language_button.setObjectName("language")
        self.language_button.setMinimumHeight(64)
        self.language_button.clicked.connect(ctx.lang.toggle)
        self.result = QLabel(self)
        self.result.setObjectName("kioskResult")
        self.result.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.result.setWordWrap(True)
        self.result.setMinimumHeight(120)

        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        grid.setSpacing(16)
        groups = self.groups()
        columns = 2 if len(groups) <= 4 else 3
        for i, group in enumerate(groups):
            button = QPushButton(self)
            button.setObjectName(f"group{group.letter}")
            button.setMinimumSize(280, 120)
            button.setProperty("kiosk", True)
            button.clicked.connect(lambda _c=False, letter=group.letter: self.take(letter))
            self.buttons[group.letter] = button
            grid.addWidget(button, i // columns, i % columns)
        bottom = QHBoxLayout()
        bottom.addWidget(self.priority, 2)
        bottom.addWidget(self.language_button, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        layout.setSpacing(18)
        layout.addWidget(self.title)
        layout.addWidget(self.prompt)
        layout.addLayout(grid, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.result)

        self.t(self.setWindowTitle, "kiosk.window_title")
        self.t(self.prompt.setText, "kiosk.prompt")
        self.t(self.language_button.setText, "common.language_switch")
        self.t.also(self.update_texts)
        QShortcut(QKeySequence("Ctrl+Shift+Q"), self, self.exit_requested.emit)
        self._poll = QTimer(self)
        self._poll.setInterval(REFRESH_MS)
        self._poll.timeout.connect(self.refresh)
        self._poll.start()
        self._clear = QTimer(self)
        self._clear.setSingleShot(True)
        self._clear.setInterval(MESSAGE_MS)
        self._clear.timeout.connect(self._reset)
        self.resize(1024, 720)
        self.update_texts()
        self.refresh()

    def groups(self) -> tuple[GroupView, ...]:
        return self.ctx.catalogue.groups if self.ctx.catalogue else ()

    @Slot()
    def refresh(self) -> None:
        db = self.ctx.db
        self.ctx.ops.run(lambda: backend.waiting_counts(db), self._counts, lambda _e: None, owner=self)

    def _counts(self, counts: dict[str, int]) -> None:
        self.waiting = counts
        self.update_texts()

    def take(self, letter: str) -> None:
        if self.busy:
            return
        cat, ctx = self.ctx.catalogue, self.ctx
        group = next((g for g in self.groups() if g.letter == letter), None)
        if cat is None or group is None:
            return
        priority = self.priority.isChecked()
        url, lang, printing, db = ctx.config.ticket_printer, ctx.lang.lang, ctx.printing, ctx.db

        def work() -> IssuedView:
            issued = backend.issue_ticket(db, letter, priority)
            printing.submit(ticket_document(cat.centre, group.name_ar, group.name_en, issued), url, lang)
            return issued

        self.busy = True
        self.ctx.ops.run(work, self._issued, self._failed, owner=self)

    def _issued(self, issued: IssuedView) -> None:
        self.busy = False
        self._last, self._error = issued, None
        self.priority.setChecked(False)
        self.waiting[issued.group] = issued.waiting_ahead + 1
        self.update_texts()
        self._clear.start()
        self.issued.emit(issued)
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self._error, self._last = exc, None
        self.update_texts()
        self._clear.start()

    def _reset(self) -> None:
        self._last = self._error = None
        self.update_texts()

    def show_error(self, exc: BaseException) -> None:
        self._failed(exc)

    def update_texts(self) -> None:
        lang, cat = self.ctx.lang, self.ctx.catalogue
        self.title.setText(lang.text("kiosk.title", centre=lang.pick(cat.centre.name_ar, cat.centre.name_en))
                           if cat else lang.text("app.name"))
        for group in self.groups():
            self.buttons[group.letter].setText(lang.text(
                "kiosk.group_button", letter=group.letter, name=lang.pick(group.name_ar, group.name_en),
                count=self.waiting.get(group.letter, 0)))
        self.priority.setText(lang.text(N_("kiosk.priority_on") if self.priority.isChecked() else N_("kiosk.priority_off")))
        if self._error is not None:
            self.result.setText(lang.error(self._error))
            self.result.setStyleSheet("color: #b00020;")
        elif self._last is not None:
            key = N_("kiosk.issued_now") if self._last.waiting_ahead == 0 else N_("kiosk.issued")
            self.result.setText(lang.text(key, number=ticket_label(self._last.number),
                                          ahead=Msg("kiosk.ahead", n=self._last.waiting_ahead),
                                          wait=Msg("common.minutes", n=self._last.estimated_wait_minutes)))
            self.result.setStyleSheet("color: #0d47a1; font-weight: bold;")
        else:
            self.result.setText("")
