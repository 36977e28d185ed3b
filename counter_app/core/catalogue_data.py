"""The service catalogue as data: parsed and validated from the JSON file in ``resources/``.

Pure Python: :mod:`counter_app.core.catalogue` applies a parsed :class:`Catalogue` to the database.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any


class CatalogueError(ValueError):
    pass


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


@dataclass(frozen=True)
class Catalogue:
    version: int
    published_at: str
    groups: tuple[Group, ...]
    departments: tuple[Department, ...]
    services: tuple[ServiceSpec, ...]

    def service(self, code: str) -> ServiceSpec:
        for svc in self.services:
            if svc.code == code:
                return svc
        raise KeyError(code)


def _text(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}: '{key}' must be a non-empty text")
    return value.strip()


def _int(obj: dict[str, Any], key: str, where: str, minimum: int = 0) -> int:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise CatalogueError(f"{where}: '{key}' must be an integer >= {minimum}")
    return value


def _unique(codes: list[str], where: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise CatalogueError(f"{where}: duplicate code {code!r}")
        seen.add(code)


def parse_catalogue(data: dict[str, Any]) -> Catalogue:
    if not isinstance(data, dict):
        raise CatalogueError("catalogue: expected an object")
    version = _int(data, "version", "catalogue", 1)
    published = _text(data, "published_at", "catalogue")
    groups = tuple(Group(_text(g, "letter", "group"), _text(g, "name_ar", "group"), _text(g, "name_en", "group"))
                   for g in data.get("groups") or [])
    for g in groups:
        if len(g.letter) != 1 or not ("A" <= g.letter <= "Z"):
            raise CatalogueError(f"group {g.letter!r}: the letter must be one capital Latin letter")
    _unique([g.letter for g in groups], "groups")
    departments = tuple(Department(_text(d, "code", "department"), _text(d, "name_ar", "department"),
                                   _text(d, "name_en", "department")) for d in data.get("departments") or [])
    _unique([d.code for d in departments], "departments")
    letters = {g.letter for g in groups}
    dep_codes = {d.code for d in departments}
    services = []
    for raw in data.get("services") or []:
        code = _text(raw, "code", "service")
        where = f"service {code}"
        group, department = _text(raw, "group", where), _text(raw, "department", where)
        if group not in letters:
            raise CatalogueError(f"{where}: unknown group {group!r}")
        if department not in dep_codes:
            raise CatalogueError(f"{where}: unknown department {department!r}")
        docs = tuple(
            DocumentSpec(_text(d, "code", where), _text(d, "name_ar", where), _text(d, "name_en", where),
                         bool(d.get("mandatory", True)))
            for d in raw.get("documents") or []
        )
        if not any(d.mandatory for d in docs):
            raise CatalogueError(f"{where}: needs at least one mandatory document")
        _unique([d.code for d in docs], f"{where} documents")
        fees = tuple(
            FeeLine(_text(f, "code", where), _text(f, "name_ar", where), _text(f, "name_en", where),
                    _int(f, "amount_piastres", f"{where} fee {f.get('code')}"))
            for f in raw.get("fees") or []
        )
        _unique([f.code for f in fees], f"{where} fees")
        services.append(ServiceSpec(code, _text(raw, "name_ar", where), _text(raw, "name_en", where), group,
                                    department, _int(raw, "processing_days", where, 0),
                                    _int(raw, "expected_service_minutes", where, 1), docs, fees))
    if not services:
        raise CatalogueError("catalogue: no services")
    _unique([s.code for s in services], "services")
    return Catalogue(version, published, groups, departments, tuple(services))


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    if path is None:
        text = (files("resources") / "catalogue" / "services.json").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogueError(f"catalogue: not valid JSON ({exc})") from exc
    return parse_catalogue(data)


def catalogue_to_dict(cat: Catalogue) -> dict[str, Any]:
    out = asdict(cat)
    for svc in out["services"]:
        svc["documents"] = list(svc["documents"])
        svc["fees"] = list(svc["fees"])
    out["groups"], out["departments"], out["services"] = (list(out["groups"]), list(out["departments"]),
                                                          list(out["services"]))
    return out
