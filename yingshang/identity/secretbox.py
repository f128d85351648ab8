"""Encryption at rest for small secrets (TOTP seeds). Pure: ``cryptography`` only, no Django.

A 256-bit key is derived from the platform's secret key with HKDF-SHA256 and a purpose label,
so the same secret key never serves two purposes directly. Each value is sealed with AES-256-GCM
under a fresh 96-bit nonce; the associated data binds the ciphertext to its row (a sealed seed
copied onto another user's row does not open). Stored form: ``version (1 byte) || nonce || ct``.

Key rotation: Django's ``SECRET_KEY_FALLBACKS`` are tried in order when the current key does not
open a value, so rotating the secret key does not lock enrolled users out; re-sealing happens
the next time the value is written.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["SealedValueError", "derive_key", "open_sealed", "seal"]

VERSION = b"\x01"
NONCE_BYTES = 12
SALT = b"yingshang.secretbox.v1"


class SealedValueError(ValueError):
    """The value does not open with any of the keys given (wrong key, tampered or truncated)."""


def derive_key(secret_key: str | bytes, purpose: str) -> bytes:
    """A 32-byte key for ``purpose`` derived from ``secret_key`` (HKDF-SHA256)."""
    material = secret_key.encode() if isinstance(secret_key, str) else secret_key
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT, info=purpose.encode())
    return hkdf.derive(material)


def seal(plaintext: bytes, *, key: bytes, associated_data: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, associated_data)


def open_sealed(sealed: bytes, *, keys: Sequence[bytes], associated_data: bytes) -> bytes:
    """The plaintext, trying each key in order; :class:`SealedValueError` if none opens it."""
    sealed = bytes(sealed)
    if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[:1] != VERSION:
        raise SealedValueError("not a sealed value of a known version")
    nonce, ciphertext = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    for key in keys:
        try:
            return AESGCM(key).decrypt(nonce, ciphertext, associated_data)
        except InvalidTag:
            continue
    raise SealedValueError("no key opens this value")
