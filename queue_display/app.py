"""``queue-display [--db URL] [--screen N] [--groups A,B] [--lang ar|en] [--voice ar,en]``:
the full-screen waiting-hall display, read-only on the centre database."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QApplication

from counter_app.common.engine import normalise_url
from counter_app.common.logs import configure_logging
from counter_app.core.db import default_database_url
from counter_app.ui.shell.crash import CrashHandler, install_qt_message_handler
from queue_display.announcer import Announcer
from queue_display.window import DisplayController, DisplayWindow

log = logging.getLogger(__name__)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="queue-display", description=__doc__)
    parser.add_argument("--db", help="centre database URL (default: SHUBBAK_DB or the local file)")
    parser.add_argument("--screen", type=int, default=0, help="the screen to fill (0 = the first)")
    parser.add_argument("--groups", default="", help="only these service groups, e.g. A,B")
    parser.add_argument("--lang", choices=("ar", "en"), default="ar")
    parser.add_argument("--voice", default="ar", help="announcement languages in order, e.g. ar,en; 'none' = silent")
    parser.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    return parser.parse_args(list(argv) if argv is not None else None)


def load_fonts() -> None:
    from pathlib import Path

    fonts = Path(__file__).resolve().parent.parent / "resources" / "fonts"
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        QFontDatabase.addApplicationFont(str(fonts / name))


def check_database(url: str | None, lang: str) -> str:
    """SQLite's quick check of the centre's file (read-only): the message to show when it is
    damaged (it names the file and says to restore the last backup), else ''."""
    from counter_app.common.i18n import strip_isolates
    from counter_app.core.db import check_file, sqlite_path
    from counter_app.core.errors import ShubbakError

    path = sqlite_path(url or default_database_url())
    try:
        if path is not None:
            check_file(path)
    except ShubbakError as exc:
        return strip_isolates(exc.message(lang))
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    from queue_display.watcher import Watcher

    args = parse_args(argv)
    configure_logging("queue-display", data_dir=None)
    install_qt_message_handler()
    refused = check_database(args.db, args.lang)
    if refused:
        print(refused, file=sys.stderr)
        return 2
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    load_fonts()
    groups = frozenset(g.strip().upper() for g in args.groups.split(",") if g.strip()) or None
    voices = [v for v in args.voice.split(",") if v in ("ar", "en")]
    controller = DisplayController()
    announcer = Announcer(voices, on_start=controller.on_announce) if voices else None
    window = DisplayWindow(args.lang, sorted(groups or ()), announcer)
    window.setLayoutDirection(Qt.LayoutDirection.RightToLeft if args.lang == "ar" else Qt.LayoutDirection.LeftToRight)
    controller.state_changed.connect(window.set_state)
    controller.status_changed.connect(window.set_status)
    crash = CrashHandler(window.show_error, app)
    crash.install()
    url = normalise_url(args.db or default_database_url())
    watcher = Watcher(url, controller.on_state, controller.on_status, groups)
    screens = QGuiApplication.screens()
    if 0 <= args.screen < len(screens):
        window.setScreen(screens[args.screen])
        window.setGeometry(screens[args.screen].geometry())
    if args.windowed:
        window.show()
    else:
        window.showFullScreen()
    watcher.start()
    code = app.exec()
    watcher.stop()
    if announcer is not None:
        announcer.stop()
    crash.uninstall()
    return int(code)
