from __future__ import annotations

from datetime import date

import pytest

from counter_app.common.i18n import gettext, has_message, strip_isolates
from counter_app.core.national_id import (
    MESSAGE_IDS,
    NationalIdError,
    mask_national_id,
    normalise_digits,
    parse_national_id,
)

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("raw", "birth", "gov", "sex"),
    [
        ("29001010112355", date(1990, 1, 1), "01", "male"),
        ("29508152101284", date(1995, 8, 15), "21", "female"),
        ("30402292512357", date(2004, 2, 29), "25", "male"),  # leap day
        ("31012318800022", date(2010, 12, 31), "88", "female"),  # born abroad
    ],
)
def test_valid_ids_give_birth_date_governorate_and_sex(raw: str, birth: date, gov: str, sex: str) -> None:
    info = parse_national_id(raw, today=TODAY)
    assert (info.birth_date, info.governorate_code, info.sex) == (birth, gov, sex)
    assert info.national_id == raw
    assert info.governorate_ar and info.governorate_en


def test_arabic_indic_digits_spaces_and_dashes_are_normalised() -> None:
    info = parse_national_id("٢٩٠٠١٠١ ٠١١٢٣٥٥", today=TODAY)
    assert info.national_id == "29001010112355"
    assert parse_national_id("2900101-0112355", today=TODAY).national_id == "29001010112355"
    assert normalise_digits("۱۲۳٤٥") == "12345"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("2900101011235", "length"),
        ("290010101123555", "length"),
        ("2900101A112355", "non_digit"),
        ("19001010112355", "century"),
        ("49001010112355", "century"),
        ("29013010112355", "date"),  # month 13
        ("29001320112355", "date"),  # day 32
        ("30302290112355", "date"),  # 29 Feb 2003 is not a date
        ("32701010112355", "future_date"),
        ("29001012012355", "governorate"),
        ("29001019912355", "governorate"),
    ],
)
def test_each_kind_of_mistake_has_its_error(raw: str, code: str) -> None:
    with pytest.raises(NationalIdError) as err:
        parse_national_id(raw, today=TODAY)
    assert err.value.code == code
    assert err.value.message("ar") != err.value.message("en")


def test_messages_say_what_is_wrong_in_both_languages() -> None:
    with pytest.raises(NationalIdError) as err:
        parse_national_id("2900101011235", today=TODAY)
    assert strip_isolates(err.value.message("ar")) == "الرقم القومي يجب أن يتكون من 14 رقمًا، وقد أدخلت 13 رقمًا."
    assert strip_isolates(err.value.message("en")) == "The national ID must be 14 digits long; you entered 13 digits."
    with pytest.raises(NationalIdError) as err:
        parse_national_id("29001012012355", today=TODAY)
    assert "20" in err.value.message("ar") and "20" in str(err.value)
    for code, msgid in MESSAGE_IDS.items():
        assert msgid == f"nid.{code}"
        assert has_message(msgid, "ar") and has_message(msgid, "en"), code
        assert any("\u0600" <= ch <= "\u06ff" for ch in gettext(msgid, "ar")), code


def test_mask_keeps_only_first_and_last_digits() -> None:
    assert mask_national_id("29001010112355") == "2***********55"


def test_century_rule_for_leap_years() -> None:
    # 2000 is a leap year (divisible by 400); 1900 is not (divisible by 100).
    assert parse_national_id("30002290112355", today=TODAY).birth_date == date(2000, 2, 29)
    with pytest.raises(NationalIdError) as err:
        parse_national_id("20002290112355", today=TODAY)
    assert err.value.code == "date"


def test_sex_is_the_thirteenth_digit() -> None:
    assert parse_national_id("29001010112315", today=TODAY).sex == "male"
    assert parse_national_id("29001010112325", today=TODAY).sex == "female"
    assert parse_national_id("29001010112305", today=TODAY).sex == "female"  # 0 is even


def test_persian_digits_and_other_separators() -> None:
    nid = "۲۹۰۰۱۰۱۰۱۱۲۳۵۵"
    assert parse_national_id(nid, today=TODAY).national_id == "29001010112355"
    assert parse_national_id("2-900101-01-1235-5", today=TODAY).national_id == "29001010112355"
    assert parse_national_id("\u200f2900 1010 1123 55\u00a0", today=TODAY).national_id == "29001010112355"
    assert normalise_digits("abc ٣-۳") == "abc 3-3"


def test_superscript_and_other_script_digits_are_not_digits() -> None:
    with pytest.raises(NationalIdError) as err:
        parse_national_id("2900101011235²", today=TODAY)
    assert err.value.code == "non_digit"


def test_born_today_is_valid_and_tomorrow_is_future() -> None:
    assert parse_national_id("32611220112355", today=TODAY).birth_date == TODAY
    with pytest.raises(NationalIdError) as err:
        parse_national_id("32611230112355", today=TODAY)
    assert err.value.code == "future_date"


def test_today_defaults_to_the_real_date() -> None:
    assert parse_national_id("29001010112355").birth_date == date(1990, 1, 1)
    with pytest.raises(NationalIdError):
        parse_national_id("39912310112355")  # 2099


def test_every_governorate_is_named_in_both_languages() -> None:
    from counter_app.core.national_id import GOVERNORATES

    assert len(GOVERNORATES) == 28
    for code, (ar, en) in GOVERNORATES.items():
        info = parse_national_id(f"2900101{code}12355", today=TODAY)
        assert (info.governorate_ar, info.governorate_en) == (ar, en)
    assert parse_national_id("29001018812355", today=TODAY).governorate_en == "Born abroad"


@pytest.mark.parametrize("code", sorted(MESSAGE_IDS))
def test_every_error_code_has_a_message_in_both_languages(code: str) -> None:
    params = {"expected": 14, "found": 9, "century": "5", "governorate": "77"}
    err = NationalIdError(code, **params)  # type: ignore[arg-type]
    ar, en = err.message("ar"), err.message("en")
    assert ar and en and ar != en
    assert "{" not in ar and "{" not in en
    assert str(err) == en
    assert err.message() == ar  # Arabic is the default
    assert err.message("fr") == ar
    assert isinstance(err, ValueError)


def test_century_message_names_the_digit() -> None:
    with pytest.raises(NationalIdError) as err:
        parse_national_id("59001010112355", today=TODAY)
    assert "5" in err.value.message("ar") and "5" in err.value.message("en")


def test_mask_normalises_and_handles_short_input() -> None:
    assert mask_national_id("٢٩٠٠١٠١٠١١٢٣٥٥") == "2***********55"
    assert mask_national_id("123") == "***"
    assert mask_national_id("") == ""


def test_message_without_its_parameters_does_not_fail() -> None:
    assert "?" in NationalIdError("length").message("en")
