"""The applicant's rules (issue 15, item 19): a full name of four Arabic names, an Egyptian phone
stored in E.164, one message per field that says what is expected."""

from __future__ import annotations

import pytest

from counter_app.common.i18n import strip_isolates
from counter_app.core import applications as apps
from counter_app.core.applicant import full_name, phone_e164
from counter_app.core.errors import ApplicantFieldError
from counter_app.core.models import Application, User
from tests.helpers.factories import Centre

NID = "29001010112355"


@pytest.mark.parametrize("typed, stored", [
    ("محمد أحمد محمود حسن", "محمد أحمد محمود حسن"),
    ("  محمد   أحمد عبد الله  حسن ", "محمد أحمد عبد الله حسن"),  # a compound name is two words
    ("مُحَمَّد أحمد محمود حسن", "مُحَمَّد أحمد محمود حسن"),  # diacritics kept
    ("محمـــد أحمد محمود حسن", "محمد أحمد محمود حسن"),  # tatweel dropped
])
def test_full_name_accepted(typed: str, stored: str) -> None:
    assert full_name(typed) == stored


@pytest.mark.parametrize("typed", [
    "", "   ", "محمد", "محمد أحمد علي",  # fewer than four names
    "12345678901234",  "١٢٣ ٤٥٦ ٧٨٩ ٠١٢",  # digits (Western, Arabic-Indic)
    "Mohamed Ahmed Mahmoud Hassan",  # Latin letters
    "محمد أحمد محمود Hassan", "محمد أحمد محمود حسن2", "محمد أحمد محمود حسن.",
    "م أ محمود حسن",  # initials
])
def test_full_name_refused(typed: str) -> None:
    with pytest.raises(ApplicantFieldError) as caught:
        full_name(typed)
    assert caught.value.field == "name"


@pytest.mark.parametrize("typed, stored", [
    ("01012345678", "+201012345678"), ("011 2345 6789", "+201123456789"), ("0122-345-6789", "+201223456789"),
    ("01512345678", "+201512345678"), ("+201012345678", "+201012345678"), ("٠١٠١٢٣٤٥٦٧٨", "+201012345678"),
    ("0223456789", "+20223456789"), ("(02) 2345 6789", "+20223456789"), ("0403123456", "+20403123456"),
    ("", None), ("  ", None), (None, None),
])
def test_phone_accepted_in_e164(typed: str | None, stored: str | None) -> None:
    assert phone_e164(typed) == stored


@pytest.mark.parametrize("typed", [
    "01abc2345678",  # letters (phonenumbers alone would read them as a keypad word)
    "0101234567", "010123456789", "01912345678", "12345", "0105555",
    "+447911123456",  # not Egyptian
    "01012345678 ext 5", "tel:01012345678",
])
def test_phone_refused(typed: str) -> None:
    with pytest.raises(ApplicantFieldError) as caught:
        phone_e164(typed)
    assert caught.value.field == "phone"


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_messages_say_what_is_expected_with_an_example(lang: str) -> None:
    name = strip_isolates(full_name_error().message(lang))
    phone = strip_isolates(phone_error().message(lang))
    assert "01012345678" in phone and "0223456789" in phone  # the examples
    if lang == "en":
        assert "four names" in name and "Arabic letters" in name and "Mohamed Ahmed Mahmoud Hassan" in name
        assert "Egyptian mobile" in phone and "landline" in phone
    else:
        assert "رباعي" in name and "بالحروف العربية" in name and "محمد أحمد محمود حسن" in name
        assert "محمول مصري" in phone and "أرضي" in phone


def _start(site: Centre, name: str, phone: str | None) -> int:
    with site.db.begin() as s:
        clerk = s.get_one(User, site.clerk_ids[0])
        return apps.start_application(s, service_code="MP-REG-CERT", clerk=clerk,
                                      applicant=apps.Applicant(name, NID, phone)).id


def test_core_refuses_and_stores_nothing(site: Centre) -> None:
    from sqlalchemy import func, select

    for name, phone, field in (("12345678901234", "01012345678", "name"),
                               ("محمد أحمد محمود حسن", "01abc2345678", "phone")):
        with pytest.raises(ApplicantFieldError) as caught:
            _start(site, name, phone)
        assert caught.value.field == field
    with site.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Application)) == 0


def test_core_stores_the_phone_in_e164(site: Centre) -> None:
    app_id = _start(site, " محمد  أحمد محمود حسن ", "010 1234 5678")
    with site.db.read() as s:
        app = s.get_one(Application, app_id)
        assert (app.applicant_name, app.phone) == ("محمد أحمد محمود حسن", "+201012345678")


def full_name_error() -> ApplicantFieldError:
    with pytest.raises(ApplicantFieldError) as caught:
        full_name("1234")
    return caught.value


def phone_error() -> ApplicantFieldError:
    with pytest.raises(ApplicantFieldError) as caught:
        phone_e164("01abc2345678")
    return caught.value
