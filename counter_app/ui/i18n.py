"""The windows' message catalogue (Arabic default, English) and the live language switch.

One mechanism for every window: texts are looked up by message id and filled with ``str.format``
placeholders (never concatenated); a :class:`Binder` remembers which setter shows which message,
so switching the language re-translates every open window at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication

from counter_app.core.bidi import isolate as isolate  # re-exported: the windows' one isolate
from counter_app.ui.messages import MESSAGES

Lang = Literal["ar", "en"]
LANGS: tuple[Lang, ...] = ("ar", "en")


def translate(message_id: str, lang: str, /, **params: Any) -> str:
    texts = MESSAGES.get(message_id)
    if texts is None:
        return message_id
    template = texts[0] if lang == "ar" else texts[1]
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template


class UiError(Exception):
    """An error the windows themselves raise, with its message id (translated when shown)."""

    def __init__(self, message_id: str, /, **params: Any) -> None:
        self.message_id, self.params = message_id, params
        super().__init__(translate(message_id, "en", **params))

    def message(self, lang: str = "ar") -> str:
        return translate(self.message_id, lang, **self.params)


class Language(QObject):
    """The current language of the application; ``changed`` fires after a switch."""

    changed = Signal(str)

    def __init__(self, lang: str = "ar", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lang: Lang = "en" if lang == "en" else "ar"

    @property
    def direction(self) -> Qt.LayoutDirection:
        return Qt.LayoutDirection.RightToLeft if self.lang == "ar" else Qt.LayoutDirection.LeftToRight

    def apply_direction(self) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setLayoutDirection(self.direction)

    def set(self, lang: str) -> None:
        new: Lang = "en" if lang == "en" else "ar"
        if new == self.lang:
            return
        self.lang = new
        self.apply_direction()
        self.changed.emit(new)

    def toggle(self) -> None:
        self.set("en" if self.lang == "ar" else "ar")

    def tr(self, message_id: str, /, **params: Any) -> str:  # type: ignore[override]
        """The message in the current language; an exception passed as a parameter is turned
        into its own message here, so a stored message follows a later language switch."""
        return translate(message_id, self.lang,
                         **{k: self.error(v) if isinstance(v, BaseException) else v for k, v in params.items()})

    def pick(self, ar: str, en: str) -> str:
        """The Arabic or English variant of a name stored in both languages (catalogue, centre)."""
        return ar if self.lang == "ar" else en

    def error(self, exc: BaseException) -> str:
        """A clear message for any error a clerk can meet, in the current language."""
        message = getattr(exc, "message", None)
        if callable(message):
            try:
                return str(message(self.lang))
            except Exception:  # a broken message must not hide the error itself
                pass
        return self.tr("error.unexpected")


class Msg(str):
    """A parameter that is itself a message id, translated at each (re)translation."""


def _fill(lang: Language, message_id: str, params: dict[str, Any]) -> str:
    return lang.tr(message_id, **{k: lang.tr(v) if isinstance(v, Msg) else v for k, v in params.items()})


class Binder:
    """Remembers ``setter(tr(message_id, **params))`` pairs and replays them on a language switch."""

    def __init__(self, lang: Language, owner: QObject) -> None:
        self.lang = lang
        self._bindings: list[tuple[Callable[[str], object], str, dict[str, Any]]] = []
        self._extra: list[Callable[[], None]] = []
        lang.changed.connect(owner_slot(owner, self.retranslate))

    def __call__(self, setter: Callable[[str], object], message_id: str, /, **params: Any) -> None:
        self._bindings.append((setter, message_id, params))
        setter(_fill(self.lang, message_id, params))

    def also(self, refresh: Callable[[], None]) -> None:
        """Run ``refresh`` (dynamic texts) on every language switch."""
        self._extra.append(refresh)

    def retranslate(self) -> None:
        for setter, message_id, params in self._bindings:
            setter(_fill(self.lang, message_id, params))
        for refresh in self._extra:
            refresh()


class _Slot(QObject):
    """A receiver living with its owner, so the connection dies with the window."""

    def __init__(self, owner: QObject, fn: Callable[[], None]) -> None:
        super().__init__(owner)
        self._fn = fn

    def fire(self, *_args: object) -> None:
        self._fn()


def owner_slot(owner: QObject, fn: Callable[[], None]) -> Callable[..., None]:
    return _Slot(owner, fn).fire
