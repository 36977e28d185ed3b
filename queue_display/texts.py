"""What the waiting-hall display says, in its language and digit policy (no Qt here).

The words come from the gettext catalogue (ids ``display.*``), dates and times from Babel through
:mod:`counter_app.common.formatting`. Digit policy of the display: ticket numbers are **always
Western** (``C-010``, as printed on the ticket the citizen holds); the running text (clock, date,
counts, counter numbers, fees) is in Arabic-Indic digits when the display is Arabic, Western in
English.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from counter_app.common import formatting
from counter_app.common.i18n import Digits, Isolated, Lang, Translator, lang_of
from queue_display.state import Call, GroupWaiting, TickerService

GROUP_SEPARATOR = "   •   "
#: Joins the words of one group's item: a long line wraps between items, never inside a
#: department's name («المرافق» / «والضرائب العقارية: ١» on two lines).
NO_BREAK_SPACE = "\u00a0"


def unbreakable(text: str) -> str:
    """``text`` with its spaces made non-breaking, so a line never wraps inside it."""
    return text.replace(" ", NO_BREAK_SPACE)
TICKER_SEPARATOR = "        ◆        "
#: The mark of an appointment's ticket beside the word «موعد»: a clock face (U+25F7, in DejaVu Sans).
CLOCK = "\u25f7"


def digits_for(lang: str) -> Digits:
    """Arabic-Indic digits in the Arabic display's running text, Western in English."""
    return "arab" if lang_of(lang) == "ar" else "latn"


def translator(lang: str) -> Translator:
    """The display's words in ``lang`` with its digit policy."""
    return Translator(lang_of(lang), digits_for(lang))


def ticket_text(letter: str, number: int) -> Isolated:
    """``A-042`` in Western digits in either language, isolated left to right: it reads like the
    ticket in the citizen's hand."""
    return formatting.ticket_number(letter, number)


def appointment_mark(lang: str) -> str:
    """``◷ موعد`` / ``◷ Appointment``: what marks an appointment's ticket on the screen (a shape
    and a word, never a colour alone)."""
    tr = translator(lang)
    word = tr("display.appointment")
    return f"{CLOCK}{NO_BREAK_SPACE}{word}"


def recent_ticket_text(lang: str, call: Call) -> str:
    """A recent call's ticket, followed by the appointment's mark when it is one."""
    ticket = ticket_text(call.letter, call.number)
    return f"{ticket}   {appointment_mark(lang)}" if call.appointment else ticket


def counter_text(lang: str, counter: int) -> Isolated:
    return formatting.counter_number(counter, digits_for(lang))


def clock_text(lang: str, day: date, moment: datetime) -> str:
    """The day (weekday, day, month, year from Babel) and the time of the centre's clock."""
    shown: Lang = lang_of(lang)
    digits = digits_for(lang)
    return f"{formatting.format_date(day, shown, digits, style='long')}   {formatting.format_time(moment, shown, digits)}"


def waiting_text(lang: str, groups: Sequence[GroupWaiting]) -> str:
    """``المنتظرون — الأحوال المدنية: ٣ أشخاص   •   …`` (each count in its plural form); each
    group's item is kept whole on one line, the line wraps only between items."""
    if not groups:
        return ""
    tr = translator(lang)
    parts = [unbreakable(tr.n("display.waiting_count", g.waiting, group=g.name_ar if tr.lang == "ar" else g.name_en))
             for g in groups]
    return tr("display.waiting_line", groups=GROUP_SEPARATOR.join(parts))


def ticker_text(lang: str, services: Sequence[TickerService]) -> str:
    """Each service with its mandatory documents and its fee."""
    tr = translator(lang)
    items = []
    for s in services:
        arabic = tr.lang == "ar"
        documents = formatting.join(list(s.documents_ar if arabic else s.documents_en), tr.lang)
        items.append(tr("display.ticker_item", service=s.name_ar if arabic else s.name_en,
                        documents=documents or tr("display.ticker_no_documents"),
                        fee=formatting.money(s.fee_piastres, tr.lang, tr.digits)))
    return TICKER_SEPARATOR.join(items)
