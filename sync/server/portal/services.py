"""``/services`` and ``/services/<code>``: every service of the newest published catalogue, by
group, with a search that forgives Arabic spelling (:mod:`counter_app.common.arabic_search`);
a service's documents (mandatory, then optional), fee lines and total (EGP, Western digits),
processing days and the centres that offer it. Public catalogue data only: not rate-limited
(one indexed read and a cached parse per request). ``Cache-Control: no-cache``: the language
may come from a cookie, so a cached copy is revalidated rather than served in the wrong one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from counter_app.common import arabic_search
from counter_app.common.catalogue_data import Catalogue, ServiceSpec
from counter_app.common.formatting import money
from counter_app.common.i18n import Lang
from sync.server.db import ServerDatabase
from sync.server.portal import render, request_lang
from sync.server.portal.catalogue import centres_offering, latest_catalogue

#: The longest query looked at (a search box, not a document).
MAX_QUERY = 100


@dataclass(frozen=True)
class ServiceRow:
    code: str
    name: str
    days: int
    total: str


class Named(Protocol):
    @property
    def name_ar(self) -> str: ...
    @property
    def name_en(self) -> str: ...


def name_of(item: Named, lang: Lang) -> str:
    return item.name_ar if lang == "ar" else item.name_en


def search_texts(cat: Catalogue, service: ServiceSpec) -> list[str]:
    """What a search looks in: both names, the code, the department's names."""
    texts = [service.name_ar, service.name_en, service.code]
    try:
        department = cat.department(service.department)
        texts += [department.name_ar, department.name_en]
    except KeyError:
        pass
    return texts


def find(cat: Catalogue, query: str) -> list[ServiceSpec]:
    """The services whose names (either language) hold every word of ``query``, spelling forgiven;
    every service for an empty query."""
    if not arabic_search.words(query):
        return list(cat.services)
    return [s for s in cat.services if arabic_search.matches(query, search_texts(cat, s))]


def grouped(cat: Catalogue, services: list[ServiceSpec], lang: Lang) -> list[tuple[str, list[ServiceRow]]]:
    """(group name, its services) in the catalogue's order; empty groups left out."""
    out = []
    for group in cat.groups:
        rows = [ServiceRow(s.code, name_of(s, lang), s.processing_days, money(s.total_fee_piastres, lang))
                for s in services if s.group == group.letter]
        if rows:
            out.append((name_of(group, lang), rows))
    return out


def add_routes(app: FastAPI, db: ServerDatabase) -> None:
    @app.get("/services", include_in_schema=False)
    def services(request: Request, q: str = "") -> HTMLResponse:
        lang = request_lang(request)
        query = q.strip()[:MAX_QUERY]
        with db.sessions() as s:
            cat = latest_catalogue(s)
        if cat is None:
            return render(request, "services.html", status=503, groups=[], query=query, found=0, total=0)
        found = find(cat, query)
        return render(request, "services.html", groups=grouped(cat, found, lang), query=query, found=len(found),
                      total=len(cat.services))

    @app.get("/services/{code}", include_in_schema=False)
    def service(request: Request, code: str) -> HTMLResponse:
        lang = request_lang(request)
        with db.sessions() as s:
            cat = latest_catalogue(s)
            try:
                spec = cat.service(code) if cat is not None else None
            except KeyError:
                spec = None
            centres = centres_offering(s, spec.code, lang) if spec is not None else []
        if cat is None or spec is None:
            return render(request, "service_unknown.html", status=404)
        try:
            department = name_of(cat.department(spec.department), lang)
        except KeyError:
            department = ""
        return render(
            request, "service.html", name=name_of(spec, lang), code=spec.code, department=department,
            group=name_of(cat.group(spec.group), lang), days=spec.processing_days,
            mandatory=[name_of(d, lang) for d in spec.documents if d.mandatory],
            optional=[name_of(d, lang) for d in spec.documents if not d.mandatory],
            fees=[(name_of(f, lang), money(f.amount_piastres, lang)) for f in spec.fees],
            total=money(spec.total_fee_piastres, lang), centres=centres)
