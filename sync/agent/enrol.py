"""``shubbak centre enrol``: create the centre's sync key pair and register it (with the receipt
key and the centre's governorate, which the central reports group by) on the central server, using
an administrator's enrolment token. The request carries the centre's public details for the
citizens' portal too (address, opening hours, portal address, services offered:
:mod:`counter_app.core.centre_public`); those given here are stored in the centre's settings first,
and a ``centre.updated`` event follows them through the outbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from counter_app.core import centre_public, settings
from counter_app.core.centre import get_centre
from counter_app.core.db import Database
from sync import protocol
from sync.agent.agent import SyncError, load_or_create_key


class EnrolmentRefused(SyncError):
    """The server said no; ``reason`` is its error code (e.g. ``expired_code``), or ``""``."""

    def __init__(self, status: int, reason: str, text: str) -> None:
        super().__init__(f"enrolment refused: {status} {text}", retryable=False)
        self.status, self.reason = status, reason


def _reason(response: requests.Response) -> str:
    try:
        answer = response.json()
    except ValueError:
        return ""
    return str(answer.get("error") or "") if isinstance(answer, dict) else ""


def enrol(db: Database, server: str, admin_token: str = "", *, receipt_key: Path | None = None,
          governorate: str | None = None, verify: bool | str = True, timeout: float = 15.0,
          portal: str | None = None, address_ar: str | None = None, address_en: str | None = None,
          opening_hours: str | None = None, enrolment_code: str | None = None) -> str:
    """Returns the centre code enrolled; the server URL is remembered for the agent.

    ``enrolment_code``: a one-time code an administrator issued for this centre (no token then;
    the server takes the centre's governorate from the code). A refused code raises
    :class:`EnrolmentRefused` whose ``reason`` is the server's (``expired_code``, ``used_code``,
    ``wrong_centre``, ``unknown_code``).

    ``governorate`` is the two-digit code of the national ID (``21`` Giza); enrolling again
    without it leaves the centre without one. ``portal`` (the citizens' portal's base URL, printed
    in the tickets' and receipts' QR codes), the addresses and the opening hours are kept as the
    centre's settings (None: as they are); a refused one raises :class:`ValidationFailed`."""
    from counter_app.common.signing import load_private_key
    from counter_app.core.national_id import GOVERNORATES

    if governorate is not None and governorate not in GOVERNORATES:
        raise SyncError(f"unknown governorate code {governorate!r}", retryable=False)
    server = server.rstrip("/")
    with db.begin() as s:
        centre = get_centre(s)
        if centre is None:
            raise SyncError("the centre is not set up yet", retryable=False)
        key = load_or_create_key(s)
        code, name = centre.code, centre.name_en or centre.name_ar
        names = {"name_ar": centre.name_ar, "name_en": centre.name_en}
        centre_public.set_details(s, address_ar=address_ar, address_en=address_en, opening_hours=opening_hours,
                                  portal_url=portal)
        details = centre_public.details(s)
    body: dict[str, Any] = {"code": code, "name": name, **names,
                            "sync_public_key": protocol.public_pem(key.public_key()), **details}
    if receipt_key is not None and receipt_key.exists():
        body["receipt_public_key"] = protocol.public_pem(load_private_key(receipt_key).public_key())
    if governorate is not None:
        body["governorate"] = governorate
    if enrolment_code is not None:
        body["enrolment_code"] = enrolment_code
    headers: dict[str, str] = {} if enrolment_code is not None else {"Authorization": f"Bearer {admin_token}"}
    path = "/v1/centres/enrol-with-code" if enrolment_code is not None else "/v1/centres/enrol"
    try:
        response = requests.post(server + path, json=body, timeout=timeout, verify=verify, headers=headers)
    except requests.RequestException as exc:
        raise SyncError(f"central server unreachable: {exc}", retryable=True) from exc
    if response.status_code != 201:
        raise EnrolmentRefused(response.status_code, _reason(response), response.text[:200])
    with db.begin() as s:
        settings.put(s, "sync.server", server)
        centre_public.announce(s, force=True)  # and in the event stream, whatever was sent before
    return code
