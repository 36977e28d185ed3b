"""The composition root of the counter app: builds the shared context, shows the login (or the
first-start wizard), opens the window the user's role calls for, and shuts down cleanly.

The login window shows first; the database (migrations), catalogue, receipt key and print queue
are made ready in the background, so the app starts fast even on a slow counter PC.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

from counter_app.services.config import AppConfig, load_config
from counter_app.services.status import SyncStatusProvider, outbox_sync_status
from counter_app.ui.login.login import LoginWindow
from counter_app.ui.shell.changes import DatabaseChanges
from counter_app.ui.shell.context import AppContext
from counter_app.ui.shell.i18n import Language, UiError
from counter_app.ui.shell.operations import Operations
from counter_app.ui.widgets.style import apply_style

if TYPE_CHECKING:
    from counter_app.services.shell import Database
    from counter_app.services.views import CounterView, UserView
    from counter_app.ui.shell.sync_runner import NotifyRunner, SyncRunner

log = logging.getLogger(__name__)


class Prepared:
    """What the first start-up operation made ready (worker thread): the login can work."""

    def __init__(self, db: Database, catalogue: Any) -> None:
        self.db, self.catalogue = db, catalogue


def prepare(db: Database | None, url: str | None) -> Prepared:
    """Open (and migrate) the database and load the catalogue (worker thread)."""
    import counter_app.core.changes  # noqa: F401  (loaded here, not on the GUI thread that starts the watcher)
    from counter_app.services import shell

    if db is None:
        db = shell.open_database(url)
    return Prepared(db, shell.catalogue_if_set_up(db))  # None on first start: the wizard sets the centre up


def prepare_printing(config: AppConfig) -> Any:
    """Load the printing stack and the receipt key (worker thread), while the clerk types."""
    from counter_app.ui.shell.printing import load_or_create_key

    for printer in (config.ticket_printer, config.receipt_printer):
        if printer.startswith("virtual://"):
            os.makedirs(printer[len("virtual://"):], exist_ok=True)
    return load_or_create_key(config.key_path)


class Shell(QObject):
    """Owns the context and the one top-level window shown at a time."""

    ready = Signal()  # database and printing ready
    db_ready = Signal()  # the login can work
    window_changed = Signal(object)

    def __init__(self, config: AppConfig, db: Database | None = None, url: str | None = None,
                 sync_status: SyncStatusProvider = outbox_sync_status, kiosk: bool = False) -> None:
        super().__init__()
        self.lang = Language(config.lang, self)
        self.lang.apply_direction()
        self.ops = Operations(self)
        self.changes = DatabaseChanges(self)
        self.ctx = AppContext(self.ops, self.lang, config, sync_status, changes=self.changes)
        self.kiosk_mode = kiosk
        self.window: QWidget | None = None
        self.login: LoginWindow | None = None
        self.startup_error: BaseException | None = None
        self._db, self._url = db, url
        self._started = False
        self._pending_login: tuple[UserView, CounterView | None] | None = None
        self.sync_runner: SyncRunner | None = None
        self.notify_runner: NotifyRunner | None = None
        self.lang.changed.connect(self._language_changed)

    # -- start -----------------------------------------------------------------------------
    def start(self) -> None:
        """Show the login at once; open the database, then the printing stack, in the background."""
        self.show_login()
        self.open_in_background()

    def open_in_background(self) -> None:
        db, url, config = self._db, self._url, self.ctx.config
        self.ops.write(lambda: prepare(db, url), self._prepared, self._startup_failed)  # migrations
        self.ops.run(lambda: prepare_printing(config), self._printing_prepared, self._startup_failed)

    def _prepared(self, prepared: Prepared) -> None:
        self.ctx.db, self.ctx.catalogue = prepared.db, prepared.catalogue
        if self.ctx.config.sync_in_app and self.sync_runner is None:
            from counter_app.ui.shell.sync_runner import NotifyRunner, SyncRunner

            self.sync_runner = SyncRunner(prepared.db, ca_bundle=self.ctx.config.sync_ca_bundle)
            self.sync_runner.start()
        if self.ctx.config.notifications and self.notify_runner is None:
            from counter_app.ui.shell.sync_runner import NotifyRunner

            self.notify_runner = NotifyRunner(prepared.db, self.ctx.config.notifications)
            if self.notify_runner.configured:
                self.notify_runner.start()
        if self.login is not None:
            self.login.set_ready(True)  # the login works from here; printing may still load
        self.db_ready.emit()
        self._maybe_ready()

    def _printing_prepared(self, key: Any) -> None:
        from counter_app.ui.shell.printing import PrintService

        self.ctx.key = key
        self.ctx.printing = PrintService(self.ctx.config.print_jobs_dir, self, urls=self.ctx.config)
        self.ctx.printing.start()
        self._maybe_ready()

    def _maybe_ready(self) -> None:
        """Once both stages are done: the first-start wizard, the kiosk, or a waiting login."""
        if not self.ctx.ready or self._started:
            return
        self._started = True
        self.changes.start(self.ctx.db.url)  # after the start-up work: its first change catches up
        if self.ctx.catalogue is None:
            self.show_first_start()
        elif self.kiosk_mode:
            self.show_kiosk()
        elif self._pending_login is not None:
            user, counter = self._pending_login
            self._pending_login = None
            self._logged_in(user, counter)
        self.ready.emit()

    def _startup_failed(self, exc: BaseException) -> None:
        """Nothing can work (a damaged database file, say): the login shows why, and what to do,
        with its button disabled."""
        log.error("start-up failed: %s", exc)
        self.startup_error = exc
        if self.login is not None:
            self.login.fatal(exc)

    def reload_catalogue(self, then: Any = None) -> None:
        from counter_app.services import shell

        db = self.ctx.db

        def loaded(cat: Any) -> None:
            self.ctx.catalogue = cat
            if then is not None:
                then()

        self.ops.run(lambda: shell.load_catalogue(db), loaded, self._show_error)

    def _language_changed(self, _lang: str) -> None:
        """The open window follows the switch: right to left for Arabic, left to right for English."""
        if self.window is not None:
            self.window.setLayoutDirection(self.lang.direction)

    # -- windows ---------------------------------------------------------------------------
    def _replace(self, window: QWidget) -> None:
        old, self.window = self.window, window
        window.setLayoutDirection(self.lang.direction)
        window.show()
        if old is not None:
            old.close()
            old.deleteLater()
        if old is self.login:
            self.login = None
        self.window_changed.emit(window)

    def show_login(self) -> None:
        self.ctx.user, self.ctx.counter = None, None
        login = LoginWindow(self.ctx)
        login.logged_in.connect(self._logged_in)
        self._replace(login)
        self.login = login
        login.set_ready(self.ctx.has_db and self.startup_error is None)
        if self.startup_error is not None:
            login.fatal(self.startup_error)

    def show_first_start(self) -> None:
        from counter_app.ui.login.first_start import FirstStartWizard

        wizard = FirstStartWizard(self.ctx)
        wizard.finished_setup.connect(lambda: self.reload_catalogue(self.show_login))
        self._replace(wizard)

    def show_kiosk(self) -> None:
        """The kiosk, full screen; a supervisor who leaves it (Ctrl+Shift+K and their password) gets
        the supervisor window as themselves."""
        from counter_app.ui.kiosk.kiosk import KioskWindow

        kiosk = KioskWindow(self.ctx)
        kiosk.exit_requested.connect(lambda user: self._logged_in(user, self.ctx.counter))
        self._replace(kiosk)

    def _logged_in(self, user: UserView, counter: CounterView | None) -> None:
        from counter_app.services.views import Role

        if not self.ctx.ready:  # the password was quicker than the printers: open once they are up
            self._pending_login = (user, counter)
            return
        self.ctx.user, self.ctx.counter = user, counter
        log.info("%s logged in as %s", user.username, user.role.value)
        if user.supervises:
            self.show_supervisor()
        elif user.role == Role.CLERK:
            if counter is None:
                self._show_error(UiError("login.no_counter"))
                self.show_login()
                return
            self.show_counter()
        elif user.role == Role.REVIEWER:
            self.show_review()
        elif self.login is not None:
            self.login._failed(UiError("login.no_window_for_role"))

    def show_review(self) -> None:
        from counter_app.ui.review.review_window import ReviewWindow

        window = ReviewWindow(self.ctx)
        window.logout_requested.connect(self.show_login)
        self._replace(window)

    def show_counter(self) -> None:
        from counter_app.ui.counter.counter_window import CounterWindow

        window = CounterWindow(self.ctx)
        window.logout_requested.connect(self.show_login)
        window.supervisor_requested.connect(self.request_supervisor)
        self._replace(window)

    def request_supervisor(self) -> None:
        """Supervisor functions: refused (with a message) unless the user supervises."""
        user = self.ctx.user
        if user is None or not user.supervises:
            from counter_app.services.errors import PermissionDenied

            self._show_error(PermissionDenied())
            return
        self.show_supervisor()

    def show_supervisor(self) -> None:
        from counter_app.ui.supervisor.supervisor import SupervisorWindow

        user = self.ctx.user
        if user is None or not user.supervises:
            self.request_supervisor()
            return
        window = SupervisorWindow(self.ctx)
        window.logout_requested.connect(self.show_login)
        window.counter_requested.connect(self._supervisor_counter)
        window.kiosk_requested.connect(self.show_kiosk)
        window.catalogue_changed.connect(lambda: self.reload_catalogue())
        self._replace(window)

    def _supervisor_counter(self) -> None:
        if self.ctx.counter is None and self.ctx.catalogue and self.ctx.catalogue.counters:
            self.ctx.counter = self.ctx.catalogue.counters[0]
        self.show_counter()

    def _show_error(self, exc: BaseException) -> None:
        window = self.window
        show = getattr(window, "show_error", None)
        if callable(show):
            show(exc)
        elif isinstance(window, LoginWindow):
            window._failed(exc)
        else:
            log.warning("error with no window to show it: %s", exc)

    # -- stop ------------------------------------------------------------------------------
    def shutdown(self) -> None:
        if self.window is not None:
            self.window.close()
        if self.sync_runner is not None:
            self.sync_runner.stop()
        if self.notify_runner is not None:
            self.notify_runner.stop()
        self.changes.stop()
        self.ops.close()
        if self.ctx._printing is not None:
            self.ctx.printing.stop()
        self.lang.release()  # a later shell in the same process starts from Qt's own strings


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv or sys.argv[:1])
    app.setApplicationName("Shubbak")
    app.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    apply_style(app)  # the UI font, the palette and the one style sheet (counter_app/ui/widgets/style.py)
    return app


def run(db: Database | None, args: argparse.Namespace) -> int:
    """The ``counter-app`` entry point: returns the process exit code."""
    from counter_app.common.logs import configure_logging
    from counter_app.ui.shell.crash import CrashHandler, install_qt_message_handler

    config = load_config(getattr(args, "config", None))
    configure_logging("counter-app", data_dir=config.data_dir)
    install_qt_message_handler()  # from the first message on (creating the application may warn)
    app = make_application()
    shell = Shell(config, db=db, url=getattr(args, "db", None), kiosk=bool(getattr(args, "kiosk", False)))
    crash = CrashHandler(shell._show_error, app)
    crash.install()
    bench = os.environ.get("SHUBBAK_EXIT_WHEN_SHOWN")
    if bench:  # the cold-start benchmark: report when the login is shown (and ready), then quit
        import time

        def shown() -> None:
            print(f"login_shown_at: {time.time():.6f}", flush=True)
            if bench != "ready":
                app.quit()

        def usable() -> None:
            print(f"login_ready_at: {time.time():.6f}", flush=True)

        def ready() -> None:
            print(f"all_ready_at: {time.time():.6f}", flush=True)
            app.quit()

        QTimer.singleShot(0, shown)
        if bench == "ready":
            shell.db_ready.connect(usable)
            shell.ready.connect(ready)
    shell.start()
    code = app.exec()
    shell.shutdown()
    crash.uninstall()
    return int(code)
