"""The core's messages read in the user's language, counts in their plural forms, codes in order.

* every error code, action, state, field and "what" the core can put into a message has an entry
  in both catalogues: the enumerations are walked and the raise sites are read;
* no raise site passes words as a field value (``detail="applicant name"``,
  ``what=f"user {id}"``, ``state="paid"``): fields are ``Msg``, ``Name``, numbers or codes;
* every core error, rendered in Arabic, holds no Latin letter outside an isolated code;
* missing documents take Arabic's six plural forms;
* a tracking code inside an Arabic message is laid out by Qt in the receipt's order.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from counter_app.common import formatting
from counter_app.common.i18n import FSI, LANGS, LRI, PDI, Msg, gettext, has_message, strip_isolates
from counter_app.common.tracking import new_tracking_code
from counter_app.core import applications, errors, review, settings
from counter_app.core.db import Database
from counter_app.core.errors import (
    ACTION_IDS,
    ERROR_IDS,
    ApplicantFieldError,
    AuthenticationFailed,
    DatabaseCorrupt,
    DomainError,
    EnvironmentFailure,
    IllegalTicketAction,
    IllegalTransition,
    Name,
    NotFound,
    PermissionDenied,
    SeparationOfDutiesViolation,
    ShubbakError,
    ValidationFailed,
)
from counter_app.core.models import ApplicationState, RequestState, TicketStatus
from tests.helpers.bidi import assert_reads_in_order, reads_in_order
from tests.helpers.factories import Centre

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "counter_app" / "core").glob("*.py")) + [ROOT / "counter_app" / "cli.py"]
ERROR_CLASSES = {name: obj for name, obj in vars(errors).items()
                 if isinstance(obj, type) and issubclass(obj, ShubbakError)}
TRACKING = "1322-1812-6843"
ARABIC = re.compile("[\u0600-\u06ff]")
LATIN = re.compile("[A-Za-z]+")


def in_both(msgid: str) -> bool:
    return all(has_message(msgid, lang) for lang in LANGS)


def call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def calls() -> Iterator[tuple[str, ast.Call]]:
    """(place, call) of every call in the core's sources."""
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                yield f"{path.relative_to(ROOT)}:{node.lineno}", node


def error_calls() -> Iterator[tuple[str, str, ast.Call]]:
    for where, node in calls():
        name = call_name(node)
        if name in ERROR_CLASSES:
            yield where, name, node


def constant(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


# --- every id a message can need exists -------------------------------------------------------

def raised_codes() -> set[str]:
    codes = {cls.code for cls in ERROR_CLASSES.values()}
    for _where, _name, node in error_calls():
        first = constant(node.args[0]) if node.args else None
        if first is not None:
            codes.add(first)
    return codes


def test_error_codes_are_literals() -> None:
    """A code is written out where the error is raised, so the catalogue can be checked."""
    offenders = [f"{where}: {ast.unparse(node.args[0])}" for where, _name, node in error_calls()
                 if node.args and constant(node.args[0]) is None]
    assert offenders == []


def test_every_error_code_has_its_message_and_no_message_is_left_over() -> None:
    used = {f"error.{code}" for code in raised_codes()}
    assert used <= ERROR_IDS, sorted(used - ERROR_IDS)
    # error.unexpected is what a window shows for an exception that is not a ShubbakError
    assert ERROR_IDS - used <= {"error.unexpected"}, sorted(ERROR_IDS - used)
    assert [msgid for msgid in sorted(ERROR_IDS) if not in_both(msgid)] == []


def named_actions() -> set[str]:
    actions = set(applications.TRANSITIONS)
    for _where, name, node in error_calls():
        for kw in node.keywords:
            if kw.arg == "action" and name in ("IllegalTransition", "IllegalTicketAction"):
                value = constant(kw.value)
                if value is not None:
                    actions.add(value)
    for _where, node in calls():
        if call_name(node) == "_require_called_at":  # the counter's actions on a ticket
            value = constant(node.args[-1])
            assert value is not None
            actions.add(value)
    return actions


def test_every_action_named_in_a_message_has_an_entry() -> None:
    actions = named_actions()
    assert {"submit", "pay", "cancel", "refund", "reassign", "waive", "finish", "no_show", "transfer"} <= actions
    assert {f"action.{a}" for a in actions} == ACTION_IDS
    for msgid in ACTION_IDS:
        assert in_both(msgid), msgid
        assert ARABIC.search(gettext(msgid, "ar")), msgid


@pytest.mark.parametrize(("prefix", "values"), [
    ("state.", [s.value for s in ApplicationState]),
    ("state.ticket.", [s.value for s in TicketStatus]),
    ("state.request.", [s.value for s in RequestState]),
])
def test_every_state_a_message_can_name_has_an_entry(prefix: str, values: list[str]) -> None:
    for value in values:
        msgid = prefix + value
        assert in_both(msgid), msgid
        assert ARABIC.search(gettext(msgid, "ar")) and not ARABIC.search(gettext(msgid, "en")), msgid


def test_rejection_reasons_are_codes_with_a_label_each() -> None:
    assert all(isinstance(code, str) and code.isidentifier() for code in review.REJECTION_REASONS)
    assert review.REJECTION_REASON_IDS == tuple(f"reject_reason.{c}" for c in review.REJECTION_REASONS)
    assert "other" in review.REJECTION_REASONS
    for msgid in review.REJECTION_REASON_IDS:
        assert in_both(msgid) and ARABIC.search(gettext(msgid, "ar")), msgid


def literal_ids() -> dict[str, str]:
    """Every literal message id the core passes to Msg, N_, gettext or ngettext."""
    found: dict[str, str] = {}
    for where, node in calls():
        if call_name(node) in ("Msg", "N_", "gettext", "ngettext") and node.args:
            msgid = constant(node.args[0])
            if msgid is not None:
                found.setdefault(msgid, where)
    return found


def test_every_literal_id_of_the_core_is_in_both_catalogues() -> None:
    found = literal_ids()
    assert len(found) > 60
    assert {msgid: where for msgid, where in found.items() if not in_both(msgid)} == {}


def test_no_raise_site_passes_words_as_a_field() -> None:
    """A field is a Msg, a Name, a number or a formatted code, never a word or an f-string."""
    offenders = []
    for where, name, node in error_calls():
        for kw in node.keywords:
            if kw.arg is None or (name == "EnvironmentFailure" and kw.arg == "detail"):  # detail: for the log
                continue
            if kw.arg == "action" and name in ("IllegalTransition", "IllegalTicketAction"):
                continue  # an action's name, translated by the error (checked above)
            value = kw.value
            if isinstance(value, ast.JoinedStr) or constant(value) is not None:
                offenders.append(f"{where}: {kw.arg}={ast.unparse(value)}")
            elif kw.arg in ("what", "detail") and not (isinstance(value, ast.Call) and call_name(value) == "Msg"):
                offenders.append(f"{where}: {kw.arg}={ast.unparse(value)} is not a Msg")
    assert offenders == []


# --- rendered in Arabic, no English is left ---------------------------------------------------

APP_ACTIONS = sorted(set(applications.TRANSITIONS) | {"set_documents", "pay", "reassign", "cancel", "refund", "waive"})
TICKET_ACTIONS = ["finish", "recall", "no_show", "skip", "transfer"]
WHATS = [
    (Msg("what.application", id=12), ()),
    (Msg("what.tracking_code", code=formatting.tracking_code(TRACKING)), (TRACKING,)),
    (Msg("what.service", code=formatting.code("MP-REG-CERT")), ("MP-REG-CERT",)),
    (Msg("what.counter", id=3), ()),
    (Msg("what.ticket", id=40), ()),
    (Msg("what.request", id=7), ()),
    (Msg("what.user", id=5), ()),
    (Msg("what.department", code=formatting.code("MANPOWER")), ("MANPOWER",)),
    (Msg("what.document", code=formatting.code("NID-COPY")), ("NID-COPY",)),
    (Msg("what.centre"), ()),
    (Msg("what.refund", id=9), ()),
]


@functools.cache
def typical_errors() -> list[tuple[ShubbakError, tuple[str, ...]]]:
    """Each error the core raises, with the parameters its raise sites give: (error, its codes)."""
    code = formatting.code
    fields = sorted({msgid for msgid in literal_ids() if msgid.startswith("field.")})
    cases: list[tuple[ShubbakError, tuple[str, ...]]] = [
        (ShubbakError(), ()),
        (DomainError("unexpected"), ()),
        (PermissionDenied(), ()),
        (SeparationOfDutiesViolation(), ()),
        *[(SeparationOfDutiesViolation(f"sod_{rule}"), ())
          for rule in ("own_request", "receiver_cannot_approve", "override_and_approve")],
        (AuthenticationFailed(), ()),
        (AuthenticationFailed("account_inactive"), ()),
        (AuthenticationFailed("account_locked", n=15), ()),
        (ValidationFailed("weak_password", n=8), ()),
        (ValidationFailed("cannot_disable_self"), ()),
        (ValidationFailed("username_taken", username=code("clerk7")), ("clerk7",)),
        (EnvironmentFailure(detail="database is locked"), ()),
        (DatabaseCorrupt(path=code("/srv/shubbak/centre.sqlite3")), ("/srv/shubbak/centre.sqlite3",)),
        (ApplicantFieldError("applicant_name", field="name"), ()),
        (ApplicantFieldError("applicant_phone", field="phone", mobile=code("01012345678"),
                             landline=code("0223456789")), ("01012345678", "0223456789")),
        (ValidationFailed("reason_required"), ()),
        (ValidationFailed("tracking_code_invalid"), ()),
        (DomainError("service_inactive", service=Name("شهادة قيد", "Registration certificate")), ()),
        (DomainError("email_invalid", email=code("someone@example")), ("someone@example",)),
        (DomainError("missing_documents", n=7), ()),
        (ValidationFailed("unknown_documents", n=2, codes=code("X-1, X-2")), ("X-1, X-2",)),
        (DomainError("payment_required"), ()),
        (ValidationFailed("payment_reference_required"), ()),
        (ValidationFailed("payment_method_unknown", method=code("bitcoin")), ("bitcoin",)),
        (IllegalTransition("already_paid"), ()),
        (DomainError("request_pending"), ()),
        (ValidationFailed("not_a_department_reviewer"), ()),
        (DomainError("catalogue_older", version=3, current=5), ()),
        (DomainError("counter_group_unknown", letter=code("Z")), ("Z",)),
        (ValidationFailed("counter_exists", number=formatting.counter_number(4)), ()),
        (DomainError("recall_limit", n=3), ()),
        (DomainError("recalls_pending", n=2), ()),
        (ValidationFailed("transfer_target"), ()),
        (ValidationFailed("transfer_same_counter"), ()),
        (ValidationFailed("transfer_same_group", letter=code("A")), ("A",)),
        (ValidationFailed("cash_received_required"), ()),
        (ValidationFailed("cash_received_short", fee=Msg("money.amount", amount=formatting.amount(2500)),
                          received=Msg("money.amount", amount=formatting.amount(2000))), ()),
        (ValidationFailed("collector_relation_required"), ()),
        (ValidationFailed("power_of_attorney_required"), ()),
        (ValidationFailed("department_required"), ()),
        (ValidationFailed("reset_own_password"), ()),
        (ValidationFailed("refund_not_applicant"), ()),
        (IllegalTransition("refund_already_paid"), ()),
        (SeparationOfDutiesViolation("sod_approver_cannot_pay"), ()),
        (DomainError("intake_needs_ticket", key=code("F2")), ("F2",)),
        (DomainError("intake_ticket_not_called"), ()),
        *[(DomainError(code_, day=date(2026, 11, 25)), ("2026-11-25",))
          for code_ in ("day_closed", "day_not_closed", "day_reopen_needed")],
        (DomainError("booking_unknown"), ()),
        (DomainError("booking_offline"), ()),
        (ValidationFailed("booking_entry_invalid"), ()),
        *[(DomainError(code_, code=code("ABCD2345")), ("ABCD2345",)) for code_ in ("booking_checked_in",
                                                                                  "booking_cancelled")],
        (DomainError("booking_other_day", code=code("ABCD2345"), day=formatting.format_date(date(2026, 11, 27), "en"),
                     when=code("10:30")), ("ABCD2345", "2026-11-27", "10:30")),
        *[(settings.invalid(key, "ratio:x"), ("ratio:x",)) for key in settings.SETTING_FIELDS],
        *[(ValidationFailed(detail=Msg(field)), ()) for field in fields],
        *[(NotFound(what=what), codes) for what, codes in WHATS],
        *[(IllegalTransition(action=a, state=s), ()) for a in APP_ACTIONS for s in ApplicationState],
        *[(IllegalTicketAction(action=a, status=s), ()) for a in TICKET_ACTIONS for s in TicketStatus],
        *[(IllegalTransition("request_decided", state=Msg(f"state.request.{r.value}")), ()) for r in RequestState],
    ]
    return cases


def test_the_typical_errors_cover_every_code_field_what_and_action() -> None:
    cases = typical_errors()
    assert {f"error.{err.code}" for err, _ in cases} == ERROR_IDS
    whats = {msgid for msgid in literal_ids() if msgid.startswith("what.")}
    assert whats == {what.msgid for what, _ in WHATS}
    assert set(APP_ACTIONS) | set(TICKET_ACTIONS) == named_actions()


def latin_outside_codes(text: str, codes: tuple[str, ...]) -> list[str]:
    """The Latin words of ``text`` once each isolated code is taken out."""
    for value in codes:
        assert f"{LRI}{value}{PDI}" in text or f"{FSI}{value}{PDI}" in text, f"{value!r} is not isolated in {text!r}"
        text = text.replace(value, "")
    return LATIN.findall(strip_isolates(text))


def test_latin_outside_codes_sees_english_words() -> None:
    """The check below would have caught the old messages."""
    old = "البيانات غير صحيحة: applicant name"
    assert latin_outside_codes(old, ()) == ["applicant", "name"]
    assert latin_outside_codes(f"لم يتم العثور على {FSI}user 5{PDI}.", ()) == ["user"]


@pytest.mark.parametrize("case", range(len(typical_errors())))
def test_every_core_error_reads_in_arabic_without_english(case: int) -> None:
    err, codes = typical_errors()[case]
    ar, en = err.message("ar"), err.message("en")
    assert ARABIC.search(ar), ar
    assert latin_outside_codes(ar, codes) == [], strip_isolates(ar)
    assert "{" not in ar and "{" not in en
    assert not ARABIC.search(en), en
    assert str(err) == en
    assert err.message("fr") == ar  # Arabic is the default
    assert not re.search(r"\b(error|what|field|action|state)\.[a-z_.]+", strip_isolates(ar + en)), (ar, en)


def test_a_catalogue_name_reads_in_the_language_of_the_sentence() -> None:
    err = DomainError("service_inactive", service=Name("شهادة قيد", "Registration certificate"))
    assert strip_isolates(err.message("ar")) == "الخدمة «شهادة قيد» غير متاحة حاليًا."
    assert strip_isolates(err.message("en")) == "The service Registration certificate is not available."


def test_illegal_transition_names_the_action_and_the_state_in_the_language() -> None:
    err = IllegalTransition(action="cancel", state=ApplicationState.APPROVED)
    assert strip_isolates(err.message("ar")) == "لا يمكن تنفيذ «إلغاء» على طلب حالته «معتمد»."
    assert strip_isolates(err.message("en")) == "Cannot cancel an application that is approved."
    ticket = IllegalTicketAction(action="no_show", status=TicketStatus.WAITING)
    assert strip_isolates(ticket.message("ar")) == "لا يمكن تنفيذ «لم يحضر» على تذكرة حالتها «في الانتظار»."
    invalid = ValidationFailed(detail=Msg("field.collector_name"))
    assert strip_isolates(invalid.message("ar")) == "البيانات غير صحيحة: اسم المستلم"
    assert strip_isolates(invalid.message("en")) == "Invalid data: collector's name"


# --- plural forms -----------------------------------------------------------------------------

@pytest.mark.parametrize(("n", "arabic"), [
    (0, "لا يمكن تقديم الطلب: لا ينقصه أي مستند إلزامي."),
    (1, "لا يمكن تقديم الطلب: ينقصه مستند إلزامي واحد."),
    (2, "لا يمكن تقديم الطلب: ينقصه مستندان إلزاميان."),
    (3, "لا يمكن تقديم الطلب: تنقصه 3 مستندات إلزامية."),
    (11, "لا يمكن تقديم الطلب: ينقصه 11 مستندًا إلزاميًا."),
    (100, "لا يمكن تقديم الطلب: ينقصه 100 مستند إلزامي."),
])
def test_missing_documents_take_the_six_arabic_plural_forms(n: int, arabic: str) -> None:
    err = DomainError("missing_documents", n=n)
    assert strip_isolates(err.message("ar")) == arabic
    if n > 2:
        assert f"{LRI}{n}{PDI}" in err.message("ar")  # the count is isolated with its digits
    english = f"The application cannot be submitted: {n} mandatory document{'' if n == 1 else 's'} " \
              f"{'is' if n == 1 else 'are'} missing."
    assert strip_isolates(err.message("en")) == english


@pytest.mark.parametrize(("n", "arabic"), [
    (1, "الحساب موقوف مؤقتًا بعد محاولات دخول خاطئة متكررة. حاول بعد دقيقة واحدة."),
    (2, "الحساب موقوف مؤقتًا بعد محاولات دخول خاطئة متكررة. حاول بعد دقيقتين."),
    (5, "الحساب موقوف مؤقتًا بعد محاولات دخول خاطئة متكررة. حاول بعد 5 دقائق."),
    (15, "الحساب موقوف مؤقتًا بعد محاولات دخول خاطئة متكررة. حاول بعد 15 دقيقة."),
])
def test_lockout_minutes_take_their_plural_form(n: int, arabic: str) -> None:
    assert strip_isolates(AuthenticationFailed("account_locked", n=n).message("ar")) == arabic


# --- a code keeps its order -------------------------------------------------------------------

def test_a_tracking_code_not_found_reads_in_order_in_arabic(db: Database, site: Centre, qapp: object) -> None:
    code = new_tracking_code()
    with db.read() as s, pytest.raises(NotFound) as err:
        applications.find_by_tracking_code(s, code)
    text = err.value.message("ar")
    assert strip_isolates(text) == f"لم يتم العثور على طلب برقم المتابعة {code}."
    assert_reads_in_order(text, code)
    # the old message put the bare code in the sentence: Qt showed its groups in reverse order
    assert not reads_in_order(f"لم يتم العثور على {code}.", code)
    assert_reads_in_order(err.value.message("en"), code, rtl=False)
