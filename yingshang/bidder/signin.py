"""Certificate sign-in: sign a challenge with the signing key (``login``, and ``sign-qr`` standing in
for the mobile signer). The signed bytes are the challenge bytes exactly."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yingshang.bidder.errors import InputError
from yingshang.envelope import EnvelopeError, PrivateKey, public_key_of_certificate, sign, verify


@dataclass(frozen=True)
class QrPayload:
    url: str
    challenge_id: str
    challenge: bytes


def decode_challenge(value: Any) -> bytes:
    if not isinstance(value, str) or not value:
        raise InputError("the challenge is missing", code="bad_challenge")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError("the challenge is not base64", code="bad_challenge") from exc


def parse_qr(text: str) -> QrPayload:
    """The QR code's JSON ``{url, challenge_id, challenge}`` (the text itself or a file holding it)."""
    stripped = text.strip()
    if not stripped.startswith("{"):
        path = Path(stripped)
        try:
            stripped = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InputError(
                f"{text!r} is neither the QR code's JSON nor a readable file ({exc.strerror or exc})",
                code="bad_qr",
            ) from exc
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise InputError(f"the QR code's text is not JSON ({exc.msg})", code="bad_qr") from exc
    if not isinstance(data, dict):
        raise InputError("the QR code's JSON must be an object {url, challenge_id, challenge}", code="bad_qr")
    url, challenge_id = data.get("url"), data.get("challenge_id")
    if not isinstance(url, str) or not url:
        raise InputError("the QR code names no url", code="bad_qr")
    if not isinstance(challenge_id, str | int) or challenge_id == "":
        raise InputError("the QR code names no challenge_id", code="bad_qr")
    return QrPayload(
        url=url, challenge_id=str(challenge_id), challenge=decode_challenge(data.get("challenge"))
    )


def sign_challenge(key: PrivateKey, chain: Sequence[bytes], challenge: bytes) -> dict[str, str]:
    """The signature ``{algorithm, value (base64)}`` over the challenge bytes; checks first that the
    key belongs to the chain's first certificate."""
    if not chain:
        raise InputError("the signing certificate is missing", code="bad_certificate")
    try:
        signature = sign(key, challenge)
        verify(public_key_of_certificate(chain[0]), challenge, signature)
    except EnvelopeError as exc:
        if exc.code == "bad_signature":
            raise InputError(
                "the private key does not belong to the signing certificate", code="key_mismatch"
            ) from exc
        raise InputError(f"cannot sign the challenge: {exc.message} ({exc.code})", code=exc.code) from exc
    return signature.to_json()
