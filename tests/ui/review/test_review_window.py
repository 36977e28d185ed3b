"""The review window: a reviewer decides three files through the widgets; masking on screen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from counter_app.core import applications as apps
from counter_app.core.models import Application, ApplicationState, AuditEntry, OutboxEvent, User
from counter_app.ui.review.review_window import ReviewWindow
from counter_app.ui.shell.app import Shell
from tests.helpers.bidi import assert_reads_in_order, plain
from tests.helpers.factories import Centre
from tests.ui.conftest import WAIT_MS, log_in

S = ApplicationState
NAME, NID, PHONE, ADDRESS = "سعاد محمود حسن علي", "29001010112355", "01098765432", "٥ شارع التحرير، الدقي"


def submit_files(site: Centre, count: int) -> list[int]:
    ids = []
    for _ in range(count):
        with site.db.begin() as s:
            clerk = s.get_one(User, site.clerk_ids[0])
            app = apps.start_application(s, service_code="MP-REG-CERT", clerk=clerk, counter_id=site.counter_ids[0],
                                         applicant=apps.Applicant(NAME, NID, PHONE, ADDRESS))
            apps.set_documents(s, app.id, [d.code for d in app.documents], clerk=clerk)
            apps.record_payment(s, app.id, "cash", clerk=clerk)
            apps.submit(s, app.id, clerk=clerk)
            ids.append(app.id)
    return ids


def open_first(qtbot: QtBot, window: ReviewWindow) -> int:
    with qtbot.wait_signal(window.desk_loaded, timeout=WAIT_MS):
        window.open_row(0)
    assert window.desk is not None and window.desk.file is not None
    return window.desk.file.application_id


def test_reviewer_decides_three_files(qtbot: QtBot, shell: Shell, site: Centre,
                                      screenshot: Callable[[QWidget, str], Path]) -> None:
    # round robin gives the department's two reviewers 3 files each out of 6
    ids = submit_files(site, 6)
    reviewer_id = site.reviewer_ids["MANPOWER"][0]
    with site.db.read() as s:
        username = s.get_one(User, reviewer_id).username
        mine = [i for i in ids if s.get_one(Application, i).reviewer_id == reviewer_id]
    assert len(mine) == 3
    window = log_in(qtbot, shell, username)
    assert isinstance(window, ReviewWindow)
    qtbot.waitUntil(lambda: window.desk is not None and len(window.desk.queue) == 3, timeout=WAIT_MS)
    assert window.queue_table.rowCount() == 3

    first = open_first(qtbot, window)
    shown = " ".join([window.applicant.text(), window.file_title.text()])
    for secret in (NID, PHONE, ADDRESS, *NAME.split()):
        assert secret not in shown
    assert "•" in plain(window.applicant.text()) and NID[-3:] in plain(window.applicant.text())
    with site.db.read() as s:
        assert s.get_one(Application, first).state == S.IN_REVIEW  # opening starts the review
    with qtbot.wait_signal(window.decided, timeout=WAIT_MS):
        qtbot.mouseClick(window.approve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.desk is not None and len(window.desk.queue) == 2 and not window.busy,
                    timeout=WAIT_MS)
    with site.db.read() as s:
        first_code = s.get_one(Application, first).tracking_code
    assert first_code in plain(window.message.text())
    assert_reads_in_order(window.message.text(), first_code)
    screenshot(window, "review-after-approve-ar")

    second = open_first(qtbot, window)
    window.reason.setCurrentIndex(window.reason.findData("other"))
    window.reason_text.setText("")
    qtbot.mouseClick(window.reject_button, Qt.MouseButton.LeftButton)  # "other" needs a text: refused
    qtbot.waitUntil(lambda: plain(window.message.text()) == "يجب ذكر السبب.", timeout=WAIT_MS)
    window.reason.setCurrentIndex(window.reason.findData("invalid_document"))
    window.reason_text.setText("الشهادة منتهية الصلاحية")
    with qtbot.wait_signal(window.decided, timeout=WAIT_MS):
        qtbot.mouseClick(window.reject_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.desk is not None and len(window.desk.queue) == 1 and not window.busy,
                    timeout=WAIT_MS)

    third = open_first(qtbot, window)
    window.documents.item(0).setCheckState(Qt.CheckState.Unchecked)  # this one is needed again
    with qtbot.wait_signal(window.decided, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.desk is not None and window.desk.queue == () and not window.busy,
                    timeout=WAIT_MS)
    assert plain(window.file_title.text()) == "لا توجد ملفات مسندة إليك الآن."

    with site.db.read() as s:
        states = {i: s.get_one(Application, i) for i in (first, second, third)}
        assert states[first].state == S.APPROVED
        assert states[second].state == S.REJECTED
        assert states[second].decision_reason == "[invalid_document] الشهادة منتهية الصلاحية"
        assert states[third].state == S.RETURNED
        assert [d.received for d in states[third].documents][0] is False
        for action in ("approve", "reject", "return"):
            assert s.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == f"application.{action}", AuditEntry.user_id == reviewer_id)) == 1
            assert s.scalar(select(func.count()).select_from(OutboxEvent).where(
                OutboxEvent.kind == f"application.{action}")) == 1
