"""The slot management page (issue 20, item 1): ``/reports/appointments`` (Arabic first; ``?lang=en``),
for the people of :mod:`sync.server.accounts`. No script: plain links and same-origin POST forms.

* ``GET /reports/appointments?centre=C``: the centres the person sees; a centre's rules per service
  group (opening hours by weekday, slot length, places per slot, how far ahead and how late one may
  book) and its closed days with the public holidays. A national administrator and a governorate
  supervisor (for their governorate's centres) get forms; a centre viewer reads them only;
* ``POST /reports/appointments/rule``: a group's rule (answered by a redirect to the page, or the
  page again with each wrong field's reason next to it and what was typed kept);
* ``POST /reports/appointments/closure`` and ``.../closure/delete``: add or remove a closed day of the
  centre (or, by a national administrator, a public holiday). A day with booked bookings asks first:
  the page again, the number of its bookings (every centre's, for a public holiday) above the form
  and a Confirm button (the form's values and ``confirm=1`` hidden); confirmed, they are cancelled
  and each citizen texted (:func:`.manage.set_closure`), and the page says how many.

The rules of who may and what is valid are :mod:`sync.server.appointments.manage`'s, as the
management API's; each change is audited there. Without a session the pages answer 401 with the
login form, which comes back here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from counter_app.common import formatting
from counter_app.common.clock import as_utc, local_day, to_local, utcnow
from counter_app.common.i18n import N_, Lang, gettext, lang_of
from sync.server.accounts import Scope
from sync.server.appointments import manage, slots
from sync.server.appointments.errors import AppointmentError
from sync.server.db import ServerDatabase
from sync.server.errors import ApiError
from sync.server.models import AppointmentRule, EnrolledCentre
from sync.server.portal.catalogue import latest_catalogue
from sync.server.report_page import render_login
from sync.server.reports import PAGE_HEADERS
from sync.server.sessions import client_of, posted_form, request_scope

PATH = "/reports/appointments"
MAX_FORM_BYTES = 8192
MAX_FIELDS = 80
#: The weekdays in the order of an Egyptian week (Saturday first); Monday is 0.
WEEK = (5, 6, 0, 1, 2, 3, 4)
#: Periods shown per weekday at least (a weekday with more shows them and one empty more).
PERIODS = 2
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])(:00)?$")
#: The rule's whole numbers: field -> (smallest, largest).
NUMBERS = {"slot_minutes": (5, slots.MAX_SLOT_MINUTES), "places": (1, slots.MAX_PLACES),
           "horizon_days": (1, slots.MAX_HORIZON_DAYS), "cutoff_days_before": (0, 7)}
#: A done action's notice (``?done=``).
DONE = {"rule": N_("appt_admin.done_rule"), "closure": N_("appt_admin.done_closure"),
        "closure_cancelled": N_("appt_admin.done_closure_cancelled"), "removed": N_("appt_admin.done_removed")}
#: A refusal of :mod:`manage` shown above a form.
REFUSED = {"forbidden": N_("appt_admin.forbidden"), "unknown_centre": N_("appt_admin.unknown_centre"),
           "not_found": N_("appt_admin.not_found"), "bad_rule": N_("appt_admin.bad_rule")}

#: The fields' labels.
FIELD_IDS = {"slot_minutes": N_("appt_admin.slot_minutes"), "places": N_("appt_admin.places"),
          "horizon_days": N_("appt_admin.horizon_days"), "cutoff_days_before": N_("appt_admin.cutoff_days_before"),
          "cutoff_time": N_("appt_admin.cutoff_time"), "day": N_("appt_admin.closure_day"),
          "reason_ar": N_("appt_admin.closure_reason_ar"), "reason_en": N_("appt_admin.closure_reason_en")}

templates = Environment(
    loader=FileSystemLoader(str(files("sync.server") / "templates")),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True, lstrip_blocks=True, auto_reload=False,
)


@dataclass
class Problem:
    """A wrong field: its message id and the message's values."""

    msgid: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class RuleForm:
    """A group's rule as the form shows it: the fields' texts and the wrong ones' problems."""

    values: dict[str, str]
    problems: dict[str, Problem] = field(default_factory=dict)
    refused: str = ""  # a refusal key of the whole form

    def periods(self, weekday: int) -> int:
        """The periods the form shows for ``weekday``: those filled and an empty one to add (at least
        :data:`PERIODS`, at most the rule's 6)."""
        used = max((i + 1 for i in range(6)
                    if self.values.get(f"h{weekday}_{i}_from") or self.values.get(f"h{weekday}_{i}_to")), default=0)
        return min(max(PERIODS, used + 1), 6)


def rule_values(row: AppointmentRule) -> dict[str, str]:
    values = {"slot_minutes": str(row.slot_minutes), "places": str(row.places), "horizon_days": str(row.horizon_days),
              "cutoff_days_before": str(row.cutoff_days_before), "cutoff_time": row.cutoff_time}
    for weekday, periods in json.loads(row.hours).items():
        for i, (begin, end) in enumerate(periods):
            values[f"h{weekday}_{i}_from"], values[f"h{weekday}_{i}_to"] = begin, end
    return values


NEW_RULE = {"slot_minutes": "30", "places": "2", "horizon_days": "14", "cutoff_days_before": "1",
            "cutoff_time": "18:00"}


def read_rule(form: dict[str, list[str]]) -> tuple[RuleForm, slots.Rule | None]:
    """The rule typed in the form, or the form again with each wrong field's problem."""
    values: dict[str, str] = {}
    for name, given in form.items():
        if re.fullmatch(r"h[0-6]_[0-5]_(from|to)", name) or name in NUMBERS or name == "cutoff_time":
            values[name] = given[0].strip()[:8]
    result = RuleForm(values)
    problems = result.problems
    numbers: dict[str, int] = {}
    for name, (low, high) in NUMBERS.items():
        text = values.get(name, "")
        if not (text.isascii() and text.isdigit() and low <= int(text) <= high):
            problems[name] = Problem(N_("appt_admin.err_number"), {"low": low, "high": high})
        else:
            numbers[name] = int(text)
    cutoff = values.get("cutoff_time", "")
    if not _HHMM.match(cutoff):
        problems["cutoff_time"] = Problem(N_("appt_admin.err_time"))
    hours: dict[str, list[list[str]]] = {}
    step = numbers.get("slot_minutes")
    for weekday in range(7):
        last_end = -1
        for i in range(6):
            begin, end = values.get(f"h{weekday}_{i}_from", ""), values.get(f"h{weekday}_{i}_to", "")
            key = f"h{weekday}_{i}"
            if not begin and not end:
                continue
            if not begin or not end:
                problems[key] = Problem(N_("appt_admin.err_period_both"))
                continue
            if not (_HHMM.match(begin) and _HHMM.match(end)):
                problems[key] = Problem(N_("appt_admin.err_time"))
                continue
            first, last = int(begin[:2]) * 60 + int(begin[3:5]), int(end[:2]) * 60 + int(end[3:5])
            if last <= first:
                problems[key] = Problem(N_("appt_admin.err_end_before_start"))
            elif first < last_end:
                problems[key] = Problem(N_("appt_admin.err_overlap"))
            elif step and (last - first) % step:
                problems[key] = Problem(N_("appt_admin.err_uneven"))
            else:
                hours.setdefault(str(weekday), []).append([begin[:5], end[:5]])
                last_end = last
    if problems:
        return result, None
    try:
        rule = slots.parse_rule({"hours": hours, **numbers, "cutoff_time": cutoff[:5]})
        manage.check_rule(rule)
    except AppointmentError as exc:  # what the form's own checks let through: said above the form
        result.refused = exc.key
        return result, None
    return result, rule


@dataclass
class ClosureForm:
    values: dict[str, str] = field(default_factory=dict)
    problems: dict[str, Problem] = field(default_factory=dict)
    refused: str = ""
    #: the day's booked bookings, when closing it needs the confirmation (they would be cancelled)
    bookings: int | None = None
    day_text: str = ""  # that day, as the confirmation says it


def read_closure(form: dict[str, list[str]], today: date) -> tuple[ClosureForm, date | None]:
    values = {name: (form.get(name) or [""])[0].strip()[:200] for name in ("day", "reason_ar", "reason_en", "target")}
    result = ClosureForm(values)
    day: date | None = None
    try:
        day = date.fromisoformat(values["day"]) if len(values["day"]) == 10 else None
    except ValueError:
        day = None
    if day is None:
        result.problems["day"] = Problem(N_("appt_admin.err_day"))
    elif day < today:
        result.problems["day"] = Problem(N_("appt_admin.err_past_day"))
    for name in ("reason_ar", "reason_en"):
        if not values[name] or not values[name].isprintable():
            result.problems[name] = Problem(N_("appt_admin.err_reason"))
    return result, None if result.problems else day


@dataclass(frozen=True)
class Group:
    letter: str
    name: str


def _weekday(weekday: int, lang: Lang) -> str:
    return formatting.weekday_name(date(2024, 1, 1 + weekday), lang)  # 1 January 2024 was a Monday


def _centre_name(row: EnrolledCentre, lang: Lang) -> str:
    return (row.name_ar if lang == "ar" else row.name_en) or row.name_ar or row.name_en or row.name or row.code


def render(lang: Lang, **context: Any) -> str:
    def text(msgid: str, /, **fields: Any) -> str:
        return gettext(msgid, lang, **fields)

    def problem(found: Problem | None) -> str:
        return gettext(found.msgid, lang, **found.values) if found else ""

    return templates.get_template("appointment_slots.html").render(
        lang=lang, dir="rtl" if lang == "ar" else "ltr", other="en" if lang == "ar" else "ar", text=text,
        problem=problem, week=[(w, _weekday(w, lang)) for w in WEEK], path=PATH, refused_ids=REFUSED,
        labels=FIELD_IDS, **context)


def page(session: Session, scope: Scope, lang: Lang, centre: str, now: datetime, *,
         editing: dict[str, RuleForm] | None = None, closure: ClosureForm | None = None,
         done: str = "", count: int = 0) -> tuple[str, int]:
    """The page of ``centre`` ('' : the choice of a centre) for ``scope``, with the forms being corrected."""
    centres = manage.visible_centres(session, scope)
    if not centre and len(centres) == 1:
        centre = centres[0].code
    context: dict[str, Any] = {
        "who": scope.username, "centres": [(c.code, _centre_name(c, lang)) for c in centres], "centre": centre,
        "done": gettext(DONE[done], lang, n=count) if done in DONE else "", "national": scope.national,
        "switch": f"{PATH}?{urlencode({'lang': 'en' if lang == 'ar' else 'ar', **({'centre': centre} if centre else {})})}"}
    if not centre:
        return render(lang, row=None, **context), 200
    try:
        row = manage.centre_for(session, scope, centre, write=False)
    except AppointmentError:  # a centre the person does not see answers as an unknown one
        return render(lang, row=None, missing=gettext(REFUSED["unknown_centre"], lang), **context), 404
    writable = manage.may_write(scope, row)
    rules = {r.group_letter: r for r in manage.rules_of(session, scope, centre)}
    catalogue = latest_catalogue(session)
    groups = [Group(g.letter, g.name_ar if lang == "ar" else g.name_en) for g in (catalogue.groups if catalogue else ())]
    groups += [Group(letter, letter) for letter in sorted(set(rules) - {g.letter for g in groups})]
    forms = {g.letter: (editing or {}).get(g.letter) or RuleForm(rule_values(rules[g.letter]) if g.letter in rules
                                                                  else dict(NEW_RULE)) for g in groups}
    today = local_day(now)
    closures = [(c, "national" if c.centre_code == slots.NATIONAL else centre,
                 formatting.format_date(c.day, lang, style="long"),
                 c.reason_ar if lang == "ar" else c.reason_en) for c in manage.closures_of(session, scope, centre, today)]

    def updated(rule: AppointmentRule) -> str:
        return to_local(as_utc(rule.updated_at)).strftime("%Y-%m-%d %H:%M")

    return render(lang, row=row, name=_centre_name(row, lang), writable=writable, groups=groups, rules=rules,
                  forms=forms, closures=closures, closure=closure or ClosureForm(), today=today.isoformat(),
                  updated=updated, **context), 200


def add_routes(app: FastAPI, db: ServerDatabase, admin_token: str) -> None:
    def login(lang: Lang) -> HTMLResponse:
        return HTMLResponse(render_login(lang, next_page=PATH), 401, PAGE_HEADERS)

    def back(lang: Lang, centre: str, done: str, anchor: str = "", count: int = 0) -> RedirectResponse:
        query = urlencode({"lang": lang, "centre": centre, "done": done, **({"n": count} if count else {})})
        return RedirectResponse(f"{PATH}?{query}{anchor}", status_code=303)

    async def posted(request: Request) -> tuple[dict[str, list[str]], Lang, Scope | None]:
        try:
            form = await posted_form(request, MAX_FORM_BYTES, MAX_FIELDS)
        except ApiError as exc:
            if exc.status_code != 422:
                raise
            form = {}
        shown = lang_of((form.get("lang") or [""])[0])
        return form, shown, await run_in_threadpool(request_scope, db, admin_token, request)

    def one(form: dict[str, list[str]], name: str, limit: int = 16) -> str:
        return (form.get(name) or [""])[0].strip()[:limit]

    def refused(request: Request, scope: Scope, shown: Lang, centre: str, now: datetime, typed: RuleForm | ClosureForm,
                action: str, target: str, **form: Any) -> tuple[str, int]:
        """The page again with the form as typed and why it was not saved (403 when the user may
        not change that centre, the attempt audited; 422 otherwise)."""
        if typed.refused == "forbidden":
            with db.sessions.begin() as s:
                manage.audit_refusal(s, scope, action, target, now, client_of(request), "forbidden")
        with db.sessions() as s:
            body, status = page(s, scope, shown, centre, now, **form)
        return body, 403 if typed.refused == "forbidden" else (status if status != 200 else 422)

    @app.get(PATH, response_class=HTMLResponse, include_in_schema=False)
    def slots_page(request: Request, lang: str | None = None, centre: str | None = None,
                   done: str | None = None, n: str | None = None) -> HTMLResponse:
        shown = lang_of(lang)
        scope = request_scope(db, admin_token, request)
        if scope is None:
            return login(shown)
        with db.sessions() as s:
            body, status = page(s, scope, shown, (centre or "").strip()[:16], utcnow(), done=done or "",
                                count=int(n) if n and n.isascii() and n.isdigit() and len(n) < 8 else 0)
        return HTMLResponse(body, status, PAGE_HEADERS)

    @app.post(PATH + "/rule", response_class=HTMLResponse, include_in_schema=False)
    async def set_rule(request: Request) -> Response:
        form, shown, scope = await posted(request)
        if scope is None:
            return login(shown)
        centre, group = one(form, "centre"), one(form, "group", 4)
        typed, rule = read_rule(form)

        def save() -> tuple[str, int] | None:
            now = utcnow()
            if rule is not None:
                try:
                    manage.in_transaction(db, lambda s: manage.set_rule(s, scope, centre, group, rule, now,
                                                                        client_of(request)))
                    return None
                except AppointmentError as exc:
                    typed.refused = exc.key
            return refused(request, scope, shown, centre, now, typed, "rule_set", f"{centre}/{group}",
                           editing={group: typed})

        outcome = await run_in_threadpool(save)
        if outcome is None:
            return back(shown, centre, "rule", f"#group-{group}")
        return HTMLResponse(outcome[0], outcome[1], PAGE_HEADERS)

    @app.post(PATH + "/closure", response_class=HTMLResponse, include_in_schema=False)
    async def add_closure(request: Request) -> Response:
        form, shown, scope = await posted(request)
        if scope is None:
            return login(shown)
        centre = one(form, "centre")

        def save() -> tuple[str, int] | int:
            now = utcnow()
            typed, day = read_closure(form, local_day(now))
            target = manage.NATIONAL_PATH if typed.values["target"] == manage.NATIONAL_PATH else centre
            if day is not None:
                try:
                    return manage.in_transaction(db, lambda s: manage.set_closure(
                        s, scope, target, day, typed.values["reason_ar"], typed.values["reason_en"], now,
                        client_of(request), cancel_bookings=one(form, "confirm", 1) == "1",
                        site=str(request.base_url)))
                except AppointmentError as exc:
                    if exc.key == "day_has_bookings":  # asked first: the page with the count and Confirm
                        typed.bookings = int(exc.values.get("count", 0))
                        typed.day_text = formatting.format_date(day, shown, style="long")
                        with db.sessions() as s:
                            return page(s, scope, shown, centre, now, closure=typed)
                    if exc.key == "bad_closure":
                        typed.problems["day"] = Problem(N_("appt_admin.err_past_day"))
                    else:
                        typed.refused = exc.key
            return refused(request, scope, shown, centre, now, typed, "closure_set",
                           f"{target}/{day.isoformat() if day else ''}", closure=typed)

        outcome = await run_in_threadpool(save)
        if isinstance(outcome, int):
            return back(shown, centre, "closure_cancelled" if outcome else "closure", "#closures", count=outcome)
        return HTMLResponse(outcome[0], outcome[1], PAGE_HEADERS)

    @app.post(PATH + "/closure/delete", response_class=HTMLResponse, include_in_schema=False)
    async def remove_closure(request: Request) -> Response:
        form, shown, scope = await posted(request)
        if scope is None:
            return login(shown)
        centre, target = one(form, "centre"), one(form, "target")

        def remove() -> tuple[str, int] | None:
            now = utcnow()
            refused = ""
            try:
                day = date.fromisoformat(one(form, "day", 10))
                with db.sessions.begin() as s:
                    manage.delete_closure(s, scope, target, day, now, client_of(request))
                return None
            except ValueError as exc:
                refused = exc.key if isinstance(exc, AppointmentError) else "not_found"
                if refused == "forbidden":
                    with db.sessions.begin() as s:
                        manage.audit_refusal(s, scope, "closure_delete", f"{target}/{one(form, 'day', 10)}", now,
                                             client_of(request), "forbidden")
            with db.sessions() as s:
                body, _status = page(s, scope, shown, centre, now, closure=ClosureForm(refused=refused))
            return body, 403 if refused == "forbidden" else 404

        outcome = await run_in_threadpool(remove)
        if outcome is None:
            return back(shown, centre, "removed", "#closures")
        return HTMLResponse(outcome[0], outcome[1], PAGE_HEADERS)

