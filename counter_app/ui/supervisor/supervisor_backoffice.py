"""The supervisor's back-office tabs: files near or past their due time (with reassignment),
cancellation and refund requests waiting for a second pair of eyes, and the audit viewer
(filters, chain verification, CSV export): each entry a sentence in the supervisor's language,
today's entries shown as the tab opens, the raw record in a details pane one click away."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from counter_app.common.clock import CENTRE_TZ
from counter_app.common.formatting import format_datetime
from counter_app.common.formatting import money as format_money
from counter_app.common.i18n import N_, Msg
from counter_app.common.palette import State
from counter_app.services import review
from counter_app.services.review import (
    AuditFilter,
    AuditRow,
    BackOffice,
    ChainReport,
    describe,
    detail_of,
    to_csv,
)
from counter_app.services.views import today_local
from counter_app.ui.shell.context import AppContext
from counter_app.ui.shell.i18n import Binder, isolate
from counter_app.ui.shell.operations import Lane
from counter_app.ui.widgets import MessageLine, ReadOnlyTable


class WorkerTab(QWidget):
    """A tab that runs core calls on workers and shows one message line."""

    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.t = Binder(ctx.lang, self)
        self.busy = False
        self.message = MessageLine(ctx.lang, self)

    def _uid(self) -> int:
        assert self.ctx.user is not None
        return self.ctx.user.id

    def _run(self, fn: Callable[[], Any], done: Callable[[Any], None], lane: Lane = Lane.READ) -> None:
        self.busy = True

        def ok(result: Any) -> None:
            self.busy = False
            done(result)
            self.changed.emit()

        self.ctx.ops.run(fn, ok, self.show_error, owner=self, lane=lane)

    def show_error(self, exc: BaseException) -> None:
        self.busy = False
        self.message.fail(exc)
        self.render_tab()
        self.changed.emit()

    def say(self, message_id: str, *, state: State = "success", **params: object) -> None:
        self.message.say(message_id, state=state, **params)

    def render_tab(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class BackOfficeTab(WorkerTab):
    """Files near or past their due time, reassignment with a reason, and pending requests."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data: BackOffice | None = None
        self.sla_table = ReadOnlyTable(5, self, name="slaTable")
        self.reviewer = QComboBox(self)
        self.reviewer.setObjectName("reassignTo")
        self.reassign_reason = QLineEdit(self)
        self.reassign_reason.setObjectName("reassignReason")
        self.reassign_button = QPushButton(self)
        self.reassign_button.setObjectName("reassign")
        self.requests_table = ReadOnlyTable(5, self, name="requestsTable")
        self.decision_note = QLineEdit(self)
        self.decision_note.setObjectName("decisionNote")
        self.approve_button, self.decline_button = QPushButton(self), QPushButton(self)
        self.approve_button.setObjectName("approveRequest")
        self.decline_button.setObjectName("declineRequest")

        self.sla_box, self.requests_box = QGroupBox(self), QGroupBox(self)
        sla = QVBoxLayout(self.sla_box)
        sla.addWidget(self.sla_table, 1)
        form = QFormLayout()
        self.to_label, self.reason_label, self.note_label = QLabel(self), QLabel(self), QLabel(self)
        form.addRow(self.to_label, self.reviewer)
        form.addRow(self.reason_label, self.reassign_reason)
        form.addRow("", self.reassign_button)
        sla.addLayout(form)
        req = QVBoxLayout(self.requests_box)
        req.addWidget(self.requests_table, 1)
        row = QHBoxLayout()
        row.addWidget(self.note_label)
        row.addWidget(self.decision_note, 1)
        row.addWidget(self.approve_button)
        row.addWidget(self.decline_button)
        req.addLayout(row)
        box = QVBoxLayout(self)
        box.addWidget(self.sla_box, 3)
        box.addWidget(self.requests_box, 2)
        box.addWidget(self.message)

        t = self.t
        t(self.sla_box.setTitle, "bo.sla_title")
        t(self.requests_box.setTitle, "bo.requests_title")
        t(self.to_label.setText, "bo.reassign_to")
        t(self.reason_label.setText, "bo.reason")
        t(self.note_label.setText, "bo.note")
        t(self.reassign_button.setText, "bo.reassign")
        t(self.approve_button.setText, "bo.approve_request")
        t(self.decline_button.setText, "bo.decline_request")
        t.also(self.render_tab)
        self.reassign_button.clicked.connect(self.reassign)
        self.sla_table.itemSelectionChanged.connect(self._fill_reviewers)
        self.approve_button.clicked.connect(lambda: self.decide(True))
        self.decline_button.clicked.connect(lambda: self.decide(False))
        self.render_tab()

    @Slot()
    def refresh(self) -> None:
        db, uid = self.ctx.db, self._uid()
        self._run(lambda: review.back_office(db, uid), self._loaded)

    def _loaded(self, data: BackOffice) -> None:
        self.data = data
        self.render_tab()

    @Slot()
    def reassign(self) -> None:
        row = self.sla_table.selected_row()
        if self.data is None or not 0 <= row < len(self.data.sla):
            self.show_error(_select_first())
            return
        file, target = self.data.sla[row], self.reviewer.currentData()
        if target is None:
            self.show_error(_select_first())
            return
        db, uid, reason = self.ctx.db, self._uid(), self.reassign_reason.text()

        def done(_r: object) -> None:
            self.reassign_reason.clear()
            self.say(N_("bo.reassigned"), tracking=isolate(file.tracking_code))
            self.refresh()

        self._run(lambda: review.reassign(db, uid, file.application_id, int(target), reason), done, Lane.WRITE)

    def _fill_reviewers(self) -> None:
        """The reviewers a selected file can go to: its department's, but not its current one."""
        data, row = self.data, self.sla_table.selected_row()
        current = self.reviewer.currentData()
        self.reviewer.clear()
        if data is None or not 0 <= row < len(data.sla):
            return
        file = data.sla[row]
        department = data.departments.get(file.service_code, "")
        for rid, username, dept in data.reviewers:
            if dept == department and rid != file.reviewer_id:
                self.reviewer.addItem(f"{username} ({dept})", rid)
        self.reviewer.setCurrentIndex(max(self.reviewer.findData(current), 0))

    def decide(self, approve: bool) -> None:
        row = self.requests_table.selected_row()
        if self.data is None or not 0 <= row < len(self.data.requests):
            self.show_error(_select_first())
            return
        req = self.data.requests[row]
        db, uid, note = self.ctx.db, self._uid(), self.decision_note.text()

        def done(_r: object) -> None:
            self.decision_note.clear()
            self.say(N_("bo.request_approved") if approve else N_("bo.request_declined"), tracking=isolate(req.tracking_code))
            self.refresh()

        self._run(lambda: review.decide_request(db, uid, req.request_id, approve, note), done, Lane.WRITE)

    def render_tab(self) -> None:
        lang, tr = self.ctx.lang, self.ctx.lang.text
        self.sla_table.setHorizontalHeaderLabels([tr(k) for k in (N_("review.col_tracking"), N_("review.col_service"),
                                                                   N_("review.col_due"), N_("bo.col_reviewer"),
                                                                   N_("review.col_state"))])
        self.requests_table.setHorizontalHeaderLabels([tr(k) for k in (N_("review.col_tracking"), N_("bo.col_kind"),
                                                                        N_("bo.col_amount"), N_("bo.col_requested_by"),
                                                                        "bo.reason")])
        data = self.data
        names = {rid: username for rid, username, _d in (data.reviewers if data else ())}
        sla = data.sla if data else ()
        rows = []
        for f in sla:
            flag = tr("review.overdue") if f.overdue else tr("review.near_due")
            rows.append((f.tracking_code, f.service_code, format_datetime(f.due_at, lang.lang),
                         names.get(f.reviewer_id or 0, "—"), f"{tr(f'state.{f.state.value}')} — {flag}"))
        self.sla_table.set_rows(rows, states=["overdue" if f.overdue else "warning" for f in sla])
        self._fill_reviewers()
        reqs = data.requests if data else ()
        self.requests_table.set_rows(
            [(q.tracking_code, tr(f"bo.kind_{q.kind.value}"), format_money(q.amount_piastres, lang.lang),
              data.usernames.get(q.requested_by, f"#{q.requested_by}") if data else "", q.reason) for q in reqs])
        self.sla_table.resizeColumnsToContents()
        self.requests_table.resizeColumnsToContents()


class AuditTab(WorkerTab):
    """Search the audit log, verify its chain, export what was found as CSV."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.rows: list[AuditRow] = []
        self.report: ChainReport | None = None
        self.username, self.tracking, self.action = QLineEdit(self), QLineEdit(self), QLineEdit(self)
        self.username.setObjectName("auditUser")
        self.tracking.setObjectName("auditTracking")
        self.action.setObjectName("auditAction")
        day = today_local()
        today = QDate(day.year, day.month, day.day)  # the centre's day (Cairo), not the PC's
        self.since, self.until = QDateEdit(today, self), QDateEdit(today, self)  # today's entries at first
        self.searched = False
        self._search_no = 0
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setLayoutDirection(Qt.LayoutDirection.LeftToRight)  # a date reads 2026-11-25 in Arabic too
            edit.setDisplayFormat("yyyy-MM-dd")
        self.search_button, self.verify_button, self.export_button = QPushButton(self), QPushButton(self), QPushButton(self)
        self.search_button.setObjectName("auditSearch")
        self.verify_button.setObjectName("auditVerify")
        self.export_button.setObjectName("auditExport")
        self.table = ReadOnlyTable(3, self, name="auditTable")
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.details = QPlainTextEdit(self)
        self.details.setObjectName("auditDetails")
        self.details.setReadOnly(True)
        self.details.setLayoutDirection(Qt.LayoutDirection.LeftToRight)  # JSON reads left to right
        self.details_label = QLabel(self)
        self.table.itemSelectionChanged.connect(self.show_details)
        self.chain = MessageLine(ctx.lang, self, name="chainState")

        self.labels = [QLabel(self) for _ in range(5)]
        filters = QFormLayout()
        for label, widget in zip(self.labels, (self.username, self.tracking, self.action, self.since, self.until),
                                 strict=True):
            filters.addRow(label, widget)
        buttons = QHBoxLayout()
        for button in (self.search_button, self.verify_button, self.export_button):
            buttons.addWidget(button)
        box = QVBoxLayout(self)
        box.addLayout(filters)
        box.addLayout(buttons)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        pane = QWidget(self)
        pane_box = QVBoxLayout(pane)
        pane_box.setContentsMargins(0, 0, 0, 0)
        pane_box.addWidget(self.details_label)
        pane_box.addWidget(self.details, 1)
        split.addWidget(pane)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        box.addWidget(split, 1)
        box.addWidget(self.chain)
        box.addWidget(self.message)
        t = self.t
        for label, key in zip(self.labels, (N_("audit.user"), N_("audit.tracking"), N_("audit.action"), N_("audit.since"),
                                            N_("audit.until")), strict=True):
            t(label.setText, key)
        t(self.search_button.setText, "audit.search")
        t(self.verify_button.setText, "audit.verify")
        t(self.export_button.setText, "audit.export")
        t(self.details_label.setText, "audit.details")
        t.also(self.render_tab)
        self.search_button.clicked.connect(self.search)
        self.verify_button.clicked.connect(self.verify)
        self.export_button.clicked.connect(lambda: self.export())
        self.tracking.returnPressed.connect(self.search)
        self.username.returnPressed.connect(self.search)
        self.render_tab()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        """Opening the tab shows today's entries at once (no need to press Search)."""
        super().showEvent(event)
        if not self.searched and self.ctx.user is not None:
            self.search()

    def current_filter(self) -> AuditFilter:
        def day(edit: QDateEdit, plus: int) -> datetime:
            q = edit.date()
            d = date(q.year(), q.month(), q.day())
            return datetime.combine(d + timedelta(days=plus), time(0), tzinfo=CENTRE_TZ)

        return AuditFilter(username=self.username.text() or None, tracking_code=self.tracking.text() or None,
                           action=self.action.text() or None, since=day(self.since, 0), until=day(self.until, 1))

    @Slot()
    def search(self) -> None:
        self.searched = True
        self._search_no += 1
        db, uid, f, number = self.ctx.db, self._uid(), self.current_filter(), self._search_no

        def done(rows: list[AuditRow]) -> None:
            if number != self._search_no:
                return  # an older search (the one run on opening) answered after a newer one
            self.rows = rows
            self.say(N_("audit.found"), n=len(rows))
            self.render_tab()

        self._run(lambda: review.search_audit(db, uid, f), done)

    @Slot()
    def verify(self) -> None:
        db, uid = self.ctx.db, self._uid()

        def done(report: ChainReport) -> None:
            self.report = report
            self.render_tab()

        self._run(lambda: review.verify_audit(db, uid), done)

    def export(self, path: Path | None = None) -> None:
        """Save the rows found as CSV (asks where unless ``path`` is given)."""
        if path is None:
            name, _filter = QFileDialog.getSaveFileName(self, self.ctx.lang.text("audit.export"), "audit.csv",
                                                        "CSV (*.csv)")
            if not name:
                return
            path = Path(name)
        rows, target = list(self.rows), path

        def work() -> Path:
            target.write_text(to_csv(rows), encoding="utf-8", newline="")
            return target

        def done(saved: Path) -> None:
            self.say(N_("audit.exported"), n=len(rows), path=isolate(str(saved)))
            self.render_tab()

        self._run(work, done)

    def render_tab(self) -> None:
        tr = self.ctx.lang.text
        lang = self.ctx.lang.lang
        self.table.setHorizontalHeaderLabels([tr(k) for k in (N_("audit.col_time"), N_("audit.user"),
                                                               N_("audit.col_entry"))])
        selected = self.table.selected_row()
        self.table.set_rows(
            [(format_datetime(row.at, lang), row.full_name or row.username, describe(row, lang)) for row in self.rows],
            states=["error" if row.action.startswith(("sod.", "review.refused", "review.not_assigned", "login.failed"))
                    or row.action.endswith(".refused") else "" for row in self.rows],
            tooltips=[row.action for row in self.rows])
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(1)
        self.table.resizeRowsToContents()
        if 0 <= selected < len(self.rows):
            self.table.selectRow(selected)
        self.show_details()
        report = self.report
        if report is None:
            self.chain.clear()
        elif report.ok:
            self.chain.say(N_("audit.chain_ok"), n=report.entries)
        else:
            self.chain.fail(N_("audit.chain_broken"), entry=report.broken_id or 0,
                            problem=Msg(_problem_key(report.problem or "")))
        self.chain.setAlignment(Qt.AlignmentFlag.AlignLeading)


    @Slot()
    def show_details(self) -> None:
        """The selected entry as recorded: its action code, what it is about and its detail (JSON)."""
        row = self.table.selected_row()
        if not 0 <= row < len(self.rows):
            self.details.setPlainText("")
            return
        entry = self.rows[row]
        detail = detail_of(entry) or entry.detail
        text = json.dumps({"id": entry.id, "at_utc": entry.at.isoformat(), "user": entry.username,
                           "action": entry.action, "entity": [entry.entity_type, entry.entity_id],
                           "detail": detail}, ensure_ascii=False, indent=2, sort_keys=True)
        self.details.setPlainText(text)


def _problem_key(problem: str) -> str:
    """The message id of a ``ChainReport`` problem (the core reports it in English words)."""
    for needle, key in (("is missing", N_("audit.problem_missing")), ("does not follow", N_("audit.problem_order")),
                        ("content was changed", N_("audit.problem_content")), ("head record", N_("audit.problem_head")),
                        ("were removed", N_("audit.problem_truncated"))):
        if needle in problem:
            return key
    return N_("audit.problem_content")


def _select_first() -> BaseException:
    from counter_app.ui.shell.i18n import UiError

    return UiError("bo.select_row")
