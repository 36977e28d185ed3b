"""The login window: offline login against local hashes, the counter to work at, the language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from counter_app.common.i18n import N_
from counter_app.ui.shell.i18n import Binder
from counter_app.ui.widgets import MessageLine, WindowHeader, mark_primary, with_header

if TYPE_CHECKING:
    from counter_app.services.views import CounterView, UserView
    from counter_app.ui.shell.context import AppContext


class LoginWindow(QWidget):
    """Emits ``logged_in(user, counter)`` (counter may be None) after a successful login."""

    logged_in = Signal(object, object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.t = Binder(ctx.lang, self)
        self.setObjectName("loginWindow")
        self.counters: list[CounterView] = []
        self.title = QLabel(self)
        self.title.setObjectName("title")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        self.username = QLineEdit(self)
        self.username.setObjectName("username")
        self.password = QLineEdit(self)
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.counter = QComboBox(self)
        self.counter.setObjectName("counter")
        self.login_button = QPushButton(self)
        self.login_button.setObjectName("login")
        mark_primary(self.login_button)  # drawn as the one action, and the default button
        self.header = WindowHeader(ctx.lang, self, logout=False)
        self.language_button = self.header.language_button
        self.t(self.header.set_who, "app.name")
        self.error = MessageLine(ctx.lang, self, name="error")
        self._error: BaseException | str | None = None
        self._db_ready = False
        self._counters_known = False
        self._submit_waiting = False
        self._fatal: BaseException | None = None  # start-up failed: no login is possible

        form = QFormLayout()
        self.username_label, self.password_label, self.counter_label = QLabel(self), QLabel(self), QLabel(self)
        form.addRow(self.username_label, self.username)
        form.addRow(self.password_label, self.password)
        form.addRow(self.counter_label, self.counter)
        box = with_header(self, self.header)
        box.setContentsMargins(48, 24, 48, 32)
        box.setSpacing(14)
        box.addWidget(self.title)
        box.addLayout(form)
        box.addWidget(self.login_button)
        box.addWidget(self.error)
        box.addStretch(1)

        self.t(self.setWindowTitle, "login.window_title")
        self.t(self.username_label.setText, "login.username")
        self.t(self.password_label.setText, "login.password")
        self.t(self.counter_label.setText, "login.counter")
        self.t(self.login_button.setText, "login.submit")
        self.t.also(self._render_dynamic)
        self.login_button.clicked.connect(self.submit)
        self.password.returnPressed.connect(self.submit)
        self.username.returnPressed.connect(self.password.setFocus)
        self.resize(520, 440)
        self._render_dynamic()

    def set_ready(self, ready: bool) -> None:
        """The clerk may type (and press log in) while the database opens in the background;
        a login pressed before it is open waits and runs as soon as it is."""
        self._db_ready = ready
        if ready:
            self.load_counters()  # then runs a waiting login, now that the counter can be chosen

    def fatal(self, exc: BaseException) -> None:
        """Start-up failed (a damaged database file): the message says why and what to do, and
        the login button stays disabled."""
        self._fatal, self._error = exc, exc
        self._db_ready = self._submit_waiting = False
        self.login_button.setEnabled(False)
        self._render_dynamic()

    def load_counters(self) -> None:
        def work() -> list[CounterView]:
            from counter_app.services import shell

            return shell.list_counters(db)

        db = self.ctx.db
        self.ctx.ops.run(work, self._counters_loaded, self._failed, owner=self)

    def _counters_loaded(self, counters: list[CounterView]) -> None:
        self.counters, self._counters_known = counters, True
        self._render_dynamic()
        wanted = self.ctx.config.counter_number
        for i, c in enumerate(counters):
            if c.number == wanted:
                self.counter.setCurrentIndex(i)
        if self._submit_waiting:
            self._submit_waiting = False
            self.submit()

    def _render_dynamic(self) -> None:
        catalogue, lang = self.ctx.catalogue, self.ctx.lang
        name = lang.pick(catalogue.centre.name_ar, catalogue.centre.name_en) if catalogue else ""
        self.title.setText(lang.text("login.title", centre=name) if name else lang.text("app.name"))
        current = self.counter.currentIndex()
        self.counter.clear()
        for c in self.counters:
            self.counter.addItem(lang.pick(c.name_ar, c.name_en), c.id)
        if 0 <= current < self.counter.count():
            self.counter.setCurrentIndex(current)
        err = self._error
        if err is None:
            self.error.clear()
        elif err == "login.starting":  # pressed while the database opens: it logs in by itself once open
            self.error.say(err, state="info")
        else:
            self.error.fail(err)

    def selected_counter(self) -> CounterView | None:
        index = self.counter.currentIndex()
        return self.counters[index] if 0 <= index < len(self.counters) else None

    @Slot()
    def submit(self) -> None:
        username, password = self.username.text(), self.password.text()
        if self._fatal is not None:  # Enter in the password field: the reason stays in view
            return
        if not username.strip() or not password:
            self._error = N_("login.fill_in")
            self._render_dynamic()
            return
        if not self._db_ready or not self._counters_known:
            self._submit_waiting = True
            self._error = N_("login.starting")
            self._render_dynamic()
            return
        self.login_button.setEnabled(False)
        self._error = None
        self._render_dynamic()
        db = self.ctx.db

        def work() -> UserView:
            from counter_app.services import shell

            return shell.login(db, username, password)

        self.ctx.ops.write(work, self._logged_in, self._failed, owner=self)  # failures are counted

    def _logged_in(self, user: UserView) -> None:
        self.login_button.setEnabled(self._fatal is None)
        self.password.clear()
        self.logged_in.emit(user, self.selected_counter())

    def _failed(self, exc: BaseException) -> None:
        self.login_button.setEnabled(self._fatal is None)
        self._error = self._fatal or exc
        self._render_dynamic()
        self.password.selectAll()
        self.password.setFocus()
