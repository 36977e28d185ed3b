"""The ticket kiosk / reception window: one large touch button per service group (Arabic names),
a priority option, the number of people waiting per group; a press issues and prints a ticket.

A citizen may type a mobile number for the SMS of their turn (optional): checked before the ticket
is issued (an Egyptian mobile; a wrong one is refused with a message and nothing typed or chosen is
lost), then emptied as soon as the ticket is issued or the kiosk falls idle. It is never shown
again on any screen, and the window neither logs nor keeps it (:mod:`counter_app.core.ticket_sms`).

Kiosk mode: the window is full screen with no title bar, and neither Alt+F4 nor the window manager
closes it. A supervisor leaves it with Ctrl+Shift+K and the username and password of a supervisor or
administrator account (checked by the core, like a login: failures are counted and audited). After
:data:`IDLE_MS` without a touch or a key, a citizen who switched to English leaves the kiosk in
Arabic again for the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOptionFrame,
    QVBoxLayout,
    QWidget,
)

from counter_app.common.formatting import format_time, ticket_label
from counter_app.common.i18n import N_, Msg
from counter_app.services import kiosk as kiosk_service
from counter_app.services import shell
from counter_app.services.shell import Database
from counter_app.services.views import GroupView, IssuedView, UserView
from counter_app.ui.shell.context import AppContext
from counter_app.ui.shell.i18n import Binder
from counter_app.ui.shell.operations import Reload
from counter_app.ui.shell.printing import ticket_document
from counter_app.ui.widgets import MessageLine, mark_primary

log = logging.getLogger(__name__)
MESSAGE_MS = 15_000
#: Idle time after which the kiosk returns to Arabic (and forgets a half-made choice).
IDLE_MS = 30_000
#: The supervisor's key to leave kiosk mode.
EXIT_KEY = "Ctrl+Shift+K"
_ACTIVITY = (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.TouchBegin, QEvent.Type.Wheel)


def fetch_booking(db: Database) -> kiosk_service.Fetch:
    """Asks the central server for a booking made after the agent's last pull (a worker thread)."""

    def fetch(text: str) -> bool | None:
        from sync.agent.agent import Agent, SyncError

        try:
            with Agent(db, timeout=(2.0, 4.0)) as agent:
                return agent.fetch_booking(text)
        except SyncError as exc:
            log.info("booking not asked of the central server: %s", exc)
            return None

    return fetch


class KioskWindow(QWidget):
    """``issued(IssuedView)`` after a ticket is taken (its print job is queued);
    ``exit_requested(UserView)`` once a supervisor or administrator has proved who they are."""

    issued = Signal(object)
    exit_requested = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.locked = True  # closing is refused until a supervisor unlocks the kiosk
        self.setWindowFlags(Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint
                            | Qt.WindowType.WindowStaysOnTopHint)
        self.setWindowState(Qt.WindowState.WindowFullScreen)
        self.t = Binder(ctx.lang, self)
        self.setObjectName("kioskWindow")
        self.waiting: dict[str, int] = {}
        self.busy = False
        self._last: IssuedView | None = None
        self._error: BaseException | None = None
        self._checked_in: kiosk_service.CheckInView | None = None

        self.title = QLabel(self)
        self.title.setObjectName("title")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        self.prompt = QLabel(self)
        self.prompt.setObjectName("kioskPrompt")
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
        self.mobile_label = QLabel(self)
        self.mobile_label.setObjectName("kioskMobileLabel")
        self.mobile_label.setWordWrap(True)
        self.mobile = QLineEdit(self)
        self.mobile.setObjectName("kioskMobile")
        self.mobile.setMaxLength(24)
        self.mobile.setMinimumHeight(56)
        self.mobile.setInputMethodHints(Qt.InputMethodHint.ImhDialableCharactersOnly)
        self.mobile.setLayoutDirection(Qt.LayoutDirection.LeftToRight)  # digits read left to right
        self.mobile_label.setBuddy(self.mobile)
        # an appointment: its code or the national ID typed, or the QR scanned (the scanner types
        # the manage link and Enter)
        self.booking_label = QLabel(self)
        self.booking_label.setObjectName("kioskBookingLabel")
        self.booking_label.setWordWrap(True)
        self.booking = QLineEdit(self)
        self.booking.setObjectName("kioskBooking")
        self.booking.setMaxLength(300)
        self.booking.setMinimumHeight(56)
        self.booking.setLayoutDirection(Qt.LayoutDirection.LeftToRight)  # codes read left to right
        self.booking_label.setBuddy(self.booking)
        self.booking.returnPressed.connect(self.check_in)  # Escape empties it (eventFilter)
        self.result = MessageLine(ctx.lang, self, name="kioskResult")
        self.result.setAlignment(Qt.AlignmentFlag.AlignCenter)
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
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)  # large touch targets
            button.setProperty("kiosk", True)
            button.clicked.connect(lambda _c=False, letter=group.letter: self.take(letter))
            self.buttons[group.letter] = button
            grid.addWidget(button, i // columns, i % columns)
        mobile_row = QHBoxLayout()
        mobile_row.addWidget(self.mobile_label, 3)
        mobile_row.addWidget(self.mobile, 2)
        # the booking's field beside the mobile's: the kiosk still fits a 1366x768 screen; each field
        # at least as wide as its placeholder in the language shown (fit_fields), the labels wrap
        mobile_row.insertWidget(0, self.booking_label, 3)
        mobile_row.insertWidget(1, self.booking, 2)
        mobile_row.insertSpacing(2, 24)
        bottom = QHBoxLayout()
        bottom.addWidget(self.priority, 2)
        bottom.addWidget(self.language_button, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        layout.setSpacing(18)
        layout.addWidget(self.title)
        layout.addWidget(self.prompt)
        layout.addLayout(grid, 1)
        layout.addLayout(mobile_row)
        layout.addLayout(bottom)
        layout.addWidget(self.result)
        layout.addWidget(self._exit_panel())

        self.t(self.setWindowTitle, "kiosk.window_title")
        self.t(self.prompt.setText, "kiosk.prompt")
        self.t(self.language_button.setText, "common.language_switch")
        self.t(self.mobile_label.setText, "kiosk.sms_label")
        self.t(self.mobile.setPlaceholderText, "kiosk.sms_placeholder")
        self.t(self.mobile.setAccessibleName, "kiosk.sms_label")
        self.t(self.booking_label.setText, "kiosk.booking_label")
        self.t(self.booking.setPlaceholderText, "kiosk.booking_placeholder")
        self.t(self.booking.setAccessibleName, "kiosk.booking_label")
        self.t.also(self.update_texts)
        QShortcut(QKeySequence(EXIT_KEY), self, self.ask_exit)
        self.idle_timer = QTimer(self)  # the test drives it with a short interval
        self.idle_timer.setSingleShot(True)
        self.idle_timer.setInterval(IDLE_MS)
        self.idle_timer.timeout.connect(self.idle)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)  # any touch or key inside the kiosk restarts the idle time
            app.aboutToQuit.connect(self.unlock)
        ctx.lang.changed.connect(lambda _lang: self.touched())
        self.priority.toggled.connect(lambda _on: self.touched())
        self.mobile.textEdited.connect(lambda _text: self.touched())
        self.booking.textEdited.connect(lambda _text: self.touched())
        self.touched()  # a kiosk started in English goes back to Arabic too
        # No poll: the counts are read again when the database announces a change (and at start).
        self._reload: Reload[dict[str, int]] = Reload(ctx.ops, self._read_counts, self._counts, self)
        ctx.changes.queue_changed.connect(self.refresh)
        self._clear = QTimer(self)
        self._clear.setSingleShot(True)
        self._clear.setInterval(MESSAGE_MS)
        self._clear.timeout.connect(self._reset)
        self.resize(1024, 720)
        self.update_texts()
        self._reload.now()

    def _exit_panel(self) -> QFrame:
        panel = self.exit_panel = QFrame(self)
        panel.setObjectName("kioskExit")
        panel.setFrameShape(QFrame.Shape.StyledPanel)
        self.exit_title, self.exit_hint = QLabel(panel), QLabel(panel)
        self.exit_title.setObjectName("kioskExitTitle")
        self.exit_error = MessageLine(self.ctx.lang, panel, name="kioskExitError")
        self.exit_hint.setWordWrap(True)
        self.exit_username, self.exit_password = QLineEdit(panel), QLineEdit(panel)
        self.exit_username.setObjectName("kioskExitUsername")
        self.exit_password.setObjectName("kioskExitPassword")
        self.exit_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.exit_confirm, self.exit_cancel = QPushButton(panel), QPushButton(panel)
        self.exit_confirm.setObjectName("kioskExitConfirm")
        mark_primary(self.exit_confirm)
        self.exit_cancel.setObjectName("kioskExitCancel")
        self.exit_confirm.clicked.connect(self.confirm_exit)
        self.exit_cancel.clicked.connect(self.cancel_exit)
        self.exit_username.returnPressed.connect(self.exit_password.setFocus)
        self.exit_password.returnPressed.connect(self.confirm_exit)
        QShortcut(QKeySequence("Esc"), panel, self.cancel_exit, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.username_label, self.password_label = QLabel(panel), QLabel(panel)
        form = QFormLayout()
        form.addRow(self.username_label, self.exit_username)
        form.addRow(self.password_label, self.exit_password)
        buttons = QHBoxLayout()
        buttons.addWidget(self.exit_confirm)
        buttons.addWidget(self.exit_cancel)
        box = QVBoxLayout(panel)
        box.addWidget(self.exit_title)
        box.addWidget(self.exit_hint)
        box.addLayout(form)
        box.addLayout(buttons)
        box.addWidget(self.exit_error)
        self.t(self.exit_title.setText, "kiosk.exit_title")
        self.t(self.exit_hint.setText, "kiosk.exit_hint")
        self.t(self.username_label.setText, "login.username")
        self.t(self.password_label.setText, "login.password")
        self.t(self.exit_confirm.setText, "kiosk.exit_confirm")
        self.t(self.exit_cancel.setText, "kiosk.exit_cancel")
        self._exit_error: BaseException | None = None
        self._exit_busy = False
        panel.hide()
        return panel

    # -- kiosk mode ------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Alt+F4, the window manager or a stray close() leave the kiosk open until it is unlocked."""
        if self.locked:
            event.ignore()
            return
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        super().closeEvent(event)

    @Slot()
    def unlock(self) -> None:
        self.locked = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in _ACTIVITY and isinstance(watched, QWidget) and watched.window() is self:
            self.touched()
        if (watched is self.booking and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Escape):
            self.booking.clear()  # a citizen starting again
            self.touched()
            return True
        return False

    def touched(self) -> None:
        """A citizen is using the kiosk: the idle time starts again (only away from Arabic or mid-choice)."""
        if (self.ctx.lang.lang != "ar" or self.priority.isChecked() or self.exit_panel.isVisible()
                or self.mobile.text() or self.booking.text()):
            self.idle_timer.start()
        else:
            self.idle_timer.stop()

    @Slot()
    def idle(self) -> None:
        """Nobody touched the kiosk for a while: back to Arabic, no priority, no number, no exit form."""
        self.cancel_exit()
        self.priority.setChecked(False)
        self.mobile.clear()
        self.booking.clear()
        if self.ctx.lang.lang != "ar":
            self.ctx.lang.set("ar")
        self.idle_timer.stop()

    @Slot()
    def ask_exit(self) -> None:
        self._exit_error = None
        self.exit_error.clear()
        self.result.hide()  # the form takes the ticket message's place: the kiosk still fits 1366x768
        self.mobile_label.hide()  # and the citizen's number field's (what was typed is forgotten)
        self.mobile.clear()
        self.mobile.hide()
        for widget in (self.booking_label, self.booking):  # and the booking's
            widget.hide()
        self.booking.clear()
        self.exit_panel.show()
        self.exit_username.setFocus()
        self.touched()

    @Slot()
    def cancel_exit(self) -> None:
        for field in (self.exit_username, self.exit_password):
            field.clear()
        self._exit_error = None
        self.exit_error.clear()
        self.exit_panel.hide()
        self.result.show()
        self.mobile_label.show()
        self.mobile.show()
        self.booking_label.show()
        self.booking.show()

    @Slot()
    def confirm_exit(self) -> None:
        if self._exit_busy or not self.exit_panel.isVisible():
            return
        db, username, password = self.ctx.db, self.exit_username.text(), self.exit_password.text()
        self._exit_busy = True
        self.exit_confirm.setEnabled(False)
        self.exit_error.say(N_("kiosk.exit_checking"), state="info")
        self.ctx.ops.write(lambda: shell.login(db, username, password), self._exit_checked, self._exit_failed,
                         owner=self)

    def _exit_checked(self, user: UserView) -> None:
        self._exit_busy = False
        self.exit_confirm.setEnabled(True)
        if not user.supervises:
            from counter_app.ui.shell.i18n import UiError

            self._exit_failed(UiError("kiosk.exit_refused"))
            return
        self.cancel_exit()
        self.unlock()
        self.exit_requested.emit(user)

    def _exit_failed(self, exc: BaseException) -> None:
        self._exit_busy = False
        self.exit_confirm.setEnabled(True)
        self._exit_error = exc
        self.exit_password.clear()
        self.exit_password.setFocus()
        self.exit_error.fail(exc)

    # -- tickets ---------------------------------------------------------------------------
    def groups(self) -> tuple[GroupView, ...]:
        return self.ctx.catalogue.groups if self.ctx.catalogue else ()

    @Slot()
    def refresh(self) -> None:
        self._reload.request()

    def _read_counts(self) -> Callable[[], dict[str, int]]:
        db = self.ctx.db
        return lambda: kiosk_service.waiting_counts(db)

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
        try:
            mobile = kiosk_service.check_mobile(self.mobile.text())
        except kiosk_service.InvalidMobile:
            self._refuse_mobile()
            return
        url, lang, printing, db = ctx.config.ticket_printer, ctx.lang.lang, ctx.printing, ctx.db
        portal = ctx.config.portal_base_url

        def work() -> IssuedView:
            issued = kiosk_service.issue_ticket(db, letter, priority, mobile)
            printing.submit(ticket_document(cat.centre, group.name_ar, group.name_en, issued, portal), url, lang)
            return issued

        self.busy = True
        self.ctx.ops.write(work, self._issued, self._failed, owner=self)

    @Slot()
    def check_in(self) -> None:
        """Enter in the booking field (typed, or the scanner's): the appointment's ticket, printed."""
        text = self.booking.text().strip()
        if self.busy or not text:
            return
        cat, ctx = self.ctx.catalogue, self.ctx
        if cat is None:
            return
        url, lang, printing, db = ctx.config.ticket_printer, ctx.lang.lang, ctx.printing, ctx.db
        portal, names = ctx.config.portal_base_url, {g.letter: (g.name_ar, g.name_en) for g in self.groups()}

        def work() -> kiosk_service.CheckInView:
            done = kiosk_service.check_in(db, text, fetch_booking(db))
            name_ar, name_en = names.get(done.issued.group, (done.issued.group, done.issued.group))
            printing.submit(ticket_document(cat.centre, name_ar, name_en, done.issued, portal), url, lang)
            return done

        self.busy = True
        self.ctx.ops.write(work, self._checked, self._check_in_failed, owner=self)

    def _checked(self, done: kiosk_service.CheckInView) -> None:
        self.booking.clear()
        self._issued(done.issued)
        self._checked_in = done
        self.update_texts()

    def _check_in_failed(self, exc: BaseException) -> None:
        self._failed(exc)  # what was typed stays, to be corrected
        self.booking.setFocus()
        self.booking.selectAll()

    def _refuse_mobile(self) -> None:
        """A wrong number: say so, keep what was typed and chosen, put the cursor back in the field."""
        from counter_app.ui.shell.i18n import UiError

        self._error, self._last = UiError("kiosk.sms_invalid"), None
        self.update_texts()
        self._clear.start()
        self.mobile.setFocus()
        self.touched()

    def _issued(self, issued: IssuedView) -> None:
        self.busy = False
        self._last, self._error, self._checked_in = issued, None, None
        self.mobile.clear()  # never shown again
        self.priority.setChecked(False)
        self.waiting[issued.group] = issued.waiting_ahead + 1
        self.update_texts()
        self._clear.start()
        self.issued.emit(issued)
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self._error, self._last, self._checked_in = exc, None, None
        self.update_texts()
        self._clear.start()

    def _reset(self) -> None:
        self._last = self._error = self._checked_in = None
        self.update_texts()

    def show_error(self, exc: BaseException) -> None:
        self._failed(exc)

    def fit_fields(self) -> None:
        """The booking's and the mobile's fields at least as wide as their placeholder (and the
        longest usual entry: a national ID, a mobile number) in the font and language shown: an
        Arabic placeholder is longer than the English one and was cut off."""
        for field, sample in ((self.booking, "29001012345675"), (self.mobile, "+201012345678")):
            field.ensurePolished()
            metrics = field.fontMetrics()
            text = max(metrics.horizontalAdvance(field.placeholderText()), metrics.horizontalAdvance(sample))
            margins, contents = field.textMargins(), field.contentsMargins()
            inner = QSize(text + 2 * metrics.averageCharWidth() + margins.left() + margins.right() + contents.left()
                          + contents.right(), metrics.height())  # room for the cursor and the line edit's own margins
            option = QStyleOptionFrame()
            field.initStyleOption(option)
            need = field.style().sizeFromContents(QStyle.ContentsType.CT_LineEdit, option, inner, field)
            field.setMinimumWidth(need.width())

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        self.fit_fields()  # in the style sheet's font, applied by now
        super().showEvent(event)

    def update_texts(self) -> None:
        self.fit_fields()
        lang, cat = self.ctx.lang, self.ctx.catalogue
        self.title.setText(lang.text("kiosk.title", centre=lang.pick(cat.centre.name_ar, cat.centre.name_en))
                           if cat else lang.text("app.name"))
        for group in self.groups():
            self.buttons[group.letter].setText(lang.text(
                "kiosk.group_button", letter=group.letter, name=lang.pick(group.name_ar, group.name_en),
                count=self.waiting.get(group.letter, 0)))
        self.priority.setText(lang.text(N_("kiosk.priority_on") if self.priority.isChecked() else N_("kiosk.priority_off")))
        if self._error is not None:
            self.result.fail(self._error)
        elif self._checked_in is not None:
            done = self._checked_in
            key = {None: N_("kiosk.checked_in"), "early": N_("kiosk.checked_in_early"),
                   "late": N_("kiosk.checked_in_late")}[done.reason]
            self.result.say(key, state="info", number=ticket_label(done.issued.number),
                            booked=format_time(done.booked_at, lang.lang), ahead=Msg("kiosk.ahead", n=done.issued.waiting_ahead))
        elif self._last is not None:
            key = N_("kiosk.issued_now") if self._last.waiting_ahead == 0 else N_("kiosk.issued")
            self.result.say(key, state="info", number=ticket_label(self._last.number),
                            ahead=Msg("kiosk.ahead", n=self._last.waiting_ahead),
                            wait=Msg("common.minutes", n=self._last.estimated_wait_minutes))
        else:
            self.result.clear()
