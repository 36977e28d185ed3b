from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from counter_app.core.catalogue_data import CatalogueError, catalogue_to_dict, load_catalogue, parse_catalogue


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
