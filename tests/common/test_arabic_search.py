"""The spelling-forgiving fold of the portal's service search (counter_app.common.arabic_search)."""

from __future__ import annotations

import pytest

from counter_app.common.arabic_search import fold, matches, words


@pytest.mark.parametrize(("typed", "folded"), [
    ("أحمد", "احمد"), ("إقرار", "اقرار"), ("آمنة", "امنه"), ("ٱلبيان", "البيان"),  # alef forms, taa marbuta
    ("مبنى", "مبني"), ("مسؤول", "مسوول"), ("رئيس", "رييس"),  # alef maqsura, waw and yaa with hamza
    ("شَهَادَةُ", "شهاده"), ("شهـــادة", "شهاده"), ("بناء", "بنا"),  # diacritics, tatweel, lone hamza
    ("رقم ١٢٣", "رقم 123"), ("Building-PERMIT", "building permit"), ("  a,,b  ", "a b"),
])
def test_fold(typed: str, folded: str) -> None:
    assert fold(typed) == folded


def test_every_query_word_must_be_found_in_any_order() -> None:
    assert matches("القيد شهاده", ["شهادة القيد", "Registration certificate"])
    assert matches("REGISTRATION", ["شهادة القيد", "Registration certificate"])
    assert not matches("شهادة الميلاد", ["شهادة القيد"])
    assert not matches("  ؟!  ", ["شهادة القيد"]) and words("ـــ") == []
