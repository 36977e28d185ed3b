"""``shubbak centre enrol``: create the centre's sync key pair and register it (with the receipt
key and the centre's governorate, which the central reports group by) on the central server, using
an administrator's enrolment token."""

from __future__ import annotations

from pathlib import Path

import requests

from counter_app.core import settings
from counter_app.core.centre import get_centre
from counter_app.core.db import Database
from sync import protocol
from sync.agent.agent import SyncError, load_or_create_key


def enrol(db: Database, server: str, admin_token: str, *, receipt_key: Path | None = None,
          governorate: str | None = None, verify: bool | str = True, timeout: float = 15.0) -> str:
    """Returns the centre code enrolled; the server URL is remembered for the agent.

    ``governorate`` is the two-digit code of the national ID (``21`` Giza); enrolling again
    without it leaves the centre without one."""
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
    body: dict[str, str] = {"code": code, "name": name,
                            "sync_public_key": protocol.public_pem(key.public_key())}
    if receipt_key is not None and receipt_key.exists():
        body["receipt_public_key"] = protocol.public_pem(load_private_key(receipt_key).public_key())
    if governorate is not None:
        body["governorate"] = governorate
    try:
        response = requests.post(f"{server}/v1/centres/enrol", json=body, timeout=timeout, verify=verify,
                                 headers={"Authorization": f"Bearer {admin_token}"})
    except requests.RequestException as exc:
        raise SyncError(f"central server unreachable: {exc}", retryable=True) from exc
    if response.status_code != 201:
        raise SyncError(f"enrolment refused: {response.status_code} {response.text[:200]}", retryable=False)
    with db.begin() as s:
        settings.put(s, "sync.server", server)
    return code
