from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from counter_app.common.catalogue_data import (
    CatalogueError,
    catalogue_to_dict,
    load_catalogue,
    parse_catalogue,
)


def shipped() -> dict[str, Any]:
    return catalogue_to_dict(load_catalogue())


def test_shipped_catalogue_is_complete() -> None:
    cat = load_catalogue()
    assert cat.version >= 1
    assert len(cat.services) >= 10
    names = {s.name_ar for s in cat.services}
    for required in ("شهادة القيد", "شهادة قياس مستوى المهارة", "ترخيص مزاولة المهنة", "ترخيص عمل الأجانب"):
        assert required in names
    local = [s for s in cat.services if s.department != "MANPOWER"]
    assert len(local) >= 6
    for svc in cat.services:
        assert svc.fees and all(isinstance(f.amount_piastres, int) and f.amount_piastres > 0 for f in svc.fees)
        assert any(d.mandatory for d in svc.documents)
        assert svc.processing_days >= 1 and svc.expected_service_minutes >= 1
        assert svc.name_en and svc.name_ar


def test_round_trip(tmp_path: Path) -> None:
    data = shipped()
    again = parse_catalogue(json.loads(json.dumps(data, ensure_ascii=False)))
    assert again == load_catalogue()
    path = tmp_path / "cat.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert load_catalogue(path) == again


def _broken(mutate: Any) -> dict[str, Any]:
    data = copy.deepcopy(shipped())
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda d: d.update(version=0), "version"),
        (lambda d: d["services"][0].update(group="Z"), "unknown group"),
        (lambda d: d["services"][0].update(department="NOPE"), "unknown department"),
        (lambda d: d["services"][1].update(code=d["services"][0]["code"]), "duplicate"),
        (lambda d: d["services"][0]["fees"][0].update(amount_piastres=12.5), "amount_piastres"),
        (lambda d: d["services"][0]["fees"][0].update(amount_piastres=True), "amount_piastres"),
        (lambda d: d["services"][0]["fees"][0].update(amount_piastres=-1), "amount_piastres"),
        (lambda d: [doc.update(mandatory=False) for doc in d["services"][0]["documents"]], "mandatory"),
        (lambda d: d["services"][0].update(name_ar=" "), "name_ar"),
        (lambda d: d["groups"][0].update(letter="ab"), "letter"),
    ],
)
def test_validation_names_the_problem(mutate: Any, words: str) -> None:
    with pytest.raises(CatalogueError) as err:
        parse_catalogue(_broken(mutate))
    assert words in str(err.value)


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{nope", encoding="utf-8")
    with pytest.raises(CatalogueError):
        load_catalogue(path)


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda d: d.update(version="1"), "version"),
        (lambda d: d.update(version=1.0), "version"),
        (lambda d: d.update(published_at=""), "published_at"),
        (lambda d: d.update(services=[]), "at least one service"),
        (lambda d: d.update(groups={"A": "x"}), "groups"),
        (lambda d: d["groups"].append(dict(d["groups"][0])), "duplicate"),
        (lambda d: d["departments"].append(dict(d["departments"][0])), "duplicate"),
        (lambda d: d["groups"][0].update(letter="a"), "letter"),
        (lambda d: d["groups"][0].update(letter="Ø"), "letter"),
        (lambda d: d["groups"][0].update(name_en=""), "name_en"),
        (lambda d: d["departments"][0].update(name_ar=None), "name_ar"),
        (lambda d: d["services"].append("MP-REG-CERT"), "expected an object"),
        (lambda d: d["services"][0].update(processing_days=-1), "processing_days"),
        (lambda d: d["services"][0].update(expected_service_minutes=0), "expected_service_minutes"),
        (lambda d: d["services"][0].update(documents=[]), "mandatory"),
        (lambda d: d["services"][0].pop("fees"), "'fees'"),
        (lambda d: d["services"][0]["documents"][0].update(mandatory="yes"), "mandatory"),
        (lambda d: d["services"][0]["documents"][0].pop("mandatory"), "mandatory"),
        (lambda d: d["services"][0]["documents"].append(dict(d["services"][0]["documents"][0])), "duplicate"),
        (lambda d: d["services"][0]["fees"].append(dict(d["services"][0]["fees"][0])), "duplicate"),
        (lambda d: d["services"][0]["fees"][0].update(amount_piastres="500"), "amount_piastres"),
        (lambda d: d["services"][0]["documents"][1].update(name_en=""), "name_en"),
    ],
)
def test_more_validation_errors(mutate: Any, words: str) -> None:
    with pytest.raises(CatalogueError) as err:
        parse_catalogue(_broken(mutate))
    assert words in str(err.value)


def test_errors_name_the_service_and_field() -> None:
    data = shipped()
    data["services"][2]["fees"][1]["amount_piastres"] = 1.5
    svc, fee = data["services"][2]["code"], data["services"][2]["fees"][1]["code"]
    with pytest.raises(CatalogueError) as err:
        parse_catalogue(data)
    assert svc in str(err.value) and fee in str(err.value) and "amount_piastres" in str(err.value)


def test_not_an_object() -> None:
    with pytest.raises(CatalogueError):
        parse_catalogue([])  # type: ignore[arg-type]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError):
        load_catalogue(tmp_path / "absent.json")


def test_lookup_and_totals() -> None:
    cat = load_catalogue()
    svc = cat.service("MP-REG-CERT")
    assert svc.name_ar == "شهادة القيد" and svc.group == "A" and svc.department == "MANPOWER"
    assert svc.total_fee_piastres == sum(f.amount_piastres for f in svc.fees) > 0
    assert all(d.mandatory for d in svc.mandatory_documents)
    assert cat.group("A").name_en and cat.department("MANPOWER").name_ar == "مديرية القوى العاملة"
    with pytest.raises(KeyError):
        cat.service("NOPE")


def test_shipped_catalogue_is_realistic() -> None:
    cat = load_catalogue()
    assert {g.letter for g in cat.groups} >= {"A", "B", "C", "D"}
    used = {s.group for s in cat.services}
    assert used == {g.letter for g in cat.groups}  # no empty group on the kiosk
    for svc in cat.services:
        assert 1_000 <= svc.total_fee_piastres <= 1_000_000, svc.code
        assert 1 <= svc.expected_service_minutes <= 60, svc.code
        assert any(d.code in {"NID-COPY", "PASSPORT"} for d in svc.documents), svc.code
        assert any("\u0600" <= ch <= "\u06ff" for ch in svc.name_ar), svc.code
    permit = cat.service("MP-FOREIGN-WP")
    assert {"PASSPORT", "RESIDENCE"} <= {d.code for d in permit.documents}


def test_shipped_file_is_readable_utf8_and_equals_its_round_trip() -> None:
    from importlib.resources import files

    text = (files("resources") / "catalogue" / "services.json").read_text(encoding="utf-8")
    assert "\\u" not in text and "شهادة القيد" in text
    assert json.loads(text) == catalogue_to_dict(load_catalogue())
