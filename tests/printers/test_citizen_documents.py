"""Issue 15, item 21: what the ticket and the missing-documents slip tell the citizen.

The ticket: the number, the service group, who is ahead, the estimated wait, the date and time and
the centre, never the ticket's internal id. The slip: the applicant's name, the service, the date
and the day by which to come back (30 days after the slip, the centre's calendar)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from counter_app.common.i18n import Lang, gettext
from counter_app.services.views import CentreView, DocView, FeeView, IssuedView, ServiceView
from counter_app.ui.shell.printing import SLIP_RETURN_DAYS, slip_document, ticket_document
from printers.documents import render_document, slip_layout, ticket_layout
from printers.layout import QRCode
from tests.helpers.bidi import plain
from tests.printers.test_reading_order import lines

CENTRE = CentreView("GIZ-01", "المركز التكنولوجي بالجيزة", "Giza Citizen Service Centre")
ISSUED = IssuedView("B-061", False, 4, 18, datetime(2026, 11, 25, 21, 40, tzinfo=UTC),
                    "7d1c0a5e-3b4f-4c2e-9a61-0b8f2f6c9e17", "B", "Xq3vJ8kLm2Np5Rt7Wy9zAb")
SERVICE = ServiceView("planning.permit", "ترخيص بناء", "Building permit", "B",
                      (DocView("deed", "عقد الملكية", "Title deed", True),), (FeeView("fee", "رسم", "Fee", 5000),))


def _text(layout_lines: list[str]) -> str:
    return "\n".join(plain(line) for line in layout_lines)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_ticket_prints_what_the_citizen_needs_not_the_internal_id(lang: Lang) -> None:
    data = ticket_document(CENTRE, "التخطيط العمراني", "Urban planning", ISSUED)
    layout = ticket_layout(data, 576, lang)
    text = _text(lines(layout))
    assert ISSUED.uuid not in text and "7d1c0a5e" not in text
    assert not any(isinstance(block, QRCode) for block in layout.blocks), "no portal address: no QR code"
    for expected in ("B-061", "التخطيط العمراني" if lang == "ar" else "Urban planning",
                     CENTRE.name_ar if lang == "ar" else CENTRE.name_en,
                     plain(gettext("print.ticket.waiting_ahead", lang, n=4)),
                     plain(gettext("print.ticket.estimated_wait", lang, n=18)),
                     "2026-11-25 23:40"):  # 21:40 UTC is 23:40 in Cairo
        assert expected in text, f"{expected!r} missing from the ticket:\n{text}"
    render_document("ticket", data, 384, lang)


def test_the_ticket_qr_follows_the_queue_on_the_portal_when_its_address_is_known() -> None:
    data = ticket_document(CENTRE, "التخطيط العمراني", "Urban planning", ISSUED, portal_url="https://portal.example/")
    assert data.qr_url == f"https://portal.example/t/{ISSUED.token}", "the public token, never the uuid"
    layout = ticket_layout(data, 576, "ar")
    assert [block.payload for block in layout.blocks if isinstance(block, QRCode)] == [data.qr_url]
    assert ISSUED.token not in _text(lines(layout)), "the token is in the QR code only, never printed as text"
    centre = CentreView(CENTRE.code, CENTRE.name_ar, CENTRE.name_en, "https://centre-portal.example")
    assert ticket_document(centre, "ت", "T", ISSUED).qr_url == f"https://centre-portal.example/t/{ISSUED.token}"
    assert ticket_document(centre, "ت", "T", ISSUED, "https://pc.example").qr_url.startswith("https://pc.example/t/")


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_slip_names_the_applicant_the_service_the_date_and_the_deadline(lang: Lang) -> None:
    issued = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)  # already 26 November in Cairo
    data = slip_document(CENTRE, SERVICE, ["عقد الملكية"], "B-061", issued, applicant="  محمد أحمد محمود حسن ")
    assert data.return_by == date(2026, 12, 26)  # 30 days after the Cairo date of the slip
    assert SLIP_RETURN_DAYS == 30
    text = _text(lines(slip_layout(data, 576, lang)))
    for expected in ("محمد أحمد محمود حسن", "ترخيص بناء" if lang == "ar" else "Building permit",
                     "2026-11-26 00:30", "عقد الملكية", "B-061", "2026-12-26"):
        assert expected in text, f"{expected!r} missing from the slip:\n{text}"
    assert plain(gettext("print.slip.applicant", lang, name="محمد أحمد محمود حسن")) in text
    render_document("slip", data, 384, lang)


def test_a_slip_without_a_name_typed_leaves_the_line_out() -> None:
    data = slip_document(CENTRE, SERVICE, ["عقد الملكية"], "B-061", ISSUED.issued_at)
    text = _text(lines(slip_layout(data, 576, "ar")))
    assert plain(gettext("print.slip.applicant", "ar", name="")).strip() not in text
    assert "2026-12-25" in text
