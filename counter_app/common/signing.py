"""Signed receipt payloads for the receipt's QR code.

Format (ASCII, compact for a QR code)::

    SHB1|<centre code>|<tracking code>|<total piastres>|<UTC time YYYY-MM-DDTHH:MM:SSZ>|<base64url signature>

The Ed25519 signature covers everything before the last ``|`` as UTF-8 bytes.

**As a link.** A centre that knows its portal address prints the payload as a URL a phone camera
opens: ``{base_url}/r/{percent-encoded payload}`` (:func:`receipt_url`). The payload is
percent-encoded (RFC 3986, every character outside ``A-Z a-z 0-9 - . _ ~`` escaped: ``|`` and
``:`` become ``%7C`` and ``%3A``) rather than base64url-encoded: it stays readable, it is shorter
(about 20 more characters instead of a third more), and any web framework's path decoding gives
the payload back. The signature covers the payload, not the URL: the portal, the counter's scanner
and ``shubbak receipt verify`` take either form (:func:`payload_from_scan`) and verify the same bytes.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "SHB1"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
#: The portal's path of a receipt link: ``{base_url}/r/{payload}``.
RECEIPT_PATH = "/r/"


class InvalidReceiptPayload(ValueError):
    """The payload is malformed, altered, or not signed by the given centre key."""


@dataclass(frozen=True)
class ReceiptClaim:
    centre_code: str
    tracking_code: str
    total_piastres: int
    paid_at: datetime  # aware UTC


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _check_field(name: str, value: str) -> None:
    if not value or "|" in value or not value.isprintable() or value != value.strip():
        raise ValueError(f"{name} must be non-empty printable text without '|': {value!r}")


def _message(centre_code: str, tracking_code: str, total_piastres: int, paid_at: datetime) -> str:
    _check_field("centre_code", centre_code)
    _check_field("tracking_code", tracking_code)
    if isinstance(total_piastres, bool) or not isinstance(total_piastres, int) or total_piastres < 0:
        raise ValueError("total_piastres must be a non-negative integer")
    if paid_at.tzinfo is None:
        raise ValueError("paid_at must be timezone-aware")
    when = paid_at.astimezone(UTC).strftime(TIME_FORMAT)
    return f"{PREFIX}|{centre_code}|{tracking_code}|{total_piastres}|{when}"


def sign_receipt(
    key: Ed25519PrivateKey, centre_code: str, tracking_code: str, total_piastres: int, paid_at: datetime
) -> str:
    """Build the signed QR payload of a receipt."""
    message = _message(centre_code, tracking_code, total_piastres, paid_at)
    return f"{message}|{_b64encode(key.sign(message.encode('utf-8')))}"


def verify_receipt(payload: str, public_key: Ed25519PublicKey) -> ReceiptClaim:
    """Check the payload's signature against the centre's public key and return what it claims.

    Raises InvalidReceiptPayload if the payload is malformed, altered or signed by another key.
    """
    message, sep, signature_text = payload.strip().rpartition("|")
    parts = message.split("|")
    if not sep or len(parts) != 5 or parts[0] != PREFIX:
        raise InvalidReceiptPayload("not a Shubbak receipt payload")
    try:
        signature = _b64decode(signature_text)
        public_key.verify(signature, message.encode("utf-8"))
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise InvalidReceiptPayload("signature does not match") from exc
    _, centre_code, tracking_code, total_text, when = parts
    try:
        total = int(total_text)
        paid_at = datetime.strptime(when, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:  # signed but malformed: only possible with a buggy signer
        raise InvalidReceiptPayload("malformed fields") from exc
    return ReceiptClaim(centre_code, tracking_code, total, paid_at)


def receipt_url(base_url: str, payload: str) -> str:
    """The receipt's QR code as a link to the portal's check page (``payload`` percent-encoded)."""
    base = base_url.strip().rstrip("/")
    if not base:
        raise ValueError("a receipt link needs the portal's base URL")
    return f"{base}{RECEIPT_PATH}{quote(payload.strip(), safe='')}"


def payload_from_scan(text: str) -> str:
    """The signed payload from what a scanner or a camera read: a bare payload (as printed before
    the portal, or by a centre without one) or a receipt link (:func:`receipt_url`) of any portal.

    Only the form is undone here: the payload's signature is checked by :func:`verify_receipt`.
    Text that is neither is returned stripped, for the caller's verification to refuse."""
    value = text.strip()
    if value.lower().startswith(("http://", "https://")):
        path = urlsplit(value).path  # query and fragment (a scanner's additions) dropped
        _, sep, tail = path.rpartition(RECEIPT_PATH)
        if sep and tail:
            return unquote(tail).strip()
        return value
    if value.upper().startswith(f"{PREFIX}%7C"):  # a percent-encoded payload without its portal
        return unquote(value).strip()
    return value


def generate_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_to_pem(key: Ed25519PrivateKey, password: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def public_key_to_pem(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def save_private_key(key: Ed25519PrivateKey, path: str | Path, password: bytes | None = None) -> None:
    """Write the private key as PKCS#8 PEM, readable by the owner only."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_key_to_pem(key, password))


def save_public_key(key: Ed25519PublicKey | Ed25519PrivateKey, path: str | Path) -> None:
    Path(path).write_bytes(public_key_to_pem(key))


def load_private_key(path: str | Path, password: bytes | None = None) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=password)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(Path(path).read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} does not hold an Ed25519 public key")
    return key
