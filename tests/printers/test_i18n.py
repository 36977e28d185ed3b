"""The printed documents' texts come from the one gettext catalogue (``print.*`` and ``report.*``),
their values are formatted by ``counter_app.common.formatting`` and isolated by the mechanism."""

from __future__ import annotations

import ast
import string
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

import printers
from counter_app.common import formatting
from counter_app.common.i18n import FSI, LOCALE_DIR, LRI, PDI, RLI, gettext, ngettext, strip_isolates
from printers import samples
from printers.codec import document_from_json, document_to_json, kind_of
from printers.data import PAYMENT_LABELS, PAYMENT_METHODS, ReceiptData, SlipData, TicketData, payment_label
from printers.errors import (
    JobNotFound,
    PaperOut,
    PrinterConfigError,
    PrinterEnvironmentError,
    PrinterNotFound,
    PrinterOffline,
    PrinterPermissionDenied,
    PrintError,
)

PACKAGE = Path(printers.__file__).resolve().parent
PREFIXES = ("print.", "report.")


def _catalogue(lang: str) -> Catalog:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "shubbak.po").open("rb") as handle:
        return read_po(handle)


def _ids_in_printers() -> set[str]:
    """Every ``print.*`` / ``report.*`` string literal in the package's source."""
    found: set[str] = set()
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith(PREFIXES):
                found.add(node.value)
    return found


def _fields(template: object) -> set[str]:
    assert isinstance(template, str), template
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


USED = sorted(_ids_in_printers())


def test_printers_imports_common_but_not_the_core() -> None:
    modules = [f"printers.{path.stem}" for path in sorted(PACKAGE.glob("*.py")) if path.stem != "__main__"]
    probe = f"import sys; import {', '.join(modules)}; print(sorted(m for m in sys.modules if m.startswith('counter_app')))"
    loaded = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    assert "counter_app.common.i18n" in loaded and "counter_app.core" not in loaded, loaded


def test_printers_has_no_catalogue_of_its_own() -> None:
    assert not (PACKAGE / "i18n.py").exists()
    for path in PACKAGE.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        for marker in ("CATALOGUE", "TEXTS:", "MESSAGES:", "format_money", "def isolate", "\\u2066"):
            assert marker not in source, (path.name, marker)
    assert len(USED) > 80  # the scan does find the ids (it would pass vacuously otherwise)


@pytest.mark.parametrize("message_id", USED)
def test_every_printed_message_is_in_both_catalogues_with_the_same_fields(message_id: str) -> None:
    ar, en = _catalogue("ar").get(message_id), _catalogue("en").get(message_id)
    assert ar is not None and en is not None, message_id
    assert not ar.fuzzy and not en.fuzzy
    ar_forms = ar.string if isinstance(ar.string, tuple) else (ar.string,)
    en_forms = en.string if isinstance(en.string, tuple) else (en.string,)
    assert all(ar_forms) and all(en_forms)
    assert len(ar_forms) == (6 if ar.pluralizable else 1) and len(en_forms) == (2 if en.pluralizable else 1)
    expected = set().union(*(_fields(form) for form in en_forms))
    assert all(_fields(form) == expected for form in en_forms)
    for index, form in enumerate(ar_forms):  # zero, one and two may leave the count out
        assert _fields(form) == expected or (index < 3 and _fields(form) == expected - {"n"}), (index, form)


@pytest.mark.parametrize(
    "message_id", ["print.ticket.waiting_ahead", "print.ticket.estimated_wait", "report.money.mismatch",
                   "print.count.tickets", "print.count.applications"])
def test_counts_are_plural_messages_with_six_arabic_forms(message_id: str) -> None:
    forms = {ngettext(message_id, n, "ar", amount=formatting.money(2250, "ar")) for n in (0, 1, 2, 3, 11, 100)}
    assert len(forms) >= 5, forms  # many and other may share a text, the others differ
    assert ngettext(message_id, 1, "en", amount="x") != ngettext(message_id, 2, "en", amount="x")


def test_values_are_isolated_by_the_mechanism() -> None:
    assert ngettext("print.ticket.waiting_ahead", 7, "ar") == f"ينتظر قبلك {LRI}7{PDI} أشخاص"
    assert gettext("print.common.service", "en", name="شهادة") == f"Service: {FSI}شهادة{PDI}"
    line = gettext("print.receipt.tracking_line", "ar", code=formatting.tracking_code("6843-1812-1322"))
    assert line == f"رقم المتابعة: {LRI}6843-1812-1322{PDI}"


def test_money_and_times_come_from_common_formatting() -> None:
    assert strip_isolates(formatting.amount(1250)) == "12.50"
    assert strip_isolates(formatting.amount(123456789)) == "1,234,567.89"
    assert strip_isolates(formatting.amount(-5)) == "-0.05"
    assert formatting.money(1250, "en") == f"{LRI}EGP {LRI}12.50{PDI}{PDI}"
    assert formatting.money(1250, "ar") == f"{RLI}{LRI}12.50{PDI} ج.م{PDI}"
    assert formatting.format_datetime(datetime(2025, 3, 4, 8, 15, tzinfo=UTC), "ar") == f"{LRI}2025-03-04 10:15{PDI}"
    summer = formatting.format_datetime(datetime(2025, 7, 1, 8, 15, tzinfo=UTC), "ar")
    assert summer == f"{LRI}2025-07-01 11:15{PDI}"  # Cairo's summer time
    assert strip_isolates(formatting.format_date(date(2025, 3, 4), "ar", style="long")) == "الثلاثاء 4 مارس 2025"


def test_documents_refuse_naive_times(ticket: TicketData, receipt: ReceiptData, slip: SlipData) -> None:
    naive = datetime(2025, 3, 4, 8, 15)
    with pytest.raises(ValueError):
        TicketData(**{**ticket.__dict__, "issued_at": naive})
    with pytest.raises(ValueError):
        ReceiptData(**{**receipt.__dict__, "paid_at": naive})
    with pytest.raises(ValueError):
        SlipData(**{**slip.__dict__, "issued_at": naive})


def test_payment_methods_have_labels() -> None:
    assert set(PAYMENT_LABELS) == set(PAYMENT_METHODS)
    assert [payment_label(m, "ar") for m in PAYMENT_METHODS] == ["نقدًا", "بطاقة بنكية", "دفع إلكتروني"]
    assert [payment_label(m, "en") for m in PAYMENT_METHODS] == ["Cash", "Card", "E-payment"]
    assert payment_label("voucher", "ar") == "voucher"


def test_error_hierarchy_and_messages() -> None:
    for cls in (PrinterOffline, PrinterNotFound, PaperOut, PrinterPermissionDenied):
        environment = cls("detail")
        assert isinstance(environment, PrinterEnvironmentError) and isinstance(environment, PrintError)
        assert environment.message("ar") != environment.message("en")
        assert "detail" in str(environment)
    for error in (PrintError(), PrinterEnvironmentError(), PrinterConfigError(), JobNotFound(), PaperOut()):
        assert error.message("ar") and error.message("ar") != error.message_id
        assert error.message("en") and error.message("en") != error.message_id
    assert "الورق" in PaperOut().message("ar") and "paper" in PaperOut().message("en")
    # as a field of another message, an error is translated in that message's language
    sentence = gettext("print.common.reference", "ar", ref=PaperOut())
    assert sentence == f"المرجع: {FSI}{PaperOut().message('ar')}{PDI}"


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
