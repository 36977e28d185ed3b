"""Issue 15 (8): the Users tab, from the keyboard, in Arabic and English: a reviewer needs a
department (and the list shows it), a locked-out clerk is unlocked, a password is reset (audited)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from counter_app.core import users
from counter_app.core.errors import AuthenticationFailed
from counter_app.core.models import AuditEntry, User
from counter_app.services.config import AppConfig
from counter_app.ui.shell.app import Shell
from counter_app.ui.supervisor.supervisor import SupervisorWindow
from tests.helpers.bidi import plain
from tests.helpers.factories import PASSWORD, Centre
from tests.ui.conftest import WAIT_MS, log_in

TEXTS = {
    "ar": {"needs": "اختر الإدارة", "added": "", "locked": "مقفل", "unlocked": "فُك قفل الحساب", "reset": "أُعيد تعيين"},
    "en": {"needs": "Choose a department", "added": "", "locked": "Locked", "unlocked": "The account is unlocked",
           "reset": "is reset"},
}


def choose(qtbot: QtBot, combo: QComboBox, data: str) -> None:
    """Move a combo box to the item carrying ``data`` with the arrow keys."""
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if combo.currentData() == data:
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentData() == data


def cell(window: SupervisorWindow, row: int, column: int) -> str:
    item = window.users_table.item(row, column)
    return item.text() if item is not None else ""


def row_of(window: SupervisorWindow, username: str) -> int:
    return next(r for r in range(window.users_table.rowCount()) if cell(window, r, 0) == username)


def select_row(qtbot: QtBot, window: SupervisorWindow, username: str) -> None:
    """Walk the users list with the keyboard to ``username``'s row."""
    table = window.users_table
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    for _ in range(row_of(window, username)):
        qtbot.keyClick(table, Qt.Key.Key_Down)
    assert table.currentRow() == row_of(window, username)


def audited(site: Centre, action: str) -> int:
    with site.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) or 0)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_users_tab_departments_unlock_and_reset(qtbot: QtBot, make_shell: object, site: Centre, config: AppConfig,
                                                lang: str) -> None:
    config.lang = lang
    shell: Shell = make_shell(config)  # type: ignore[operator]
    texts = TEXTS[lang]
    window = log_in(qtbot, shell, "supervisor")
    assert isinstance(window, SupervisorWindow)
    qtbot.waitUntil(lambda: window.data is not None and window.new_department.count() > 1, timeout=WAIT_MS)
    window.tabs.setCurrentIndex(2)
    department_header = window.users_table.horizontalHeaderItem(3)
    assert department_header is not None and department_header.text() == ("الإدارة" if lang == "ar" else "Department")

    # a reviewer without a department is refused, with a message saying what to do; nothing is lost
    for field, text in ((window.new_username, "rev-new"), (window.new_full_name, "Mona Adel"),
                        (window.new_password, "a long password")):
        field.setFocus()
        qtbot.keyClicks(field, text)
    choose(qtbot, window.new_role, "reviewer")
    assert window.new_department.isEnabled()
    window.add_user_button.setFocus()
    qtbot.keyClick(window.add_user_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: texts["needs"] in plain(window.message.text()), timeout=WAIT_MS)
    assert window.new_username.text() == "rev-new" and window.new_password.text() == "a long password"
    choose(qtbot, window.new_department, "PLANNING")
    window.add_user_button.setFocus()
    qtbot.keyClick(window.add_user_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.data is not None and any(u.username == "rev-new" for u in window.data.users),
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: row_of(window, "rev-new") >= 0 and
                    cell(window, row_of(window, "rev-new"), 3) != "—", timeout=WAIT_MS)
    with site.db.read() as s:
        assert s.scalar(select(User.department_code).where(User.username == "rev-new")) == "PLANNING"

    # clerk1 locked out by wrong passwords: shown locked, unlocked from the keyboard
    with site.db.read() as s:
        clerk = s.get_one(User, site.clerk_ids[0]).username
    for _ in range(users.MAX_FAILED_LOGINS):
        with pytest.raises(AuthenticationFailed), site.db.begin() as s:
            try:
                users.authenticate(s, clerk, "wrong password")
            finally:
                s.commit()
    window.refresh()
    qtbot.waitUntil(lambda: cell(window, row_of(window, clerk), 4) == texts["locked"],
                    timeout=WAIT_MS)
    select_row(qtbot, window, clerk)
    window.unlock_user_button.setFocus()
    qtbot.keyClick(window.unlock_user_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: texts["unlocked"] in plain(window.message.text()), timeout=WAIT_MS)

    qtbot.waitUntil(lambda: cell(window, row_of(window, clerk), 4) != texts["locked"],
                    timeout=WAIT_MS)
    with site.db.begin() as s:
        assert users.authenticate(s, clerk, PASSWORD).id == site.clerk_ids[0]

    # a temporary password for the same clerk
    select_row(qtbot, window, clerk)
    window.temporary_password.setFocus()
    qtbot.keyClicks(window.temporary_password, "temporary-pass")
    window.reset_password_button.setFocus()
    qtbot.keyClick(window.reset_password_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: texts["reset"] in plain(window.message.text()), timeout=WAIT_MS)
    assert window.temporary_password.text() == ""
    with site.db.begin() as s:
        assert users.authenticate(s, clerk, "temporary-pass").must_change_password
    assert audited(site, "user.unlock") == 1 and audited(site, "user.reset_password") == 1
