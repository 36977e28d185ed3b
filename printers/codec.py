"""JSON round trip of the document dataclasses, so print jobs can be stored and re-rendered."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import date, datetime
from typing import Any

from printers.data import (
    DayCloseData,
    FeeLine,
    HandoverSlipData,
    ReceiptData,
    RefundSlipData,
    ServiceRow,
    SlipData,
    TestPageData,
    TicketData,
)

DOCUMENT_TYPES: dict[str, type] = {
    "ticket": TicketData,
    "receipt": ReceiptData,
    "slip": SlipData,
    "dayclose": DayCloseData,
    "test": TestPageData,
    "refund": RefundSlipData,
    "handover": HandoverSlipData,
}
_NESTED: dict[str, type] = {"FeeLine": FeeLine, "ServiceRow": ServiceRow}


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in print data")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _encode(item) for key, item in value.items()}
    return value


def _decode(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _decode(options[0], value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if origin is list:
        (item_hint,) = typing.get_args(hint)
        return [_decode(item_hint, item) for item in value]
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], item) for item in value)
        return tuple(_decode(item_hint, item) for item_hint, item in zip(args, value, strict=True))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _from_dict(hint, value)
    return value


def _from_dict(cls: type, raw: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(cls, localns=_NESTED)
    kwargs = {f.name: _decode(hints[f.name], raw[f.name]) for f in dataclasses.fields(cls) if f.name in raw}
    return cls(**kwargs)


def document_to_json(data: Any) -> str:
    return json.dumps(_encode(data), ensure_ascii=False, sort_keys=True)


def document_from_json(kind: str, text: str) -> Any:
    try:
        cls = DOCUMENT_TYPES[kind]
    except KeyError:
        raise ValueError(f"unknown document kind {kind!r}") from None
    return _from_dict(cls, json.loads(text))


def kind_of(data: Any) -> str:
    for kind, cls in DOCUMENT_TYPES.items():
        if isinstance(data, cls):
            return kind
    raise TypeError(f"not a printable document: {type(data).__name__}")
