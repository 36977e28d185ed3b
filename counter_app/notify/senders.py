"""Sending the citizens' notifications: an SMTP sender, an HTTP SMS-gateway sender, and the
dispatcher that moves each queued message through pending → sent → delivered (or failed).

A message is sent outside any database transaction and marked afterwards, one transaction per
message: a crash between the two sends it again (a citizen may get an SMS twice, never none).
Connection errors, timeouts, 4xx SMTP replies, and HTTP 408, 429 and 5xx are retried on the
backoff of ``counter_app.core.notifications`` for a day; other refusals fail at once.

``shubbak notify dispatch --db URL [--smtp-host H ...] [--sms-url U ...] [--once]`` runs it.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

import requests

from counter_app.core import notifications
from counter_app.core.clock import utcnow
from counter_app.core.db import Database
from counter_app.core.models import Notification, NotificationState

log = logging.getLogger("shubbak.notify")


class SendError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Outcome:
    provider_id: str | None
    delivered: bool = False


class Sender(Protocol):
    channel: str

    def send(self, note: Notification) -> Outcome: ...


def international_phone(phone: str, country_code: str = "20") -> str:
    """``01012345678`` → ``+201012345678`` (Egyptian mobiles); others as given, digits only."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.strip().startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("0"):
        return f"+{country_code}{digits[1:]}"
    return "+" + digits


class SmtpSender:
    channel = "email"

    def __init__(self, host: str, port: int = 25, *, sender: str, starttls: bool = False,
                 username: str | None = None, password: str | None = None, timeout: float = 15.0) -> None:
        self.host, self.port, self.sender, self.starttls = host, port, sender, starttls
        self.username, self.password, self.timeout = username, password, timeout

    def send(self, note: Notification) -> Outcome:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, note.recipient, note.subject
        message_id = make_msgid(domain=self.sender.rpartition("@")[2] or "shubbak.local")
        message["Message-ID"] = message_id
        message.set_content(note.body, charset="utf-8")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _msg in exc.recipients.values()]
            raise SendError(f"recipient refused: {exc.recipients}", permanent=all(c >= 500 for c in codes)) from exc
        except smtplib.SMTPResponseException as exc:
            raise SendError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(f"mail server unreachable: {exc}", permanent=False) from exc
        return Outcome(message_id)


class HttpSmsSender:
    """A JSON SMS gateway: ``POST {url}`` with ``{"to", "text", "reference"}`` and a bearer token;
    the answer carries the gateway's ``id`` and, when it knows already, ``"status": "delivered"``.
    ``GET {url}/{id}`` reports later delivery."""

    channel = "sms"
    RETRY = frozenset({408, 429}) | frozenset(range(500, 600))

    def __init__(self, url: str, token: str, *, sender_id: str = "Shubbak", timeout: float = 15.0,
                 country_code: str = "20") -> None:
        self.url, self.token, self.sender_id = url.rstrip("/"), token, sender_id
        self.timeout, self.country_code = timeout, country_code
        self.http = requests.Session()

    def _check(self, response: requests.Response) -> dict[str, object]:
        if response.status_code in self.RETRY:
            raise SendError(f"SMS gateway answered {response.status_code}", permanent=False)
        if response.status_code >= 400:
            raise SendError(f"SMS gateway refused: {response.status_code} {response.text[:200]}", permanent=True)
        try:
            data = response.json()
        except ValueError as exc:
            raise SendError("malformed answer from the SMS gateway", permanent=False) from exc
        if not isinstance(data, dict):
            raise SendError("malformed answer from the SMS gateway", permanent=False)
        return data

    def send(self, note: Notification) -> Outcome:
        body = {"to": international_phone(note.recipient, self.country_code), "text": note.body,
                "sender": self.sender_id, "reference": f"shubbak-{note.id}"}
        try:
            response = self.http.post(self.url, json=body, timeout=self.timeout,
                                      headers={"Authorization": f"Bearer {self.token}"})
        except requests.RequestException as exc:
            raise SendError(f"SMS gateway unreachable: {exc}", permanent=False) from exc
        data = self._check(response)
        provider = data.get("id")
        return Outcome(str(provider) if provider is not None else None, data.get("status") == "delivered")

    def delivery(self, provider_id: str) -> str:
        """``delivered``, ``failed`` or ``pending`` as the gateway knows it now."""
        try:
            response = self.http.get(f"{self.url}/{provider_id}", timeout=self.timeout,
                                     headers={"Authorization": f"Bearer {self.token}"})
        except requests.RequestException as exc:
            raise SendError(f"SMS gateway unreachable: {exc}", permanent=False) from exc
        status = self._check(response).get("status")
        return str(status) if status in ("delivered", "failed") else "pending"

    def close(self) -> None:
        self.http.close()


@dataclass
class DispatchReport:
    sent: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0  # no sender configured for the channel


def dispatch(db: Database, senders: dict[str, Sender], now: datetime | None = None, limit: int = 50) -> DispatchReport:
    report = DispatchReport()
    with db.read() as s:
        due = [(n.id, n.channel) for n in notifications.due(s, now, limit)]
    for note_id, channel in due:
        sender = senders.get(channel)
        if sender is None:
            report.skipped += 1
            continue
        with db.read() as s:
            note = s.get_one(Notification, note_id)
        try:
            outcome = sender.send(note)
        except SendError as exc:
            with db.begin() as s:
                row = s.get_one(Notification, note_id)
                notifications.mark_failed_attempt(row, str(exc), now or utcnow(), permanent=exc.permanent)
                failed = row.state == NotificationState.FAILED
            report.failed += failed
            report.retried += not failed
            continue
        with db.begin() as s:
            notifications.mark_sent(s.get_one(Notification, note_id), outcome.provider_id, now or utcnow(),
                                    delivered=outcome.delivered)
        report.sent += 1
        report.delivered += outcome.delivered
    return report


def poll_deliveries(db: Database, sms: HttpSmsSender, now: datetime | None = None) -> int:
    """Ask the gateway about messages sent but not yet known delivered; returns how many changed."""
    from sqlalchemy import select

    with db.read() as s:
        waiting = list(s.execute(select(Notification.id, Notification.provider_id).where(
            Notification.channel == "sms", Notification.state == NotificationState.SENT,
            Notification.provider_id.is_not(None)).limit(200)).all())
    changed = 0
    for note_id, provider_id in waiting:
        try:
            status = sms.delivery(str(provider_id))
        except SendError as exc:
            log.info("delivery report not available now: %s", exc)
            break
        if status == "pending":
            continue
        with db.begin() as s:
            row = s.get_one(Notification, note_id)
            if status == "delivered":
                notifications.mark_delivered(row, now or utcnow())
            else:
                row.state, row.last_error = NotificationState.FAILED, "the gateway reports it undelivered"
        changed += 1
    return changed


def senders_from(options: dict[str, str]) -> dict[str, Sender]:
    """Senders from a deployment's settings (the ``[notifications]`` section or the command line):
    ``smtp_host``, ``smtp_port``, ``smtp_from``, ``smtp_starttls``, ``smtp_user``, ``smtp_password``;
    ``sms_url``, ``sms_token``, ``sms_sender``. A channel with no settings is not sent (kept pending)."""
    senders: dict[str, Sender] = {}
    if options.get("smtp_host"):
        senders["email"] = SmtpSender(options["smtp_host"], int(options.get("smtp_port") or 25),
                                      sender=options.get("smtp_from") or "no-reply@shubbak.local",
                                      starttls=options.get("smtp_starttls", "").lower() in ("1", "yes", "true"),
                                      username=options.get("smtp_user") or None,
                                      password=options.get("smtp_password") or None)
    if options.get("sms_url"):
        senders["sms"] = HttpSmsSender(options["sms_url"], options.get("sms_token", ""),
                                       sender_id=options.get("sms_sender") or "Shubbak")
    return senders


def run(db: Database, senders: dict[str, Sender], *, once: bool = False, interval: float = 30.0,
        stop: Callable[[], bool] = lambda: False, wake: threading.Event | None = None) -> DispatchReport:
    """Send what is due, ask the SMS gateway about deliveries; again every ``interval`` seconds,
    or as soon as ``wake`` is set (a commit that queued messages)."""
    total = DispatchReport()
    while True:
        if wake is not None:
            wake.clear()
        report = dispatch(db, senders)
        for name in ("sent", "delivered", "retried", "failed", "skipped"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        sms = senders.get("sms")
        if isinstance(sms, HttpSmsSender):
            total.delivered += poll_deliveries(db, sms)
        if once or stop():
            return total
        if wake is not None:
            wake.wait(interval)
        else:
            time.sleep(interval)
        if stop():
            return total
