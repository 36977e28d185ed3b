"""One Arabic term per domain word (resources/locale/GLOSSARY.md) on every surface."""

from __future__ import annotations

import re

from tests.common.test_catalogue import entries

#: rejected variant -> the glossary's term
REJECTED = {
    r"\bقبول\b|\bمقبول\b|قُبل\b": "اعتماد / معتمد",
    r"كود التتبع|رمز التتبع|رقم التتبع": "رقم المتابعة",
    r"\bمرتجع\b|\bإرجاع\b": "إعادة / مُعاد",
    r"\bوصل\b": "إيصال",
    r"\bاسترداد\b|\bاسترجاع\b": "رد الرسوم",
    r"\bكاش\b|\bفيزا\b": "نقدًا / بطاقة بنكية",
    r"\bوثيقة\b|\bوثائق\b": "مستند",
    r"\bكاونتر\b": "شباك",
}


def test_arabic_entries_use_the_glossary_terms() -> None:
    offenders = []
    for msgid, forms in entries("ar").items():
        for pattern, term in REJECTED.items():
            if any(re.search(pattern, form) for form in forms):
                offenders.append(f"{msgid}: use {term}")
    assert not offenders, offenders


def test_payment_by_card_is_always_a_bank_card() -> None:
    ar = entries("ar")
    cards = {msgid: forms[0] for msgid, forms in ar.items() if msgid.endswith(".card")}
    assert cards and all(text == "بطاقة بنكية" for text in cards.values()), cards
