"""Helpers of the service tests: each drives the services as the windows do (no Qt), on SQLite
and on PostgreSQL (the ``site`` fixture of ``tests/conftest.py``), and checks what the user of the
window would see."""

from __future__ import annotations

import uuid
from typing import Any

from counter_app.common.i18n import Lang, gettext, strip_isolates
from counter_app.services import counter, kiosk, shell
from counter_app.services.errors import ShubbakError
from counter_app.services.views import Applicant, IntakeRequest, QueueState, ServiceView, SubmittedView
from tests.helpers.factories import Centre

SERVICE = "MP-REG-CERT"  # group A, reviewed by the MANPOWER department
APPLICANT = Applicant("محمد أحمد علي حسن", "29001010112334", "01001234567")


def said(exc: ShubbakError, lang: Lang = "ar") -> str:
    """What the window shows for an error, without the isolate marks around values."""
    return strip_isolates(exc.message(lang))


def error_text(code: str, lang: Lang = "ar", **params: Any) -> str:
    """The catalogue's sentence for an error code (its plural form for ``n``)."""
    return strip_isolates(gettext(f"error.{code}", lang, **params))


def service(site: Centre, code: str = SERVICE) -> ServiceView:
    return next(s for s in shell.load_catalogue(site.db).services if s.code == code)


def called(site: Centre, n: int = 0, group: str = "A") -> QueueState:
    """A ticket from the kiosk, called by counter ``n`` (its clerk)."""
    kiosk.issue_ticket(site.db, group, False)
    state = counter.call_next(site.db, site.counter_ids[n], site.clerk_ids[n])
    assert state.current is not None
    return state


def intake(site: Centre, state: QueueState, *, documents: tuple[str, ...] | None = None, n: int = 0,
           key: str | None = None) -> IntakeRequest:
    svc = service(site)
    docs = tuple(d.code for d in svc.documents) if documents is None else documents
    assert state.current is not None
    return IntakeRequest(svc.code, APPLICANT, docs, "cash", "", site.counter_ids[n], state.current.id,
                         key or str(uuid.uuid4()), cash_received=svc.total_piastres)


def submitted(site: Centre, n: int = 0) -> SubmittedView:
    """A file received at counter ``n``: called, every document in hand, paid in cash, submitted."""
    return counter.submit_application(site.db, site.clerk_ids[n], intake(site, called(site, n), n=n))
