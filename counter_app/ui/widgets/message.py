"""The message line under a panel: what just happened, in the user's language."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from counter_app.common.i18n import N_
from counter_app.common.palette import State
from counter_app.ui.shell.i18n import Language, owner_slot
from counter_app.ui.widgets.style import set_state

#: How a screen reader announces a line in each state (the sentence itself is the field).
ACCESSIBLE = {"error": N_("message.a11y_error"), "warning": N_("message.a11y_warning"),
              "success": N_("message.a11y_success")}


@dataclass(frozen=True)
class Said:
    """A sentence to show: its message id and fields, translated when shown (again after a switch)."""

    message_id: str
    params: dict[str, object] = field(default_factory=dict)


class MessageLine(QLabel):
    """One line that says what happened: a sentence from the catalogue (or an error's own message),
    its colour from its state through the style sheet (``QLabel[state="error"]``), wrapped to the
    panel's width, selectable (a tracking code can be copied), announced by a screen reader with
    its state, and translated again when the language switches.

    ``say(id, **fields)`` reports success (or another state), ``fail(error)`` an error (an
    exception, or a message id), ``clear()`` empties it.
    """

    def __init__(self, lang: Language, parent: QWidget | None = None, *, name: str = "message") -> None:
        super().__init__(parent)
        self.lang = lang
        self.setObjectName(name)
        self.setProperty("message", True)
        self.setProperty("state", "")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._content: Said | BaseException | None = None
        self._state: State = ""
        lang.changed.connect(owner_slot(self, self.retranslate))

    # -- what to say -----------------------------------------------------------------------
    def say(self, message_id: str, /, *, state: State = "success", **params: object) -> None:
        """Show the message ``message_id`` with its fields, in ``state`` (success unless said)."""
        self.show_content(Said(message_id, dict(params)), state)

    def fail(self, error: BaseException | str, /, **params: object) -> None:
        """Show an error: an exception (its own message in the user's language) or a message id."""
        self.show_content(Said(error, dict(params)) if isinstance(error, str) else error, "error")

    def show_content(self, content: Said | BaseException | None, state: State) -> None:
        self._content, self._state = content, state if content is not None else ""
        self.retranslate()

    def clear(self) -> None:
        self.show_content(None, "")

    # -- what it says now ------------------------------------------------------------------
    @property
    def content(self) -> Said | BaseException | None:
        return self._content

    @property
    def state(self) -> State:
        return self._state

    @property
    def is_error(self) -> bool:
        return self._state == "error" and self._content is not None

    def retranslate(self) -> None:
        """Translate the content into the current language and show it."""
        content, lang = self._content, self.lang
        if content is None:
            text = ""
        elif isinstance(content, BaseException):
            text = lang.error(content)
        else:
            text = lang.text(content.message_id, **content.params)
        self.setText(text)
        set_state(self, self._state if text else "")
        announce = ACCESSIBLE.get(self._state)
        self.setAccessibleName(lang.text(announce, text=text) if announce and text else text)
