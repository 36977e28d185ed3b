"""The windows' side of the one language mechanism (:mod:`counter_app.common.i18n`) and the live
language switch.

Texts are looked up by message id in the gettext catalogue and filled with ``{named}`` fields
(never concatenated), every value isolated by the mechanism; a :class:`Binder` remembers which
setter shows which message, so switching the language re-translates every open window at once.
Qt's own strings (context menus, dialogs' buttons) follow through a ``QTranslator`` loading the
``qtbase_<lang>.qm`` that PySide6 ships.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QLibraryInfo, QLocale, QObject, Qt, QTranslator, Signal
from PySide6.QtWidgets import QApplication

from counter_app.common.i18n import LANGS as LANGS
from counter_app.common.i18n import Lang as Lang
from counter_app.common.i18n import Msg as Msg
from counter_app.common.i18n import gettext, lang_of, ngettext
from counter_app.common.i18n import isolate as isolate  # re-exported: the windows' one isolate

#: The locale Qt's own widgets format with (date edits, spin boxes, calendar pop-ups). The windows
#: write digits in Western form (the digit policy in README.md), and Qt cannot switch ar_EG's
#: numbering system: its ar_LY data has the same month and weekday names as Egypt with Western
#: digits. Our own texts are formatted by counter_app.common.formatting (Babel, ar_EG).
QT_LOCALES: dict[str, str] = {"ar": "ar_LY", "en": "en_GB"}


def translate(message_id: str, lang: str, /, **params: Any) -> str:
    return gettext(message_id, lang_of(lang), **params)


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
        self.lang: Lang = lang_of(lang)
        self._qt_translator: QTranslator | None = None

    @property
    def direction(self) -> Qt.LayoutDirection:
        return Qt.LayoutDirection.RightToLeft if self.lang == "ar" else Qt.LayoutDirection.LeftToRight

    @property
    def locale(self) -> QLocale:
        return QLocale(QT_LOCALES[self.lang])

    def apply_direction(self) -> None:
        """Layout direction, default locale and Qt's own translations for the current language."""
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setLayoutDirection(self.direction)
            QLocale.setDefault(self.locale)
            self._install_qt_translator(app)

    def _install_qt_translator(self, app: QApplication) -> None:
        if self._qt_translator is not None:
            app.removeTranslator(self._qt_translator)
            self._qt_translator = None
        if self.lang == "en":
            return
        translator = QTranslator(self)
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if translator.load(f"qtbase_{self.lang}", folder):
            app.installTranslator(translator)
            self._qt_translator = translator

    def release(self) -> None:
        """Take Qt's translation of this language out of the application (the shell shuts down)."""
        app = QApplication.instance()
        if self._qt_translator is not None and isinstance(app, QApplication):
            app.removeTranslator(self._qt_translator)
        self._qt_translator = None

    def set(self, lang: str) -> None:
        new: Lang = lang_of(lang)
        if new == self.lang:
            return
        self.lang = new
        self.apply_direction()
        self.changed.emit(new)

    def toggle(self) -> None:
        self.set("en" if self.lang == "ar" else "ar")

    def text(self, message_id: str, /, **params: Any) -> str:
        """The message in the current language; an exception or a :class:`Msg` passed as a
        field is translated here, so a stored message follows a later language switch."""
        return gettext(message_id, self.lang, **params)

    def ntext(self, message_id: str, n: int, /, **params: Any) -> str:
        """The plural form of the message for ``n`` (six forms in Arabic)."""
        return ngettext(message_id, n, self.lang, **params)

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
        return self.text("error.unexpected")


def _fill(lang: Language, message_id: str, params: dict[str, Any]) -> str:
    return lang.text(message_id, **params)


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
