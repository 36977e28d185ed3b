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


#: Entries whose English words are shared with another entry but whose Arabic rightly differs by
#: context (a column header with the article, a button that says more than its English, …).
CONTEXT_VARIANTS = {
    "bo.approve_request",  # approving a supervisor request: موافقة, not اعتماد of a file
    "report.col.clerk", "bo.col_reviewer",  # column headers take the article
    "audit.since", "audit.until",  # date filters: من يوم / حتى يوم
    "intake.name",  # the four-part name the counter asks for: الاسم رباعيًا
    "delivery.collector", "delivery.collector_nid", "sup.counter_name",
    "queue.skip",  # the button skips with a reason: تخطٍّ بسبب
    "state.ticket.skipped", "print.dayclose.skipped", "state.ticket.waiting", "print.dayclose.wait",
    "state.ticket.done", "dash.from", "dash.to", "central.from", "central.to", "counter.logout", "common.logout",
}


def test_the_same_english_term_has_one_arabic_term() -> None:
    ar, en = entries("ar"), entries("en")
    by_term: dict[str, set[str]] = {}
    for msgid, forms in en.items():
        if len(forms) == 1 and "{" not in forms[0] and len(forms[0].split()) <= 4 and msgid not in CONTEXT_VARIANTS:
            by_term.setdefault(forms[0].strip().rstrip(".").lower(), set()).add(msgid)
    clashes = {term: {i: ar[i][0] for i in ids} for term, ids in by_term.items()
               if len({ar[i][0] for i in ids}) > 1}
    assert not clashes, clashes
