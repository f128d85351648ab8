"""Offline verification of a bid receipt with the platform's public key.

A receipt file (``<envelope>.receipt.json``) is what the server answered when the last chunk
arrived::

    {"receipt": {...payload: bid id, tender, lot, the envelope's SHA-256, arrival time, ledger promise...},
     "signature": "<base64 Ed25519 signature>",           # or {"algorithm": "Ed25519", "signature"|"value": ...}
     "key_id": "<first 16 hex digits of SHA-256 of the raw public key>"}

The signature covers ``RECEIPT_SIGNING_PREFIX`` (``b"yingshang-bid-receipt/1\\n"``, as the server's
``yingshang.trading.bids.receipts`` signs) followed by the RFC 8785 canonical JSON of the
payload. The envelope's hash is read from the first of ``HASH_FIELDS`` the payload has.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from yingshang.bidder.errors import InputError, VerificationError
from yingshang.bidder.files import read_bytes, sha256_file

RECEIPT_SIGNING_PREFIX = b"yingshang-bid-receipt/1\n"
HASH_FIELDS = ("envelope_sha256", "sha256", "hash")


@dataclass(frozen=True)
class ReceiptCheck:
    payload: dict[str, Any]
    key_id: str
    envelope_sha256: str | None


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_public_key(data: bytes, source: str = "public key") -> Ed25519PublicKey:
    """An Ed25519 public key from PEM, DER or the raw 32 bytes in base64."""
    text = data.strip()
    key: Any = None
    try:
        if text.startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(text)
        elif text[:1] == b"\x30":
            key = serialization.load_der_public_key(text)
        else:
            raw = base64.b64decode(text, validate=True)
            key = Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error, TypeError) as exc:
        raise InputError(f"{source}: not an Ed25519 public key ({exc})", code="bad_public_key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"{source}: the platform's receipt key is Ed25519", code="bad_public_key")
    return key


def _signature_bytes(document: Mapping[str, Any]) -> bytes:
    signature = document.get("signature")
    if isinstance(signature, Mapping):
        algorithm = signature.get("algorithm", "Ed25519")
        if algorithm != "Ed25519":
            raise VerificationError(
                f"unexpected receipt signature algorithm {algorithm!r}", code="bad_receipt"
            )
        signature = signature.get("signature", signature.get("value"))
    if not isinstance(signature, str):
        raise VerificationError("the receipt has no signature", code="bad_receipt")
    try:
        return base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError("the receipt's signature is not base64", code="bad_receipt") from exc


def receipt_hash(payload: Mapping[str, Any]) -> str | None:
    for name in HASH_FIELDS:
        value = payload.get(name)
        if isinstance(value, str):
            return value.lower()
    return None


def verify_receipt(
    document: Any, public_key: Ed25519PublicKey, *, envelope: Path | None = None
) -> ReceiptCheck:
    """Check the platform's signature and, with ``envelope``, that the receipt names that file's hash.

    Raises ``VerificationError`` (a bad signature, another key, a hash that differs).
    """
    if not isinstance(document, Mapping) or not isinstance(document.get("receipt"), Mapping):
        raise VerificationError("not a receipt: {receipt, signature, key_id} expected", code="bad_receipt")
    payload = dict(document["receipt"])
    raw = _signature_bytes(document)
    try:
        canonical = rfc8785.dumps(payload)
    except rfc8785.CanonicalizationError as exc:
        raise VerificationError(f"the receipt cannot be canonicalised: {exc}", code="bad_receipt") from exc
    claimed = document.get("key_id")
    actual = key_id(public_key)
    try:
        public_key.verify(raw, RECEIPT_SIGNING_PREFIX + canonical)
    except InvalidSignature as exc:
        if isinstance(claimed, str) and claimed != actual:
            raise VerificationError(
                f"the receipt was signed by key {claimed}, not by the key given ({actual})", code="wrong_key"
            ) from exc
        raise VerificationError(
            "the receipt's signature is not valid: it was altered or not signed by this platform",
            code="bad_signature",
        ) from exc
    hash_value = receipt_hash(payload)
    if envelope is not None:
        if hash_value is None:
            raise VerificationError("the receipt names no envelope hash", code="bad_receipt")
        actual_hash, _size = sha256_file(envelope)
        if not hmac.compare_digest(actual_hash, hash_value):
            raise VerificationError(
                f"the receipt is for another file: it names SHA-256 {hash_value}, {envelope} has {actual_hash}",
                code="hash_mismatch",
            )
    return ReceiptCheck(payload=payload, key_id=actual, envelope_sha256=hash_value)


def read_public_key(path: Path) -> Ed25519PublicKey:
    return load_public_key(read_bytes(path, "public key"), str(path))
