"""Labels of the printed documents, one catalogue keyed by message id.

Sentences are whole templates with ``{placeholders}``; values are wrapped in Unicode isolates so the
bidi algorithm never reorders a number, a date or a code inside Arabic text.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

Lang = Literal["ar", "en"]
LANGS: tuple[Lang, ...] = ("ar", "en")
CAIRO = ZoneInfo("Africa/Cairo")

LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"

CATALOGUE: dict[str, dict[Lang, str]] = {
    # ticket
    "ticket.title": {"ar": "تذكرة انتظار", "en": "Queue ticket"},
    "ticket.priority": {"ar": "★ أولوية ★", "en": "★ PRIORITY ★"},
    "ticket.waiting_ahead": {"ar": "المنتظرون قبلك: {count}", "en": "Waiting ahead of you: {count}"},
    "ticket.estimated_wait": {
        "ar": "الانتظار المتوقع: {minutes} دقيقة",
        "en": "Estimated wait: {minutes} min",
    },
    "ticket.footer": {
        "ar": "يرجى متابعة الشاشة حتى يظهر رقمك",
        "en": "Please watch the screen for your number",
    },
    # shared
    "common.issued": {"ar": "التاريخ: {datetime}", "en": "Date: {datetime}"},
    "common.reference": {"ar": "المرجع: {ref}", "en": "Reference: {ref}"},
    "common.service": {"ar": "الخدمة: {name}", "en": "Service: {name}"},
    "common.centre_code": {"ar": "كود المركز: {code}", "en": "Centre code: {code}"},
    "list.item": {"ar": "{n}- {text}", "en": "{n}. {text}"},
    "money": {"ar": "{amount} ج.م", "en": "EGP {amount}"},
    # receipt
    "receipt.title": {"ar": "إيصال سداد", "en": "Payment receipt"},
    "receipt.counter": {"ar": "الشباك: {name}", "en": "Counter: {name}"},
    "receipt.clerk": {"ar": "رقم الموظف: {number}", "en": "Clerk no.: {number}"},
    "receipt.tracking": {"ar": "كود التتبع", "en": "Tracking code"},
    "receipt.documents": {"ar": "المستندات المستلمة", "en": "Documents received"},
    "receipt.no_documents": {"ar": "لا يوجد", "en": "None"},
    "receipt.fees": {"ar": "الرسوم", "en": "Fees"},
    "receipt.total": {"ar": "الإجمالي", "en": "Total"},
    "receipt.payment": {"ar": "طريقة الدفع: {method}", "en": "Payment: {method}"},
    "receipt.payment_ref": {"ar": "مرجع الدفع: {ref}", "en": "Payment ref.: {ref}"},
    "receipt.verify": {
        "ar": "امسح الرمز للتحقق من صحة الإيصال",
        "en": "Scan the code to verify this receipt",
    },
    "receipt.keep": {
        "ar": "احتفظ بهذا الإيصال لمتابعة طلبك",
        "en": "Keep this receipt to follow your application",
    },
    "pay.cash": {"ar": "نقدًا", "en": "Cash"},
    "pay.card": {"ar": "بطاقة بنكية", "en": "Card"},
    "pay.epayment": {"ar": "دفع إلكتروني", "en": "E-payment"},
    # missing-documents slip
    "slip.title": {"ar": "إخطار بمستندات ناقصة", "en": "Missing documents"},
    "slip.intro": {
        "ar": "لاستكمال طلب «{service}» يرجى إحضار المستندات التالية:",
        "en": "To complete “{service}”, please bring the following documents:",
    },
    "slip.footer": {
        "ar": "عند عودتك قدّم هذا الإخطار للموظف",
        "en": "Show this slip at the counter when you come back",
    },
    # day close
    "dayclose.title": {"ar": "تقرير إغلاق اليوم", "en": "Day-close report"},
    "dayclose.date": {"ar": "يوم العمل: {date}", "en": "Business date: {date}"},
    "dayclose.tickets_issued": {"ar": "التذاكر الصادرة", "en": "Tickets issued"},
    "dayclose.tickets_served": {"ar": "التذاكر المخدومة", "en": "Tickets served"},
    "dayclose.no_shows": {"ar": "لم يحضر", "en": "No-shows"},
    "dayclose.applications": {"ar": "الطلبات", "en": "Applications"},
    "dayclose.by_method": {"ar": "التحصيل حسب طريقة الدفع", "en": "Collected by payment method"},
    "dayclose.by_service": {"ar": "حسب الخدمة", "en": "By service"},
    "dayclose.service_line": {
        "ar": "تذاكر {tickets} · طلبات {applications}",
        "en": "tickets {tickets} · applications {applications}",
    },
    "dayclose.grand_total": {"ar": "إجمالي التحصيل", "en": "Total collected"},
    "dayclose.skipped": {"ar": "تذاكر مؤجلة", "en": "Skipped"},
    "dayclose.times": {"ar": "الأزمنة بالدقائق: متوسط · وسيط · المئين التسعون", "en": "Times in minutes (mean · median · 90%)"},
    "dayclose.wait": {"ar": "الانتظار", "en": "Waiting"},
    "dayclose.service": {"ar": "الخدمة", "en": "Service"},
    "dayclose.expected": {"ar": "رسوم الطلبات المدفوعة", "en": "Fees of paid applications"},
    "dayclose.reconciled": {"ar": "المطابقة: التحصيل يطابق الإيصالات", "en": "Reconciled: collections match receipts"},
    "dayclose.not_reconciled": {
        "ar": "تنبيه: التحصيل لا يطابق الرسوم المستحقة",
        "en": "WARNING: collections do not match the fees due",
    },
    "dayclose.mismatched": {"ar": "طلب: {code}", "en": "Application: {code}"},
    "dayclose.closed": {"ar": "أُغلق في {datetime} بواسطة {user}", "en": "Closed at {datetime} by {user}"},
    "col.service": {"ar": "الخدمة", "en": "Service"},
    "col.tickets": {"ar": "التذاكر", "en": "Tickets"},
    "col.applications": {"ar": "الطلبات", "en": "Applications"},
    "col.amount": {"ar": "المبلغ", "en": "Amount"},
    "col.item": {"ar": "البند", "en": "Item"},
    "pdf.page": {"ar": "صفحة {page}", "en": "Page {page}"},
    # errors
    "err.generic": {"ar": "تعذرت الطباعة.", "en": "Printing failed."},
    "err.environment": {
        "ar": "الطابعة غير متاحة الآن. سيبقى أمر الطباعة محفوظًا لإعادة المحاولة.",
        "en": "The printer is not available now. The print job is kept for a retry.",
    },
    "err.offline": {
        "ar": "الطابعة غير متصلة. تحقق من الكابل أو الشبكة ثم أعد المحاولة.",
        "en": "The printer is offline. Check the cable or network, then retry.",
    },
    "err.not_found": {
        "ar": "لم يتم العثور على الطابعة. تأكد من توصيلها وتشغيلها.",
        "en": "The printer was not found. Check that it is plugged in and switched on.",
    },
    "err.permission": {
        "ar": "لا توجد صلاحية للكتابة إلى الطابعة.",
        "en": "No permission to write to the printer.",
    },
    "err.paper_out": {
        "ar": "نفد الورق من الطابعة. ضع بكرة جديدة ثم أعد المحاولة.",
        "en": "The printer is out of paper. Load a new roll, then retry.",
    },
    "err.config": {
        "ar": "إعداد الطابعة غير صحيح.",
        "en": "The printer configuration is wrong.",
    },
    "err.job_not_found": {"ar": "أمر الطباعة غير موجود.", "en": "Print job not found."},
}


def isolate(text: str, kind: str = LRI) -> str:
    """Wrap ``text`` in a directional isolate (LRI by default: numbers, dates, codes)."""
    if text.startswith((LRI, RLI, FSI)) and text.endswith(PDI):
        return text
    return f"{kind}{text}{PDI}"


def tr(message_id: str, lang: Lang = "ar", /, **params: object) -> str:
    """Translate ``message_id`` and fill its placeholders, each value isolated."""
    try:
        template = CATALOGUE[message_id][lang]
    except KeyError:
        raise KeyError(f"no message {message_id!r} for language {lang!r}") from None
    filled = {
        key: isolate(value, FSI) if isinstance(value, str) else isolate(str(value))
        for key, value in params.items()
    }
    return template.format(**filled)


def format_amount(piastres: int) -> str:
    """Integer piastres as pounds with two decimals, Western digits: 1250 -> "12.50"."""
    sign = "-" if piastres < 0 else ""
    pounds, rest = divmod(abs(piastres), 100)
    return f"{sign}{pounds:,}.{rest:02d}"


def format_money(piastres: int, lang: Lang = "ar") -> str:
    """ "12.50 ج.م" (amount first in reading order) or "EGP 12.50"; figure and whole isolated."""
    return isolate(tr("money", lang, amount=isolate(format_amount(piastres))), RLI if lang == "ar" else LRI)


def to_cairo(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times are stored in UTC and must be aware")
    return moment.astimezone(CAIRO)


def format_datetime(moment: datetime) -> str:
    """Cairo local time "2025-03-04 10:15", isolated."""
    return isolate(to_cairo(moment).strftime("%Y-%m-%d %H:%M"))


def format_date(day: date) -> str:
    return isolate(day.isoformat())
