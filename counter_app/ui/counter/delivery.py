"""Delivery: find an application by tracking code (typed, or its receipt QR scanned), mark an
approved result ready, hand it over and record who collected it.

The same search serves a citizen coming back with a returned file: the documents the reviewer asked
for are unticked; the clerk prints the missing-documents slip, or ticks what was brought and sends
the file back to review. A clerk can also ask for a file to be cancelled (a supervisor decides)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal, Slot
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
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from counter_app.common.formatting import format_datetime, national_id, tracking_code
from counter_app.common.formatting import money as format_money
from counter_app.common.i18n import N_
from counter_app.services import cashdesk
from counter_app.services import counter as counter_service
from counter_app.services.cashdesk import RefundView
from counter_app.services.views import ApplicationState, ApplicationView, mask_national_id
from counter_app.ui.shell.context import AppContext
from counter_app.ui.shell.i18n import Binder, Msg, UiError
from counter_app.ui.shell.operations import Failed, Lane
from counter_app.ui.shell.printing import (
    handover_document,
    refund_document,
    slip_document,
    tracking_code_from_scan,
)
from counter_app.ui.widgets import MessageLine, mark_primary
from printers.data import RELATION_LABELS


class DeliveryPanel(QWidget):
    """``delivered(ApplicationView)`` once a result is handed over."""

    delivered = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.t = Binder(ctx.lang, self)
        self.app: ApplicationView | None = None

        self.code = QLineEdit(self)
        self.code.setObjectName("trackingCode")
        self.find_button = QPushButton(self)
        self.find_button.setObjectName("find")
        self.code.returnPressed.connect(self.find_application)
        self.find_button.clicked.connect(self.find_application)
        self.details = QLabel(self)
        self.details.setObjectName("applicationDetails")
        self.details.setWordWrap(True)
        self.note = QLabel(self)
        self.note.setObjectName("reviewerNote")
        self.note.setWordWrap(True)
        self.collector = QLineEdit(self)
        self.collector.setObjectName("collectorName")
        self.collector_nid = QLineEdit(self)
        self.collector_nid.setObjectName("collectorNationalId")
        # someone other than the applicant collects: their relation and power of attorney
        self.relation = QComboBox(self)
        self.relation.setObjectName("collectorRelation")
        self.authority = QLineEdit(self)
        self.authority.setObjectName("powerOfAttorney")
        self.authority.setMaxLength(64)
        self.relation_label, self.authority_label = QLabel(self), QLabel(self)
        self.collector_nid.textChanged.connect(self._collector_changed)
        # a refund approved on the file, paid out here (asks to confirm; Escape takes it back)
        self.refund: RefundView | None = None
        self._refund_confirm = False
        self.refund_label = QLabel(self)
        self.refund_label.setObjectName("refundDue")
        self.refund_label.setWordWrap(True)
        self.refund_button = QPushButton(self)
        self.refund_button.setObjectName("payRefund")
        self.refund_button.clicked.connect(self.pay_refund)
        QShortcut(QKeySequence("Escape"), self, self._cancel_refund)
        self.ready_button = QPushButton(self)
        self.ready_button.setObjectName("markReady")
        self.deliver_button = QPushButton(self)
        self.deliver_button.setObjectName("deliver")
        mark_primary(self.deliver_button)
        self.ready_button.clicked.connect(self.mark_ready)
        self.deliver_button.clicked.connect(self.deliver)
        QShortcut(QKeySequence("Ctrl+D"), self, self.deliver_button.click)
        self.message = MessageLine(ctx.lang, self, name="deliveryMessage")

        self.returned_box = QGroupBox(self)
        self.returned_box.setObjectName("returnedBox")
        self.returned_docs = QListWidget(self.returned_box)
        self.returned_docs.setObjectName("returnedDocuments")
        self.returned_slip_button, self.resubmit_button = QPushButton(self), QPushButton(self)
        self.returned_slip_button.setObjectName("returnedSlip")
        self.resubmit_button.setObjectName("resubmit")
        self.returned_slip_button.clicked.connect(self.print_returned_slip)
        self.resubmit_button.clicked.connect(self.resubmit)
        returned = QVBoxLayout(self.returned_box)
        returned.addWidget(self.returned_docs)
        returned_buttons = QHBoxLayout()
        returned_buttons.addWidget(self.returned_slip_button)
        returned_buttons.addWidget(self.resubmit_button)
        returned.addLayout(returned_buttons)
        self.cancel_reason = QLineEdit(self)
        self.cancel_reason.setObjectName("cancelReason")
        self.cancel_button = QPushButton(self)
        self.cancel_button.setObjectName("requestCancel")
        self.cancel_button.clicked.connect(self.request_cancellation)
        cancel_row = QHBoxLayout()
        cancel_row.addWidget(self.cancel_reason, 1)
        cancel_row.addWidget(self.cancel_button)

        code_label, name_label, nid_label = QLabel(self), QLabel(self), QLabel(self)
        search = QHBoxLayout()
        search.addWidget(code_label)
        search.addWidget(self.code, 1)
        search.addWidget(self.find_button)
        box = QGroupBox(self)
        form = QFormLayout(box)
        form.addRow(name_label, self.collector)
        form.addRow(nid_label, self.collector_nid)
        form.addRow(self.relation_label, self.relation)
        form.addRow(self.authority_label, self.authority)
        self._collector_form = form
        buttons = QHBoxLayout()
        buttons.addWidget(self.ready_button)
        buttons.addWidget(self.deliver_button)
        layout = QVBoxLayout(self)
        layout.addLayout(search)
        layout.addWidget(self.details)
        layout.addWidget(self.note)
        layout.addWidget(box)
        layout.addLayout(buttons)
        refund_row = QHBoxLayout()
        refund_row.addWidget(self.refund_label, 1)
        refund_row.addWidget(self.refund_button)
        layout.addLayout(refund_row)
        layout.addWidget(self.returned_box)
        layout.addLayout(cancel_row)
        layout.addWidget(self.message)
        layout.addStretch(1)

        self.t(code_label.setText, "delivery.code")
        self.t(self.code.setPlaceholderText, "delivery.code_hint")
        self.t(self.find_button.setText, "delivery.find")
        self.t(box.setTitle, "delivery.collector_box")
        self.t(name_label.setText, "delivery.collector")
        self.t(nid_label.setText, "delivery.collector_nid")
        self.t(self.relation_label.setText, "delivery.relation")
        self.t(self.authority_label.setText, "delivery.authority")
        self.t(self.ready_button.setText, "delivery.mark_ready")
        self.t(self.deliver_button.setText, "common.with_key", text=Msg("delivery.deliver"), key="Ctrl+D")
        self.t(self.returned_box.setTitle, "delivery.returned_box")
        self.t(self.returned_slip_button.setText, "delivery.returned_slip")
        self.t(self.resubmit_button.setText, "delivery.resubmit")
        self.t(self.cancel_reason.setPlaceholderText, "delivery.cancel_reason")
        self.t(self.cancel_button.setText, "delivery.request_cancel")
        self.t.also(self.update_texts)
        self.update_texts()

    def _public_key(self) -> object:
        return self.ctx.key.public_key() if self.ctx.key is not None else None

    @Slot()
    def find_application(self) -> None:
        text = self.code.text()
        if not text.strip():
            return
        db = self.ctx.db
        public = self._public_key()

        def work() -> ApplicationView:
            from counter_app.common.signing import InvalidReceiptPayload

            try:
                code = tracking_code_from_scan(text, public)  # type: ignore[arg-type]
            except InvalidReceiptPayload:
                raise UiError("delivery.bad_receipt") from None
            return counter_service.find_application(db, code)

        self._run(work, "", self._not_found, Lane.READ)

    def _run(self, work: Callable[[], ApplicationView], done_message: str, failed: Failed | None = None,
             lane: Lane = Lane.WRITE) -> None:
        self._set_enabled(False)
        self.ctx.ops.run(work, lambda app: self._loaded(app, done_message), failed or self._failed, owner=self, lane=lane)

    def _not_found(self, exc: BaseException) -> None:
        """A search that found nothing (unknown code, a forged or foreign receipt QR): the file
        shown before is no longer what the clerk is looking at, so it goes with its details."""
        self._forget()
        self._failed(exc)

    def _forget(self) -> None:
        self.app = None
        self.refund, self._refund_confirm = None, False
        self.authority.clear()
        self.returned_docs.clear()
        self.collector.clear()
        self.collector_nid.clear()
        self.cancel_reason.clear()

    def _loaded(self, app: ApplicationView, done_message: str) -> None:
        if self.app is not None and self.app.id != app.id:
            self._forget()  # another file: nothing typed for the previous one carries over
        if self.app is None or self.app.id != app.id or self.app.state != app.state:
            self.returned_docs.clear()  # a new file (or a new state): start from what is stored
        self.app = app
        if done_message:
            self.message.say(done_message)
        else:
            self.message.clear()
        if app.state == ApplicationState.DELIVERED and done_message:
            self.collector.clear()
            self.collector_nid.clear()
            self.authority.clear()
            self.delivered.emit(app)
        self.update_texts()
        db, app_id = self.ctx.db, app.id
        self.ctx.ops.run(lambda: cashdesk.refund_of(db, app_id), self._refund_loaded, self._failed, owner=self)

    def _refund_loaded(self, refund: RefundView | None) -> None:
        if self.app is not None and (refund is None or refund.application_id == self.app.id):
            self.refund = refund
            self.update_texts()

    def _is_representative(self) -> bool:
        """The national ID typed is valid and not the applicant's."""
        if self.app is None:
            return False
        from counter_app.services.errors import NationalIdError
        from counter_app.services.views import parse_national_id

        try:
            return parse_national_id(self.collector_nid.text()).national_id != self.app.national_id
        except NationalIdError:
            return False

    @Slot()
    def _collector_changed(self) -> None:
        show = self._is_representative()
        for widget in (self.relation, self.authority):
            self._collector_form.setRowVisible(widget, show)

    def _service(self) -> object:
        app, cat = self.app, self.ctx.catalogue
        return next((s for s in cat.services if s.code == app.service_code), None) if app and cat else None

    @Slot()
    def pay_refund(self) -> None:
        """First press: say what will be paid to whom; second press: pay it and print the slip."""
        refund, ctx = self.refund, self.ctx
        if refund is None or refund.paid_at is not None or ctx.user is None or self.app is None:
            return
        if not self._refund_confirm:
            self._refund_confirm = True
            self.update_texts()
            return
        self._refund_confirm = False
        db, user, cat, key = ctx.db, ctx.user, ctx.catalogue, ctx.key
        counter_id = ctx.counter.id if ctx.counter else None
        counter_name = ctx.lang.pick(ctx.counter.name_ar, ctx.counter.name_en) if ctx.counter else ""
        name, nid, service = self.collector.text(), self.collector_nid.text(), self._service()
        url, lang = ctx.config.receipt_printer, ctx.lang.lang

        def work() -> RefundView:
            paid = cashdesk.pay_refund(db, refund.refund_id, user.id, counter_id, name, nid)
            if key is not None and cat is not None:
                slip = refund_document(key, cat.centre, counter_name, user.clerk_number,
                                                service, paid, ctx.config.portal_base_url)  # type: ignore[arg-type]
                ctx.printing.submit(slip, url, lang)
            return paid

        def done(paid: RefundView) -> None:
            self.refund = paid
            self.collector.clear()
            self.collector_nid.clear()
            self._said(N_("delivery.refund_paid"))

        self._set_enabled(False)
        self.ctx.ops.write(work, done, self._failed, owner=self)

    @Slot()
    def _cancel_refund(self) -> None:
        if self._refund_confirm:
            self._refund_confirm = False
            self.update_texts()

    def _failed(self, exc: BaseException) -> None:
        self.message.fail(exc)
        self.update_texts()

    @Slot()
    def mark_ready(self) -> None:
        if self.app is None or self.ctx.user is None:
            return
        db, app_id, user_id = self.ctx.db, self.app.id, self.ctx.user.id
        self._run(lambda: counter_service.mark_ready(db, app_id, user_id), N_("delivery.now_ready"))

    @Slot()
    def deliver(self) -> None:
        if self.app is None or self.ctx.user is None:
            return
        ctx = self.ctx
        db, app_id, user = ctx.db, self.app.id, ctx.user
        assert user is not None
        name, nid = self.collector.text(), self.collector_nid.text()
        representative = self._is_representative()
        relation = str(self.relation.currentData() or "") or None if representative else None
        authority = self.authority.text() if representative else None
        cat, service = ctx.catalogue, self._service()
        counter_name = ctx.lang.pick(ctx.counter.name_ar, ctx.counter.name_en) if ctx.counter else ""
        url, lang = ctx.config.receipt_printer, ctx.lang.lang

        def work() -> ApplicationView:
            done = cashdesk.deliver(db, app_id, user.id, name, nid, relation, authority)
            if done.relation and cat is not None:  # handed to a representative: the handover slip
                ctx.printing.submit(handover_document(cat.centre, counter_name, user.clerk_number,
                                                               service, done), url, lang)  # type: ignore[arg-type]
            return done.app

        self._run(work, N_("delivery.done_handover") if representative else N_("delivery.done"))

    # -- a returned file, a cancellation ---------------------------------------------------------
    def checked_returned(self) -> list[str]:
        docs = self.returned_docs
        return [str(docs.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(docs.count())
                if docs.item(i).checkState() == Qt.CheckState.Checked]

    def still_missing(self) -> list[str]:
        """The mandatory documents of the returned file not ticked, in the current language."""
        if self.app is None:
            return []
        checked, lang = set(self.checked_returned()), self.ctx.lang
        return [lang.pick(d.name_ar, d.name_en) for d in self.app.documents if d.mandatory and d.code not in checked]

    @Slot()
    def print_returned_slip(self) -> None:
        app, cat = self.app, self.ctx.catalogue
        service = next((s for s in cat.services if s.code == app.service_code), None) if app and cat else None
        missing = self.still_missing()
        if app is None or cat is None or service is None or not missing:
            return
        from counter_app.common.clock import utcnow

        slip = slip_document(cat.centre, service, missing, app.tracking_code, utcnow(), note=app.note,
                             applicant=app.applicant_name)
        printing, url, lang = self.ctx.printing, self.ctx.config.receipt_printer, self.ctx.lang.lang
        self._set_enabled(False)
        self.ctx.ops.run(lambda: printing.submit(slip, url, lang), lambda _j: self._said(N_("delivery.slip_printed")),
                         self._failed, owner=self)

    def _said(self, message_id: str) -> None:
        self.message.say(message_id)
        self.update_texts()

    @Slot()
    def resubmit(self) -> None:
        if self.app is None or self.ctx.user is None:
            return
        if self.still_missing():  # nothing is sent while a mandatory document is missing: the slip
            self.print_returned_slip()
            return
        db, app_id, user_id, received = self.ctx.db, self.app.id, self.ctx.user.id, self.checked_returned()
        self._run(lambda: counter_service.resubmit(db, app_id, user_id, received), N_("delivery.resubmitted"))

    @Slot()
    def request_cancellation(self) -> None:
        if self.app is None or self.ctx.user is None:
            return
        db, app_id, user_id, reason = self.ctx.db, self.app.id, self.ctx.user.id, self.cancel_reason.text()

        def work() -> ApplicationView:
            view = counter_service.request_cancellation(db, app_id, user_id, reason)
            return view

        self.cancel_reason.clear()
        self._run(work, N_("delivery.cancel_requested"))

    def _fill_returned(self) -> None:
        app, lang = self.app, self.ctx.lang
        returned = app is not None and app.state == ApplicationState.RETURNED
        self.returned_box.setVisible(returned)
        if not returned or app is None:
            self.returned_docs.clear()
            return
        checked = set(self.checked_returned()) if self.returned_docs.count() else set(app.received)
        self.returned_docs.clear()
        for d in app.documents:
            label = lang.text(N_("review.doc_mandatory") if d.mandatory else N_("review.doc_optional"),
                            name=lang.pick(d.name_ar, d.name_en))
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, d.code)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if d.code in checked else Qt.CheckState.Unchecked)
            self.returned_docs.addItem(item)

    def _set_enabled(self, on: bool) -> None:
        state = self.app.state if self.app else None
        self.find_button.setEnabled(on)
        self.ready_button.setEnabled(on and state == ApplicationState.APPROVED)
        self.deliver_button.setEnabled(on and state == ApplicationState.READY)
        self.returned_slip_button.setEnabled(on and state == ApplicationState.RETURNED)
        self.resubmit_button.setEnabled(on and state == ApplicationState.RETURNED)
        cancellable = state in (ApplicationState.DRAFT, ApplicationState.SUBMITTED, ApplicationState.IN_REVIEW,
                                ApplicationState.RETURNED)
        self.cancel_button.setEnabled(on and cancellable)
        self.cancel_reason.setEnabled(on and cancellable)
        due = self.refund is not None and self.refund.paid_at is None
        self.refund_button.setEnabled(on and due)

    def update_texts(self) -> None:
        tr, app = self.ctx.lang.text, self.app
        if app is None:
            self.details.setText(tr("delivery.none"))
        else:
            svc = next((s for s in (self.ctx.catalogue.services if self.ctx.catalogue else ()) if s.code == app.service_code),
                       None)
            service = self.ctx.lang.pick(svc.name_ar, svc.name_en) if svc else app.service_code
            self.details.setText(tr("delivery.details", tracking=tracking_code(app.tracking_code), service=service,
                                    name=app.applicant_name, nid=national_id(mask_national_id(app.national_id)),
                                    state=Msg(f"state.{app.state.value}")))
        noted = app is not None and bool(app.note) and app.state in (ApplicationState.RETURNED,
                                                                      ApplicationState.REJECTED)
        self.note.setText(tr("delivery.note", note=app.note) if noted and app is not None else "")
        self.note.setVisible(noted)
        self._fill_returned()
        lang = self.ctx.lang
        relation = self.relation.currentData()
        self.relation.clear()
        self.relation.addItem(tr("delivery.relation_choose"), "")
        for code, msgid in RELATION_LABELS.items():
            self.relation.addItem(tr(msgid), code)
        self.relation.setCurrentIndex(max(self.relation.findData(relation or ""), 0))
        self._collector_changed()
        refund = self.refund
        self.refund_label.setVisible(refund is not None)
        self.refund_button.setVisible(refund is not None and refund.paid_at is None)
        if refund is not None:
            amount = format_money(refund.amount_piastres, lang.lang)
            if refund.paid_at is not None:
                self.refund_label.setText(tr("delivery.refund_was_paid", amount=amount,
                                             when=format_datetime(refund.paid_at, lang.lang)))
            elif self._refund_confirm:
                self.refund_label.setText(tr("delivery.refund_confirm", amount=amount, name=refund.applicant_name))
            else:
                self.refund_label.setText(tr("delivery.refund_due", amount=amount))
            self.refund_button.setText(tr(N_("delivery.refund_confirm_button") if self._refund_confirm
                                          else N_("delivery.refund_pay")))
        self._set_enabled(True)

