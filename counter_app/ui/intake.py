"""Intake: the service, its documents checklist, the applicant (national ID decoded as typed), the
fee the system computes, the payment; submit prints the receipt, a missing mandatory document
prints the missing-documents slip instead and submits nothing."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from counter_app.common.formatting import format_date
from counter_app.common.formatting import money as format_money
from counter_app.common.i18n import N_
from counter_app.core.applications import Applicant
from counter_app.core.clock import utcnow
from counter_app.core.national_id import NationalIdError, parse_national_id
from counter_app.ui import backend
from counter_app.ui.backend import IntakeRequest, ServiceView, SubmittedView, TicketView
from counter_app.ui.context import AppContext
from counter_app.ui.i18n import Binder, Msg, UiError
from counter_app.ui.printing import receipt_document, slip_document

PAYMENT_METHODS = ("cash", "card", "epayment")


@dataclass(frozen=True)
class SubmitOutcome:
    submitted: SubmittedView
    job_id: str | None
    print_error: BaseException | None


#: The intake form's field labels.
FIELD_LABELS = {"service": N_("intake.service"), "name": N_("intake.name"), "nid": N_("intake.nid"),
                "phone": N_("intake.phone"), "address": N_("intake.address"), "email": N_("intake.email"),
                "fee": N_("intake.fee"), "method": N_("intake.method"), "reference": N_("intake.reference")}


class IntakePanel(QWidget):
    """``submitted(SubmitOutcome)`` after an application is stored; ``slip_printed(job_id)``."""

    submitted = Signal(object)
    slip_printed = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.t = Binder(ctx.lang, self)
        self.ticket: TicketView | None = None
        self.busy = False
        self._result: tuple[str, dict[str, object]] | None = None
        self._error: BaseException | None = None

        self.service = QComboBox(self)
        self.service.setObjectName("service")
        self.service.currentIndexChanged.connect(self._service_changed)
        self.documents = QListWidget(self)
        self.documents.setWordWrap(True)  # long document names wrap instead of widening the form
        self.documents.setObjectName("documents")
        self.documents.setMinimumHeight(120)
        self.name = QLineEdit(self)
        self.name.setObjectName("applicantName")
        self.national_id = QLineEdit(self)
        self.national_id.setObjectName("nationalId")
        self.national_id.setMaxLength(20)
        self.national_id.textChanged.connect(self._render_national_id)
        self.nid_info = QLabel(self)
        self.nid_info.setWordWrap(True)
        self.nid_info.setObjectName("nationalIdInfo")
        self.phone = QLineEdit(self)
        self.phone.setObjectName("phone")
        self.address = QLineEdit(self)
        self.address.setObjectName("address")
        self.email = QLineEdit(self)
        self.email.setObjectName("email")
        self.email.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.notify_opt_out = QCheckBox(self)
        self.notify_opt_out.setObjectName("notifyOptOut")
        self.fee = QLabel(self)
        self.fee.setObjectName("fee")
        self.fee.setWordWrap(True)
        self.method = QComboBox(self)
        self.method.setObjectName("paymentMethod")
        self.reference = QLineEdit(self)
        self.reference.setObjectName("paymentReference")
        self.submit_button = QPushButton(self)
        self.submit_button.setObjectName("submit")
        self.slip_button = QPushButton(self)
        self.slip_button.setObjectName("printSlip")
        self.clear_button = QPushButton(self)
        self.clear_button.setObjectName("clearForm")
        self.result = QLabel(self)
        self.result.setObjectName("intakeResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        labels = {key: QLabel(self) for key in FIELD_LABELS}
        service_box = QGroupBox(self)
        sform = QVBoxLayout(service_box)
        srow = QFormLayout()
        srow.addRow(labels["service"], self.service)
        sform.addLayout(srow)
        sform.addWidget(self.documents)
        applicant_box = QGroupBox(self)
        aform = QFormLayout(applicant_box)
        aform.addRow(labels["name"], self.name)
        aform.addRow(labels["nid"], self.national_id)
        aform.addRow("", self.nid_info)
        aform.addRow(labels["phone"], self.phone)
        aform.addRow(labels["address"], self.address)
        aform.addRow(labels["email"], self.email)
        aform.addRow("", self.notify_opt_out)
        pay_box = QGroupBox(self)
        pform = QFormLayout(pay_box)
        pform.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)  # a narrow column: labels above
        pform.addRow(labels["fee"], self.fee)
        pform.addRow(labels["method"], self.method)
        pform.addRow(labels["reference"], self.reference)
        buttons = QHBoxLayout()
        buttons.addWidget(self.submit_button, 2)
        buttons.addWidget(self.slip_button, 1)
        buttons.addWidget(self.clear_button, 1)
        right = QVBoxLayout()
        right.addWidget(pay_box)
        right.addStretch(1)
        # The form scrolls on a short screen (1366x768); the actions and the message line stay in view.
        form = QWidget(self)
        columns = QHBoxLayout(form)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.addWidget(service_box, 5)
        columns.addWidget(applicant_box, 5)
        columns.addLayout(right, 4)
        self.form_area = QScrollArea(self)
        self.form_area.setObjectName("intakeForm")
        self.form_area.setWidget(form)
        self.form_area.setWidgetResizable(True)
        self.form_area.setFrameShape(QFrame.Shape.NoFrame)
        self.form_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        box = QVBoxLayout(self)
        box.addWidget(self.form_area, 1)
        box.addLayout(buttons)
        box.addWidget(self.result)

        for key, widget in labels.items():
            self.t(widget.setText, FIELD_LABELS[key])
        self.t(self.notify_opt_out.setText, "intake.notify_opt_out")
        self.t(service_box.setTitle, "intake.service_box")
        self.t(applicant_box.setTitle, "intake.applicant_box")
        self.t(pay_box.setTitle, "intake.payment_box")
        self.t(self.submit_button.setText, "common.with_key", text=Msg("intake.submit"), key="Ctrl+Enter")
        self.t(self.slip_button.setText, "common.with_key", text=Msg("intake.print_slip"), key="F8")
        self.t(self.clear_button.setText, "intake.clear")
        self.t.also(self.retranslate)
        self.submit_button.clicked.connect(self.submit)
        self.slip_button.clicked.connect(self.print_slip)
        self.clear_button.clicked.connect(self.clear)
        for key, button in (("Ctrl+Return", self.submit_button), ("Ctrl+Enter", self.submit_button),
                            ("F8", self.slip_button), ("Ctrl+Shift+N", self.clear_button)):
            QShortcut(QKeySequence(key), self, button.click)
        self.retranslate()

    # -- data ------------------------------------------------------------------------------
    def services(self) -> tuple[ServiceView, ...]:
        return self.ctx.catalogue.services if self.ctx.catalogue else ()

    def current_service(self) -> ServiceView | None:
        code = self.service.currentData()
        return next((s for s in self.services() if s.code == code), None)

    def checked_codes(self) -> set[str]:
        return {str(self.documents.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.documents.count())
                if self.documents.item(i).checkState() == Qt.CheckState.Checked}

    def set_checked(self, codes: set[str] | None = None) -> None:
        """Tick exactly ``codes`` (all documents when None)."""
        for i in range(self.documents.count()):
            item = self.documents.item(i)
            on = codes is None or item.data(Qt.ItemDataRole.UserRole) in codes
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def missing(self) -> list[str]:
        service, lang = self.current_service(), self.ctx.lang
        checked = self.checked_codes()
        if service is None:
            return []
        return [lang.pick(d.name_ar, d.name_en) for d in service.documents if d.mandatory and d.code not in checked]

    def select_service(self, code: str) -> None:
        index = self.service.findData(code)
        if index >= 0:
            self.service.setCurrentIndex(index)

    def set_ticket(self, ticket: TicketView | None) -> None:
        self.ticket = ticket
        if ticket is not None and ticket.service_code:
            self.select_service(ticket.service_code)

    # -- rendering -------------------------------------------------------------------------
    def retranslate(self) -> None:
        lang = self.ctx.lang
        code, checked = self.service.currentData(), self.checked_codes()
        self.service.blockSignals(True)
        self.service.clear()
        for svc in self.services():
            self.service.addItem(lang.text("intake.service_item", letter=svc.group,
                                         name=lang.pick(svc.name_ar, svc.name_en)), svc.code)
        if code is not None:
            self.select_service(str(code))
        self.service.blockSignals(False)
        self._fill_documents(checked)  # a language switch keeps the ticks
        method = self.method.currentIndex()
        self.method.clear()
        for m in PAYMENT_METHODS:
            self.method.addItem(lang.text(f"payment.{m}"), m)
        self.method.setCurrentIndex(max(method, 0))
        self._render_national_id()
        self._render_result()

    @Slot(int)
    def _service_changed(self, _index: int) -> None:
        self._fill_documents(set())

    def _fill_documents(self, keep: set[str]) -> None:
        service, lang = self.current_service(), self.ctx.lang
        self.documents.clear()
        fee_lines: list[str] = []
        if service is not None:
            for doc in service.documents:
                key = N_("intake.doc_mandatory") if doc.mandatory else N_("intake.doc_optional")
                item = QListWidgetItem(lang.text(key, name=lang.pick(doc.name_ar, doc.name_en)))
                item.setData(Qt.ItemDataRole.UserRole, doc.code)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if doc.code in keep else Qt.CheckState.Unchecked)
                self.documents.addItem(item)
            fee_lines = [lang.text("intake.fee_line", name=lang.pick(f.name_ar, f.name_en),
                                 amount=format_money(f.amount_piastres, lang.lang)) for f in service.fees]
            total = lang.text("intake.fee_total", amount=format_money(service.total_piastres, lang.lang))
            self.fee.setText("\n".join([*fee_lines, total]))
        else:
            self.fee.setText("")

    @Slot()
    def _render_national_id(self) -> None:
        text, lang = self.national_id.text(), self.ctx.lang
        if not text.strip():
            self.nid_info.setText(lang.text("intake.nid_hint"))
            self.nid_info.setStyleSheet("color: #555;")
            return
        try:
            info = parse_national_id(text)
        except NationalIdError as exc:
            self.nid_info.setText(exc.message(lang.lang))
            self.nid_info.setStyleSheet("color: #b00020;")
            return
        self.nid_info.setText(lang.text("intake.nid_info", birth=format_date(info.birth_date, lang.lang),
                                      sex=lang.text(f"sex.{info.sex}"),
                                      governorate=lang.pick(info.governorate_ar, info.governorate_en)))
        self.nid_info.setStyleSheet("color: #1b5e20;")

    def _render_result(self) -> None:
        lang = self.ctx.lang
        if self._error is not None:
            self.result.setText(lang.error(self._error))
            self.result.setStyleSheet("color: #b00020; font-weight: bold;")
        elif self._result is not None:
            self.result.setText(lang.text(self._result[0], **self._result[1]))
            self.result.setStyleSheet("color: #1b5e20; font-weight: bold;")
        else:
            self.result.setText("")

    def _show(self, message_id: str | None = None, failure: BaseException | None = None, **params: object) -> None:
        self._result = (message_id, params) if message_id else None
        self._error = failure
        self._render_result()

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for b in (self.submit_button, self.slip_button, self.clear_button):
            b.setEnabled(not busy)

    # -- actions ---------------------------------------------------------------------------
    @Slot()
    def clear(self) -> None:
        for field in (self.name, self.national_id, self.phone, self.address, self.email, self.reference):
            field.clear()
        self.notify_opt_out.setChecked(False)
        self.set_checked(set())
        self.method.setCurrentIndex(0)

    @Slot()
    def print_slip(self) -> None:
        service, cat = self.current_service(), self.ctx.catalogue
        if self.busy or service is None or cat is None:
            return
        missing = self.missing()
        if not missing:
            self._show(N_("intake.nothing_missing"))
            return
        reference = self.ticket.number if self.ticket else "—"
        slip = slip_document(cat.centre, service, missing, reference, utcnow(), applicant=self.name.text())
        printing, url, lang = self.ctx.printing, self.ctx.config.receipt_printer, self.ctx.lang.lang
        self._set_busy(True)
        self.ctx.ops.run(lambda: printing.submit(slip, url, lang), self._slip_queued, self._failed, owner=self)

    def _slip_queued(self, job_id: str) -> None:
        self._set_busy(False)
        self._show(N_("intake.slip_printed"), n=len(self.missing()))
        self.slip_printed.emit(job_id)

    @Slot()
    def submit(self) -> None:
        service, cat, ctx = self.current_service(), self.ctx.catalogue, self.ctx
        if self.busy or service is None or cat is None or ctx.user is None:
            return
        if self.missing():
            self.print_slip()  # nothing is submitted while a mandatory document is missing
            return
        method = str(self.method.currentData() or "cash")
        reference = self.reference.text().strip()
        req = IntakeRequest(
            service_code=service.code,
            applicant=Applicant(self.name.text(), self.national_id.text(), self.phone.text(), self.address.text(),
                                self.email.text(), self.notify_opt_out.isChecked()),
            received_documents=tuple(sorted(self.checked_codes())), payment_method=method,
            payment_reference=reference, counter_id=ctx.counter.id if ctx.counter else None,
            ticket_id=self.ticket.id if self.ticket else None,
        )
        counter_name = ctx.lang.pick(ctx.counter.name_ar, ctx.counter.name_en) if ctx.counter else ""
        user, key, lang, url = ctx.user, ctx.key, ctx.lang.lang, ctx.config.receipt_printer

        def work() -> SubmitOutcome:
            done = backend.submit_application(ctx.db, user.id, req)
            try:  # the application is committed: a print problem must not lose it
                if key is None:
                    raise UiError("intake.no_key")
                receipt = receipt_document(key, cat.centre, counter_name, user.clerk_number, service, done,
                                           method, reference, lang)
                return SubmitOutcome(done, ctx.printing.submit(receipt, url, lang), None)
            except Exception as exc:
                return SubmitOutcome(done, None, exc)

        self._set_busy(True)
        self.ctx.ops.run(work, self._submitted, self._failed, owner=self)

    def _submitted(self, outcome: SubmitOutcome) -> None:
        self._set_busy(False)
        self.clear()
        if outcome.print_error is not None:
            self._show(N_("intake.submitted_print_failed"), tracking=outcome.submitted.tracking_code,
                       error=outcome.print_error)
        else:
            self._show(N_("intake.submitted"), tracking=outcome.submitted.tracking_code)
        self.submitted.emit(outcome)

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self._show(failure=exc)
        if isinstance(exc, NationalIdError):
            self.national_id.setFocus()
