"""Lazy Qt set-up for rendering: a QGuiApplication (offscreen when there is no display) and fonts."""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QThread
from PySide6.QtGui import QFontDatabase, QGuiApplication, QImage

log = logging.getLogger(__name__)

FONTS_DIR = Path(__file__).resolve().parent.parent / "resources" / "fonts"
RASTER_FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
RASTER_FAMILY = "DejaVu Sans"

_lock = threading.Lock()
_fonts_loaded = False
_own_app: QGuiApplication | None = None
_none_guarded = False


def guard_none_refcount() -> bool:
    """Work around PySide6 6.12.0 on Python 3.11, whose void methods drop a reference to None.

    Every ``painter.drawText(...)``-like call then decrements None's reference count until the
    interpreter aborts with "none_dealloc". Python 3.12+ makes None immortal, so the bug is harmless
    there. When the bug is detected we give None a huge reference count (as 3.12 does). Returns True
    if the workaround was applied. Pinning ``PySide6-Essentials!=6.12.0`` avoids the need for it.
    """
    global _none_guarded
    if _none_guarded or sys.version_info >= (3, 12):
        return _none_guarded
    probe = QImage(1, 1, QImage.Format.Format_Grayscale8)
    before = sys.getrefcount(None)
    for _ in range(64):
        probe.fill(255)
    if sys.getrefcount(None) < before - 32:
        ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40
        _none_guarded = True
        log.warning("PySide6 %s drops references to None; applied the refcount workaround", _qt_version())
    return _none_guarded


def _qt_version() -> str:
    import PySide6

    return str(PySide6.__version__)


def ensure_qt() -> None:
    """Make sure a QGuiApplication exists and the shipped fonts are registered.

    Creates an application (``QT_QPA_PLATFORM=offscreen`` when there is no display) if none exists;
    that must happen on the main thread. Afterwards rendering works from any thread.
    """
    global _fonts_loaded, _own_app
    if _fonts_loaded and QCoreApplication.instance() is not None:
        return
    with _lock:
        guard_none_refcount()
        instance = QCoreApplication.instance()
        if instance is None:
            if threading.current_thread() is not threading.main_thread():
                raise RuntimeError(
                    "printers: create the QGuiApplication (or call printers.qt.ensure_qt()) on the main "
                    "thread before rendering in a worker thread"
                )
            if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
                os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
            # A QApplication (a QGuiApplication that also allows widgets), so a window opened later
            # in the same process (the counter app, the display, a test) can use it too.
            from PySide6.QtWidgets import QApplication

            _own_app = QApplication(sys.argv[:1] or ["shubbak-printers"])
            log.debug("created a QGuiApplication for rendering (%s)", QGuiApplication.platformName())
        elif not isinstance(instance, QGuiApplication):
            raise RuntimeError("printers: a QCoreApplication exists; rendering needs a QGuiApplication")
        if not _fonts_loaded:
            if QThread.currentThread() is not QCoreApplication.instance().thread():  # type: ignore[union-attr]
                log.debug("registering fonts from a non-GUI thread")
            for name in RASTER_FONT_FILES:
                font_id = QFontDatabase.addApplicationFont(str(FONTS_DIR / name))
                if font_id < 0:
                    raise RuntimeError(f"printers: cannot load font {FONTS_DIR / name}")
            _fonts_loaded = True
