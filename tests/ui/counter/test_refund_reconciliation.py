"""Issue 15 (7): a correct day with a refund paid out stays reconciled (green) on the dashboard, on
the thermal day-close report and in the A4 report, with refunds as their own line; in Arabic and
English."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from counter_app.core import applications as apps
from counter_app.core import kpis, requests
from counter_app.core.counter_queries import day_summary
from counter_app.core.models import User
from counter_app.services import reports
from counter_app.services.config import AppConfig
from counter_app.services.views import today_local
from counter_app.ui.shell.app import Shell
from counter_app.ui.supervisor.supervisor import SupervisorWindow
from printers.documents import dayclose_layout
from tests.helpers.bidi import plain
from tests.helpers.factories import Centre
from tests.printers.test_pdf import pdf_text
from tests.printers.test_reading_order import lines
from tests.ui.conftest import WAIT_MS, log_in

NAME, NID = "محمد أحمد محمود حسن", "29001010112355"


def a_day_with_a_refund(site: Centre) -> int:
    """Two paid files; one cancelled, its fee refunded at the counter. The fee of one file."""
    ids = []
    for _ in range(2):
        with site.db.begin() as s:
            clerk = s.get_one(User, site.clerk_ids[0])
            app = apps.start_application(s, service_code="MP-REG-CERT", clerk=clerk, counter_id=site.counter_ids[0],
                                         applicant=apps.Applicant(NAME, NID, "01012345678"))
            apps.set_documents(s, app.id, [d.code for d in app.documents], clerk=clerk)
            apps.record_payment(s, app.id, "cash", clerk=clerk, cash_received=app.fee_total_piastres)
            apps.submit(s, app.id, clerk=clerk)
            ids.append((app.id, app.fee_total_piastres))
    app_id, fee = ids[0]
    with site.db.begin() as s:
        req = requests.request(s, app_id, "cancel", by=s.get_one(User, site.clerk_ids[1]), reason="تراجع")
    with site.db.begin() as s:
        requests.decide(s, req.id, by=s.get_one(User, site.supervisor_id), approve=True)
    with site.db.begin() as s:
        due = requests.refund_of(s, app_id)
        assert due is not None
        requests.pay_refund(s, due.id, by=s.get_one(User, site.clerk_ids[2]), paid_to_name=NAME,
                            paid_to_national_id=NID)
    return fee


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_day_with_a_refund_stays_green(qtbot: QtBot, make_shell: object, site: Centre, config: AppConfig,
                                         lang: str) -> None:
    fee = a_day_with_a_refund(site)
    config.lang = lang
    shell: Shell = make_shell(config)  # type: ignore[operator]
    window = log_in(qtbot, shell, "supervisor")
    assert isinstance(window, SupervisorWindow)
    tab = window.dashboard
    qtbot.waitUntil(lambda: tab.data is not None and tab.data.money_total == 2 * fee, timeout=WAIT_MS)
    assert tab.data is not None and tab.data.reconciled and tab.data.money_refunds == fee
    money_tile = tab.tiles["dash.money"]
    assert money_tile.property("state") == "success"  # green, by the style sheet
    words = plain(money_tile.text())
    assert ("رد رسوم طلب واحد" if lang == "ar" else "Refunded 1 file") in words
    pounds = f"{fee // 100:,}.{fee % 100:02d}"
    assert pounds in words

    # the thermal day-close report: reconciled, the refund and the net on their own lines
    with site.db.read() as s:
        summary = day_summary(s, today_local())
        money = kpis.compute(s, today_local()).money
    assert money.reconciled and money.net == fee
    data = reports.day_close_data(summary, "مركز", "Centre", "CAI-01", None, "")
    assert data.reconciled and data.refunds_piastres == fee
    printed = " ".join(plain(line) for line in lines(dayclose_layout(data, 576, lang)))  # type: ignore[arg-type]
    for word in (("رد الرسوم المصروف", "الصافي بعد رد الرسوم", "مطابق") if lang == "ar"
                 else ("Refunds paid", "Net after refunds")):
        assert word in printed, word

    # the A4 report
    with site.db.read() as s:
        period = reports.build(s, today_local(), today_local(), "day")
    target = config.data_dir / f"report-{lang}.pdf"
    config.data_dir.mkdir(parents=True, exist_ok=True)
    reports.write(period, target, "pdf", lang)
    text = " ".join(pdf_text(target).split())
    assert ("الصافي بعد رد الرسوم" if lang == "ar" else "Net after refunds") in text
