"""Helpers for envelope tests: seal in memory, rewrite and re-sign envelopes as a dishonest bidder would."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from yingshang.envelope import Header, SealResult, read_header, seal, sign
from yingshang.envelope.signatures import PrivateKey
from yingshang.envelope.tests.certs import certificate, key_of

TENDER, LOT, BIDDER = "YS-2026-0007", "2", "91350100M000100Y43"


def fixed_rng(start: int = 1) -> Callable[[int], bytes]:
    counter = iter(range(start, 1 << 30))
    return lambda n: bytes((next(counter) & 0xFF) for _ in range(n))


def seal_bytes(
    plaintext: bytes,
    *,
    signer: str = "ec",
    recipient: str = "ec",
    chunk_size: int = 64,
    **options: Any,
) -> tuple[SealResult, bytes]:
    signer_key = key_of(signer)
    out = io.BytesIO()
    result = seal(
        io.BytesIO(plaintext),
        out,
        tender=options.pop("tender", TENDER),
        lot=options.pop("lot", LOT),
        bidder=options.pop("bidder", BIDDER),
        signer_key=signer_key,
        signer_chain=[certificate(signer_key, "signer")],
        recipient_certificate=certificate(key_of(recipient, 1), "encryption"),
        chunk_size=chunk_size,
        **options,
    )
    return result, out.getvalue()


def split_envelope(envelope: bytes) -> tuple[Header, bytes]:
    stream = io.BytesIO(envelope)
    header = read_header(stream)
    return header, stream.read()


def chunks_of(header: Header, ciphertext: bytes) -> list[bytes]:
    out, offset = [], 0
    for index in range(header.chunk_count):
        length = header.chunk_length(index)
        out.append(ciphertext[offset : offset + length])
        offset += length
    return out


def resign(header: Header, ciphertext: bytes, signer_key: PrivateKey, **changes: Any) -> bytes:
    """The envelope a dishonest signer would build: header fields changed, hash recomputed, re-signed."""
    import hashlib

    changes.setdefault("ciphertext_sha256", hashlib.sha256(ciphertext).hexdigest())
    changed = replace(header, **changes)
    changed = changed.with_signature(sign(signer_key, changed.signed_bytes()))
    return changed.encode() + ciphertext
