"""Bid receipts (回执): what the platform signs for the bidder the moment its bid is accepted.

A receipt is ``{"receipt": payload, "signature": {...}}``. The signature is the platform's
Ed25519 signature over ``b"yingshang-bid-receipt/1\\n" + RFC 8785 canonical JSON of payload``
(the same scheme as the documents' download receipts); anyone holding the platform's public key
can check it offline (``yingshang-bidder receipt verify``). Format: docs/contexts/bids.md.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import rfc8785
from cryptography.hazmat.primitives import serialization

from yingshang.kernel import keys
from yingshang.ledger.contracts import EntryPromise

RECEIPT_TYPE = "yingshang-bid-receipt/1"
RECEIPT_CONTEXT = b"yingshang-bid-receipt/1\n"


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def promise_json(promise: EntryPromise) -> dict[str, Any]:
    return {
        "entry_hash": promise.entry_hash,
        "time": rfc3339(promise.time),
        "origin": promise.origin,
        "key_id": promise.key_id,
        "signature": promise.signature,
    }


def sign(payload: Mapping[str, Any]) -> dict[str, str]:
    key = keys.platform_signing_key()
    signature = key.sign(RECEIPT_CONTEXT + rfc8785.dumps(dict(payload)))
    return {
        "algorithm": "Ed25519",
        "key_id": keys.key_id(key.public_key()),
        "public_key": keys.public_key_b64(),
        "signature": base64.b64encode(signature).decode(),
    }


def public_key() -> dict[str, str]:
    public = keys.platform_signing_key().public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {
        "algorithm": "Ed25519",
        "key_id": keys.key_id(public),
        "public_key": keys.public_key_b64(),
        "pem": pem.decode(),
    }
