"""What the Qt programs (counter app, waiting-hall display) do with an error nobody caught and
with Qt's own messages. It imports only PySide6 and the standard library, so the display may use
it too.

* ``sys.excepthook`` (an exception raised in a slot, a timer, an event handler) and
  ``threading.excepthook`` (one that ended a thread): the traceback goes to the log with the
  thread and the active window, then the window shows the translated "unexpected error" message
  (``error.unexpected``: "...was logged for support") and stays open. The message is shown on the
  GUI thread even when a worker thread failed.
* ``qInstallMessageHandler``: Qt's debug, info, warning, critical and fatal messages become log
  records of the same level on the logger ``qt`` (or ``qt.<category>``), with Qt's file, line and
  function when it gives them.

The log itself is set up by :func:`counter_app.common.logs.configure_logging`.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QMessageLogContext, QObject, QtMsgType, Signal, Slot, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}

#: Qt messages that say nothing about the program, logged at DEBUG: the offscreen platform (the
#: display on a PC without a desktop session) cannot pass size hints to a window manager.
HARMLESS_QT_MESSAGES = (
    "This plugin does not support propagateSizeHints",
)

QtHandler = Callable[[QtMsgType, QMessageLogContext, str], None]


def qt_logger_name(category: str | None) -> str:
    """``qt`` for Qt's default category, else the category under ``qt`` (``qt.qpa.fonts``)."""
    if not category or category == "default":
        return "qt"
    return category if category == "qt" or category.startswith("qt.") else f"qt.{category}"


def qt_message_handler(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's messages into logging, each at its level (critical is ERROR, fatal CRITICAL)."""
    level = _QT_LEVELS.get(mode, logging.WARNING)
    if any(message.startswith(harmless) for harmless in HARMLESS_QT_MESSAGES):
        level = logging.DEBUG
    logger = logging.getLogger(qt_logger_name(context.category))
    if not logger.isEnabledFor(level):
        return
    record = logger.makeRecord(logger.name, level, context.file or "(qt)", context.line or 0,
                               message or "(empty message)", (), None, func=context.function or None)
    logger.handle(record)


def install_qt_message_handler() -> QtHandler | None:
    """Route Qt's messages into logging; returns the handler it replaced (give it back to
    ``qInstallMessageHandler`` to undo)."""
    previous: QtHandler | None = qInstallMessageHandler(qt_message_handler)
    return previous


class CrashHandler(QObject):
    """Logs every uncaught exception and shows it through ``show`` (called on the GUI thread with
    the exception; a window shows ``error.unexpected`` for anything without its own message)."""

    _failed = Signal(object)

    def __init__(self, show: Callable[[BaseException], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._show_error = show
        self._previous: tuple[Callable[..., object], Callable[..., object], QtHandler | None] | None = None
        self._failed.connect(self._show)

    @property
    def installed(self) -> bool:
        return self._previous is not None

    def install(self) -> None:
        """Take over ``sys.excepthook``, ``threading.excepthook`` and Qt's message handler."""
        if self._previous is not None:
            return
        self._previous = (sys.excepthook, threading.excepthook, install_qt_message_handler())
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook

    def uninstall(self) -> None:
        """Give back what :meth:`install` replaced."""
        if self._previous is None:
            return
        excepthook, thread_hook, qt_handler = self._previous
        self._previous = None
        if sys.excepthook == self.excepthook:
            sys.excepthook = excepthook
        if threading.excepthook == self.thread_excepthook:
            threading.excepthook = thread_hook
        qInstallMessageHandler(qt_handler)

    def excepthook(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):  # Ctrl+C in the terminal: quit as usual
            sys.__excepthook__(exc_type, exc, tb)
            app = QApplication.instance()
            if app is not None:
                app.quit()
            return
        log.error("unexpected error (thread %s, window %s)", threading.current_thread().name, _active_window(),
                  exc_info=(exc_type, exc, tb))
        self._failed.emit(exc)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        exc = args.exc_value if args.exc_value is not None else args.exc_type()
        name = args.thread.name if args.thread is not None else "?"
        log.error("unexpected error ended thread %s", name, exc_info=(args.exc_type, exc, args.exc_traceback))
        self._failed.emit(exc)

    @Slot(object)
    def _show(self, exc: BaseException) -> None:
        try:
            self._show_error(exc)
        except Exception:  # showing must never raise into the hook again
            log.exception("the error message could not be shown")


def _active_window() -> str:
    """The class of the window in front (asked on the GUI thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return "-"
    window = QApplication.activeWindow()
    return type(window).__name__ if window is not None else "none"
