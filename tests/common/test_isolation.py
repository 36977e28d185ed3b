"""The mechanism isolates every value, so no caller has to remember to.

Every message of the catalogue (windows, paper, PDFs, SMS/e-mail, display, central pages), rendered
in Arabic with a tracking code in each of its fields, shows the code's characters in the order of
the receipt once Qt lays the sentence out. The value is passed as a plain ``str`` or ``int``, as a
careless caller would: the mechanism alone keeps it in order.
"""

from __future__ import annotations

import re
import string
from datetime import UTC, date, datetime
from typing import Any

import pytest

from counter_app.common import formatting
from counter_app.common.i18n import LRI, PDI, Msg, gettext, ngettext, strip_isolates
from tests.common.test_catalogue import entries
from tests.helpers.bidi import assert_reads_in_order, reads_in_order

TRACKING = "6843-1812-1322"


def field_names(template: str) -> list[str]:
    return sorted({name for _, name, spec, _ in string.Formatter().parse(template) if name})


def specs(template: str) -> dict[str, str]:
    return {name: spec or "" for _, name, spec, _ in string.Formatter().parse(template) if name}


def test_unisolated_code_reads_backwards_in_arabic(qapp: object) -> None:
    """What the clerk saw before: the groups of the code in reverse order."""
    old = f"قُدِّم الطلب. رقم المتابعة {TRACKING}"
    assert not reads_in_order(old, TRACKING)


def test_every_arabic_message_keeps_a_code_in_order(qapp: object) -> None:
    ar = entries("ar")
    checked = 0
    for msgid, forms in ar.items():
        names = field_names(" ".join(forms))
        if not names:
            continue
        for name in names:
            params: dict[str, Any] = {}
            for other, spec in specs(" ".join(forms)).items():
                params[other] = 7 if spec else "س"
            params[name] = TRACKING
            params.pop("n", None)
            for n in ([None] if len(forms) == 1 else [3, 11, 100]):
                text = gettext(msgid, "ar", **params) if n is None else ngettext(msgid, n, "ar", **params)
                if TRACKING in text:
                    assert_reads_in_order(text, TRACKING)
                    checked += 1
    assert checked > 150


def test_no_message_joins_two_values_by_a_separator() -> None:
    """``{minutes}:{seconds}`` isolates each number on its own, and bidi then shows ``09:61`` in an
    Arabic sentence (the counter's service timer did). A value made of parts is formatted whole,
    by one formatter (``formatting.elapsed``, ``ticket_number``…), and reaches the sentence as one."""
    joined = re.compile(r"\}[:/.\-–]\{")  # "{a}:{b}", "{a}/{b}": one value written as two
    offending = {msgid: form for lang in ("ar", "en") for msgid, forms in entries(lang).items()
                 for form in forms if joined.search(form)}
    assert offending == {}


def test_the_service_timer_reads_in_order_in_arabic(qapp: object) -> None:
    text = gettext("queue.timer", "ar", elapsed=formatting.elapsed(61 * 60 + 9))
    assert "61:09" in strip_isolates(text)
    assert_reads_in_order(text, "61:09")
    assert strip_isolates(formatting.elapsed(5)) == "00:05"


@pytest.mark.parametrize("value", [
    formatting.tracking_code(TRACKING), formatting.money(123456, "ar"), formatting.format_date(date(2026, 11, 25), "ar"),
    formatting.format_datetime(datetime(2026, 11, 25, 8, 5, tzinfo=UTC), "ar"), formatting.national_id("29001010112335"),
    formatting.ticket_number("C", 10), formatting.phone("+201001234567"), formatting.number(12345),
])
def test_formatted_values_keep_their_order_in_arabic(qapp: object, value: str) -> None:
    text = gettext("error.not_found", "ar", what=value)
    visible = strip_isolates(value)
    assert visible in strip_isolates(text)
    core = visible.split(" ")[0] if len(visible.split(" ")[0]) >= 3 else visible
    assert_reads_in_order(text, core)


def test_values_are_isolated_and_digits_follow_the_policy() -> None:
    assert gettext("error.not_found", "en", what=5) == f"{LRI}5{PDI} was not found."
    assert formatting.ticket_number("C", 10) == f"{LRI}C-010{PDI}"
    assert strip_isolates(formatting.number(10, "arab")) == "١٠"
    # codes never take Arabic-Indic digits, whatever the surface
    assert strip_isolates(gettext("display.counter", "ar", digits="arab", counter=formatting.ticket_number("C", 10))) \
        .endswith("C-010")
    assert strip_isolates(gettext("display.counter", "ar", digits="arab", counter=3)).endswith("٣")


def test_a_message_field_follows_the_sentence_language() -> None:
    detail = Msg("sex.female")
    assert strip_isolates(gettext("error.validation", "ar", detail=detail)) == "البيانات غير صحيحة: أنثى"
    assert strip_isolates(gettext("error.validation", "en", detail=detail)) == "Invalid data: female"


@pytest.mark.parametrize(("n", "form"), [(0, "أقل من دقيقة"), (1, "دقيقة واحدة"), (2, "دقيقتان"), (3, "3 دقائق"),
                                         (10, "10 دقائق"), (11, "11 دقيقة"), (99, "99 دقيقة"), (100, "100 دقيقة"),
                                         (103, "103 دقائق"), (111, "111 دقيقة")])
def test_six_arabic_plural_forms(n: int, form: str) -> None:
    assert strip_isolates(ngettext("common.minutes", n, "ar")) == form
    assert strip_isolates(gettext("common.minutes", "ar", n=n)) == form


def test_english_plural_forms() -> None:
    assert strip_isolates(ngettext("common.minutes", 1, "en")) == "1 minute"
    assert strip_isolates(ngettext("common.minutes", 2, "en")) == "2 minutes"


def test_dates_come_from_the_locale_data() -> None:
    day = date(2026, 11, 25)
    assert strip_isolates(formatting.format_date(day, "ar", style="long")) == "الأربعاء 25 نوفمبر 2026"
    assert strip_isolates(formatting.format_date(day, "ar", "arab", style="long")) == "الأربعاء ٢٥ نوفمبر ٢٠٢٦"
    assert strip_isolates(formatting.format_date(day, "en", style="long")) == "Wednesday 25 November 2026"
    assert formatting.month_name(2, "ar") == "فبراير" and formatting.weekday_name(day, "en") == "Wednesday"


def test_times_are_shown_in_cairo() -> None:
    moment = datetime(2026, 7, 1, 21, 30, tzinfo=UTC)  # summer time in Cairo: UTC+3
    assert strip_isolates(formatting.format_datetime(moment, "ar")) == "2026-07-02 00:30"
    assert strip_isolates(formatting.format_time(datetime(2026, 1, 1, 8, 5, tzinfo=UTC), "ar", "arab")) == "١٠:٠٥"


def test_a_composite_of_isolates_is_isolated_as_a_whole() -> None:
    from counter_app.common.i18n import FSI, isolate

    composite = f"{LRI}1{PDI} - {FSI}x{PDI}"
    assert isolate(composite) == f"{FSI}{composite}{PDI}"
    assert isolate(f"{LRI}A-001{PDI}") == f"{LRI}A-001{PDI}"
