"""What the central server can store, checked before it tries (issue 17, item 4: no input makes a 500).

PostgreSQL refuses a NUL character in text, neither database can encode a lone surrogate
(``"\\ud800"`` is valid JSON but not UTF-8), a BIGINT ends at 2**63-1, a VARCHAR at its length, and
the JSON answers refuse NaN. Found by the database, each of these would fail the whole request
(a batch of 500 events for one bad field) with a traceback and a 500, which an agent retries
forever. Found here, a request is refused with 422, and an event of a batch is answered
``rejected`` with the reason while the rest of its batch is stored.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import parse_qs

from sync.protocol import WireEvent, storable_text
from sync.server.errors import ApiError

#: The columns that hold a number sent by a centre are BIGINT (``event.seq``, ``last_seq``).
BIGINT_MAX = 2**63 - 1
#: ``catalogue.version`` is an INTEGER.
INTEGER_MAX = 2**31 - 1
#: Payloads are flat records; a deeper nesting is no event of ours (and would cost recursion).
MAX_DEPTH = 16
#: The application projection's columns (``sync.server.models.ApplicationProjection``), by payload key.
PROJECTION_LIMITS = {"application": 36, "tracking_code": 16, "service": 32, "state": 20, "at": 40}


def json_problem(value: Any) -> str | None:
    """Why this decoded JSON value cannot be stored and answered again, or None.

    Iterative (a hostile nesting cannot exhaust the stack); keys are checked like values."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH} levels"
        if isinstance(item, str):
            if not storable_text(item):
                return "holds a NUL character or a lone surrogate"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "holds a number that is not finite (NaN or Infinity)"
        elif isinstance(item, dict):
            for key, inner in item.items():
                stack.append((key, depth + 1))
                stack.append((inner, depth + 1))
        elif isinstance(item, list):
            stack.extend((inner, depth + 1) for inner in item)
    return None


def event_problem(event: WireEvent, *, schema_checked: bool = False) -> str | None:
    """Why the server cannot store this event of a batch (its answer's reason), or None.

    ``schema_checked``: the payload passed its kind's schema (:mod:`sync.events`), which already
    refuses NUL, lone surrogates, non-finite numbers and nesting; the walk over every value (a
    third of the server's time per event) is skipped, the column bounds are still checked."""
    if not 0 <= event.seq <= BIGINT_MAX:
        return f"seq_out_of_range: seq must be between 0 and {BIGINT_MAX}"
    problem = None if schema_checked else json_problem(event.payload)
    if problem:
        return f"unstorable_payload: the payload {problem}"
    if event.kind.startswith("application.") and isinstance(event.payload.get("application"), str):
        for key, limit in PROJECTION_LIMITS.items():
            value = event.payload.get(key)
            if value is not None and len(str(value)) > limit:
                return f"unstorable_payload: '{key}' is longer than {limit} characters"
    return None


def require_text(name: str, value: str | None, limit: int | None = None) -> None:
    """Refuse (422) a text field the database cannot store or compare."""
    if value is None:
        return
    if not storable_text(value):
        raise ApiError(422, "invalid", f"'{name}' holds a NUL character or a lone surrogate")
    if limit is not None and len(value) > limit:
        raise ApiError(422, "invalid", f"'{name}' is longer than {limit} characters")


def require_json(name: str, value: Any) -> None:
    """Refuse (422) a JSON body that could not be stored and answered again."""
    problem = json_problem(value)
    if problem:
        raise ApiError(422, "invalid", f"'{name}' {problem}")


#: A login or logout form has four fields; more is no form of ours.
MAX_FORM_FIELDS = 10


def form_fields(body: bytes, max_fields: int = MAX_FORM_FIELDS) -> dict[str, list[str]]:
    """A posted form's fields (bytes that are not UTF-8 replaced); 422 beyond ``max_fields``."""
    try:
        return parse_qs(body.decode("utf-8", "replace"), max_num_fields=max_fields)
    except ValueError as exc:  # "Max number of fields exceeded"
        raise ApiError(422, "invalid", f"not a form of this page: {exc}") from exc
