from __future__ import annotations

import string
from datetime import UTC, date, datetime

import pytest

from printers import samples
from printers.codec import document_from_json, document_to_json, kind_of
from printers.errors import PaperOut, PrinterEnvironmentError, PrinterNotFound, PrinterOffline, PrintError
from printers.i18n import CATALOGUE, FSI, LRI, PDI, RLI, format_amount, format_datetime, format_money, tr


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("message_id", sorted(CATALOGUE))
def test_every_message_has_both_languages_with_the_same_placeholders(message_id: str) -> None:
    entry = CATALOGUE[message_id]
    assert set(entry) == {"ar", "en"}
    assert entry["ar"] and entry["en"]
    assert _fields(entry["ar"]) == _fields(entry["en"])


def test_values_are_isolated() -> None:
    assert tr("ticket.waiting_ahead", "ar", count=7) == f"المنتظرون قبلك: {LRI}7{PDI}"
    assert tr("common.service", "en", name="شهادة") == f"Service: {FSI}شهادة{PDI}"
    with pytest.raises(KeyError):
        tr("no.such.message", "ar")


def test_money() -> None:
    assert format_amount(1250) == "12.50"
    assert format_amount(123456789) == "1,234,567.89"
    assert format_amount(-5) == "-0.05"
    assert format_money(1250, "en") == f"{LRI}EGP {LRI}12.50{PDI}{PDI}"
    assert format_money(1250, "ar") == f"{RLI}{LRI}12.50{PDI} ج.م{PDI}"


def test_times_are_shown_in_cairo() -> None:
    assert format_datetime(datetime(2025, 3, 4, 8, 15, tzinfo=UTC)) == f"{LRI}2025-03-04 10:15{PDI}"
    assert (
        format_datetime(datetime(2025, 7, 1, 8, 15, tzinfo=UTC)) == f"{LRI}2025-07-01 11:15{PDI}"
    )  # summer time
    with pytest.raises(ValueError):
        format_datetime(datetime(2025, 3, 4, 8, 15))


def test_error_hierarchy_and_messages() -> None:
    for cls in (PrinterOffline, PrinterNotFound, PaperOut):
        error = cls("detail")
        assert isinstance(error, PrinterEnvironmentError) and isinstance(error, PrintError)
        assert error.message("ar") != error.message("en")
        assert "detail" in str(error)
    assert "الورق" in PaperOut().message("ar") and "paper" in PaperOut().message("en")


def test_documents_round_trip_through_json() -> None:
    for document in (
        samples.sample_ticket(),
        samples.sample_receipt(),
        samples.sample_slip(),
        samples.sample_dayclose(),
    ):
        kind = kind_of(document)
        assert document_from_json(kind, document_to_json(document)) == document
    assert samples.sample_dayclose().business_date == date(2025, 3, 4)
    with pytest.raises(TypeError):
        kind_of("not a document")
