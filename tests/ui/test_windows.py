"""Login, roles, the language switch, the kiosk, the supervisor window and the first start."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from counter_app.common.i18n import strip_isolates
from counter_app.core.db import Database
from counter_app.core.models import AuditEntry, Centre, Role, Ticket, User
from counter_app.services.config import AppConfig
from counter_app.ui.counter.counter_window import CounterWindow
from counter_app.ui.kiosk.kiosk import KioskWindow
from counter_app.ui.login.first_start import FirstStartWizard
from counter_app.ui.login.login import LoginWindow
from counter_app.ui.shell.app import Shell, make_application
from counter_app.ui.supervisor.supervisor import SupervisorWindow
from tests.helpers.bidi import plain
from tests.helpers.factories import Centre as Site
from tests.ui.conftest import WAIT_MS, log_in


def click(qtbot: QtBot, widget: object) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_wrong_password_is_refused_in_arabic_and_audited(qtbot: QtBot, shell: Shell, site: Site) -> None:
    login = shell.window
    assert isinstance(login, LoginWindow)
    qtbot.waitUntil(lambda: login.counter.count() == 3, timeout=WAIT_MS)
    login.username.setText("clerk1")
    login.password.setText("wrong password")
    click(qtbot, login.login_button)
    qtbot.waitUntil(lambda: plain(login.error.text()) != "", timeout=WAIT_MS)
    assert "كلمة المرور غير صحيحة" in plain(login.error.text())
    assert shell.window is login and plain(login.username.text()) == "clerk1"
    with site.db.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "login.failed")) == 1
        assert s.get_one(User, site.clerk_ids[0]).failed_logins == 1


def test_language_switch_retranslates_open_window(qtbot: QtBot, shell: Shell, site: Site) -> None:
    login = shell.window
    assert isinstance(login, LoginWindow)
    qtbot.waitUntil(lambda: login.counter.count() == 3, timeout=WAIT_MS)
    assert QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert plain(login.login_button.text()) == "دخول" and login.counter.itemText(0) == "شباك 1"
    # Qt's own strings (a line edit's context menu, dialog buttons) are Arabic too: qtbase_ar.qm
    assert "نسخ" in QCoreApplication.translate("QLineEdit", "&Copy")
    assert QLocale().language() == QLocale.Language.Arabic and QLocale().zeroDigit() == "0"  # Western digits
    assert QLocale().monthName(11) == "نوفمبر"
    menu = login.username.createStandardContextMenu()
    assert any("نسخ" in action.text() for action in menu.actions())
    menu.deleteLater()
    click(qtbot, login.language_button)
    assert plain(login.login_button.text()) == "Log in" and login.counter.itemText(0) == "Counter 1"
    assert QApplication.layoutDirection() == Qt.LayoutDirection.LeftToRight
    assert QCoreApplication.translate("QLineEdit", "&Copy") == "&Copy"
    assert QLocale().name() == "en_GB"
    assert strip_isolates(login.title.text()) == "Giza Citizen Service Centre"
    window = log_in(qtbot, shell, "clerk1")
    assert isinstance(window, CounterWindow)
    assert plain(window.queue.buttons["call_next"].text()) == "Call next (F2)"
    assert plain(window.tabs.tabText(0)) == "Intake (Ctrl+1)"
    window.ctx.lang.toggle()
    assert plain(window.queue.buttons["call_next"].text()) == "النداء التالي (F2)"
    assert plain(window.intake.submit_button.text()).startswith("تقديم الطلب")
    assert plain(window.tabs.tabText(1)) == "تسليم النتيجة (Ctrl+2)"
    assert QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft
    from counter_app.core.errors import EnvironmentFailure

    window.show_error(EnvironmentFailure(detail="database is locked"))
    arabic = window.status_line.message_label.text()
    window.ctx.lang.toggle()  # an error already on screen is shown again in the new language
    english = window.status_line.message_label.text()
    assert arabic != english and plain(english).isascii() and not arabic.isascii()
    window.ctx.lang.toggle()


def test_clerk_cannot_open_supervisor_functions(qtbot: QtBot, shell: Shell, site: Site) -> None:
    window = log_in(qtbot, shell, "clerk1")
    assert isinstance(window, CounterWindow)
    assert not window.supervisor_button.isVisible()  # F10 is not offered to a clerk (issue 15)
    window.supervisor_requested.emit()
    assert shell.window is window
    assert "ليست لديك صلاحية" in plain(window.status_line.message_label.text())
    shell.show_supervisor()  # even asked directly, the composition root refuses
    assert shell.window is window
    from counter_app.services import supervisor

    with pytest.raises(Exception, match="not allowed"):  # and the core refuses the data
        supervisor.overview(site.db, site.clerk_ids[0])


@pytest.mark.expect_log(r"^refused attempt audited: user\.deactivate\.refused$", logger="counter_app.core.db")
def test_supervisor_window_day_users_counters_printers(qtbot: QtBot, shell: Shell, site: Site,
                                                       printer_dir: Path, config: AppConfig) -> None:
    window = log_in(qtbot, shell, "supervisor")
    assert isinstance(window, SupervisorWindow)
    qtbot.waitUntil(lambda: window.data is not None, timeout=WAIT_MS)
    assert window.users_table.rowCount() == len(window.data.users)  # type: ignore[union-attr]
    assert "1" in plain(window.catalogue_label.text())
    click(qtbot, window.open_day_button)
    qtbot.waitUntil(lambda: window.data is not None and window.data.day.is_open, timeout=WAIT_MS)

    window.new_username.setText("clerk9")
    window.new_full_name.setText("موظف جديد")
    window.new_password.setText("a long password")
    click(qtbot, window.add_user_button)
    qtbot.waitUntil(lambda: any(u.username == "clerk9" for u in window.data.users), timeout=WAIT_MS)  # type: ignore[union-attr]

    def row_of(username: str) -> int:
        assert window.data is not None
        return next(i for i, u in enumerate(window.data.users) if u.username == username)

    def active(username: str) -> bool:
        assert window.data is not None
        return window.data.users[row_of(username)].active

    window.users_table.selectRow(row_of("clerk2"))
    click(qtbot, window.toggle_user_button)
    qtbot.waitUntil(lambda: not active("clerk2"), timeout=WAIT_MS)
    assert plain(window.message.text()) == "عُطّل المستخدم ولم يعد يستطيع الدخول."
    window.users_table.selectRow(row_of("supervisor"))  # not oneself
    click(qtbot, window.toggle_user_button)
    qtbot.waitUntil(lambda: plain(window.message.text()) == "لا يمكنك تعطيل حسابك أنت.", timeout=WAIT_MS)
    window.users_table.selectRow(row_of("admin"))  # a supervisor does not touch the administrator
    click(qtbot, window.toggle_user_button)
    qtbot.waitUntil(lambda: plain(window.message.text()) == "ليست لديك صلاحية تنفيذ هذا الإجراء.", timeout=WAIT_MS)
    assert active("supervisor") and active("admin")
    with site.db.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.action == "user.deactivate.refused")) == 1

    window.counter_number.setValue(7)
    window.counter_groups.setText("AB")
    click(qtbot, window.add_counter_button)
    qtbot.waitUntil(lambda: any(c.number == 7 for c in window.data.counters), timeout=WAIT_MS)  # type: ignore[union-attr]
    window.counter_groups.setText("Z")  # unknown group: refused with a message
    window.counters_table.selectRow(0)
    click(qtbot, window.set_groups_button)
    qtbot.waitUntil(lambda: "Z" in plain(window.message.text()), timeout=WAIT_MS)

    with qtbot.wait_signal(shell.ctx.printing.job_done, timeout=WAIT_MS):
        click(qtbot, window.test_ticket_button)
    window.receipt_url.setText(f"virtual://{printer_dir.as_posix()}?width=384")
    click(qtbot, window.save_printers_button)
    qtbot.waitUntil(lambda: config.path is not None and config.path.exists(), timeout=WAIT_MS)
    assert "width=384" in config.path.read_text(encoding="utf-8")  # type: ignore[union-attr]

    click(qtbot, window.close_day_button)  # closing asks first (issue 15)
    qtbot.waitUntil(lambda: not window.close_confirm_box.isHidden(), timeout=WAIT_MS)
    with qtbot.wait_signal(shell.ctx.printing.job_done, timeout=WAIT_MS) as done:
        click(qtbot, window.confirm_close_button)
    assert done.args is not None and done.args[1] == "dayclose"
    qtbot.waitUntil(lambda: window.data is not None and not window.data.day.is_open, timeout=WAIT_MS)
    assert len(list(printer_dir.glob("*.bin"))) == 2


def test_kiosk_issues_priority_ticket_and_prints(qtbot: QtBot, make_shell: Callable[..., Shell],
                                                 config: AppConfig, site: Site, printer_dir: Path) -> None:
    shell = make_shell(config, kiosk=True)
    kiosk = shell.window
    assert isinstance(kiosk, KioskWindow)
    assert set(kiosk.buttons) == {"A", "B", "C", "D"}
    assert "القوى العاملة" in plain(kiosk.buttons["A"].text())
    click(qtbot, kiosk.priority)
    with qtbot.wait_signal(kiosk.issued, timeout=WAIT_MS) as got, \
            qtbot.wait_signal(shell.ctx.printing.job_done, timeout=WAIT_MS):
        click(qtbot, kiosk.buttons["B"])
    issued = got.args[0]
    assert issued.number == "B-001" and issued.priority
    assert "B-001" in plain(kiosk.result.text())
    assert not kiosk.priority.isChecked()
    assert len(list(printer_dir.glob("*.bin"))) == 1
    with site.db.read() as s:
        assert s.scalar(select(Ticket.priority).where(Ticket.letter == "B")) is True
    kiosk.ctx.lang.toggle()
    assert "Building and planning" in plain(kiosk.buttons["B"].text())
    assert "Your number is B-001" in plain(kiosk.result.text())


def test_first_start_sets_up_the_centre(qtbot: QtBot, tmp_path: Path, config: AppConfig) -> None:
    make_application()
    db = Database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    shell = Shell(config, db=db)
    try:
        with qtbot.wait_signal(shell.ready, timeout=WAIT_MS):
            shell.start()
        wizard = shell.window
        assert isinstance(wizard, FirstStartWizard)
        wizard.code.setText("alx-02")
        wizard.name_ar.setText("مركز خدمة المواطنين بالإسكندرية")
        wizard.name_en.setText("Alexandria Citizen Service Centre")
        wizard.counters.setValue(2)
        wizard.admin_password.setText("first admin pw")
        wizard.admin_password2.setText("other")
        click(qtbot, wizard.save_button)
        assert plain(wizard.error.text()) != ""
        wizard.admin_password2.setText("first admin pw")
        with qtbot.wait_signal(shell.window_changed, timeout=WAIT_MS):
            click(qtbot, wizard.save_button)
        login = shell.window
        assert isinstance(login, LoginWindow)
        qtbot.waitUntil(lambda: login.counter.count() == 2, timeout=WAIT_MS)
        with db.read() as s:
            centre = s.scalar(select(Centre))
            assert centre is not None and centre.code == "ALX-02"
            admin = s.scalar(select(User).where(User.username == "admin"))
            assert admin is not None and admin.role == Role.ADMIN
        window = log_in(qtbot, shell, "admin", "first admin pw")
        assert isinstance(window, SupervisorWindow)
    finally:
        shell.shutdown()
        db.dispose()


def test_login_pressed_while_database_opens_waits_then_opens(qtbot: QtBot, config: AppConfig, site: Site) -> None:
    """The login shows before the database is open; a login pressed that early is kept and runs
    as soon as the database (and the counters list) is ready: nothing typed is lost."""
    make_application()
    shell = Shell(config, db=site.db)
    try:
        shell.show_login()
        login = shell.window
        assert isinstance(login, LoginWindow)
        login.username.setText("clerk1")
        login.password.setText("correct horse 1")
        click(qtbot, login.login_button)
        assert plain(login.error.text()) == "جارٍ تجهيز قاعدة البيانات…"
        assert plain(login.username.text()) == "clerk1"
        with qtbot.wait_signal(shell.window_changed, timeout=WAIT_MS):
            shell.open_in_background()
        qtbot.waitUntil(lambda: isinstance(shell.window, CounterWindow), timeout=WAIT_MS)
        assert shell.ctx.user is not None and shell.ctx.user.username == "clerk1"
        assert shell.ctx.counter is not None and shell.ctx.counter.number == 1
    finally:
        shell.shutdown()
        if shell.window is not None:
            shell.window.deleteLater()
