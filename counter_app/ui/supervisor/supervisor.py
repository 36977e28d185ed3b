"""The supervisor window: the dashboard (``dashboard``), the business day (open, close, day-close report), users, counters and
their groups, printers (with a test print) and the catalogue version in use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from counter_app.common.clock import utcnow
from counter_app.common.formatting import format_date, format_datetime, join
from counter_app.common.formatting import money as format_money
from counter_app.common.i18n import N_, Msg
from counter_app.common.palette import State
from counter_app.services import reports
from counter_app.services import supervisor as supervisor_service
from counter_app.services.supervisor import DaySummary, Overview
from counter_app.services.views import Role
from counter_app.ui.shell.context import AppContext
from counter_app.ui.shell.i18n import Binder, UiError, isolate
from counter_app.ui.shell.operations import Lane
from counter_app.ui.shell.printing import JobFailure, PrintFailed, test_page_document
from counter_app.ui.shell.status_bar import StatusLine
from counter_app.ui.widgets import MessageLine, ReadOnlyTable, Said, WindowHeader, set_state, with_header
from printers.jobs import PrintJob

#: The print jobs' kinds as the Printers tab names them.
JOB_KINDS = {"ticket": N_("sup.job_kind.ticket"), "receipt": N_("sup.job_kind.receipt"),
             "slip": N_("sup.job_kind.slip"), "dayclose": N_("sup.job_kind.dayclose"),
             "test": N_("sup.job_kind.test")}


class SupervisorWindow(QWidget):
    logout_requested = Signal()
    counter_requested = Signal()
    kiosk_requested = Signal()
    catalogue_changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.t = Binder(ctx.lang, self)
        self.setObjectName("supervisorWindow")
        self.data: Overview | None = None
        self.closed: DaySummary | None = None


        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("tabs")
        from counter_app.ui.supervisor.dashboard import DashboardTab

        self.dashboard = DashboardTab(ctx, self)
        self.tabs.addTab(self.dashboard, "")
        self.tabs.addTab(self._day_tab(), "")
        self.tabs.addTab(self._users_tab(), "")
        self.tabs.addTab(self._counters_tab(), "")
        self.tabs.addTab(self._printers_tab(), "")
        from counter_app.ui.supervisor.supervisor_backoffice import AuditTab, BackOfficeTab

        self.backoffice = BackOfficeTab(ctx, self)
        self.audit = AuditTab(ctx, self)
        self.tabs.addTab(self.backoffice, "")
        self.tabs.addTab(self.audit, "")
        from counter_app.ui.supervisor.settings_page import CentreSettingsTab

        self.settings_page = CentreSettingsTab(ctx, self)  # the queue settings and the portal's details
        self.settings_page.changed.connect(self._settings_changed)
        self.tabs.addTab(self.settings_page, "")
        self.message = MessageLine(ctx.lang, self, name="supervisorMessage")
        self.status_line = StatusLine(ctx, self)
        self.header = WindowHeader(ctx.lang, self)  # last in the focus chain: the window opens on its tabs
        self.who = self.header.who
        self.header.add_button("counter", N_("sup.open_counter"), self.counter_requested.emit)
        self.header.add_button("kiosk", N_("sup.open_kiosk"), self.kiosk_requested.emit)
        self.header_buttons = self.header.buttons
        self.header.logout_requested.connect(self.logout_requested)
        layout = with_header(self, self.header)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.status_line)
        self.t(self.setWindowTitle, "sup.window_title")
        self.t.also(self.update_texts)
        self.resize(1100, 760)
        self.update_texts()
        self.refresh()

    # -- tabs ------------------------------------------------------------------------------
    def _day_tab(self) -> QWidget:
        tab = QWidget(self)
        self.day_label = QLabel(tab)
        self.day_label.setObjectName("daySummary")
        self.day_label.setWordWrap(True)
        self.catalogue_label = QLabel(tab)
        self.catalogue_label.setObjectName("catalogueVersion")
        self.open_day_button, self.close_day_button, self.report_button = (QPushButton(tab) for _ in range(3))
        self.open_day_button.setObjectName("openDay")
        self.close_day_button.setObjectName("closeDay")
        self.report_button.setObjectName("printDayReport")
        self.t(self.open_day_button.setText, "sup.open_day")
        self.t(self.close_day_button.setText, "sup.close_day")
        self.t(self.report_button.setText, "sup.print_report")
        self.open_day_button.clicked.connect(lambda: self._write(supervisor_service.open_day, N_("sup.day_opened")))
        self.close_day_button.clicked.connect(self.close_day)
        self.report_button.clicked.connect(self.print_report)
        buttons = QHBoxLayout()
        for b in (self.open_day_button, self.close_day_button, self.report_button):
            buttons.addWidget(b)
        # Closing asks first, with the numbers it will end (waiting, in service): inline, keyboard-driven.
        self.close_confirm_box = QWidget(tab)
        self.close_confirm_box.setObjectName("closeConfirmBox")
        self.close_confirm = QLabel(self.close_confirm_box)
        self.close_confirm.setObjectName("closeConfirm")
        self.close_confirm.setWordWrap(True)
        set_state(self.close_confirm, "warning")
        self.confirm_close_button, self.cancel_close_button = QPushButton(tab), QPushButton(tab)
        self.confirm_close_button.setObjectName("confirmCloseDay")
        self.cancel_close_button.setObjectName("cancelCloseDay")
        self.t(self.confirm_close_button.setText, "sup.confirm_close")
        self.t(self.cancel_close_button.setText, "sup.cancel_close")
        self.confirm_close_button.clicked.connect(self.confirm_close_day)
        self.cancel_close_button.clicked.connect(self.cancel_close_day)
        confirm = QHBoxLayout(self.close_confirm_box)
        confirm.setContentsMargins(0, 0, 0, 0)
        confirm.addWidget(self.close_confirm, 1)
        confirm.addWidget(self.confirm_close_button)
        confirm.addWidget(self.cancel_close_button)
        self.confirm_close_button.setAutoDefault(True)
        self.cancel_close_button.setAutoDefault(True)
        QShortcut(QKeySequence("Esc"), self.close_confirm_box, self.cancel_close_day,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.close_confirm_box.hide()
        self._closing = False
        self._close_asked: DaySummary | None = None
        # A closed day is reopened by a supervisor with a reason (audited).
        self.reopen_reason = QLineEdit(tab)
        self.reopen_reason.setObjectName("reopenReason")
        self.reopen_button = QPushButton(tab)
        self.reopen_button.setObjectName("reopenDay")
        self.t(self.reopen_button.setText, "sup.reopen_day")
        self.t(self.reopen_reason.setPlaceholderText, "sup.reopen_reason")
        self.reopen_button.clicked.connect(self.reopen_day)
        self.reopen_reason.returnPressed.connect(self.reopen_day)
        reopen = QHBoxLayout()
        reopen.addWidget(self.reopen_reason, 1)
        reopen.addWidget(self.reopen_button)
        box = QVBoxLayout(tab)
        box.addWidget(self.catalogue_label)
        box.addWidget(self.day_label)
        box.addLayout(buttons)
        box.addWidget(self.close_confirm_box)
        box.addLayout(reopen)
        box.addStretch(1)
        return tab

    def _users_tab(self) -> QWidget:
        tab = QWidget(self)
        self.users_table = ReadOnlyTable(5, tab, name="usersTable", elided_column=3)  # a long department elides
        self.new_username, self.new_full_name, self.new_password = QLineEdit(tab), QLineEdit(tab), QLineEdit(tab)
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_role = QComboBox(tab)
        self.new_role.setObjectName("newRole")
        self.new_department = QComboBox(tab)  # required for a reviewer: files go to their department
        self.new_department.setObjectName("newDepartment")
        self.new_role.currentIndexChanged.connect(self._role_changed)
        self.add_user_button = QPushButton(tab)
        self.add_user_button.setObjectName("addUser")
        self.add_user_button.clicked.connect(self.add_user)
        self.t(self.add_user_button.setText, "sup.add_user")
        form = QFormLayout()
        for msg, widget in ((N_("sup.username"), self.new_username), (N_("sup.full_name"), self.new_full_name),
                            (N_("sup.role"), self.new_role), (N_("sup.department"), self.new_department),
                            (N_("sup.password"), self.new_password)):
            label = QLabel(tab)
            self.t(label.setText, msg)
            form.addRow(label, widget)
        form.addRow("", self.add_user_button)
        self.toggle_user_button = QPushButton(tab)
        self.toggle_user_button.setObjectName("toggleUser")
        self.toggle_user_button.clicked.connect(self.toggle_user)
        self.t(self.toggle_user_button.setText, "sup.toggle_user")
        form.addRow("", self.toggle_user_button)
        # a locked-out account: unlock it, or give it a temporary password (changed at next login)
        self.unlock_user_button, self.reset_password_button = QPushButton(tab), QPushButton(tab)
        self.unlock_user_button.setObjectName("unlockUser")
        self.reset_password_button.setObjectName("resetPassword")
        self.unlock_user_button.clicked.connect(self.unlock_user)
        self.reset_password_button.clicked.connect(self.reset_password)
        self.t(self.unlock_user_button.setText, "sup.unlock_user")
        self.t(self.reset_password_button.setText, "sup.reset_password")
        self.temporary_password = QLineEdit(tab)
        self.temporary_password.setObjectName("temporaryPassword")
        self.temporary_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.t(self.temporary_password.setPlaceholderText, "sup.temporary_password")
        form.addRow("", self.unlock_user_button)
        form.addRow(self.temporary_password, self.reset_password_button)
        box = QHBoxLayout(tab)
        box.addWidget(self.users_table, 3)
        box.addLayout(form, 2)
        return tab

    def _counters_tab(self) -> QWidget:
        tab = QWidget(self)
        self.counters_table = ReadOnlyTable(3, tab, name="countersTable")
        self.counter_number = QSpinBox(tab)
        self.counter_number.setRange(1, 999)
        self.counter_groups = QLineEdit(tab)
        self.counter_groups.setObjectName("counterGroups")
        self.add_counter_button, self.set_groups_button = QPushButton(tab), QPushButton(tab)
        self.t(self.add_counter_button.setText, "sup.add_counter")
        self.t(self.set_groups_button.setText, "sup.set_groups")
        self.add_counter_button.clicked.connect(self.add_counter)
        self.set_groups_button.clicked.connect(self.set_groups)
        form = QFormLayout()
        for msg, widget in ((N_("sup.counter_number"), self.counter_number), (N_("sup.groups"), self.counter_groups)):
            label = QLabel(tab)
            self.t(label.setText, msg)
            form.addRow(label, widget)
        form.addRow("", self.add_counter_button)
        form.addRow("", self.set_groups_button)
        box = QHBoxLayout(tab)
        box.addWidget(self.counters_table, 3)
        box.addLayout(form, 2)
        return tab

    def _printers_tab(self) -> QWidget:
        tab = QWidget(self)
        self.ticket_url, self.receipt_url = QLineEdit(tab), QLineEdit(tab)
        self.ticket_url.setObjectName("ticketPrinter")
        self.receipt_url.setObjectName("receiptPrinter")
        self.ticket_url.setText(self.ctx.config.ticket_printer)
        self.receipt_url.setText(self.ctx.config.receipt_printer)
        self.save_printers_button, self.test_ticket_button, self.test_receipt_button = (QPushButton(tab)
                                                                                        for _ in range(3))
        self.save_printers_button.setObjectName("savePrinters")
        self.test_ticket_button.setObjectName("testTicketPrinter")
        self.test_receipt_button.setObjectName("testReceiptPrinter")
        self.t(self.save_printers_button.setText, "common.save")
        self.t(self.test_ticket_button.setText, "sup.test_print")
        self.t(self.test_receipt_button.setText, "sup.test_print")
        self.save_printers_button.clicked.connect(self.save_printers)
        self.test_ticket_button.clicked.connect(lambda: self.test_print(self.ticket_url.text(), "ticket"))
        self.test_receipt_button.clicked.connect(lambda: self.test_print(self.receipt_url.text(), "receipt"))
        form = QFormLayout()
        for msg, field, test in ((N_("sup.ticket_printer"), self.ticket_url, self.test_ticket_button),
                                 (N_("sup.receipt_printer"), self.receipt_url, self.test_receipt_button)):
            label, row = QLabel(tab), QHBoxLayout()
            self.t(label.setText, msg)
            row.addWidget(field, 1)
            row.addWidget(test)
            form.addRow(label, row)
        hint = QLabel(tab)
        hint.setWordWrap(True)
        self.t(hint.setText, "sup.printer_hint")
        # failed print jobs: retried on the printer's address as configured now, or discarded (audited)
        self.failed_jobs_label = QLabel(tab)
        self.t(self.failed_jobs_label.setText, "sup.failed_jobs")
        self.failed_jobs = ReadOnlyTable(4, tab, name="failedPrintJobs")
        self.retry_job_button, self.discard_job_button = QPushButton(tab), QPushButton(tab)
        self.retry_job_button.setObjectName("retryPrintJob")
        self.discard_job_button.setObjectName("discardPrintJob")
        self.t(self.retry_job_button.setText, "sup.retry_job")
        self.t(self.discard_job_button.setText, "sup.discard_job")
        self.retry_job_button.clicked.connect(self.retry_print_job)
        self.discard_job_button.clicked.connect(self.discard_print_job)
        self.failed_print_jobs: list[PrintJob] = []
        job_buttons = QHBoxLayout()
        job_buttons.addWidget(self.retry_job_button)
        job_buttons.addWidget(self.discard_job_button)
        job_buttons.addStretch(1)
        self.ctx.printing.job_done.connect(self._print_job_done)
        self.ctx.printing.job_failed.connect(self._print_job_failed)
        box = QVBoxLayout(tab)
        box.addLayout(form)
        box.addWidget(hint)
        box.addWidget(self.save_printers_button)
        box.addWidget(self.failed_jobs_label)
        box.addWidget(self.failed_jobs, 1)
        box.addLayout(job_buttons)
        return tab

    # -- actions ---------------------------------------------------------------------------
    def _uid(self) -> int:
        assert self.ctx.user is not None
        return self.ctx.user.id

    def _run(self, fn: Callable[[], Any], done: Callable[[Any], None], lane: Lane = Lane.READ) -> None:
        self.ctx.ops.run(fn, done, self.show_error, owner=self, lane=lane)

    def _write(self, action: Callable[..., Any], message_id: str, *args: Any) -> None:
        db, uid = self.ctx.db, self._uid()
        self._run(lambda: action(db, uid, *args), lambda _r: self._after(message_id), Lane.WRITE)

    def _after(self, message_id: str, **params: object) -> None:
        self.message.show_content(Said(message_id, dict(params)), "success")
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        db, uid = self.ctx.db, self._uid()
        self._run(lambda: supervisor_service.overview(db, uid), self._loaded)
        self.backoffice.refresh()
        self.dashboard.refresh()
        self.refresh_print_jobs()

    @Slot()
    def _settings_changed(self) -> None:
        """A saved portal address is the one the next printed QR codes carry."""
        loaded, cat = self.settings_page.loaded, self.ctx.catalogue
        if loaded is not None and cat is not None and loaded.portal_url != cat.centre.portal_url:
            self.catalogue_changed.emit()

    def _loaded(self, data: Overview) -> None:
        self.data = data
        self.update_texts()

    def show_error(self, exc: BaseException) -> None:
        self.message.fail(exc)

    @Slot()
    def close_day(self) -> None:
        """Ask first: the day's numbers now (read afresh), then Confirm (Enter) or Cancel (Esc)."""
        if self._closing:
            return
        db, uid = self.ctx.db, self._uid()
        self._run(lambda: supervisor_service.day_now(db, uid), self._ask_close)

    def _ask_close(self, summary: DaySummary) -> None:
        self._close_asked = summary
        self._render_close_confirm()
        self.close_confirm_box.show()
        self.confirm_close_button.setDefault(True)
        self.confirm_close_button.setFocus()

    def _render_close_confirm(self) -> None:
        summary = self._close_asked
        if summary is None:
            return
        tr = self.ctx.lang.text
        self.close_confirm.setText(tr("sup.close_confirm", day=summary.day,
                                      waiting=Msg("sup.close_waiting", n=summary.waiting),
                                      in_service=Msg("sup.close_in_service", n=summary.in_service)))

    @Slot()
    def cancel_close_day(self) -> None:
        self._close_asked = None
        self.close_confirm_box.hide()
        self.close_day_button.setFocus()

    @Slot()
    def confirm_close_day(self) -> None:
        if self._closing or self.close_confirm_box.isHidden():
            return  # a double press closes once
        self._closing = True
        self.confirm_close_button.setEnabled(False)
        db, uid = self.ctx.db, self._uid()

        def done(summary: DaySummary) -> None:
            self._closing = False
            self.confirm_close_button.setEnabled(True)
            self.cancel_close_day()
            self.closed = summary
            self._after(N_("sup.day_closed"))
            self.print_report()

        def failed(exc: BaseException) -> None:
            self._closing = False
            self.confirm_close_button.setEnabled(True)
            self.cancel_close_day()
            self.show_error(exc)

        self.ctx.ops.write(lambda: supervisor_service.close_day(db, uid), done, failed, owner=self)

    @Slot()
    def reopen_day(self) -> None:
        reason = self.reopen_reason.text()
        db, uid = self.ctx.db, self._uid()

        def done(_summary: DaySummary) -> None:
            self.reopen_reason.clear()
            self.closed = None
            self._after(N_("sup.day_reopened"))

        self._run(lambda: supervisor_service.reopen_day(db, uid, reason), done, Lane.WRITE)

    @Slot()
    def print_report(self) -> None:
        """The day-close report on the receipt printer (thermal) and, beside it, as an A4 PDF."""
        summary = self.closed or (self.data.day if self.data else None)
        cat, user = self.ctx.catalogue, self.ctx.user
        if summary is None or cat is None or user is None:
            return
        report = reports.day_close_data(summary, cat.centre.name_ar, cat.centre.name_en, cat.centre.code,
                                utcnow() if self.closed else None, user.full_name)
        printing, url, lang = self.ctx.printing, self.ctx.config.receipt_printer, self.ctx.lang.lang
        db, uid, folder, day = self.ctx.db, self._uid(), self.ctx.config.reports_dir, summary.day

        # After a close the A4 PDF is the day-close record (written once, a reprint never rewrites
        # it); before a close it is an interim export named with its time.
        closing = self.closed is not None and self.closed is not getattr(self, "_z_saved_for", None)
        if self.closed is not None:
            self._z_saved_for = self.closed
            save = lambda: reports.save_day_close_report(db, uid, day, folder, lang, closing=closing)  # noqa: E731
        else:
            save = lambda: reports.export_report(db, uid, day, day, "pdf", folder, lang)  # noqa: E731

        def queued(_job: object) -> None:
            self._run(save, lambda path: self._after(N_("sup.report_queued_saved"), path=isolate(str(path))))

        self._run(lambda: printing.submit(report, url, lang), queued)

    @Slot(int)
    def _role_changed(self, _index: int) -> None:
        reviewer = self.new_role.currentData() == Role.REVIEWER.value
        self.new_department.setEnabled(reviewer)
        if not reviewer:
            self.new_department.setCurrentIndex(0)

    def _selected_user(self) -> Any:
        row = self.users_table.currentRow()
        if self.data is None or not 0 <= row < len(self.data.users):
            self.show_error(UiError("sup.select_user"))
            return None
        return self.data.users[row]

    @Slot()
    def unlock_user(self) -> None:
        target = self._selected_user()
        if target is not None:
            self._write(supervisor_service.unlock_user, N_("sup.user_unlocked"), target.id)

    @Slot()
    def reset_password(self) -> None:
        target, password = self._selected_user(), self.temporary_password.text()
        if target is None:
            return
        db, uid = self.ctx.db, self._uid()

        def done(_r: object) -> None:
            self.temporary_password.clear()
            self._after(N_("sup.password_reset"), user=isolate(target.username))

        self._run(lambda: supervisor_service.reset_password(db, uid, target.id, password), done, Lane.WRITE)

    @Slot()
    def add_user(self) -> None:
        role = Role(str(self.new_role.currentData()))
        department = str(self.new_department.currentData() or "") if role == Role.REVIEWER else ""
        args = (self.new_username.text(), self.new_full_name.text(), role, self.new_password.text(),
                department or None)

        def done(_user: object) -> None:
            for field in (self.new_username, self.new_full_name, self.new_password):
                field.clear()
            self._after(N_("sup.user_added"))

        db, uid = self.ctx.db, self._uid()
        self._run(lambda: supervisor_service.add_user(db, uid, *args), done, Lane.WRITE)

    @Slot()
    def toggle_user(self) -> None:
        """Disable the selected user (they can no longer log in), or enable them again."""
        row = self.users_table.currentRow()
        if self.data is None or not 0 <= row < len(self.data.users):
            self.show_error(UiError("sup.select_user"))
            return
        target = self.data.users[row]
        self._write(supervisor_service.set_user_active, N_("sup.user_enabled") if not target.active else N_("sup.user_disabled"),
                    target.id, not target.active)

    @Slot()
    def add_counter(self) -> None:
        self._write(supervisor_service.add_counter, N_("sup.counter_added"), self.counter_number.value(),
                    self.counter_groups.text())
        self.catalogue_changed.emit()

    @Slot()
    def set_groups(self) -> None:
        row = self.counters_table.currentRow()
        if self.data is None or not 0 <= row < len(self.data.counters):
            return
        self._write(supervisor_service.set_counter_groups, N_("common.saved"), self.data.counters[row].id,
                    self.counter_groups.text())
        self.catalogue_changed.emit()

    @Slot()
    def save_printers(self) -> None:
        config = self.ctx.config
        config.ticket_printer, config.receipt_printer = self.ticket_url.text().strip(), self.receipt_url.text().strip()
        self._run(config.save, lambda _r: self._after(N_("common.saved")))

    def test_print(self, url: str, role: str = "receipt") -> None:
        """A «تجربة / TEST» page of this centre, dated now; says "sent" only once the printer took it."""
        from printers.devices import parse_printer_url

        cat = self.ctx.catalogue
        try:
            parse_printer_url(url.strip())
        except Exception as exc:
            self.show_error(exc)
            return
        if cat is None:
            return
        page = test_page_document(cat.centre, role, url.strip(), utcnow())
        printing, lang = self.ctx.printing, self.ctx.lang.lang
        self._say(N_("sup.test_sending"), state="info")
        self._run(lambda: printing.submit(page, url.strip(), lang), lambda _j: None)

    def _say(self, message_id: str, *, state: State = "success", **params: object) -> None:
        self.message.say(message_id, state=state, **params)

    @Slot(str, str)
    def _print_job_done(self, _job_id: str, kind: str) -> None:
        if kind == "test":
            self._say(N_("sup.test_printed"))
        self.refresh_print_jobs()

    @Slot(object)
    def _print_job_failed(self, failure: JobFailure) -> None:
        if failure.kind == "test":
            self.show_error(UiError("sup.test_failed", error=PrintFailed(failure)))
        self.refresh_print_jobs()

    def refresh_print_jobs(self) -> None:
        self._run(self.ctx.printing.failed_jobs, self._print_jobs_loaded)

    def _print_jobs_loaded(self, jobs: list[PrintJob]) -> None:
        self.failed_print_jobs = jobs
        self._fill_print_jobs()

    def _fill_print_jobs(self) -> None:
        lang = self.ctx.lang
        self.failed_jobs.setHorizontalHeaderLabels([lang.text(k) for k in (
            N_("sup.job_col_kind"), N_("sup.job_col_printer"), N_("sup.job_col_error"), N_("sup.job_col_time"))])
        rows = []
        for job in self.failed_print_jobs:
            kind = lang.text(JOB_KINDS[job.kind]) if job.kind in JOB_KINDS else job.kind
            error = job.error_ar if lang.lang == "ar" and job.error_ar else job.error_en
            when = format_datetime(datetime.fromisoformat(job.updated_at), lang.lang)
            rows.append((kind, job.printer_url, error, str(when)))
        self.failed_jobs.set_rows(rows)
        self.failed_jobs.resizeColumnsToContents()
        for button in (self.retry_job_button, self.discard_job_button):
            button.setEnabled(bool(self.failed_print_jobs))

    def _selected_print_job(self) -> PrintJob | None:
        row = self.failed_jobs.currentRow()
        if not 0 <= row < len(self.failed_print_jobs):
            self.show_error(UiError("sup.select_job"))
            return None
        return self.failed_print_jobs[row]

    @Slot()
    def retry_print_job(self) -> None:
        """Print the selected failed job again, on its printer's address as configured now."""
        job, printing = self._selected_print_job(), self.ctx.printing
        if job is None:
            return
        printing.forget(job.id)
        self.retry_job_button.setEnabled(False)

        def done(_result: object) -> None:
            self._say(N_("sup.job_retried"))
            self.refresh_print_jobs()

        self._run(lambda: printing.queue.retry(job.id), done)

    @Slot()
    def discard_print_job(self) -> None:
        """Give up the selected failed job (a supervisor's decision, in the audit log)."""
        job, printing, db, uid = self._selected_print_job(), self.ctx.printing, self.ctx.db, self._uid()
        if job is None:
            return
        self.discard_job_button.setEnabled(False)

        def done(_kind: str) -> None:
            printing.forget(job.id)
            self._say(N_("sup.job_discarded"))
            self.refresh_print_jobs()

        self._run(lambda: supervisor_service.discard_print_job(db, uid, printing.queue, job.id), done, Lane.WRITE)

    # -- text ------------------------------------------------------------------------------
    def update_texts(self) -> None:
        lang, user, cat = self.ctx.lang, self.ctx.user, self.ctx.catalogue
        tr = lang.text
        self.header.set_who(tr("sup.who", user=isolate(user.full_name) if user else "",
                            role=tr(f"role.{user.role.value}") if user else "",
                            centre=lang.pick(cat.centre.name_ar, cat.centre.name_en) if cat else ""))
        for i, key in enumerate((N_("sup.dashboard_tab"), N_("sup.day_tab"), N_("sup.users_tab"), N_("sup.counters_tab"), N_("sup.printers_tab"),
                                 N_("sup.backoffice_tab"), N_("sup.audit_tab"), N_("supervisor.settings_tab"))):
            self.tabs.setTabText(i, tr(key))
        role_index = self.new_role.currentIndex()
        self.new_role.clear()
        for role in (Role.CLERK, Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN):
            self.new_role.addItem(tr(f"role.{role.value}"), role.value)
        self.new_role.setCurrentIndex(max(role_index, 0))
        department = self.new_department.currentData()
        self.new_department.clear()
        self.new_department.addItem(tr("sup.department_none"), "")
        for code, name_ar, name_en in (self.data.departments if self.data else ()):
            self.new_department.addItem(lang.pick(name_ar, name_en), code)
        self.new_department.setCurrentIndex(max(self.new_department.findData(department or ""), 0))
        self._role_changed(self.new_role.currentIndex())
        self.users_table.setHorizontalHeaderLabels([tr(k) for k in (N_("sup.username"), N_("sup.full_name"), N_("sup.role"),
                                                                     N_("sup.department"), N_("sup.active"))])
        self.counters_table.setHorizontalHeaderLabels([tr(k) for k in (N_("sup.counter_number"), N_("sup.counter_name"),
                                                                       N_("sup.groups"))])
        data = self.data
        if data is not None:
            self.catalogue_label.setText(tr("sup.catalogue_version", version=data.catalogue_version or "—"))
            d = data.day
            totals = [tr("sup.total_line", method=tr(f"payment.{m}"), amount=format_money(v, lang.lang))
                      for m, v in sorted(d.totals_by_method.items())]
            state = (N_("sup.day_open") if d.is_open else N_("sup.day_closed_state") if d.is_closed
                     else N_("sup.day_not_started"))
            self.day_label.setText(tr("sup.day_summary", day=format_date(d.day, lang.lang), state=tr(state),
                                      issued=d.tickets_issued, served=d.tickets_served, no_shows=d.no_shows,
                                      waiting=d.waiting, in_service=d.in_service, expired=d.expired,
                                      applications=d.applications, totals=join(totals, lang.lang) or "—"))
            self.open_day_button.setEnabled(d.state is None)  # a day opens by itself with its first ticket
            self.close_day_button.setEnabled(not d.is_closed)  # a day without a ticket can be closed too
            self.reopen_button.setEnabled(d.is_closed)
            self.reopen_reason.setEnabled(d.is_closed)
            self._render_close_confirm()
            departments = {code: lang.pick(ar, en) for code, ar, en in data.departments}
            self.users_table.set_rows(
                [(u.username, u.full_name, tr(f"role.{u.role.value}"),
                  departments.get(u.department_code or "", u.department_code or "—"),
                  tr(N_("sup.user_locked") if u.locked else N_("sup.yes") if u.active else N_("sup.no")))
                 for u in data.users],
                states=["error" if u.locked else "" if u.active else "hint" for u in data.users])
            self.counters_table.set_rows([(str(c.number), lang.pick(c.name_ar, c.name_en), c.groups)
                                          for c in data.counters])
            self.users_table.resizeColumnsToContents()
            self.counters_table.resizeColumnsToContents()
        self._fill_print_jobs()

