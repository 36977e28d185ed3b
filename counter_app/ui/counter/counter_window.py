"""The counter window (keyboard first): queue panel on top, intake and delivery tabs, status line.

Shortcuts: F2 call next, F3 recall, F4 finish, F5 no-show, F6 skip, F7 transfer, F8 missing-documents
slip, Ctrl+Enter submit, Ctrl+1 intake, Ctrl+2 delivery, Ctrl+D deliver, Ctrl+L language,
F10 supervisor functions (only for a supervisor or an admin: the button and the key do not exist
for a clerk), Ctrl+Shift+Q log out.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QTabWidget, QWidget

from counter_app.common.i18n import N_
from counter_app.services.views import TicketView
from counter_app.ui.counter.delivery import DeliveryPanel
from counter_app.ui.counter.intake import IntakePanel
from counter_app.ui.counter.queue_panel import QueuePanel
from counter_app.ui.shell.context import AppContext
from counter_app.ui.shell.i18n import Binder, isolate
from counter_app.ui.shell.status_bar import StatusLine
from counter_app.ui.widgets import WindowHeader, with_header


class CounterWindow(QMainWindow):
    logout_requested = Signal()
    supervisor_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.t = Binder(ctx.lang, self)
        self.setObjectName("counterWindow")
        self.queue = QueuePanel(ctx, self)
        self.intake = IntakePanel(ctx, self)
        self.delivery = DeliveryPanel(ctx, self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("tabs")
        self.tabs.addTab(self.intake, "")
        self.tabs.addTab(self.delivery, "")
        self.status_line = StatusLine(ctx, self)
        # the header last in the focus chain: the window opens with the focus on its work, not on a
        # language switch that a stray space bar would press
        self.header = WindowHeader(ctx.lang, self)
        self.who = self.header.who
        self.supervisor_button = self.header.add_button("supervisor", N_("counter.supervisor"),
                                                        self.supervisor_requested.emit, key="F10")
        self.language_button = self.header.language_button
        self.logout_button = self.header.logout_button
        self.header.logout_requested.connect(self.request_logout)

        box = with_header(self, self.header)
        box.addWidget(self.queue)
        box.addWidget(self.tabs, 1)
        self.statusBar().addPermanentWidget(self.status_line, 1)
        self.statusBar().setSizeGripEnabled(False)

        self.t(self.setWindowTitle, "counter.window_title")
        self.t.also(self.retranslate)

        for key, slot in (("Ctrl+1", lambda: self.show_tab(0)), ("Ctrl+2", lambda: self.show_tab(1))):
            QShortcut(QKeySequence(key), self, slot)
        # Supervisor functions only for the roles that can use them: a clerk sees no button and F10 does nothing.
        supervises = ctx.user is not None and ctx.user.supervises
        self.supervisor_button.setVisible(supervises)
        self.supervisor_shortcut: QShortcut | None = None
        if supervises:
            self.supervisor_shortcut = QShortcut(QKeySequence("F10"), self, self.supervisor_requested.emit)
        self.queue.ticket_changed.connect(self._ticket_changed)
        # Calling, finishing, no-show, skip or transfer end the ticket's intake: ask first when typed.
        self.queue.confirm = lambda go: self.intake.confirm_discard(N_("intake.discard_continue"), go)
        self.intake.submitted.connect(lambda _o: self.status_line.update_texts())
        self.resize(1180, 820)
        self.retranslate()

    def show_tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)
        (self.intake.name if index == 0 else self.delivery.code).setFocus()

    @Slot()
    def request_logout(self) -> None:
        """Log out (Ctrl+Shift+Q), asking first when the intake holds typed data."""
        def discard_and_leave() -> None:
            self.intake.set_ticket(None)  # asked: the form is discarded, closing will not ask again
            self.logout_requested.emit()

        self.intake.confirm_discard(N_("intake.discard_logout"), discard_and_leave)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Closing the window (title bar, Alt+F4) with a half-typed intake asks first; "no" keeps
        it open with everything typed. Logging out has asked already and emptied the form."""
        if self.intake.is_dirty():
            event.ignore()

            def discard_and_close() -> None:
                self.intake.set_ticket(None)
                self.close()

            self.intake.confirm_discard(N_("intake.discard_close"), discard_and_close)
            return
        super().closeEvent(event)

    @Slot(object)
    def _ticket_changed(self, ticket: TicketView | None) -> None:
        self.intake.set_ticket(ticket)
        if ticket is not None:
            self.show_tab(0)

    def retranslate(self) -> None:
        ctx = self.ctx
        self.tabs.setTabText(0, ctx.lang.text("common.with_key", text=ctx.lang.text("counter.intake_tab"), key="Ctrl+1"))
        self.tabs.setTabText(1, ctx.lang.text("common.with_key", text=ctx.lang.text("counter.delivery_tab"), key="Ctrl+2"))
        user, counter, cat = ctx.user, ctx.counter, ctx.catalogue
        self.header.set_who(ctx.lang.text(
            "counter.who", user=isolate(user.full_name) if user else "", clerk=user.clerk_number if user else "",
            counter=isolate(ctx.lang.pick(counter.name_ar, counter.name_en)) if counter else "—",
            centre=isolate(ctx.lang.pick(cat.centre.name_ar, cat.centre.name_en)) if cat else ""))

    def show_error(self, exc: BaseException) -> None:
        self.status_line.show_message(N_("status.error"), error=exc)

