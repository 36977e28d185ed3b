"""Egyptian national ID numbers (الرقم القومي): validation and what they tell.

Structure ``C YYMMDD GG SSSS K``: century digit (2 = 1900s, 3 = 2000s), birth date, governorate
of birth, a sequence whose last digit gives the sex (odd male, even female), and a check digit.
The check digit's algorithm is not published, so it is not enforced here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

GOVERNORATES: dict[str, tuple[str, str]] = {
    "01": ("القاهرة", "Cairo"), "02": ("الإسكندرية", "Alexandria"), "03": ("بورسعيد", "Port Said"),
    "04": ("السويس", "Suez"), "11": ("دمياط", "Damietta"), "12": ("الدقهلية", "Dakahlia"),
    "13": ("الشرقية", "Sharqia"), "14": ("القليوبية", "Qalyubia"), "15": ("كفر الشيخ", "Kafr El Sheikh"),
    "16": ("الغربية", "Gharbia"), "17": ("المنوفية", "Monufia"), "18": ("البحيرة", "Beheira"),
    "19": ("الإسماعيلية", "Ismailia"), "21": ("الجيزة", "Giza"), "22": ("بني سويف", "Beni Suef"),
    "23": ("الفيوم", "Fayoum"), "24": ("المنيا", "Minya"), "25": ("أسيوط", "Asyut"), "26": ("سوهاج", "Sohag"),
    "27": ("قنا", "Qena"), "28": ("أسوان", "Aswan"), "29": ("الأقصر", "Luxor"), "31": ("البحر الأحمر", "Red Sea"),
    "32": ("الوادي الجديد", "New Valley"), "33": ("مطروح", "Matrouh"), "34": ("شمال سيناء", "North Sinai"),
    "35": ("جنوب سيناء", "South Sinai"), "88": ("خارج الجمهورية", "Born abroad"),
}

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

_MESSAGES: dict[str, dict[str, str]] = {
    "empty": {"ar": "أدخل الرقم القومي.", "en": "Enter the national ID number."},
    "non_digit": {"ar": "الرقم القومي يتكون من أرقام فقط.", "en": "The national ID must contain digits only."},
    "length": {"ar": "الرقم القومي يجب أن يتكون من 14 رقمًا، وقد أدخلت {length}.",
               "en": "The national ID must have 14 digits; {length} were entered."},
    "century": {"ar": "الرقم الأول من الرقم القومي يجب أن يكون 2 أو 3.",
                "en": "The first digit of the national ID must be 2 or 3."},
    "date": {"ar": "تاريخ الميلاد في الرقم القومي غير صحيح.",
             "en": "The birth date in the national ID is not a real date."},
    "future_date": {"ar": "تاريخ الميلاد في الرقم القومي في المستقبل.",
                    "en": "The birth date in the national ID is in the future."},
    "governorate": {"ar": "كود المحافظة «{gov}» في الرقم القومي غير معروف.",
                    "en": "The governorate code {gov} in the national ID is unknown."},
}


class NationalIdError(ValueError):
    def __init__(self, code: str, /, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "ar") -> str:
        texts = _MESSAGES[self.code]
        return (texts.get(lang) or texts["en"]).format(**self.params)


@dataclass(frozen=True)
class NationalIdInfo:
    national_id: str
    birth_date: date
    governorate_code: str
    governorate_ar: str
    governorate_en: str
    sex: Literal["male", "female"]


def normalise_digits(s: str) -> str:
    """Arabic-Indic and Persian digits to ASCII digits."""
    return s.translate(_DIGITS)


def parse_national_id(raw: str, *, today: date | None = None) -> NationalIdInfo:
    text = normalise_digits(raw or "").replace(" ", "").replace("-", "").strip()
    if not text:
        raise NationalIdError("empty")
    if not (text.isascii() and text.isdigit()):
        raise NationalIdError("non_digit")
    if len(text) != 14:
        raise NationalIdError("length", length=len(text))
    century = {"2": 1900, "3": 2000}.get(text[0])
    if century is None:
        raise NationalIdError("century")
    try:
        birth = date(century + int(text[1:3]), int(text[3:5]), int(text[5:7]))
    except ValueError:
        raise NationalIdError("date") from None
    if birth > (today or date.today()):
        raise NationalIdError("future_date")
    gov = text[7:9]
    if gov not in GOVERNORATES:
        raise NationalIdError("governorate", gov=gov)
    sex: Literal["male", "female"] = "male" if int(text[12]) % 2 else "female"
    return NationalIdInfo(text, birth, gov, GOVERNORATES[gov][0], GOVERNORATES[gov][1], sex)


def mask_national_id(nid: str) -> str:
    return nid[:1] + "*" * (len(nid) - 3) + nid[-2:] if len(nid) > 3 else "*" * len(nid)
