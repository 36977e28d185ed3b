"""Intake: the service, its documents checklist, the applicant (national ID decoded as typed), the
fee the system computes, the payment; submit prints the receipt, a missing mandatory document
prints the missing-documents slip instead and submits nothing."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
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
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from counter_app.common.clock import utcnow
from counter_app.common.formatting import format_date, tracking_code
from counter_app.common.formatting import money as format_money
from counter_app.common.i18n import N_
from counter_app.common.palette import State
from counter_app.services import counter as counter_service
from counter_app.services.errors import ApplicantFieldError, NationalIdError, ValidationFailed
from counter_app.services.views import (
    Applicant,
    IntakeRequest,
    ServiceView,
    SubmittedView,
    TicketView,
    parse_national_id,
)
from counter_app.ui.shell.context import AppContext
from counter_app.ui.shell.i18n import Binder, Msg, UiError
from counter_app.ui.shell.operations import expected
from counter_app.ui.shell.printing import receipt_document, slip_document
from counter_app.ui.widgets import MessageLine, mark_primary, set_state

log = logging.getLogger(__name__)

PAYMENT_METHODS = ("cash", "card", "epayment")
#: An amount in pounds as a clerk types it (Arabic-Indic digits and separators read as Western ones).
_DIGITS = str.maketrans({0x0660 + d: str(d) for d in range(10)} | {0x066B: ".", 0x066C: ","})
_AMOUNT = re.compile(r"\d{1,9}(\.\d{0,2})?|\.\d{1,2}")


@dataclass(frozen=True)
class SubmitOutcome:
    submitted: SubmittedView
    job_id: str | None
    print_error: BaseException | None


#: The intake form's field labels.
FIELD_LABELS = {"service": N_("intake.service"), "name": N_("intake.name"), "nid": N_("intake.nid"),
                "phone": N_("intake.phone"), "address": N_("intake.address"), "email": N_("intake.email"),
                "fee": N_("intake.fee"), "method": N_("intake.method"), "reference": N_("intake.reference")}


#: The questions asked before typed data is discarded (a ticket action, closing, logging out).
DISCARD_QUESTIONS = (N_("intake.discard_continue"), N_("intake.discard_close"), N_("intake.discard_logout"))


class IntakePanel(QWidget):
    """``submitted(SubmitOutcome)`` after an application is stored; ``slip_printed(job_id)``.

    An intake belongs to exactly one called ticket: :meth:`set_ticket` binds the form to it (a
    fresh intake key, the service of the ticket's group preselected) and clears whatever the
    previous citizen left; without a ticket nothing is submitted or printed. The key goes with
    the submit, so the core stores one application per intake however often it is submitted.
    """

    submitted = Signal(object)
    slip_printed = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.t = Binder(ctx.lang, self)
        self.ticket: TicketView | None = None
        self.intake_key: str | None = None  # made when the form is bound to a ticket; used up by a submit
        self.submitted_tracking: str | None = None  # this intake's application, once submitted
        self.question: QMessageBox | None = None  # the open "discard the typed data?" question
        self.busy = False

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
        # A refusal of the applicant's rules (counter_app.core.applicant) shows under its field until it is edited.
        self.field_errors = {"name": QLabel(self), "phone": QLabel(self)}
        self._field_failures: dict[str, ApplicantFieldError] = {}
        for key, label in self.field_errors.items():
            label.setObjectName(f"{key}Error")
            label.setWordWrap(True)
            set_state(label, "error")
            label.hide()
        self.name.textChanged.connect(lambda: self._field_error("name"))
        self.phone.textChanged.connect(lambda: self._field_error("phone"))
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
        # cash: what the citizen hands over (pounds), and the change computed from it
        self.cash_received = QLineEdit(self)
        self.cash_received.setObjectName("cashReceived")
        self.cash_received.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.cash_received.setMaxLength(12)
        self.change = QLabel(self)
        self.change.setObjectName("cashChange")
        self.change.setWordWrap(True)
        self.cash_label, self.change_label = QLabel(self), QLabel(self)
        self.cash_received.textChanged.connect(self._render_change)
        self.method.currentIndexChanged.connect(self._method_changed)
        self.service.currentIndexChanged.connect(self._render_change)
        self.submit_button = QPushButton(self)
        self.submit_button.setObjectName("submit")
        mark_primary(self.submit_button)
        self.slip_button = QPushButton(self)
        self.slip_button.setObjectName("printSlip")
        self.clear_button = QPushButton(self)
        self.clear_button.setObjectName("clearForm")
        self.result = MessageLine(ctx.lang, self, name="intakeResult")

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
        aform.addRow("", self.field_errors["name"])
        aform.addRow(labels["nid"], self.national_id)
        aform.addRow("", self.nid_info)
        aform.addRow(labels["phone"], self.phone)
        aform.addRow("", self.field_errors["phone"])
        aform.addRow(labels["address"], self.address)
        aform.addRow(labels["email"], self.email)
        aform.addRow("", self.notify_opt_out)
        pay_box = QGroupBox(self)
        pay_box.setObjectName("paymentBox")
        pform = QFormLayout(pay_box)
        pform.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # a narrow column: long labels above
        pform.addRow(labels["fee"], self.fee)
        pform.addRow(labels["method"], self.method)
        pform.addRow(labels["reference"], self.reference)
        pform.addRow(self.cash_label, self.cash_received)
        pform.addRow(self.change_label, self.change)
        self._pay_form = pform
        buttons = QHBoxLayout()
        buttons.addWidget(self.submit_button, 2)
        buttons.addWidget(self.slip_button, 1)
        buttons.addWidget(self.clear_button, 1)
        right = QVBoxLayout()
        right.addWidget(pay_box)
        right.addStretch(1)
        # The form scrolls on a short screen (1366x768); the actions and the message line stay in view.
        form = QWidget(self)
        form.setObjectName("intakeFormBody")
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
        # A message describes the form as it was: any edit clears an error about it.
        for edit in (self.name, self.national_id, self.phone, self.address, self.email, self.reference,
                     self.cash_received):
            edit.textEdited.connect(self._edited)
        self.t(self.cash_label.setText, "intake.cash_received")
        self.t(self.change_label.setText, "intake.change")
        self.t(self.cash_received.setPlaceholderText, "intake.cash_received_hint")
        self.documents.itemChanged.connect(self._edited)
        self.service.activated.connect(self._edited)
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

    def ordered_services(self) -> list[ServiceView]:
        """The ticket's group's services first, then the others (catalogue order within each)."""
        group = self.ticket.group if self.ticket else None
        services = list(self.services())
        return [s for s in services if s.group == group] + [s for s in services if s.group != group]

    def ticket_service(self) -> str | None:
        """The service to preselect for the ticket: the one it names, or its group's only one."""
        if self.ticket is None:
            return None
        if self.ticket.service_code:
            return self.ticket.service_code
        mine = [s.code for s in self.services() if s.group == self.ticket.group]
        return mine[0] if len(mine) == 1 else None

    def set_ticket(self, ticket: TicketView | None) -> None:
        """Bind the form to ``ticket`` (None: no ticket). Another ticket starts a new intake:
        the previous citizen's data is cleared (the caller has asked first) and the service of
        the new ticket's group is preselected."""
        if ticket is not None and self.ticket is not None and ticket.id == self.ticket.id:
            self.ticket = ticket  # the same ticket (recalled): the intake goes on
            return
        self.ticket = ticket
        self._close_question()
        self._clear_fields()
        self.intake_key = str(uuid.uuid4()) if ticket is not None else None
        self.submitted_tracking = None
        self._show()
        self._fill_services(self.ticket_service())

    def is_dirty(self) -> bool:
        """Whether the clerk has typed or ticked something not yet submitted."""
        typed = any(f.text().strip() for f in (self.name, self.national_id, self.phone, self.address,
                                               self.email, self.reference, self.cash_received))
        return typed or bool(self.checked_codes()) or self.notify_opt_out.isChecked()

    def confirm_discard(self, question_id: str, then: Callable[[], None]) -> None:
        """Run ``then`` at once when nothing is typed; otherwise ask first (in the user's
        language, "no" by default): yes runs ``then``, no keeps everything and does nothing."""
        if not self.is_dirty():
            then()
            return
        if self.question is not None:  # already asking: a second key press changes nothing
            return
        lang = self.ctx.lang
        box = QMessageBox(QMessageBox.Icon.Question, lang.text("intake.discard_title"), lang.text(question_id),
                          QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("discardQuestion")
        yes = box.addButton(lang.text("intake.discard_yes"), QMessageBox.ButtonRole.DestructiveRole)
        no = box.addButton(lang.text("intake.discard_no"), QMessageBox.ButtonRole.RejectRole)
        yes.setObjectName("discardYes")
        no.setObjectName("discardNo")
        box.setDefaultButton(no)
        box.setEscapeButton(no)
        box.setLayoutDirection(lang.direction)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(_result: int) -> None:
            self.question = None
            box.deleteLater()
            if box.clickedButton() is yes:
                then()

        box.finished.connect(answered)
        self.question = box
        box.open()
        no.setFocus()

    def _close_question(self) -> None:
        if self.question is not None:
            box, self.question = self.question, None
            box.finished.disconnect()
            box.close()
            box.deleteLater()

    # -- rendering -------------------------------------------------------------------------
    def _fill_services(self, code: str | None, keep: set[str] | None = None) -> None:
        """The service list (the ticket's group first, a line, the others) with ``code`` selected
        (none: the clerk chooses), and its documents ticked as ``keep``."""
        lang = self.ctx.lang
        self.service.blockSignals(True)
        self.service.clear()
        self.service.setPlaceholderText(lang.text("intake.service_placeholder"))
        group = self.ticket.group if self.ticket else None
        for svc in self.ordered_services():
            if group is not None and svc.group != group and self.service.count() and \
                    self.service.itemData(self.service.count() - 1) is not None:
                self.service.insertSeparator(self.service.count())
            self.service.addItem(lang.text("intake.service_item", letter=svc.group,
                                         name=lang.pick(svc.name_ar, svc.name_en)), svc.code)
        self.service.setCurrentIndex(-1)
        if code is not None:
            self.select_service(code)
        self.service.blockSignals(False)
        self._fill_documents(keep or set())

    def retranslate(self) -> None:
        lang = self.ctx.lang
        code, checked = self.service.currentData(), self.checked_codes()
        self._fill_services(str(code) if code is not None else None, checked)  # a language switch keeps the ticks
        method = self.method.currentIndex()
        self.method.clear()
        for m in PAYMENT_METHODS:
            self.method.addItem(lang.text(f"payment.{m}"), m)
        self.method.setCurrentIndex(max(method, 0))
        self._method_changed()
        self._render_national_id()
        for key in self.field_errors:
            self._field_error(key, self._field_failures.get(key))

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
            set_state(self.nid_info, "hint")
            return
        try:
            info = parse_national_id(text)
        except NationalIdError as exc:
            self.nid_info.setText(exc.message(lang.lang))
            set_state(self.nid_info, "error")
            return
        self.nid_info.setText(lang.text("intake.nid_info", birth=format_date(info.birth_date, lang.lang),
                                      sex=lang.text(f"sex.{info.sex}"),
                                      governorate=lang.pick(info.governorate_ar, info.governorate_en)))
        set_state(self.nid_info, "success")

    def _show(self, message_id: str | None = None, failure: BaseException | None = None, *,
              state: State = "success", **params: object) -> None:
        """The message line: an error, a message (success unless said), or nothing."""
        if failure is not None:
            self.result.fail(failure)
        elif message_id:
            self.result.say(message_id, state=state, **params)
        else:
            self.result.clear()

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for b in (self.submit_button, self.slip_button, self.clear_button):
            b.setEnabled(not busy)

    @Slot()
    def _edited(self) -> None:
        if self.result.is_error:
            self._show()

    # -- actions ---------------------------------------------------------------------------
    def cash_piastres(self) -> int | None:
        """The amount received in cash, typed in pounds (``200``, ``200.5``, Arabic-Indic digits too),
        in piastres; None when empty or not an amount."""
        text = self.cash_received.text().strip().translate(_DIGITS).replace(",", "")
        if not _AMOUNT.fullmatch(text):
            return None
        pounds, _, rest = text.partition(".")
        return int(pounds or "0") * 100 + int((rest + "00")[:2])

    @Slot()
    def _method_changed(self) -> None:
        cash = (self.method.currentData() or "cash") == "cash"
        for widget in (self.cash_received, self.change):
            self._pay_form.setRowVisible(widget, cash)
        self._pay_form.setRowVisible(self.reference, not cash)  # a reference is for card and e-payment
        self._render_change()

    @Slot()
    def _render_change(self) -> None:
        """The change to give back, as typed; a short amount says so at once."""
        lang, service, received = self.ctx.lang, self.current_service(), self.cash_piastres()
        if service is None:
            self.change.setText("")
            return
        if not self.cash_received.text().strip():
            self.change.setText(lang.text("intake.change_exact"))
            set_state(self.change, "hint")
            return
        if received is None:
            self.change.setText(lang.text("intake.cash_not_amount"))
            set_state(self.change, "error")
            return
        if received < service.total_piastres:
            self.change.setText(lang.text("intake.cash_short", fee=format_money(service.total_piastres, lang.lang)))
            set_state(self.change, "error")
            return
        self.change.setText(format_money(received - service.total_piastres, lang.lang))
        set_state(self.change, "info")

    def _clear_fields(self) -> None:
        for field in (self.name, self.national_id, self.phone, self.address, self.email, self.reference,
                      self.cash_received):
            field.clear()
        self.notify_opt_out.setChecked(False)
        self.set_checked(set())
        self.method.setCurrentIndex(0)

    @Slot()
    def clear(self) -> None:
        """A new intake for the same ticket (another service for the same citizen): an empty form
        and a new key."""
        self._clear_fields()
        self._show()
        if self.ticket is not None and self.submitted_tracking is not None:
            self.intake_key, self.submitted_tracking = str(uuid.uuid4()), None

    def _refusal(self, *, submitting: bool) -> str | None:
        """Why nothing may be submitted or printed now (a message id), or None."""
        if self.ticket is None or self.intake_key is None and self.submitted_tracking is None:
            return N_("intake.no_ticket")
        if self.submitted_tracking is not None and not self.is_dirty():
            return N_("intake.already_submitted")
        if submitting and not self.is_dirty():
            return N_("intake.empty_form")
        if self.current_service() is None:
            return N_("intake.choose_service")
        return None

    def _refuse(self, message_id: str) -> None:
        if message_id == "intake.already_submitted":
            self._show(message_id, state="info", tracking=tracking_code(self.submitted_tracking or ""))
        else:
            self._show(message_id, state="warning")
        if message_id == "intake.choose_service":
            self.service.setFocus()

    @Slot()
    def print_slip(self) -> None:
        if self.busy:
            return
        refusal = self._refusal(submitting=False)
        if refusal is not None:
            self._refuse(refusal)
            return
        service, cat = self.current_service(), self.ctx.catalogue
        if service is None or cat is None:
            return
        missing = self.missing()
        if not missing:
            self._show(N_("intake.nothing_missing"), state="info")
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
        if self.busy:  # a second click or Ctrl+Enter while the first submit runs
            return
        refusal = self._refusal(submitting=True)
        if refusal is not None:
            self._refuse(refusal)
            return
        service, cat, ctx, key = self.current_service(), self.ctx.catalogue, self.ctx, self.intake_key
        if service is None or cat is None or ctx.user is None or key is None or self.ticket is None:
            return
        if self.missing():
            self.print_slip()  # nothing is submitted while a mandatory document is missing
            return
        method = str(self.method.currentData() or "cash")
        reference = self.reference.text().strip()
        cash = None
        if method == "cash":  # what the citizen handed over (empty: the exact fee) and so the change
            cash = self.cash_piastres() if self.cash_received.text().strip() else service.total_piastres
            if cash is None:
                self._show(failure=ValidationFailed(detail=Msg("field.cash_received")))
                self.cash_received.setFocus()
                return
        req = IntakeRequest(
            service_code=service.code,
            applicant=Applicant(self.name.text(), self.national_id.text(), self.phone.text(), self.address.text(),
                                self.email.text(), self.notify_opt_out.isChecked()),
            received_documents=tuple(sorted(self.checked_codes())), payment_method=method,
            payment_reference=reference, counter_id=ctx.counter.id if ctx.counter else None,
            ticket_id=self.ticket.id, intake_key=key, cash_received=cash,
        )
        counter_name = ctx.lang.pick(ctx.counter.name_ar, ctx.counter.name_en) if ctx.counter else ""
        user, signing, lang, url = ctx.user, ctx.key, ctx.lang.lang, ctx.config.receipt_printer

        def work() -> SubmitOutcome:
            done = counter_service.submit_application(ctx.db, user.id, req)
            if not done.created:  # this intake was stored before: its receipt was printed then
                return SubmitOutcome(done, None, None)
            try:  # the application is committed: a print problem must not lose it
                if signing is None:
                    raise UiError("intake.no_key")
                receipt = receipt_document(signing, cat.centre, counter_name, user.clerk_number, service, done,
                                           method, reference, lang, ctx.config.portal_base_url)
                return SubmitOutcome(done, ctx.printing.submit(receipt, url, lang), None)
            except Exception as exc:
                if not expected(exc):  # the clerk reads "logged for support": it is
                    log.error("receipt of %s not printed", done.tracking_code, exc_info=exc)
                return SubmitOutcome(done, None, exc)

        self._set_busy(True)
        self.ctx.ops.write(work, self._submitted, self._failed, owner=self)

    def _submitted(self, outcome: SubmitOutcome) -> None:
        self._set_busy(False)
        self._clear_fields()
        self.submitted_tracking, self.intake_key = outcome.submitted.tracking_code, None
        if not outcome.submitted.created:
            self._show(N_("intake.already_submitted"), state="info",
                       tracking=tracking_code(outcome.submitted.tracking_code))
            return
        if outcome.print_error is not None:
            self._show(N_("intake.submitted_print_failed"), state="warning", tracking=outcome.submitted.tracking_code,
                       error=outcome.print_error)
        else:
            self._show(N_("intake.submitted"), tracking=outcome.submitted.tracking_code)
        self.submitted.emit(outcome)

    def _field_error(self, field: str, failure: ApplicantFieldError | None = None) -> None:
        if failure is None:
            self._field_failures.pop(field, None)
        else:
            self._field_failures[field] = failure
        label = self.field_errors[field]
        label.setText(failure.message(self.ctx.lang.lang) if failure is not None else "")
        label.setVisible(failure is not None)

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self._show(failure=exc)
        if isinstance(exc, ApplicantFieldError) and exc.field in self.field_errors:
            self._field_error(exc.field, exc)
            (self.name if exc.field == "name" else self.phone).setFocus()
        if isinstance(exc, NationalIdError):
            self.national_id.setFocus()
