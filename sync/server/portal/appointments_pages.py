"""The citizens' booking pages (issue 20): choose a service, a centre, a day and a slot, give a
national ID and an Egyptian mobile, and get the booking code and the manage link (with its QR code);
the manage page shows the booking and cancels it (after a confirmation) or moves it to another free
slot. No script: plain links and same-origin POST forms, each answered by a redirect (303) to a page.

* ``GET /appointments``: the services taking appointments; ``?service=S``: its centres;
  ``&centre=C``: the bookable days; ``&day=D``: the day's free slots and the form;
* ``POST /appointments/book``: the booking (refusals shown on the form, the entered values kept);
* ``GET /appointments/m/<code>/<secret>``: the manage page (``?new=1`` right after booking);
* ``GET|POST /appointments/m/<code>/<secret>/cancel`` and ``.../move`` (``?day=D``);
* ``POST /appointments/m/<code>/<secret>/reminders`` (``reminders`` 0 or 1): stop or resume the
  SMS reminders (the booking form's choice, yes by default: :mod:`sync.server.appointments.notices`).

The service functions of :mod:`sync.server.appointments` are called directly, one session per
request. Rate limits: :mod:`sync.server.ratelimit` rules ``slots`` (the choosing pages) and
``booking`` (the posts and the manage pages). The secret is in the path: the pages load nothing
from elsewhere and answer ``Referrer-Policy: no-referrer``.
Each booking, move and cancel queues its SMS in its own transaction (the confirmation's manage link
is the QR code's: the request's site address and :func:`manage_path`).
"""

from __future__ import annotations

import base64
import io
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from counter_app.common import formatting
from counter_app.common.clock import as_utc, local_day, utcnow
from counter_app.common.i18n import Lang
from sync.server.appointments import bookings, notices, slots
from sync.server.appointments.errors import AppointmentError
from sync.server.appointments.routes import TRIES, ServiceGroups
from sync.server.db import ServerDatabase
from sync.server.errors import ApiError
from sync.server.models import AppointmentRule, Booking, EnrolledCentre
from sync.server.portal import render, request_lang
from sync.server.portal.centres import Catalogue, catalogue, offered
from sync.server.sessions import posted_form

BASE = "/appointments"
MAX_FORM_BYTES = 2000
#: The refusals shown next to a field rather than above the form.
FIELD_OF = {"bad_national_id": "national_id", "bad_mobile": "mobile"}


def _name(item: dict[str, Any], lang: str) -> str:
    return str(item.get(f"name_{lang}") or item.get("name_ar") or item.get("code"))


def _address(centre: EnrolledCentre, lang: str) -> str | None:
    return (centre.address_ar if lang == "ar" else centre.address_en) or centre.address_ar or centre.address_en


def _day_text(day: date, lang: Lang) -> str:
    return formatting.format_date(day, lang, style="long")


def _when(start: datetime, lang: Lang) -> str:
    """The slot's Cairo day and time, as one text."""
    return f"{_day_text(local_day(as_utc(start)), lang)} {formatting.format_time(as_utc(start), lang)}"


def qr_data_url(text: str) -> str:
    """A QR code of ``text`` as an SVG data URL (an ``<img>``: the page's CSP allows ``data:`` images)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


manage_path = notices.manage_path


def site_of(request: Request) -> str:
    """The server's address as the citizen reached it (the manage link's, in the page and the SMS)."""
    return str(request.base_url).rstrip("/")


def _groups_with_rules(session: Session) -> dict[str, set[str]]:
    """Group letter -> the centres with a slot rule for it."""
    found: dict[str, set[str]] = {}
    for centre, group in session.execute(select(AppointmentRule.centre_code, AppointmentRule.group_letter)):
        found.setdefault(group, set()).add(centre)
    return found


@dataclass
class Choice:
    """What the booking pages know of the citizen's choices so far (each checked)."""

    cat: Catalogue
    service: dict[str, Any] | None = None
    centre: EnrolledCentre | None = None
    day: date | None = None


def _choice(session: Session, service: str, centre: str, day: str) -> Choice:
    cat = catalogue(session)
    choice = Choice(cat)
    rules = _groups_with_rules(session)
    choice.service = next((s for s in cat.services if s.get("code") == service and str(s.get("group")) in rules), None)
    if choice.service is None:
        return choice
    row = session.get(EnrolledCentre, centre) if centre and len(centre) <= 16 else None
    if row is not None and row.code in rules[str(choice.service["group"])] and choice.service in offered(row, cat):
        choice.centre = row
        try:
            choice.day = date.fromisoformat(day) if day else None
        except ValueError:
            choice.day = None
    return choice


def _free_days(session: Session, centre: str, group: str, now: datetime) -> list[slots.FreeDay]:
    try:
        return slots.free_slots(session, centre, group, local_day(now), slots.MAX_DAYS_ASKED, now)[1]
    except AppointmentError:
        return []


def _headers(response: Response) -> Response:
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def _form(request: Request) -> dict[str, str]:
    try:
        fields = await posted_form(request, MAX_FORM_BYTES)
    except ApiError as exc:  # not this page's form: answered as an empty one (a page, not JSON)
        if exc.status_code != 422:
            raise
        fields = {}
    return {name: (values or [""])[0].strip() for name, values in fields.items()}


def _slot_of(text: str) -> datetime | None:
    try:
        return as_utc(datetime.fromisoformat(text)) if text else None
    except ValueError:
        return None


class SentForms:
    """The booking form's one-time token -> the booking it made, so that the button pressed twice
    (or the post sent again) shows the same booking rather than ``already_booked``: the second
    request waits for the first and answers its booking. In this process's memory for ten minutes
    (with several server processes a second press may meet another one: then ``already_booked``)."""

    KEEP_S = 600.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done: dict[str, tuple[float, tuple[str, str]]] = {}
        self._busy: dict[str, threading.Lock] = {}

    def once(self, token: str, make: Callable[[], tuple[str, str]]) -> tuple[str, str]:
        if not token or len(token) > 64:
            return make()
        with self._lock:
            now = time.monotonic()
            for old in [t for t, (at, _) in self._done.items() if now - at > self.KEEP_S]:
                del self._done[old]
            gate = self._busy.setdefault(token, threading.Lock())
        try:
            with gate:
                with self._lock:
                    found = self._done.get(token)
                if found is not None:
                    return found[1]
                made = make()
                with self._lock:
                    self._done[token] = (time.monotonic(), made)
                return made
        finally:
            with self._lock:
                if self._busy.get(token) is gate:
                    del self._busy[token]


def add_routes(app: FastAPI, db: ServerDatabase) -> None:
    groups = ServiceGroups()
    sent = SentForms()
    limits = bookings.Limits.from_environment()

    def choose_page(request: Request, *, form: dict[str, str] | None = None, error: AppointmentError | None = None,
                    missing_slot: bool = False, status: int = 200) -> Response:
        lang = request_lang(request)
        asked = form if form is not None else {k: v for k, v in request.query_params.items()}
        now = utcnow()
        with db.sessions() as s:
            choice = _choice(s, asked.get("service", "")[:32], asked.get("centre", "")[:16], asked.get("day", "")[:10])
            context: dict[str, Any] = {"step": "service", "base": BASE}
            if choice.service is None:
                rules = _groups_with_rules(s)
                context["services"] = [{"code": sv["code"], "name": _name(sv, lang)} for sv in choice.cat.services
                                       if str(sv.get("group")) in rules]
                context["unknown"] = bool(asked.get("service"))
                return render(request, "appointments_choose.html", status=status, **context)
            service, group = str(choice.service["code"]), str(choice.service["group"])
            context.update(service={"code": service, "name": _name(choice.service, lang)})
            if choice.centre is None:
                centres = [s.get(EnrolledCentre, c) for c in sorted(_groups_with_rules(s).get(group, set()))]
                context.update(step="centre", centres=[
                    {"code": c.code, "name": c.public_name(lang), "address": _address(c, lang)}
                    for c in centres if c is not None and choice.service in offered(c, choice.cat)])
                return render(request, "appointments_choose.html", status=status, **context)
            centre = choice.centre
            context.update(centre={"code": centre.code, "name": centre.public_name(lang),
                                   "address": _address(centre, lang)})
            days = _free_days(s, centre.code, group, now)
            context.update(step="day", days=[{"day": d.day.isoformat(), "text": _day_text(d.day, lang),
                                              "free": sum(f.free for f in d.slots)} for d in days])
            chosen = next((d for d in days if d.day == choice.day), None)
            if chosen is not None:
                typed = form or {}
                context.update(step="slot", day={"day": chosen.day.isoformat(), "text": _day_text(chosen.day, lang)},
                               slots=[{"start": f.start.isoformat(), "time": f.time, "free": f.free}
                                      for f in chosen.slots],
                               chosen_slot=typed.get("slot", ""), national_id=typed.get("national_id", ""),
                               mobile=typed.get("mobile", ""), once=secrets.token_urlsafe(16),
                               reminders=not typed.get("reminders_asked") or typed.get("reminders") == "1")
        field = FIELD_OF.get(error.key) if error else None
        context.update(field_error={field: error.message(lang)} if error and field else {},
                       error=error.message(lang) if error and not field else None, missing_slot=missing_slot)
        return render(request, "appointments_choose.html", status=status, cache="no-store", **context)

    @app.get(BASE, include_in_schema=False)
    def choose(request: Request) -> Response:
        return choose_page(request)

    @app.get(f"{BASE}/book", include_in_schema=False)  # the form's own address (its language switch after a refusal)
    def choose_again(request: Request) -> Response:
        return choose_page(request)

    def book_now(form: dict[str, str], lang: Lang, site: str) -> tuple[str, str]:
        start = _slot_of(form.get("slot", ""))
        assert start is not None
        for attempt in range(TRIES):
            try:
                with db.sessions.begin() as s:
                    made = bookings.book(s, centre=form.get("centre", "")[:16], group=groups.group(s, form["service"]),
                                         service=form["service"][:32], start=start,
                                         national_id_text=form.get("national_id", "")[:40],
                                         mobile_text=form.get("mobile", "")[:40], lang=lang, now=utcnow(),
                                         limits=limits, site=site,
                                         reminders=not form.get("reminders_asked") or form.get("reminders") == "1")
                    return made.code, made.secret
            except IntegrityError:
                if attempt == TRIES - 1:
                    raise
        raise AssertionError("unreachable")

    @app.post(f"{BASE}/book", include_in_schema=False)
    async def book(request: Request) -> Response:
        form = await _form(request)
        lang = request_lang(request)
        if _slot_of(form.get("slot", "")) is None or not form.get("service"):
            return await run_in_threadpool(partial(choose_page, request, form=form, missing_slot=True, status=422))
        try:
            code, secret = await run_in_threadpool(sent.once, form.get("once", ""), partial(book_now, form, lang, site_of(request)))
        except AppointmentError as exc:
            return await run_in_threadpool(partial(choose_page, request, form=form, error=exc, status=exc.status))
        return _headers(RedirectResponse(f"{manage_path(code, secret)}?{urlencode({'new': '1', 'lang': lang})}", 303))

    def booking_context(s: Session, row: Booking, lang: Lang, request: Request, secret: str) -> dict[str, Any]:
        cat = catalogue(s)
        service = next((sv for sv in cat.services if sv.get("code") == row.service_code), {"code": row.service_code})
        centre = s.get(EnrolledCentre, row.centre_code)
        link = site_of(request) + manage_path(row.code, secret)
        return {"booking": {"code": row.code, "code_shown": formatting.code(row.code), "state": row.state,
                            "when": _when(row.slot_start, lang), "service": _name(service, lang),
                            "centre": centre.public_name(lang) if centre else row.centre_code,
                            "address": _address(centre, lang) if centre else None, "group": row.group_letter,
                            "centre_code": row.centre_code, "day": row.day.isoformat(),
                            "reminders": row.reminders},
                "manage": manage_path(row.code, secret), "link": link, "base": BASE}

    def manage_page(request: Request, code: str, secret: str, *, template: str = "appointment_manage.html",
                    error: AppointmentError | None = None, status: int = 200, **extra: Any) -> Response:
        lang = request_lang(request)
        now = utcnow()
        with db.sessions() as s:
            try:
                row = bookings.find(s, code[:16], secret[:100])
            except AppointmentError as exc:
                return _headers(render(request, "appointment_unknown.html", status=404, cache="no-store",
                                       message=exc.message(lang), base=BASE))
            context = booking_context(s, row, lang, request, secret)
            if template == "appointment_manage.html":
                context["qr"] = qr_data_url(context["link"])
            if template == "appointment_move.html":
                days = _free_days(s, row.centre_code, row.group_letter, now)
                asked = extra.pop("day", None) or request.query_params.get("day", "")
                context["days"] = [{"day": d.day.isoformat(), "text": _day_text(d.day, lang),
                                    "free": sum(f.free for f in d.slots)} for d in days]
                chosen = next((d for d in days if d.day.isoformat() == asked), None)
                if chosen is not None:
                    context["day"] = {"day": chosen.day.isoformat(), "text": _day_text(chosen.day, lang)}
                    context["slots"] = [{"start": f.start.isoformat(), "time": f.time, "free": f.free,
                                         "current": f.start == as_utc(row.slot_start)} for f in chosen.slots]
        return _headers(render(request, template, status=status, cache="no-store",
                               error=error.message(lang) if error else None, **context, **extra))

    @app.get(BASE + "/m/{code}/{secret}", include_in_schema=False)
    def manage(request: Request, code: str, secret: str) -> Response:
        q = request.query_params
        return manage_page(request, code, secret, new=q.get("new") == "1", moved=q.get("moved") == "1",
                           cancelled=q.get("cancelled") == "1",
                           reminders_changed=q.get("reminders") if q.get("reminders") in ("stopped", "started") else None)

    @app.post(BASE + "/m/{code}/{secret}/reminders", include_in_schema=False)
    async def reminders(request: Request, code: str, secret: str) -> Response:
        form = await _form(request)
        lang = request_lang(request)
        wanted = form.get("reminders") == "1"

        def run() -> None:
            with db.sessions.begin() as s:
                row = bookings.find(s, code[:16], secret[:100], lock=True)
                if row.state != bookings.BOOKED:
                    raise AppointmentError("not_active", f"this booking is {row.state}")
                notices.set_reminders(s, row, wanted, utcnow())

        try:
            await run_in_threadpool(run)
        except AppointmentError as exc:
            return await run_in_threadpool(partial(manage_page, request, code, secret, error=exc, status=exc.status))
        done = "started" if wanted else "stopped"
        return _headers(RedirectResponse(f"{manage_path(code, secret)}?{urlencode({'reminders': done, 'lang': lang})}",
                                         303))

    @app.get(BASE + "/m/{code}/{secret}/cancel", include_in_schema=False)
    def cancel_confirm(request: Request, code: str, secret: str) -> Response:
        return manage_page(request, code, secret, template="appointment_cancel.html")

    @app.post(BASE + "/m/{code}/{secret}/cancel", include_in_schema=False)
    async def cancel(request: Request, code: str, secret: str) -> Response:
        await _form(request)
        lang = request_lang(request)

        def run() -> None:
            with db.sessions.begin() as s:
                bookings.cancel(s, code[:16], secret[:100], utcnow())  # its SMS queued

        try:
            await run_in_threadpool(run)
        except AppointmentError as exc:
            return await run_in_threadpool(partial(manage_page, request, code, secret, error=exc, status=exc.status))
        return _headers(RedirectResponse(f"{manage_path(code, secret)}?{urlencode({'cancelled': '1', 'lang': lang})}",
                                         303))

    @app.get(BASE + "/m/{code}/{secret}/move", include_in_schema=False)
    def move_page(request: Request, code: str, secret: str) -> Response:
        return manage_page(request, code, secret, template="appointment_move.html")

    @app.post(BASE + "/m/{code}/{secret}/move", include_in_schema=False)
    async def move(request: Request, code: str, secret: str) -> Response:
        form = await _form(request)
        lang = request_lang(request)
        start = _slot_of(form.get("slot", ""))
        if start is None:
            return await run_in_threadpool(partial(
                manage_page, request, code, secret, template="appointment_move.html", status=422, missing_slot=True,
                day=form.get("day", "")[:10]))

        def run() -> None:
            for attempt in range(TRIES):
                try:
                    with db.sessions.begin() as s:
                        bookings.move(s, code[:16], secret[:100], start, utcnow(), limits)
                    return
                except IntegrityError:
                    if attempt == TRIES - 1:
                        raise

        try:
            await run_in_threadpool(run)
        except AppointmentError as exc:
            return await run_in_threadpool(partial(
                manage_page, request, code, secret, template="appointment_move.html", error=exc, status=exc.status,
                day=form.get("day", "")[:10]))
        return _headers(RedirectResponse(f"{manage_path(code, secret)}?{urlencode({'moved': '1', 'lang': lang})}",
                                         303))
