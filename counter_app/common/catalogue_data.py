"""The service catalogue as data: parsed and validated from the JSON file in ``resources/``.

Pure Python, standard library only. :mod:`counter_app.core.catalogue` applies a parsed
:class:`Catalogue` to the database; the sync agent receives the same structure from the central
server. Validation is strict: a catalogue with one bad field is refused as a whole with an error
that names the service and the field, so a centre never runs on a half-valid catalogue.

Money is an integer number of piastres (100 piastres = 1 Egyptian pound).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

__all__ = [
    "Catalogue",
    "CatalogueError",
    "Department",
    "DocumentSpec",
    "FeeLine",
    "Group",
    "ServiceSpec",
    "catalogue_to_dict",
    "load_catalogue",
    "parse_catalogue",
]


class CatalogueError(ValueError):
    """The catalogue data is malformed. The message names the offending entry and field."""


@dataclass(frozen=True)
class Group:
    letter: str
    name_ar: str
    name_en: str


@dataclass(frozen=True)
class Department:
    code: str
    name_ar: str
    name_en: str


@dataclass(frozen=True)
class DocumentSpec:
    code: str
    name_ar: str
    name_en: str
    mandatory: bool


@dataclass(frozen=True)
class FeeLine:
    code: str
    name_ar: str
    name_en: str
    amount_piastres: int


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    name_ar: str
    name_en: str
    group: str
    department: str
    processing_days: int
    expected_service_minutes: int
    documents: tuple[DocumentSpec, ...]
    fees: tuple[FeeLine, ...]

    @property
    def total_fee_piastres(self) -> int:
        return sum(f.amount_piastres for f in self.fees)

    @property
    def mandatory_documents(self) -> tuple[DocumentSpec, ...]:
        return tuple(d for d in self.documents if d.mandatory)


@dataclass(frozen=True)
class Catalogue:
    version: int
    published_at: str
    groups: tuple[Group, ...]
    departments: tuple[Department, ...]
    services: tuple[ServiceSpec, ...]

    def service(self, code: str) -> ServiceSpec:
        """The service with ``code``; :class:`KeyError` if there is none."""
        for svc in self.services:
            if svc.code == code:
                return svc
        raise KeyError(code)

    def group(self, letter: str) -> Group:
        for g in self.groups:
            if g.letter == letter:
                return g
        raise KeyError(letter)

    def department(self, code: str) -> Department:
        for d in self.departments:
            if d.code == code:
                return d
        raise KeyError(code)


# --- validation helpers -------------------------------------------------------------------------


def _obj(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CatalogueError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _list(obj: dict[str, Any], key: str, where: str) -> list[Any]:
    value = obj.get(key)
    if not isinstance(value, list):
        raise CatalogueError(f"{where}: '{key}' must be a list")
    return value


def _text(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}: '{key}' must be a non-empty text")
    return value.strip()


def _int(obj: dict[str, Any], key: str, where: str, minimum: int = 0) -> int:
    value = obj.get(key)
    # bool is a subclass of int and 12.0 is a float: both are refused.
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise CatalogueError(f"{where}: '{key}' must be an integer >= {minimum}, got {value!r}")
    return value


def _bool(obj: dict[str, Any], key: str, where: str) -> bool:
    value = obj.get(key)
    if not isinstance(value, bool):
        raise CatalogueError(f"{where}: '{key}' must be true or false, got {value!r}")
    return value


def _unique(codes: Iterable[str], where: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise CatalogueError(f"{where}: duplicate code {code!r}")
        seen.add(code)


def _parse_group(raw: object, index: int) -> Group:
    where = f"groups[{index}]"
    obj = _obj(raw, where)
    letter = _text(obj, "letter", where)
    if len(letter) != 1 or not ("A" <= letter <= "Z"):
        raise CatalogueError(f"group {letter!r}: the letter must be one capital Latin letter A-Z")
    where = f"group {letter}"
    return Group(letter, _text(obj, "name_ar", where), _text(obj, "name_en", where))


def _parse_department(raw: object, index: int) -> Department:
    where = f"departments[{index}]"
    obj = _obj(raw, where)
    code = _text(obj, "code", where)
    where = f"department {code}"
    return Department(code, _text(obj, "name_ar", where), _text(obj, "name_en", where))


def _parse_document(raw: object, index: int, service: str) -> DocumentSpec:
    where = f"service {service} documents[{index}]"
    obj = _obj(raw, where)
    code = _text(obj, "code", where)
    where = f"service {service} document {code}"
    return DocumentSpec(code, _text(obj, "name_ar", where), _text(obj, "name_en", where),
                        _bool(obj, "mandatory", where))


def _parse_fee(raw: object, index: int, service: str) -> FeeLine:
    where = f"service {service} fees[{index}]"
    obj = _obj(raw, where)
    code = _text(obj, "code", where)
    where = f"service {service} fee {code}"
    return FeeLine(code, _text(obj, "name_ar", where), _text(obj, "name_en", where),
                   _int(obj, "amount_piastres", where, 0))


def _parse_service(raw: object, index: int, letters: set[str], departments: set[str]) -> ServiceSpec:
    where = f"services[{index}]"
    obj = _obj(raw, where)
    code = _text(obj, "code", where)
    where = f"service {code}"
    name_ar, name_en = _text(obj, "name_ar", where), _text(obj, "name_en", where)
    group = _text(obj, "group", where)
    if group not in letters:
        raise CatalogueError(f"{where}: unknown group {group!r}")
    department = _text(obj, "department", where)
    if department not in departments:
        raise CatalogueError(f"{where}: unknown department {department!r}")
    processing_days = _int(obj, "processing_days", where, 0)
    minutes = _int(obj, "expected_service_minutes", where, 1)

    documents = tuple(_parse_document(d, i, code) for i, d in enumerate(_list(obj, "documents", where)))
    _unique((d.code for d in documents), f"{where} documents")
    if not any(d.mandatory for d in documents):
        raise CatalogueError(f"{where}: needs at least one mandatory document")

    fees = tuple(_parse_fee(f, i, code) for i, f in enumerate(_list(obj, "fees", where)))
    _unique((f.code for f in fees), f"{where} fees")

    return ServiceSpec(code, name_ar, name_en, group, department, processing_days, minutes, documents, fees)


# --- public API ---------------------------------------------------------------------------------


def parse_catalogue(data: dict[str, Any]) -> Catalogue:
    """Validate ``data`` (the decoded JSON) and build a :class:`Catalogue`.

    Raises :class:`CatalogueError` on the first problem found.
    """
    root = _obj(data, "catalogue")
    version = _int(root, "version", "catalogue", 1)
    published_at = _text(root, "published_at", "catalogue")

    groups = tuple(_parse_group(g, i) for i, g in enumerate(_list(root, "groups", "catalogue")))
    _unique((g.letter for g in groups), "groups")
    departments = tuple(_parse_department(d, i) for i, d in enumerate(_list(root, "departments", "catalogue")))
    _unique((d.code for d in departments), "departments")

    letters = {g.letter for g in groups}
    dep_codes = {d.code for d in departments}
    services = tuple(
        _parse_service(s, i, letters, dep_codes) for i, s in enumerate(_list(root, "services", "catalogue"))
    )
    if not services:
        raise CatalogueError("catalogue: 'services' must list at least one service")
    _unique((s.code for s in services), "services")
    return Catalogue(version, published_at, groups, departments, services)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Load and validate a catalogue file; by default the one shipped in ``resources/catalogue``."""
    try:
        if path is None:
            text = (files("resources") / "catalogue" / "services.json").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"catalogue: cannot read {path or 'the shipped catalogue'} ({exc})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogueError(f"catalogue: not valid JSON ({exc})") from exc
    return parse_catalogue(data)


def _named(code_key: str, code: str, name_ar: str, name_en: str) -> dict[str, Any]:
    return {code_key: code, "name_ar": name_ar, "name_en": name_en}


def catalogue_to_dict(cat: Catalogue) -> dict[str, Any]:
    """The JSON-ready form of ``cat``; ``parse_catalogue(catalogue_to_dict(cat)) == cat``."""
    return {
        "version": cat.version,
        "published_at": cat.published_at,
        "groups": [_named("letter", g.letter, g.name_ar, g.name_en) for g in cat.groups],
        "departments": [_named("code", d.code, d.name_ar, d.name_en) for d in cat.departments],
        "services": [
            {
                **_named("code", s.code, s.name_ar, s.name_en),
                "group": s.group,
                "department": s.department,
                "processing_days": s.processing_days,
                "expected_service_minutes": s.expected_service_minutes,
                "documents": [
                    {**_named("code", d.code, d.name_ar, d.name_en), "mandatory": d.mandatory}
                    for d in s.documents
                ],
                "fees": [
                    {**_named("code", f.code, f.name_ar, f.name_en), "amount_piastres": f.amount_piastres}
                    for f in s.fees
                ],
            }
            for s in cat.services
        ],
    }
