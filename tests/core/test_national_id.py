from __future__ import annotations

from datetime import date

import pytest

from counter_app.core.national_id import (
    _MESSAGES,
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
    assert "13" in err.value.message("ar") and "14" in err.value.message("ar")
    assert "13" in err.value.message("en")
    with pytest.raises(NationalIdError) as err:
        parse_national_id("29001012012355", today=TODAY)
    assert "20" in err.value.message("ar") and "20" in str(err.value)
    for code, texts in _MESSAGES.items():
        assert set(texts) == {"ar", "en"}, code
        assert any("\u0600" <= ch <= "\u06ff" for ch in texts["ar"]), code


def test_mask_keeps_only_first_and_last_digits() -> None:
    assert mask_national_id("29001010112355") == "2***********55"
