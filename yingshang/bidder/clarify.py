"""Replies to evaluation clarifications (评标澄清, A-143), signed by the bidder. Pure: no Django.

The committee asks a bidder a question through the platform; the bidder answers with a reply
signed by its signing certificate over :func:`reply_payload`::

    yingshang-clarification-reply/1\\n<clarification id>\\n<hex SHA-256 of the UTF-8 reply>

The platform (``yingshang.trading.evaluation``) rebuilds the same bytes with this function and
checks the signature and the certificate chain (docs/contexts/evaluation.md).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from typing import Any

from yingshang.bidder.errors import InputError
from yingshang.envelope import EnvelopeError, public_key_of_certificate, sign, verify

__all__ = ["REPLY_FORMAT", "reply_body", "reply_payload"]

REPLY_FORMAT = "yingshang-clarification-reply/1"


def reply_payload(clarification_id: int, reply: str) -> bytes:
    """The bytes a bidder signs for a reply: format line, clarification id, SHA-256 of the reply."""
    digest = hashlib.sha256(reply.encode("utf-8")).hexdigest()
    return f"{REPLY_FORMAT}\n{clarification_id}\n{digest}".encode()


def reply_body(clarification_id: int, reply: str, key: Any, chain: Sequence[bytes]) -> dict[str, Any]:
    """The API body of a signed reply (``POST .../clarifications/{id}/reply``); checks first that
    the key belongs to the chain's first certificate."""
    if not reply.strip():
        raise InputError("the reply is empty", code="empty_reply")
    if not chain:
        raise InputError("the signing certificate is missing", code="bad_certificate")
    payload = reply_payload(clarification_id, reply)
    try:
        signature = sign(key, payload)
        verify(public_key_of_certificate(chain[0]), payload, signature)
    except EnvelopeError as exc:
        if exc.code == "bad_signature":
            raise InputError(
                "the private key does not belong to the signing certificate", code="key_mismatch"
            ) from exc
        raise InputError(f"cannot sign the reply: {exc.message} ({exc.code})", code=exc.code) from exc
    return {
        "reply": reply,
        "signature": base64.b64encode(signature.value).decode("ascii"),
        "algorithm": signature.algorithm,
        "chain": [base64.b64encode(der).decode("ascii") for der in chain],
    }
