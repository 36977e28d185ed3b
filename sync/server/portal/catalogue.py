"""The catalogue the portal shows: the newest :class:`~sync.server.models.PublishedCatalogue`,
parsed once per version (a request asks the database for the newest version number only), and
the centres that offer a service."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from counter_app.common.catalogue_data import Catalogue, CatalogueError, parse_catalogue
from counter_app.common.governorates import GOVERNORATES
from counter_app.common.i18n import Lang
from sync.server.models import EnrolledCentre, PublishedCatalogue

_lock = threading.Lock()
_parsed: dict[int, Catalogue] = {}


def catalogue_version(session: Session, version: int | None = None) -> Catalogue | None:
    """Version ``version`` of the catalogue (the newest when None or unknown); None when none is
    published or the stored one does not parse."""
    newest = session.scalar(select(PublishedCatalogue.version).order_by(PublishedCatalogue.version.desc()).limit(1))
    if newest is None:
        return None
    wanted = newest
    if version is not None and version != newest and session.get(PublishedCatalogue, version) is not None:
        wanted = version
    with _lock:
        found = _parsed.get(wanted)
    if found is not None:
        return found
    body = session.scalar(select(PublishedCatalogue.body).where(PublishedCatalogue.version == wanted))
    try:
        parsed = parse_catalogue(json.loads(body or "{}"))
    except (CatalogueError, ValueError):
        return None
    with _lock:
        _parsed[wanted] = parsed
        while len(_parsed) > 8:  # a few versions: the newest and those returned files name
            _parsed.pop(min(_parsed))
    return parsed


def latest_catalogue(session: Session) -> Catalogue | None:
    return catalogue_version(session)


@dataclass(frozen=True)
class CentreSummary:
    code: str
    name: str
    governorate: str  # its name in the page's language ("" when unknown)
    address: str


def governorate_name(code: str | None, lang: Lang) -> str:
    names = GOVERNORATES.get(code or "")
    return (names[0] if lang == "ar" else names[1]) if names else ""


def centres_offering(session: Session, service_code: str, lang: Lang) -> list[CentreSummary]:
    """The enrolled centres that offer ``service_code`` (a centre with no list offers every
    service), by governorate then name. Only public details: name, governorate, address."""
    out = []
    for row in session.scalars(select(EnrolledCentre).order_by(EnrolledCentre.governorate, EnrolledCentre.name)):
        if row.services is not None:
            try:
                codes = json.loads(row.services)
            except ValueError:
                codes = None
            if isinstance(codes, list) and service_code not in codes:
                continue
        address = (row.address_ar if lang == "ar" else row.address_en) or row.address_ar or row.address_en or ""
        out.append(CentreSummary(row.code, row.public_name(lang), governorate_name(row.governorate, lang), address))
    return out
