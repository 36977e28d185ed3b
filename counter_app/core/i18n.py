"""The core's message catalogue: every user-facing text the core produces, in Arabic and English.

Messages are looked up by id and filled with ``str.format`` placeholders; no sentence is built
by concatenation. Arabic is the default language.
"""

from __future__ import annotations

from typing import Any

DEFAULT_LANG = "ar"

MESSAGES: dict[str, dict[str, str]] = {
    "error": {"ar": "حدث خطأ غير متوقع.", "en": "An unexpected error occurred."},
    "not_found": {"ar": "لم يتم العثور على {what}.", "en": "{what} was not found."},
    "illegal_transition": {
        "ar": "لا يمكن تنفيذ «{action}» على طلب حالته «{state}».",
        "en": "Cannot {action} an application that is {state}.",
    },
    "ticket_illegal": {
        "ar": "لا يمكن تنفيذ «{action}» على تذكرة حالتها «{state}».",
        "en": "Cannot {action} a ticket that is {state}.",
    },
    "permission_denied": {
        "ar": "ليست لديك صلاحية تنفيذ هذا الإجراء.",
        "en": "You are not allowed to do this.",
    },
    "separation_of_duties": {
        "ar": "لا يجوز لمن استلم الطلب أن يراجعه أو يبت فيه.",
        "en": "The user who received an application can never review or decide it.",
    },
    "validation": {"ar": "البيانات غير صحيحة: {detail}", "en": "Invalid data: {detail}"},
    "email_invalid": {"ar": "البريد الإلكتروني غير صحيح: {email}", "en": "The email address is not valid: {email}"},
    "sod_own_request": {
        "ar": "لا يجوز لأحد أن يوافق على طلب قدّمه بنفسه.",
        "en": "Nobody may approve a request they made themselves.",
    },
    "sod_receiver_cannot_approve": {
        "ar": "لا يجوز لمن استلم الطلب أن يوافق على إلغائه أو رد رسومه.",
        "en": "The user who received an application may not approve its cancellation or refund.",
    },
    "sod_override_and_approve": {
        "ar": "لا يجوز لمن تجاوز إجراءً على هذا الملف أن يوافق على طلب بشأنه.",
        "en": "A user who overrode a rule on this file may not approve a request on it.",
    },
    "request_pending": {
        "ar": "يوجد طلب قائم على هذا الملف بانتظار قرار المشرف.",
        "en": "A request on this file is already waiting for a supervisor's decision.",
    },
    "not_a_department_reviewer": {
        "ar": "المستخدم المختار ليس مراجعًا نشطًا في إدارة هذه الخدمة.",
        "en": "The chosen user is not an active reviewer of this service's department.",
    },
    "cannot_disable_self": {
        "ar": "لا يمكنك تعطيل حسابك أنت.",
        "en": "You cannot disable your own account.",
    },
    "missing_documents": {
        "ar": "لا يمكن تقديم الطلب: مستندات إلزامية ناقصة ({count}).",
        "en": "The application cannot be submitted: {count} mandatory document(s) missing.",
    },
    "payment_required": {
        "ar": "يجب تسجيل الدفع قبل تقديم الطلب.",
        "en": "The payment must be recorded before the application is submitted.",
    },
    "payment_reference_required": {
        "ar": "رقم المرجع مطلوب للدفع بالبطاقة أو الدفع الإلكتروني.",
        "en": "A reference is required for card and e-payment.",
    },
    "reason_required": {"ar": "يجب ذكر السبب.", "en": "A reason is required."},
    "no_reviewer": {
        "ar": "لا يوجد مراجع متاح لإدارة «{department}».",
        "en": "No reviewer is available for department {department}.",
    },
    "bad_credentials": {
        "ar": "اسم المستخدم أو كلمة المرور غير صحيحة.",
        "en": "Wrong user name or password.",
    },
    "account_locked": {
        "ar": "الحساب موقوف مؤقتًا بعد محاولات دخول خاطئة متكررة. حاول بعد {minutes} دقيقة.",
        "en": "The account is locked after repeated failed logins. Try again in {minutes} minutes.",
    },
    "account_inactive": {"ar": "هذا الحساب معطل.", "en": "This account is disabled."},
    "weak_password": {
        "ar": "كلمة المرور قصيرة: الحد الأدنى {minimum} أحرف.",
        "en": "The password is too short: at least {minimum} characters.",
    },
    "counter_group_unknown": {
        "ar": "مجموعة الخدمة «{letter}» غير معروفة.",
        "en": "Unknown service group {letter}.",
    },
    "service_inactive": {
        "ar": "الخدمة «{service}» غير متاحة حاليًا.",
        "en": "The service {service} is not available.",
    },
    "catalogue_older": {
        "ar": "إصدار الدليل {version} ليس أحدث من الإصدار المطبق {current}.",
        "en": "Catalogue version {version} is not newer than the applied version {current}.",
    },
    "tracking_code_invalid": {
        "ar": "رقم المتابعة غير صحيح.",
        "en": "The tracking code is not valid.",
    },
    "database_unavailable": {
        "ar": "قاعدة البيانات غير متاحة أو مشغولة الآن، لم يُفقد شيء. حاول مرة أخرى.",
        "en": "The database is unavailable or busy right now; nothing was lost. Please try again.",
    },
}


def translate(message_id: str, lang: str = DEFAULT_LANG, /, **params: Any) -> str:
    texts = MESSAGES.get(message_id) or MESSAGES["error"]
    template = texts.get(lang) or texts["en"]
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template
