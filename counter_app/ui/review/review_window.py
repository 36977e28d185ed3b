"""The back-office review window (reviewer role).

The reviewer sees only the files the system assigned to them, the earliest due first, overdue
ones in red. Opening a file starts its review; the applicant's name, national ID, phone and
address arrive masked from the core. Decisions: approve, reject with a listed reason (plus text),
or return for the documents ticked in the list. Each decision is one transaction in the core.

Shortcuts: F5 refresh, Ctrl+Enter approve, Ctrl+R reject, Ctrl+B return, Ctrl+L language,
Ctrl+Shift+Q log out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from counter_app.common.formatting import format_datetime
from counter_app.common.formatting import money as format_money
from counter_app.common.i18n import N_
from counter_app.services import review
from counter_app.services.review import REJECTION_REASONS, ReviewDesk, ReviewFile
from counter_app.ui.shell.context import AppContext
from counter_app.ui.shell.i18n import Binder, Msg, isolate
from counter_app.ui.shell.status_bar import StatusLine
from counter_app.ui.widgets import MessageLine, ReadOnlyTable, WindowHeader, mark_primary, with_header

REFRESH_MS = 30_000
#: The review list's column that takes the room left (and is elided): the service's name.
SERVICE_COLUMN = 1
SERVICE_MIN_WIDTH = 110


#: What the reviewer reads after each decision.
DONE_MESSAGES = {"approve": N_("review.done_approve"), "reject": N_("review.done_reject"),
                 "return": N_("review.done_return")}


class ReviewWindow(QMainWindow):
    logout_requested = Signal()
    desk_loaded = Signal()
    decided = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.t = Binder(ctx.lang, self)
        self.setObjectName("reviewWindow")
        self.desk: ReviewDesk | None = None
        self.busy = False


        # The tracking code, due time and state are never cut (sized to their content); the service's
        # name takes what is left and is elided, with the full name in its tooltip.
        self.queue_table = ReadOnlyTable(4, self, name="reviewQueue", elided_column=SERVICE_COLUMN)
        self.queue_table.cellActivated.connect(lambda row, _c: self.open_row(row))
        self.queue_table.cellClicked.connect(lambda row, _c: self.open_row(row))

        self.file_title = QLabel(self)
        self.file_title.setObjectName("title")
        self.file_title.setWordWrap(True)
        self.applicant = QLabel(self)
        self.applicant.setObjectName("maskedApplicant")
        self.applicant.setWordWrap(True)
        self.applicant.setAlignment(Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignTop)
        self.documents = QListWidget(self)
        self.documents.setObjectName("documents")
        self.documents.setWordWrap(True)  # a long document name wraps in the narrower list
        self.fees = QLabel(self)
        self.fees.setWordWrap(True)

        self.approve_button, self.reject_button, self.return_button = (QPushButton(self) for _ in range(3))
        self.approve_button.setObjectName("approve")
        mark_primary(self.approve_button)
        self.reject_button.setObjectName("reject")
        self.return_button.setObjectName("return")
        self.reason = QComboBox(self)
        self.reason.setObjectName("rejectReason")
        self.reason_text = QLineEdit(self)
        self.reason_text.setObjectName("reasonText")
        self.message = MessageLine(ctx.lang, self)

        self.applicant_box, self.documents_box, self.decision_box = QGroupBox(self), QGroupBox(self), QGroupBox(self)
        QVBoxLayout(self.applicant_box).addWidget(self.applicant)
        docs = QVBoxLayout(self.documents_box)
        docs.addWidget(self.documents, 1)
        docs.addWidget(self.fees)
        decision = QFormLayout(self.decision_box)
        self.reason_label, self.text_label = QLabel(self), QLabel(self)
        decision.addRow(self.reason_label, self.reason)
        decision.addRow(self.text_label, self.reason_text)
        buttons = QHBoxLayout()
        for button in (self.approve_button, self.reject_button, self.return_button):
            buttons.addWidget(button)
        decision.addRow(buttons)

        detail = QWidget(self)
        right = QVBoxLayout(detail)
        right.addWidget(self.file_title)
        # the masked applicant beside the documents: the list the reviewer ticks gets the height
        middle = QHBoxLayout()
        middle.addWidget(self.applicant_box, 2)
        middle.addWidget(self.documents_box, 3)
        right.addLayout(middle, 1)
        right.addWidget(self.decision_box)
        right.addWidget(self.message)
        self.queue_box = QGroupBox(self)
        QVBoxLayout(self.queue_box).addWidget(self.queue_table)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.queue_box)
        split.addWidget(detail)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)

        self.header = WindowHeader(ctx.lang, self)  # last in the focus chain: the window opens on the files
        self.who, self.language_button, self.logout_button = (self.header.who, self.header.language_button,
                                                              self.header.logout_button)
        self.refresh_button = self.header.add_button("refresh", N_("review.refresh"), self.refresh, key="F5")
        self.header.logout_requested.connect(self.logout_requested)
        box = with_header(self, self.header)
        box.addWidget(split, 1)
        self.status_line = StatusLine(ctx, self)
        self.statusBar().addPermanentWidget(self.status_line, 1)
        self.statusBar().setSizeGripEnabled(False)

        t = self.t
        t(self.setWindowTitle, "review.window_title")
        t(self.approve_button.setText, "common.with_key", text=Msg("review.approve"), key="Ctrl+Enter")
        t(self.reject_button.setText, "common.with_key", text=Msg("review.reject"), key="Ctrl+R")
        t(self.return_button.setText, "common.with_key", text=Msg("review.return"), key="Ctrl+B")
        t(self.reason_label.setText, "review.reason")
        t(self.text_label.setText, "review.reason_text")
        t(self.applicant_box.setTitle, "review.applicant_masked")
        t(self.documents_box.setTitle, "review.documents")
        t(self.decision_box.setTitle, "review.decision")
        t(self.queue_box.setTitle, "review.queue")
        t.also(self.render_desk)

        self.approve_button.clicked.connect(self.approve)
        self.reject_button.clicked.connect(self.reject)
        self.return_button.clicked.connect(self.return_file)
        for key, slot in (("F5", self.refresh), ("Ctrl+Return", self.approve), ("Ctrl+Enter", self.approve),
                          ("Ctrl+R", self.reject), ("Ctrl+B", self.return_file)):
            QShortcut(QKeySequence(key), self, slot)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.resize(1280, 800)
        self.render_desk()
        self.refresh()

    # -- loading --------------------------------------------------------------------------------
    def _uid(self) -> int:
        assert self.ctx.user is not None
        return self.ctx.user.id

    def _run(self, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self.busy = True
        self._set_enabled()
        self.ctx.ops.write(fn, done, self.show_error, owner=self)  # load_desk assigns files too

    @Slot()
    def refresh(self, open_id: int | None = None) -> None:
        if self.busy:
            return
        current = open_id if open_id is not None else (self.desk.file.application_id
                                                       if self.desk and self.desk.file else None)
        db, uid = self.ctx.db, self._uid()
        self._run(lambda: review.load_desk(db, uid, current), self._loaded)

    def open_row(self, row: int) -> None:
        if self.desk is not None and 0 <= row < len(self.desk.queue) and not self.busy:
            self.message.clear()
            self.refresh(self.desk.queue[row].application_id)

    def _loaded(self, desk: ReviewDesk) -> None:
        self.busy = False
        if desk.file is not None and desk.file.application_id not in {r.application_id for r in desk.queue}:
            desk = ReviewDesk(desk.queue, None)  # decided meanwhile: off the desk
        self.desk = desk
        self.render_desk()
        self.desk_loaded.emit()

    def show_error(self, exc: BaseException) -> None:
        self.busy = False
        self.message.fail(exc)
        self.render_desk()
        self.desk_loaded.emit()

    # -- decisions ------------------------------------------------------------------------------
    def _decide(self, kind: str, fn: Callable[[], None]) -> None:
        file = self.desk.file if self.desk else None
        if file is None or self.busy:
            return
        tracking = file.tracking_code

        def done(_r: object) -> None:
            self.busy = False
            self.message.say(DONE_MESSAGES[kind], tracking=isolate(tracking))
            self.reason_text.clear()
            self.desk = ReviewDesk(self.desk.queue if self.desk else (), None)
            self.decided.emit(kind)
            self.refresh()

        self.busy = True
        self._set_enabled()
        self.ctx.ops.write(fn, done, self.show_error, owner=self)

    @Slot()
    def approve(self) -> None:
        file, db, uid = self.desk.file if self.desk else None, self.ctx.db, self._uid()
        if file is not None:
            self._decide("approve", lambda: review.approve(db, uid, file.application_id))

    @Slot()
    def reject(self) -> None:
        file, db, uid = self.desk.file if self.desk else None, self.ctx.db, self._uid()
        code, text = str(self.reason.currentData() or ""), self.reason_text.text()
        if file is not None:
            self._decide("reject", lambda: review.reject(db, uid, file.application_id, code, text))

    @Slot()
    def return_file(self) -> None:
        file, db, uid = self.desk.file if self.desk else None, self.ctx.db, self._uid()
        if file is None:
            return
        received = {d.code for d in file.documents if d.received}  # unticking one asks for it again
        codes = [code for i in range(self.documents.count())
                 if (code := str(self.documents.item(i).data(Qt.ItemDataRole.UserRole))) in received
                 and self.documents.item(i).checkState() == Qt.CheckState.Unchecked]
        note = self.reason_text.text()
        self._decide("return", lambda: review.return_for_documents(db, uid, file.application_id, codes, note))

    # -- rendering ------------------------------------------------------------------------------
    def _set_enabled(self) -> None:
        has_file = bool(self.desk and self.desk.file) and not self.busy
        for w in (self.approve_button, self.reject_button, self.return_button, self.reason, self.reason_text):
            w.setEnabled(has_file)

    def _fit_queue_columns(self) -> None:
        """The list is at least as wide as its tracking codes, due times and states (never cut) plus
        some of the service's name; the splitter gives the file's details the rest."""
        table, columns = self.queue_table, self.queue_table.horizontalHeader()
        content = sum(max(table.sizeHintForColumn(c), columns.sectionSizeHint(c))
                      for c in range(table.columnCount()) if c != SERVICE_COLUMN)
        table.setMinimumWidth(content + SERVICE_MIN_WIDTH + 2 * table.frameWidth()
                              + table.verticalScrollBar().sizeHint().width())

    def render_desk(self) -> None:
        lang, tr = self.ctx.lang, self.ctx.lang.text
        user = self.ctx.user
        self.header.set_who(tr("review.who", user=isolate(user.full_name) if user else ""))
        current = self.reason.currentData()
        self.reason.clear()
        for code in REJECTION_REASONS:
            self.reason.addItem(self.ctx.lang.text(f"reject_reason.{code}"), code)
        self.reason.setCurrentIndex(max(self.reason.findData(current), 0))
        self.queue_table.setHorizontalHeaderLabels([tr(k) for k in (N_("review.col_tracking"), N_("review.col_service"),
                                                                     N_("review.col_due"), N_("review.col_state"))])
        desk = self.desk
        rows = desk.queue if desk else ()
        cells: list[tuple[str, ...]] = []
        for row in rows:
            due = format_datetime(row.due_at, lang.lang) if row.due_at else "—"
            flag = tr("review.overdue") if row.overdue else tr("review.near_due") if row.near_due else ""
            state = tr(f"state.{row.state.value}") + (f" — {flag}" if flag else "")
            cells.append((row.tracking_code, lang.pick(row.service_ar, row.service_en), due, state))
        self.queue_table.set_rows(cells, states=["overdue" if row.overdue else "warning" if row.near_due else ""
                                                 for row in rows])
        self._fit_queue_columns()
        self._render_file(desk.file if desk else None)
        if not rows:
            self.file_title.setText(tr("review.empty"))
        self._set_enabled()

    def _render_file(self, file: ReviewFile | None) -> None:
        lang, tr = self.ctx.lang, self.ctx.lang.text
        self.documents.clear()
        if file is None:
            self.file_title.setText(tr("review.pick_file"))
            self.applicant.setText("")
            self.fees.setText("")
            return
        due = format_datetime(file.due_at, lang.lang) if file.due_at else "—"
        self.file_title.setText(tr("review.file_title", tracking=isolate(file.tracking_code),
                                   service=isolate(lang.pick(file.service_ar, file.service_en)), due=isolate(due),
                                   state=tr(f"state.{file.state.value}")))
        self.applicant.setText(tr("review.applicant", name=isolate(file.applicant_name),
                                  nid=isolate(file.national_id), phone=isolate(file.phone or "—"),
                                  address=isolate(file.address or "—"), governorate=file.governorate_code))
        for doc in file.documents:
            label = tr(N_("review.doc_mandatory") if doc.mandatory else N_("review.doc_optional"),
                       name=lang.pick(doc.name_ar, doc.name_en))
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, doc.code)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if doc.received else Qt.CheckState.Unchecked)
            self.documents.addItem(item)
        method = tr(f"payment.{file.payment_method}") if file.payment_method else tr("review.unpaid")
        self.fees.setText(tr("review.fees", total=format_money(file.fee_total_piastres, lang.lang),
                             paid=format_money(file.paid_piastres, lang.lang), method=method))
