"""``/r/<payload>``: the page a phone opens from a receipt's QR code. It says whether the signed
payload is genuine (:func:`sync.server.receipts.check_receipt`, the check of
``POST /v1/receipts/verify``) and what it certifies: the centre, the tracking code, the amount and
the date. Rate-limited per client with the ``receipts`` rule (:mod:`sync.server.ratelimit`).

The URL carries the payload percent-encoded (``SHB1%7C...``, as the centres print it:
:func:`counter_app.common.signing.receipt_url`; the server decodes the path) or as base64url of its
UTF-8 bytes: :func:`payload_from_path` accepts both, through the scanner's own
:func:`counter_app.common.signing.payload_from_scan`.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from counter_app.common.formatting import format_datetime, money, tracking_code
from counter_app.common.signing import PREFIX, payload_from_scan
from sync.server.db import ServerDatabase
from sync.server.models import EnrolledCentre
from sync.server.portal import render, request_lang
from sync.server.portal.catalogue import governorate_name
from sync.server.receipts import NOT_A_RECEIPT, UNKNOWN_CENTRE, check_receipt

#: A signed payload is about 150 characters; anything much longer is not one.
MAX_PAYLOAD = 600


def payload_from_path(text: str) -> str:
    """The signed payload in a ``/r/`` path (already percent-decoded by the server): as it is when
    it starts with the payload's prefix, else decoded from base64url when that gives one."""
    text = payload_from_scan(text)
    if text.startswith(PREFIX + "|"):
        return text
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        return text
    return decoded if decoded.startswith(PREFIX + "|") else text


@dataclass(frozen=True)
class ReceiptView:
    centre: str
    tracking: str
    amount: str
    paid_at: str


def add_routes(app: FastAPI, db: ServerDatabase) -> None:
    @app.get("/r/{payload:path}", include_in_schema=False)
    def receipt(request: Request, payload: str) -> HTMLResponse:
        lang = request_lang(request)
        text = payload_from_path(payload[:MAX_PAYLOAD + 1])
        if len(text) > MAX_PAYLOAD or not text.startswith(PREFIX + "|") or text.count("|") != 5:
            answer: dict[str, Any] = {"valid": False, "reason": NOT_A_RECEIPT}
        else:
            with db.sessions() as s:
                answer = check_receipt(s, text)
                row = s.get(EnrolledCentre, answer["centre"]) if answer["valid"] else None
                centre = row.public_name(lang) if row is not None else str(answer.get("centre", ""))
                where = governorate_name(row.governorate if row is not None else None, lang)
        if not answer["valid"]:
            reason = {NOT_A_RECEIPT: "malformed", UNKNOWN_CENTRE: "unknown_centre"}.get(str(answer["reason"]), "altered")
            return render(request, "receipt.html", status=200 if reason == "altered" else 404, view=None,
                          reason=reason, cache="no-store")
        view = ReceiptView(f"{centre} · {where}" if where else centre, tracking_code(str(answer["tracking_code"])),
                           money(int(answer["total_piastres"]), lang),
                           format_datetime(datetime.fromisoformat(str(answer["paid_at"])), lang))
        return render(request, "receipt.html", view=view, reason=None, code=str(answer["tracking_code"]),
                      cache="no-store")
