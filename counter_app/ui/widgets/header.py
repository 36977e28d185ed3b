"""The band at the top of every window of the counter app."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMainWindow, QPushButton, QVBoxLayout, QWidget

from counter_app.common.i18n import N_, Msg
from counter_app.ui.shell.i18n import Binder, Language
from counter_app.ui.widgets.style import SPACE

LANGUAGE_KEY = "Ctrl+L"
LOGOUT_KEY = "Ctrl+Shift+Q"


class WindowHeader(QFrame):
    """Who is logged in and where (``who``), the window's own buttons, the language switch
    (Ctrl+L) and log out (Ctrl+Shift+Q, ``logout_requested``), on the display's navy band.

    The shortcuts belong to the window the header sits in. A window without a user (the login,
    the first start) passes ``logout=False`` and shows the application's name in ``who``.
    """

    logout_requested = Signal()

    def __init__(self, lang: Language, window: QWidget, *, logout: bool = True) -> None:
        super().__init__(window)
        self.lang = lang
        self.t = Binder(lang, self)
        self.setObjectName("windowHeader")
        self.who = QLabel(self)
        self.who.setObjectName("who")
        self.who.setWordWrap(True)  # a long centre name wraps instead of widening the window
        self.buttons: dict[str, QPushButton] = {}
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(SPACE.card, SPACE.gap, SPACE.card, SPACE.gap)
        self._row.setSpacing(SPACE.gap)
        self._row.addWidget(self.who, 1)
        self._own = QHBoxLayout()  # the window's own buttons
        self._own.setSpacing(SPACE.gap)
        self._row.addLayout(self._own)
        self.language_button = self._button("language", N_("common.language_switch"), lang.toggle, LANGUAGE_KEY)
        self._row.addWidget(self.language_button)
        QShortcut(QKeySequence(LANGUAGE_KEY), window, lang.toggle)
        self.logout_button: QPushButton | None = None
        if logout:
            self.logout_button = self._button("logout", N_("common.logout"), self.logout_requested.emit, None)
            self.logout_button.setToolTip(LOGOUT_KEY)
            self._row.addWidget(self.logout_button)
            QShortcut(QKeySequence(LOGOUT_KEY), window, self.logout_requested.emit)

    def add_button(self, name: str, message_id: str, slot: Callable[[], object], *, key: str | None = None) -> QPushButton:
        """A button of the window on the band, before the language switch and log out; with ``key``,
        its text says the shortcut (the window binds the key itself)."""
        button = self._button(name, message_id, slot, key)
        self._own.addWidget(button)
        return button

    def _button(self, name: str, message_id: str, slot: Callable[[], object], key: str | None) -> QPushButton:
        button = QPushButton(self)
        button.setObjectName(name)
        button.clicked.connect(lambda _checked=False: slot())
        if key is None:
            self.t(button.setText, message_id)
        else:
            self.t(button.setText, "common.with_key", text=Msg(message_id), key=key)
        self.buttons[name] = button
        return button

    def set_who(self, text: str) -> None:
        self.who.setText(text)


def with_header(window: QWidget, header: WindowHeader) -> QVBoxLayout:
    """Put ``header`` along the top edge of ``window`` and return the layout of the window's body
    (a main window's central widget gets it; any other window is laid out here)."""
    if isinstance(window, QMainWindow):
        window.setMenuWidget(header)
        central = QWidget(window)
        body = QVBoxLayout(central)
        window.setCentralWidget(central)
    else:
        outer = QVBoxLayout(window)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(header)
        body = QVBoxLayout()
        outer.addLayout(body, 1)
    body.setContentsMargins(SPACE.page, SPACE.page, SPACE.page, SPACE.page)
    return body
