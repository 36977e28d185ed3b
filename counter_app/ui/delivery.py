"""Delivery: find an application by tracking code (typed, or its receipt QR scanned), mark an
approved result ready, hand it over and record who collected it."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from counter_app.core.models import ApplicationState
from counter_app.core.national_id import mask_national_id
from counter_app.ui import backend
from counter_app.ui.backend import ApplicationView
from counter_app.ui.context import AppContext
from counter_app.ui.i18n import Binder, Msg, UiError, isolate
from counter_app.ui.printing import tracking_code_from_scan


class DeliveryPanel(QWidget):
    """``delivered(ApplicationView)`` once a result is handed over."""

    delivered = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.t = Binder(ctx.lang, self)
        self.app: ApplicationView | None = None
        self._error: BaseException | str | None = None
        self._done = False

        self.code = QLineEdit(self)
        self.code.setObjectName("trackingCode")
        self.find_button = QPushButton(self)
        self.find_button.setObjectName("find")
        self.code.returnPressed.connect(self.find_application)
        self.find_button.clicked.connect(self.find_application)
        self.details = QLabel(self)
        self.details.setObjectName("applicationDetails")
        self.details.setWordWrap(True)
        self.collector = QLineEdit(self)
        self.collector.setObjectName("collectorName")
        self.collector_nid = QLineEdit(self)
        self.collector_nid.setObjectName("collectorNationalId")
        self.ready_button = QPushButton(self)
        self.ready_button.setObjectName("markReady")
        self.deliver_button = QPushButton(self)
        self.deliver_button.setObjectName("deliver")
        self.ready_button.clicked.connect(self.mark_ready)
        self.deliver_button.clicked.connect(self.deliver)
        QShortcut(QKeySequence("Ctrl+D"), self, self.deliver_button.click)
        self.message = QLabel(self)
        self.message.setObjectName("deliveryMessage")
        self.message.setWordWrap(True)

        code_label, name_label, nid_label = QLabel(self), QLabel(self), QLabel(self)
        search = QHBoxLayout()
        search.addWidget(code_label)
        search.addWidget(self.code, 1)
        search.addWidget(self.find_button)
        box = QGroupBox(self)
        form = QFormLayout(box)
        form.addRow(name_label, self.collector)
        form.addRow(nid_label, self.collector_nid)
        buttons = QHBoxLayout()
        buttons.addWidget(self.ready_button)
        buttons.addWidget(self.deliver_button)
        layout = QVBoxLayout(self)
        layout.addLayout(search)
        layout.addWidget(self.details)
        layout.addWidget(box)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addStretch(1)

        self.t(code_label.setText, "delivery.code")
        self.t(self.code.setPlaceholderText, "delivery.code_hint")
        self.t(self.find_button.setText, "delivery.find")
        self.t(box.setTitle, "delivery.collector_box")
        self.t(name_label.setText, "delivery.collector")
        self.t(nid_label.setText, "delivery.collector_nid")
        self.t(self.ready_button.setText, "delivery.mark_ready")
        self.t(self.deliver_button.setText, "common.with_key", text=Msg("delivery.deliver"), key="Ctrl+D")
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
            from printers import InvalidReceiptPayload

            try:
                code = tracking_code_from_scan(text, public)  # type: ignore[arg-type]
            except InvalidReceiptPayload:
                raise UiError("delivery.bad_receipt") from None
            return backend.find_application(db, code)

        self._run(work, "")

    def _run(self, work: object, done_message: str) -> None:
        self._set_enabled(False)
        self.ctx.ops.run(work, lambda app: self._loaded(app, done_message), self._failed, owner=self)  # type: ignore[arg-type]

    def _loaded(self, app: ApplicationView, done_message: str) -> None:
        self.app, self._error = app, (done_message or None)
        self._done = bool(done_message)
        if app.state == ApplicationState.DELIVERED and done_message:
            self.collector.clear()
            self.collector_nid.clear()
            self.delivered.emit(app)
        self.update_texts()

    def _failed(self, exc: BaseException) -> None:
        self._error, self._done = exc, False
        self.update_texts()

    @Slot()
    def mark_ready(self) -> None:
        if self.app is None or self.ctx.user is None:
            return
        db, app_id, user_id = self.ctx.db, self.app.id, self.ctx.user.id
        self._run(lambda: backend.mark_ready(db, app_id, user_id), "delivery.now_ready")

    @Slot()
    def deliver(self) -> None:
        if self.app is None or self.ctx.user is None:
            return
        db, app_id, user_id = self.ctx.db, self.app.id, self.ctx.user.id
        name, nid = self.collector.text(), self.collector_nid.text()
        self._run(lambda: backend.deliver(db, app_id, user_id, name, nid), "delivery.done")

    def _set_enabled(self, on: bool) -> None:
        state = self.app.state if self.app else None
        self.find_button.setEnabled(on)
        self.ready_button.setEnabled(on and state == ApplicationState.APPROVED)
        self.deliver_button.setEnabled(on and state == ApplicationState.READY)

    def update_texts(self) -> None:
        tr, app = self.ctx.lang.tr, self.app
        if app is None:
            self.details.setText(tr("delivery.none"))
        else:
            svc = next((s for s in (self.ctx.catalogue.services if self.ctx.catalogue else ()) if s.code == app.service_code),
                       None)
            service = self.ctx.lang.pick(svc.name_ar, svc.name_en) if svc else app.service_code
            self.details.setText(tr("delivery.details", tracking=app.tracking_code, service=service,
                                    name=isolate(app.applicant_name), nid=mask_national_id(app.national_id),
                                    state=tr(f"state.{app.state.value}")))
        err = self._error
        if err is None:
            self.message.setText("")
        elif isinstance(err, str):
            self.message.setText(tr(err))
            self.message.setStyleSheet("color: #1b5e20; font-weight: bold;")
        else:
            self.message.setText(self.ctx.lang.error(err))
            self.message.setStyleSheet("color: #b00020; font-weight: bold;")
        self._set_enabled(True)

