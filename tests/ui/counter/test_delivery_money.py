"""Issue 15 (7, 9) at the counter, from the keyboard, in Arabic and English: a result collected by
someone other than the applicant asks for the relation and the power of attorney, records them and
prints the handover slip; a refund due on a cancelled file is paid out after a confirmation (Escape
takes it back) and prints the refund slip."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from counter_app.core import applications as apps
from counter_app.core import requests
from counter_app.core.models import Application, ApplicationState, User
from counter_app.services.config import AppConfig
from counter_app.ui.counter.counter_window import CounterWindow
from counter_app.ui.counter.delivery import DeliveryPanel
from counter_app.ui.shell.app import Shell
from tests.helpers.bidi import plain
from tests.helpers.factories import Centre
from tests.ui.conftest import WAIT_MS, log_in

NAME, NID, OTHER_NID = "محمد أحمد محمود حسن", "29001010112355", "28506150102346"

TEXTS = {
    "ar": {"relation": "اختر صلته", "poa": "رقم التوكيل الرسمي", "handed": "إقرار التسليم", "due": "رد رسوم معتمد",
           "confirm": "تأكيد:", "paid": "صُرف رد الرسوم"},
    "en": {"relation": "choose their relation", "poa": "power of attorney", "handed": "handover slip",
           "due": "An approved refund is due", "confirm": "Confirm:", "paid": "The refund is paid"},
}


def paid_file(site: Centre) -> int:
    with site.db.begin() as s:
        clerk = s.get_one(User, site.clerk_ids[1])
        app = apps.start_application(s, service_code="MP-REG-CERT", clerk=clerk, counter_id=site.counter_ids[1],
                                     applicant=apps.Applicant(NAME, NID, "01012345678"))
        apps.set_documents(s, app.id, [d.code for d in app.documents], clerk=clerk)
        apps.record_payment(s, app.id, "cash", clerk=clerk)
        apps.submit(s, app.id, clerk=clerk)
        return app.id


def tracking(site: Centre, app_id: int) -> str:
    with site.db.read() as s:
        return s.get_one(Application, app_id).tracking_code


def type_into(qtbot: QtBot, widget: QLineEdit, text: str) -> None:
    """Type into a field: key by key (QTest sends ASCII keys only; Arabic arrives as from an input method)."""
    widget.setFocus()
    if text.isascii():
        qtbot.keyClicks(widget, text)
    else:
        widget.insert(text)


def find(qtbot: QtBot, window: CounterWindow, code: str) -> DeliveryPanel:
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    delivery = window.delivery
    qtbot.waitUntil(lambda: delivery.code.hasFocus() or delivery.isVisible(), timeout=WAIT_MS)
    delivery.code.clear()
    type_into(qtbot, delivery.code, code)
    qtbot.keyClick(delivery.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: delivery.app is not None and delivery.app.tracking_code == code, timeout=WAIT_MS)
    return delivery


def printed_kinds(printer_dir: Path) -> list[str]:
    """The kinds of the jobs the virtual printer received (its files are named <time>-<kind>-<job>)."""
    return sorted(next(k for k in ("handover", "refund", "receipt", "slip") if f"-{k}-" in p.name)
                  for p in printer_dir.glob("*.bin"))


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_delivery_to_a_representative(qtbot: QtBot, make_shell: object, site: Centre, config: AppConfig,
                                      printer_dir: Path, lang: str, screenshot: Callable[[QWidget, str], Path]) -> None:
    app_id = paid_file(site)
    with site.db.begin() as s:
        app = s.get_one(Application, app_id)
        reviewer = s.get_one(User, app.reviewer_id)
        apps.start_review(s, app_id, reviewer=reviewer)
        apps.approve(s, app_id, reviewer=reviewer)
        apps.mark_ready(s, app_id, user=reviewer)
    config.lang = lang
    shell: Shell = make_shell(config)  # type: ignore[operator]
    texts = TEXTS[lang]
    window = log_in(qtbot, shell, "clerk1")
    assert isinstance(window, CounterWindow)
    delivery = find(qtbot, window, tracking(site, app_id))
    qtbot.waitUntil(lambda: delivery.deliver_button.isEnabled(), timeout=WAIT_MS)
    assert not delivery.relation.isVisible()
    type_into(qtbot, delivery.collector, "سعيد محمود حسن علي")
    type_into(qtbot, delivery.collector_nid, OTHER_NID)
    assert delivery.relation.isVisible() and delivery.authority.isVisible()  # someone else: asked

    qtbot.keyClick(delivery.collector_nid, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # no relation
    qtbot.waitUntil(lambda: texts["relation"] in plain(delivery.message.text()), timeout=WAIT_MS)
    delivery.relation.setFocus()
    while delivery.relation.currentData() != "attorney":
        qtbot.keyClick(delivery.relation, Qt.Key.Key_Down)
    qtbot.keyClick(delivery.relation, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # no power of attorney
    qtbot.waitUntil(lambda: texts["poa"] in plain(delivery.message.text()), timeout=WAIT_MS)
    window.resize(1366, 768)
    screenshot(window, f"delivery-representative-1366x768-{lang}")
    with site.db.read() as s:
        assert s.get_one(Application, app_id).state == ApplicationState.READY  # nothing changed
    assert delivery.collector.text() == "سعيد محمود حسن علي"  # nothing typed was lost

    type_into(qtbot, delivery.authority, "1234/2026")
    with qtbot.wait_signal(shell.ctx.printing.job_done, timeout=WAIT_MS) as job:
        qtbot.keyClick(delivery.authority, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClick(delivery.authority, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # pressed twice
    assert job.args is not None and job.args[1] == "handover"
    qtbot.waitUntil(lambda: texts["handed"] in plain(delivery.message.text()), timeout=WAIT_MS)
    with site.db.read() as s:
        app = s.get_one(Application, app_id)
        assert (app.state, app.collector_relation, app.collector_authority) == (
            ApplicationState.DELIVERED, "attorney", "1234/2026")
    assert printed_kinds(printer_dir) == ["handover"]


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_refund_is_paid_at_the_counter_with_a_confirmation(qtbot: QtBot, make_shell: object, site: Centre,
                                                             config: AppConfig, printer_dir: Path, lang: str,
                                                             screenshot: Callable[[QWidget, str], Path]) -> None:
    app_id = paid_file(site)
    with site.db.begin() as s:
        req = requests.request(s, app_id, "cancel", by=s.get_one(User, site.clerk_ids[1]), reason="تراجع")
    with site.db.begin() as s:
        requests.decide(s, req.id, by=s.get_one(User, site.supervisor_id), approve=True)
    config.lang = lang
    shell: Shell = make_shell(config)  # type: ignore[operator]
    texts = TEXTS[lang]
    window = log_in(qtbot, shell, "clerk1")
    assert isinstance(window, CounterWindow)
    delivery = find(qtbot, window, tracking(site, app_id))
    qtbot.waitUntil(lambda: texts["due"] in plain(delivery.refund_label.text()), timeout=WAIT_MS)
    assert delivery.refund_button.isEnabled()
    type_into(qtbot, delivery.collector, NAME)
    type_into(qtbot, delivery.collector_nid, NID)
    delivery.refund_button.setFocus()
    qtbot.keyClick(delivery.refund_button, Qt.Key.Key_Space)  # asks first
    assert texts["confirm"] in plain(delivery.refund_label.text())
    window.resize(1366, 768)
    screenshot(window, f"delivery-refund-confirm-1366x768-{lang}")
    qtbot.keyClick(delivery.refund_button, Qt.Key.Key_Escape)  # taken back
    assert texts["due"] in plain(delivery.refund_label.text())
    with site.db.read() as s:
        due = requests.refund_of(s, app_id)
        assert due is not None and due.paid_at is None
    qtbot.keyClick(delivery.refund_button, Qt.Key.Key_Space)
    with qtbot.wait_signal(shell.ctx.printing.job_done, timeout=WAIT_MS) as job:
        qtbot.keyClick(delivery.refund_button, Qt.Key.Key_Space)
    assert job.args is not None and job.args[1] == "refund"
    qtbot.waitUntil(lambda: texts["paid"] in plain(delivery.message.text()), timeout=WAIT_MS)
    qtbot.keyClick(delivery.refund_button, Qt.Key.Key_Space)  # a third press does nothing: paid once
    with site.db.read() as s:
        due = requests.refund_of(s, app_id)
        assert due is not None and due.paid_at is not None and due.paid_by == site.clerk_ids[0]
    assert printed_kinds(printer_dir) == ["refund"]
