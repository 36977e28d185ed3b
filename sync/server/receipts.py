"""Is a receipt's signed QR payload genuine? One check for ``POST /v1/receipts/verify`` and the
portal's ``/r/<payload>`` page.

The payload names its centre (:mod:`counter_app.common.signing`); the centre's receipt public key
is the one it sent at enrolment. Nothing personal is in a payload or in the answer: the centre,
the tracking code, the amount and the time of payment.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sync import protocol
from sync.server.models import EnrolledCentre

NOT_A_RECEIPT = "not a Shubbak receipt payload"
UNKNOWN_CENTRE = "unknown centre"


def check_receipt(session: Session, payload: str) -> dict[str, Any]:
    """``{"valid": True, centre, tracking_code, total_piastres, paid_at}`` or ``{"valid": False,
    "reason": ...}`` (:data:`NOT_A_RECEIPT`, :data:`UNKNOWN_CENTRE` or the signature's refusal)."""
    from counter_app.common.signing import InvalidReceiptPayload, verify_receipt

    parts = payload.split("|")
    centre = parts[1] if len(parts) > 2 else ""
    if not protocol.storable_text(payload):
        return {"valid": False, "reason": NOT_A_RECEIPT}
    row = session.get(EnrolledCentre, centre) if centre else None
    pem = row.receipt_public_key if row else None
    if not pem:
        return {"valid": False, "reason": UNKNOWN_CENTRE}
    try:
        claim = verify_receipt(payload, protocol.load_public(pem))
    except InvalidReceiptPayload as exc:
        return {"valid": False, "reason": str(exc)}
    return {"valid": True, "centre": claim.centre_code, "tracking_code": claim.tracking_code,
            "total_piastres": claim.total_piastres, "paid_at": claim.paid_at.isoformat()}
