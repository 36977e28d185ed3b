"""Whole counter flows driven through the widgets (offscreen)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from counter_app.core import applications, queue
from counter_app.core.models import Application, ApplicationState, OutboxEvent, User
from counter_app.services.config import AppConfig
from counter_app.ui.counter.counter_window import CounterWindow
from counter_app.ui.counter.intake import IntakePanel
from counter_app.ui.shell.app import Shell
from tests.helpers.bidi import assert_reads_in_order, plain
from tests.helpers.factories import Centre
from tests.ui.conftest import WAIT_MS, log_in

SERVICE = "MP-REG-CERT"
NID = "29001010112334"  # born 1990-01-01 in Cairo, male


def issue(site: Centre, service: str = SERVICE) -> str:
    with site.db.begin() as s:
        t = queue.issue_ticket(s, "A", service_code=service).ticket
        return f"{t.letter}-{t.number:03d}"


def fill_applicant(intake: IntakePanel, nid: str = NID) -> None:
    intake.name.setText("محمد أحمد علي حسن")
    intake.national_id.setText(nid)
    intake.phone.setText("01001234567")


def printed(printer_dir: Path) -> list[Path]:
    return sorted(printer_dir.glob("*.bin"))


def click(qtbot: QtBot, widget: object) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def call_next(qtbot: QtBot, window: CounterWindow) -> None:
    click(qtbot, window.queue.buttons["call_next"])
    qtbot.waitUntil(lambda: window.queue.state.current is not None and not window.queue.busy, timeout=WAIT_MS)


def test_intake_missing_document_then_submit_then_delivery(qtbot: QtBot, shell: Shell, site: Centre,
                                                           printer_dir: Path,
                                                           screenshot: Callable[[QWidget, str], Path]) -> None:
    number = issue(site)
    window = log_in(qtbot, shell, "clerk1")
    assert isinstance(window, CounterWindow)
    call_next(qtbot, window)
    assert plain(window.queue.ticket_label.text()) == number

    intake = window.intake
    assert intake.current_service() is not None and intake.current_service().code == SERVICE  # type: ignore[union-attr]
    fill_applicant(intake)
    assert "القاهرة" in plain(intake.nid_info.text())
    # every document but the first (mandatory) one: the slip prints, nothing is submitted
    codes = {d.code for d in intake.current_service().documents}  # type: ignore[union-attr]
    first = intake.current_service().documents[0].code  # type: ignore[union-attr]
    intake.set_checked(codes - {first})
    with qtbot.wait_signal(shell.ctx.printing.job_done, timeout=WAIT_MS) as done:
        click(qtbot, intake.submit_button)
    assert done.args is not None and done.args[1] == "slip"
    assert len(printed(printer_dir)) == 1
    with site.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Application)) == 0
    assert plain(intake.name.text()) and plain(intake.national_id.text()) == NID  # nothing typed is lost

    intake.set_checked(codes)
    with qtbot.wait_signal(intake.submitted, timeout=WAIT_MS) as sub, \
            qtbot.wait_signal(shell.ctx.printing.job_done, timeout=WAIT_MS) as receipt_done:
        click(qtbot, intake.submit_button)
    assert receipt_done.args is not None and receipt_done.args[1] == "receipt"
    outcome = sub.args[0]
    tracking = outcome.submitted.tracking_code
    assert tracking in plain(intake.result.text())
    assert_reads_in_order(intake.result.text(), tracking)  # read aloud as printed on the receipt
    screenshot(window, "counter-after-submit-ar")
    receipt_bin = printed(printer_dir)[-1]
    assert len(printed(printer_dir)) == 2 and receipt_bin.stat().st_size > 1000
    assert receipt_bin.read_bytes().startswith(b"\x1b@")  # ESC/POS initialise
    assert plain(intake.name.text()) == ""  # the form is cleared once stored
    with site.db.read() as s:
        app = s.scalar(select(Application).where(Application.tracking_code == tracking))
        assert app is not None and app.state == ApplicationState.SUBMITTED
        kinds = set(s.scalars(select(OutboxEvent.kind).where(OutboxEvent.aggregate_id == app.uuid)))
        assert {"application.create", "application.payment", "application.submit"} <= kinds
        app_id, reviewer_id = app.id, app.reviewer_id
    # the back office approves (not part of this window)
    with site.db.begin() as s:
        reviewer = s.get_one(User, reviewer_id)
        applications.start_review(s, app_id, reviewer=reviewer)
        applications.approve(s, app_id, reviewer=reviewer)

    window.show_tab(1)
    delivery = window.delivery
    delivery.code.setText(tracking.replace("-", ""))
    click(qtbot, delivery.find_button)
    qtbot.waitUntil(lambda: delivery.app is not None and delivery.ready_button.isEnabled(), timeout=WAIT_MS)
    assert_reads_in_order(delivery.details.text(), tracking)  # the delivery line
    click(qtbot, delivery.ready_button)
    qtbot.waitUntil(lambda: delivery.deliver_button.isEnabled(), timeout=WAIT_MS)
    delivery.collector.setText("محمد أحمد علي حسن")
    delivery.collector_nid.setText(NID)
    with qtbot.wait_signal(delivery.delivered, timeout=WAIT_MS):
        click(qtbot, delivery.deliver_button)
    with site.db.read() as s:
        app = s.get_one(Application, app_id)
        assert app.state == ApplicationState.DELIVERED and app.collected_by_national_id == NID


def test_bad_national_id_shows_message_and_keeps_input(qtbot: QtBot, shell: Shell, site: Centre) -> None:
    issue(site)
    window = log_in(qtbot, shell, "clerk1")
    call_next(qtbot, window)
    intake = window.intake
    fill_applicant(intake, "2900101011233")  # 13 digits
    assert "14" in plain(intake.nid_info.text())
    intake.set_checked(None)
    click(qtbot, intake.submit_button)
    qtbot.waitUntil(lambda: plain(intake.result.text()) != "" and not intake.busy, timeout=WAIT_MS)
    assert "14" in plain(intake.result.text())
    assert plain(intake.national_id.text()) == "2900101011233" and plain(intake.name.text())
    with site.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Application)) == 0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.expect_log(r"^print job \w+ failed: The printer is offline\.", logger="printers.jobs")
def test_printer_failure_keeps_application_and_queues_receipt(
        qtbot: QtBot, make_shell: Callable[..., Shell], config: AppConfig, site: Centre) -> None:
    config.receipt_printer = f"tcp://127.0.0.1:{_closed_port()}?timeout=1"
    shell = make_shell(config)
    issue(site)
    window = log_in(qtbot, shell, "clerk1")
    call_next(qtbot, window)
    intake = window.intake
    fill_applicant(intake)
    intake.set_checked(None)
    with qtbot.wait_signal(shell.ctx.printing.job_failed, timeout=WAIT_MS) as failed, \
            qtbot.wait_signal(intake.submitted, timeout=WAIT_MS) as sub:
        click(qtbot, intake.submit_button)
    outcome = sub.args[0]
    failure = failed.args[0]
    assert failure.job_id == outcome.job_id
    with site.db.read() as s:
        app = s.scalar(select(Application).where(Application.tracking_code == outcome.submitted.tracking_code))
        assert app is not None and app.state == ApplicationState.SUBMITTED
    pending = shell.ctx.printing.queue.pending()
    assert [job.id for job in pending] == [outcome.job_id] and pending[0].status == "error"
    qtbot.waitUntil(lambda: window.status_line.retry_button.isVisible(), timeout=WAIT_MS)
    assert "الطابعة" in plain(window.status_line.printer_label.text())
    arabic = intake.result.text()
    assert outcome.submitted.tracking_code in arabic
    window.ctx.lang.toggle()  # the messages already shown follow the language switch
    assert "The printer is offline" in plain(window.status_line.printer_label.text())
    english = intake.result.text()
    assert english != arabic and outcome.submitted.tracking_code in english
    window.ctx.lang.toggle()


def test_queue_actions_by_keyboard(qtbot: QtBot, shell: Shell, site: Centre) -> None:
    first, second = issue(site), issue(site)
    window = log_in(qtbot, shell, "clerk1")
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: plain(window.queue.ticket_label.text()) == first and not window.queue.busy, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_F3)
    qtbot.waitUntil(lambda: window.queue.state.current is not None and window.queue.state.current.recall_count == 1,
                    timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_F6)  # skip without a reason: refused
    assert plain(window.queue.message.text()) != ""
    window.queue.reason.setText("citizen left")
    qtbot.keyClick(window, Qt.Key.Key_F6)
    qtbot.waitUntil(lambda: window.queue.state.current is None and not window.queue.busy, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: plain(window.queue.ticket_label.text()) == second and not window.queue.busy, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_F4)
    qtbot.waitUntil(lambda: window.queue.state.current is None and not window.queue.busy, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_F2)  # nobody left
    qtbot.waitUntil(lambda: not window.queue.busy and plain(window.queue.message.text()) != "", timeout=WAIT_MS)
    assert plain(window.queue.ticket_label.text()) == "—"


def test_returned_file_slip_then_resubmit_then_cancellation_request(
        qtbot: QtBot, shell: Shell, site: Centre, printer_dir: Path) -> None:
    from counter_app.core.models import ApplicationRequest, RequestState
    from tests.ui.review.test_review_window import submit_files

    (app_id,) = submit_files(site, 1)
    with site.db.begin() as s:
        app = s.get_one(Application, app_id)
        reviewer = s.get_one(User, app.reviewer_id)
        tracking, wanted = app.tracking_code, next(d for d in app.documents if d.mandatory)
        wanted_code = wanted.code
        applications.start_review(s, app_id, reviewer=reviewer)
        applications.return_for_documents(s, app_id, reviewer=reviewer, missing=[wanted_code], note="الصورة غير واضحة")
    window = log_in(qtbot, shell, "clerk1")
    window.show_tab(1)
    delivery = window.delivery
    delivery.code.setText(tracking)
    click(qtbot, delivery.find_button)
    qtbot.waitUntil(lambda: delivery.app is not None and delivery.resubmit_button.isEnabled(), timeout=WAIT_MS)
    assert delivery.returned_box.isVisible() and "الصورة غير واضحة" in plain(delivery.note.text())
    unticked = [delivery.returned_docs.item(i).data(Qt.ItemDataRole.UserRole) for i in range(delivery.returned_docs.count())
                if delivery.returned_docs.item(i).checkState() == Qt.CheckState.Unchecked]
    assert wanted_code in unticked
    before = len(printed(printer_dir))
    with qtbot.wait_signal(shell.ctx.printing.job_done, timeout=WAIT_MS) as job:
        click(qtbot, delivery.resubmit_button)  # still missing: the slip prints, nothing is sent
    assert job.args is not None and job.args[1] == "slip" and len(printed(printer_dir)) == before + 1
    with site.db.read() as s:
        assert s.get_one(Application, app_id).state == ApplicationState.RETURNED

    for i in range(delivery.returned_docs.count()):  # the citizen brought everything
        item = delivery.returned_docs.item(i)
        if item.data(Qt.ItemDataRole.UserRole) == wanted_code:
            item.setCheckState(Qt.CheckState.Checked)
    click(qtbot, delivery.resubmit_button)
    qtbot.waitUntil(lambda: delivery.app is not None and delivery.app.state == ApplicationState.SUBMITTED,
                    timeout=WAIT_MS)
    assert not delivery.returned_box.isVisible() and plain(delivery.message.text()) == "أُعيد تقديم الملف للمراجعة."
    with site.db.read() as s:
        app = s.get_one(Application, app_id)
        assert app.reviewer_id == reviewer.id and all(d.received for d in app.documents if d.mandatory)

    delivery.cancel_reason.setText("المواطن عدل عن الطلب")
    click(qtbot, delivery.cancel_button)
    qtbot.waitUntil(lambda: plain(delivery.message.text()) == "أُرسل طلب الإلغاء إلى المشرف.", timeout=WAIT_MS)
    with site.db.read() as s:
        req = s.scalar(select(ApplicationRequest).where(ApplicationRequest.application_id == app_id))
        assert req is not None and req.state == RequestState.PENDING and req.requested_by == site.clerk_ids[0]


def test_email_and_opt_out_at_intake(qtbot: QtBot, shell: Shell, site: Centre, tmp_path: Path) -> None:
    issue(site)
    issue(site)
    window = log_in(qtbot, shell, "clerk1")
    call_next(qtbot, window)
    intake = window.intake
    fill_applicant(intake)
    intake.email.setText("not an address")
    intake.set_checked(None)
    click(qtbot, intake.submit_button)
    qtbot.waitUntil(lambda: plain(intake.result.text()) != "" and not intake.busy, timeout=WAIT_MS)
    assert "البريد الإلكتروني غير صحيح" in plain(intake.result.text())
    assert plain(intake.email.text()) == "not an address" and plain(intake.name.text())  # nothing typed is lost
    intake.email.setText("Citizen@Example.org")
    intake.notify_opt_out.setChecked(True)
    window.grab().save(str(tmp_path / "intake-contact-ar.png"))
    click(qtbot, intake.submit_button)

    def stored() -> int:
        with site.db.read() as s:
            return int(s.scalar(select(func.count()).select_from(Application)) or 0)

    qtbot.waitUntil(lambda: stored() == 1 and not intake.busy, timeout=WAIT_MS)
    with site.db.read() as s:
        (app,) = s.scalars(select(Application)).all()
    assert app.email == "citizen@example.org" and app.notify_opt_out
