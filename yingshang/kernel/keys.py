"""The platform's own signing key: created at first set-up, never in the repository.

The key signs what the platform vouches for (ledger checkpoints, bid receipts, signed PDFs).
It is an Ed25519 private key in PKCS#8 PEM, found at ``YINGSHANG_SIGNING_KEY_PATH`` if set,
otherwise at ``<KEYS_DIR>/platform-signing-ed25519.pem``, created there with mode 0600 inside
a 0700 directory. Its public half is written beside it (``.pub.pem``) and published.
Rotation: see docs/keys.md.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

SIGNING_KEY_FILE = "platform-signing-ed25519.pem"


@dataclass(frozen=True)
class KeyInfo:
    path: Path
    public_pem: str
    key_id: str  # hex SHA-256 of the raw public key, first 16 characters


def signing_key_path() -> Path:
    override = os.environ.get("YINGSHANG_SIGNING_KEY_PATH")
    return Path(override) if override else Path(settings.KEYS_DIR) / SIGNING_KEY_FILE


def ensure_signing_key() -> KeyInfo:
    """Create the platform signing key if it does not exist; return where it is and its id."""
    path = signing_key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        platform_signing_key.cache_clear()
    public = platform_signing_key().public_key()
    public_pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    pub_path = path.with_suffix(".pub.pem")
    if not pub_path.exists() or pub_path.read_text() != public_pem:
        pub_path.write_text(public_pem)
    return KeyInfo(path=path, public_pem=public_pem, key_id=key_id(public))


@lru_cache(maxsize=1)
def platform_signing_key() -> Ed25519PrivateKey:
    path = signing_key_path()
    mode = path.stat().st_mode & 0o077
    if mode:
        raise PermissionError(
            f"{path} is readable by others (mode {oct(path.stat().st_mode & 0o777)}); chmod 600 it"
        )
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError(f"{path} does not hold an Ed25519 private key")
    return key


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_b64() -> str:
    raw = (
        platform_signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return base64.b64encode(raw).decode()
