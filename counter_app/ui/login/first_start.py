"""First start: the database is empty, so an administrator names the centre (Arabic and English
names, code), says how many counters it has and where the printers are, and creates the first
administrator account. One page, one transaction."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from counter_app.common.i18n import N_
from counter_app.ui.shell.context import AppContext
from counter_app.ui.shell.i18n import Binder, UiError
from counter_app.ui.widgets import MessageLine, WindowHeader, mark_primary, with_header


class FirstStartWizard(QWidget):
    finished_setup = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.t = Binder(ctx.lang, self)
        self.setObjectName("firstStart")
        self.title = QLabel(self)
        self.title.setObjectName("title")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.code, self.name_ar, self.name_en = QLineEdit(self), QLineEdit(self), QLineEdit(self)
        self.code.setObjectName("centreCode")
        self.name_ar.setObjectName("centreNameAr")
        self.name_en.setObjectName("centreNameEn")
        self.counters = QSpinBox(self)
        self.counters.setObjectName("counterCount")
        self.counters.setRange(1, 99)
        self.counters.setValue(3)
        self.ticket_url, self.receipt_url = QLineEdit(self), QLineEdit(self)
        self.ticket_url.setText(ctx.config.ticket_printer)
        self.receipt_url.setText(ctx.config.receipt_printer)
        self.admin_user, self.admin_name, self.admin_password, self.admin_password2 = (QLineEdit(self)
                                                                                       for _ in range(4))
        self.admin_user.setObjectName("adminUser")
        self.admin_user.setText("admin")
        for field in (self.admin_password, self.admin_password2):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        self.save_button = QPushButton(self)
        self.save_button.setObjectName("finishSetup")
        mark_primary(self.save_button)
        self.save_button.clicked.connect(self.finish)
        self.header = WindowHeader(ctx.lang, self, logout=False)
        self.language_button = self.header.language_button
        self.t(self.header.set_who, "app.name")
        self.error = MessageLine(ctx.lang, self, name="error")

        boxes = []
        for title, rows in (
            (N_("first.centre_box"), ((N_("first.code"), self.code), (N_("first.name_ar"), self.name_ar),
                                  (N_("first.name_en"), self.name_en), (N_("first.counters"), self.counters))),
            (N_("first.printers_box"), ((N_("sup.ticket_printer"), self.ticket_url), (N_("sup.receipt_printer"), self.receipt_url))),
            (N_("first.admin_box"), ((N_("sup.username"), self.admin_user), (N_("sup.full_name"), self.admin_name),
                                 (N_("sup.password"), self.admin_password), (N_("first.password2"), self.admin_password2))),
        ):
            box = QGroupBox(self)
            self.t(box.setTitle, title)
            form = QFormLayout(box)
            for msg, widget in rows:
                label = QLabel(box)
                self.t(label.setText, msg)
                form.addRow(label, widget)
            boxes.append(box)
        layout = with_header(self, self.header)
        layout.addWidget(self.title)
        layout.addWidget(self.intro)
        for box in boxes:
            layout.addWidget(box)
        layout.addWidget(self.save_button)
        layout.addWidget(self.error)
        self.t(self.setWindowTitle, "first.window_title")
        self.t(self.title.setText, "first.title")
        self.t(self.intro.setText, "first.intro")
        self.t(self.save_button.setText, "first.finish")
        self.resize(640, 720)

    def show_error(self, exc: BaseException) -> None:
        self.error.fail(exc)
        self.save_button.setEnabled(True)

    @Slot()
    def finish(self) -> None:
        from counter_app.services import shell

        if self.admin_password.text() != self.admin_password2.text():
            self.show_error(UiError("first.passwords_differ"))
            return
        if not (self.code.text().strip() and self.name_ar.text().strip() and self.name_en.text().strip()):
            self.show_error(UiError("first.fill_in"))
            return
        config = self.ctx.config
        config.ticket_printer = self.ticket_url.text().strip() or config.ticket_printer
        config.receipt_printer = self.receipt_url.text().strip() or config.receipt_printer
        db = self.ctx.db
        args = (self.code.text(), self.name_ar.text(), self.name_en.text(), self.counters.value(), None,
                (self.admin_user.text(), self.admin_name.text() or self.admin_user.text(),
                 self.admin_password.text()))

        def work() -> None:
            shell.setup_centre(db, *args)
            config.save()

        self.save_button.setEnabled(False)
        self.error.clear()
        self.ctx.ops.write(work, lambda _r: self.finished_setup.emit(), self.show_error, owner=self)
