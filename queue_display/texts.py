"""The display's texts in Arabic and English, and digits in the script of the language."""

from __future__ import annotations

from datetime import date, datetime

from printers.i18n import format_money

MESSAGES: dict[str, tuple[str, str]] = {
    "now_calling": ("النداء الآن", "Now calling"),
    "ticket": ("التذكرة", "Ticket"),
    "counter": ("الشباك {counter}", "Counter {counter}"),
    "go_to_counter": ("تفضل إلى الشباك {counter}", "Please go to counter {counter}"),
    "recent": ("النداءات الأخيرة", "Recent calls"),
    "waiting_line": ("المنتظرون — {groups}", "Waiting — {groups}"),
    "waiting_group": ("{group}: {count}", "{group}: {count}"),
    "nobody_called": ("لم يُنادَ أحد بعد", "Nobody called yet"),
    "reconnecting": ("انقطع الاتصال بقاعدة البيانات — جارٍ إعادة الاتصال…",
                     "Lost the connection to the database — reconnecting…"),
    "ticker_item": ("{service}: {documents} — الرسوم {fee}", "{service}: {documents} — fee {fee}"),
    "ticker_no_documents": ("لا مستندات مطلوبة", "no documents needed"),
    "window_title": ("شاشة الانتظار — شباك", "Shubbak — waiting hall"),
}

ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
WEEKDAYS = (("الاثنين", "Monday"), ("الثلاثاء", "Tuesday"), ("الأربعاء", "Wednesday"), ("الخميس", "Thursday"),
            ("الجمعة", "Friday"), ("السبت", "Saturday"), ("الأحد", "Sunday"))
MONTHS_AR = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر",
             "ديسمبر")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")


def tr(lang: str, key: str, **params: object) -> str:
    ar, en = MESSAGES[key]
    return (ar if lang == "ar" else en).format(**params)


def digits(lang: str, text: str) -> str:
    """Western digits become Arabic-Indic ones in Arabic."""
    return text.translate(ARABIC_DIGITS) if lang == "ar" else text


def ticket_text(lang: str, letter: str, number: int) -> str:
    """"A-042" (Arabic-Indic digits in Arabic), isolated left to right so the dash stays put."""
    return f"\u2066{letter}-{digits(lang, f'{number:03d}')}\u2069"


def date_text(lang: str, day: date) -> str:
    weekday = WEEKDAYS[day.weekday()][0 if lang == "ar" else 1]
    if lang == "ar":
        return f"{weekday} {digits(lang, str(day.day))} {MONTHS_AR[day.month - 1]} {digits(lang, str(day.year))}"
    return f"{weekday} {day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def time_text(lang: str, moment: datetime) -> str:
    return f"\u2066{digits(lang, moment.strftime('%H:%M'))}\u2069"


def money_text(lang: str, piastres: int) -> str:
    return digits(lang, format_money(piastres, "ar" if lang == "ar" else "en"))
