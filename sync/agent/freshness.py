"""The time an agent signs its requests with, kept fresh by the server's clock.

The central server refuses a signed request whose time is more than five minutes off its own
(401 ``stale_request``) and the same signed request twice (409 ``replayed``). Every answer carries
the server's clock (``X-Shubbak-Time``), so the agent knows how far off the PC's clock is.

When the PC's clock is far off, signing again with it would be refused again, and a counter must
not stop sending because a PC's clock is wrong. So the agent signs with its clock corrected by the
skew it measured, once that skew is over :data:`CORRECT_BEYOND_S`, and says so in
``X-Shubbak-Clock-Skew`` (the server still records how far off the PC is). The skew is recorded in
the centre database like before, and beyond five minutes the status line raises an alert for the
supervisor to set the clock: tickets, receipts and events are stamped by that clock, and are wrong
by as much (:mod:`counter_app.core.sync_state`). Correcting does not weaken the server's check:
the signature still covers the time, and the server still refuses anything outside its window.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import requests

from sync import protocol

#: Beyond this skew the agent signs with its clock corrected: well inside the server's five-minute
#: window, so a clock drifting towards the edge never has requests refused on the way.
CORRECT_BEYOND_S = 60.0
#: Refusals answered by signing again with a fresh (corrected) time, once.
SIGN_AGAIN = frozenset({(401, "stale_request"), (409, "replayed")})


def server_time(response: requests.Response) -> datetime | None:
    """The server's clock when it answered: ``X-Shubbak-Time`` (to the microsecond), else ``Date``."""
    stamp = response.headers.get(protocol.HEADER_TIME)
    if stamp:
        try:
            moment = datetime.fromisoformat(stamp)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment
    date = response.headers.get("Date")
    if not date:
        return None
    try:
        return parsedate_to_datetime(date)
    except (TypeError, ValueError):
        return None


def refusal_code(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    return str(data.get("error") or "") if isinstance(data, dict) else ""


def sign_again(response: requests.Response) -> bool:
    """Is this a refusal that a request signed again with a fresh time would not meet?"""
    return response.status_code in (401, 409) and (response.status_code, refusal_code(response)) in SIGN_AGAIN


class SigningClock:
    """The skew of the PC's clock against the server's (PC minus server, seconds), as last measured,
    and the time to sign with."""

    def __init__(self, skew_s: float | None = None) -> None:
        self.skew_s = skew_s

    @classmethod
    def from_setting(cls, text: str) -> SigningClock:
        """From the skew the centre database kept (``sync.clock_skew_s``): a restarted agent of a PC
        whose clock is off does not spend a refused request finding out again."""
        try:
            return cls(float(text)) if text else cls()
        except ValueError:
            return cls()

    @property
    def correction_s(self) -> float:
        skew = self.skew_s
        return skew if skew is not None and abs(skew) > CORRECT_BEYOND_S else 0.0

    def stamp(self, local_now: datetime) -> tuple[str, dict[str, str]]:
        """The time to sign (the PC's clock, corrected when far off) and the headers that say so."""
        correction = self.correction_s
        signed = local_now - timedelta(seconds=correction)
        extra = {protocol.HEADER_CLOCK_SKEW: f"{correction:.3f}"} if correction else {}
        return signed.isoformat(), extra

    def observe(self, response: requests.Response, sent_at: datetime) -> float | None:
        """Measure the skew by an answer to a request sent at ``sent_at`` (the PC's clock)."""
        server = server_time(response)
        if server is not None:
            self.skew_s = (sent_at - server).total_seconds()
        return self.skew_s if server is not None else None
