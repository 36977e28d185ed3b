"""The SMTP and HTTP SMS-gateway senders of the citizens' notifications (no database here).

A sender sends one :class:`Message` and answers the gateway's id for it (and whether it is
delivered already), or raises :class:`SendError`: ``permanent`` for a refusal that will not change
(a 5xx SMTP reply, an HTTP 4xx other than 408 and 429), otherwise the dispatcher
(:mod:`counter_app.notify.dispatch`) tries again later. Connection errors and timeouts are never
permanent.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

import requests


class SendError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Outcome:
    provider_id: str | None
    delivered: bool = False


class Message(Protocol):
    """What a sender needs of a message (the centre's queued notifications are such)."""

    @property
    def id(self) -> int: ...

    @property
    def channel(self) -> str: ...

    @property
    def recipient(self) -> str: ...

    @property
    def subject(self) -> str: ...

    @property
    def body(self) -> str: ...


class Sender(Protocol):
    channel: str

    def send(self, note: Message) -> Outcome: ...


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

    def send(self, note: Message) -> Outcome:
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

    def send(self, note: Message) -> Outcome:
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
