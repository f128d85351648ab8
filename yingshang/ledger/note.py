"""Signing side of C2SP signed notes, checkpoints and entry promises (Ed25519). Pure.

Verification (``parse_verifier_key``, ``verify_note``, ``parse_checkpoint``,
``verify_promise``) lives in ``verifier.py``; ``promise_text`` and ``verify_promise`` are
re-exported here. Formats: docs/ledger-format.md.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from yingshang.ledger.verifier import (
    ALG_ED25519,
    ALG_OTHER,
    HASH_SIZE,
    SM2_IDENTIFIER,
    SM2_USER_ID,
    NoteError,
    NoteSignature,
    key_hash,
    promise_text,
    sm2_available,
    split_note,
    valid_key_name,
    verify_promise,
)

try:  # optional: SM2 second signatures (see SM2NoteSigner)
    import gmalg
except ImportError:  # pragma: no cover
    gmalg = None

__all__ = [
    "NoteSigner",
    "SM2NoteSigner",
    "add_signature",
    "checkpoint_body",
    "key_id",
    "promise_text",
    "sign_note",
    "sign_promise",
    "sm2_private_key",
    "verifier_key",
    "verify_promise",
]


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The signed-note key id: first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key)."""
    if not valid_key_name(name):
        raise ValueError(f"invalid key name {name!r}: non-empty, no spaces, no '+'")
    return key_hash(name, bytes([ALG_ED25519]) + _raw(public_key))


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """``<name>+<hex key id>+<base64(0x01 || public key)>``: what we publish for verifiers."""
    encoded = base64.b64encode(bytes([ALG_ED25519]) + _raw(public_key)).decode()
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


def _check_body(body: str) -> None:
    if not isinstance(body, str) or not body.endswith("\n"):
        raise NoteError("a note body must be text ending with a newline")
    if any(ch < " " and ch != "\n" for ch in body):
        raise NoteError("a note body may contain no control characters other than newline")
    if "\n\n" in body or body.startswith("\n"):
        raise NoteError("a note body may contain no empty lines")


class NoteSigner:
    """Signs note bodies with an Ed25519 key under a key name (for the log: its origin)."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self.name = name
        self.private_key = private_key
        self.key_id = key_id(name, private_key.public_key())

    @property
    def verifier_key(self) -> str:
        return verifier_key(self.name, self.private_key.public_key())

    def signature(self, body: str) -> NoteSignature:
        _check_body(body)
        return NoteSignature(self.name, self.key_id, self.private_key.sign(body.encode("utf-8")))

    def sign(self, body: str) -> str:
        """The signature line for ``body``: ``— <name> <base64(key id || signature)>`` (no newline)."""
        return self.signature(body).line()


class SM2NoteSigner:
    """Signs note bodies with an SM2 key (GB/T 32918.2, SM3 digest, default user ID): the
    checkpoint's optional second signature. Signed-note type 0xff ("other") followed by
    ``sm2-sm3/v1:`` and the uncompressed point; the signature is r || s, 32 bytes each.
    Needs the ``gmalg`` package."""

    def __init__(self, name: str, private_key: bytes) -> None:
        if gmalg is None or not sm2_available():
            raise ValueError("SM2 signatures need the gmalg package")
        if not valid_key_name(name):
            raise ValueError(f"invalid key name {name!r}: non-empty, no spaces, no '+'")
        if len(private_key) != 32:
            raise ValueError("an SM2 private key is 32 bytes")
        self.name = name
        self.point = gmalg.SM2(sk=private_key, uid=SM2_USER_ID).generate_pk(private_key)
        self._sm2 = gmalg.SM2(sk=private_key, uid=SM2_USER_ID, pk=self.point)
        self.key = bytes([ALG_OTHER]) + SM2_IDENTIFIER + self.point
        self.key_id = key_hash(name, self.key)

    @property
    def verifier_key(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(self.key).decode()}"

    def signature(self, body: str) -> NoteSignature:
        _check_body(body)
        r, s = self._sm2.sign(body.encode("utf-8"))
        return NoteSignature(self.name, self.key_id, r.rjust(32, b"\x00") + s.rjust(32, b"\x00"))

    def sign(self, body: str) -> str:
        return self.signature(body).line()


def sm2_private_key() -> bytes:
    """A new random SM2 private key (32 bytes). Needs the ``gmalg`` package."""
    if gmalg is None:
        raise ValueError("SM2 keys need the gmalg package")
    private, _public = gmalg.SM2().generate_keypair()
    return bytes(private).rjust(32, b"\x00")


def sign_note(body: str, signers: Sequence[NoteSigner | SM2NoteSigner]) -> str:
    """The signed note: body, a blank line, one signature line per signer (each ending in newline)."""
    if not signers:
        raise ValueError("a signed note needs at least one signer")
    return body + "\n" + "".join(signer.sign(body) + "\n" for signer in signers)


def add_signature(note_text: str, signer: NoteSigner) -> str:
    """Add ``signer``'s signature over the same body (a witness cosignature).

    An earlier signature by the same key (name and key id) is replaced, not repeated.
    """
    body, signatures = split_note(note_text)
    kept = [s for s in signatures if (s.name, s.key_id) != (signer.name, signer.key_id)]
    lines = [s.line() for s in kept] + [signer.sign(body)]
    return body + "\n" + "".join(line + "\n" for line in lines)


def checkpoint_body(origin: str, size: int, root: bytes, extensions: Sequence[str] = ()) -> str:
    """A C2SP checkpoint body: origin, decimal size, base64 root, extension lines; ends in newline."""
    if not origin or "\n" in origin or any(ch < " " for ch in origin):
        raise ValueError("the checkpoint origin must be a non-empty single line")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"invalid tree size {size!r}")
    if not isinstance(root, bytes) or len(root) != HASH_SIZE:
        raise ValueError(f"the root hash must be {HASH_SIZE} bytes")
    for line in extensions:
        if not line or "\n" in line or any(ch < " " for ch in line):
            raise ValueError("checkpoint extension lines must be non-empty single lines")
    lines = [origin, str(size), base64.b64encode(root).decode(), *extensions]
    return "".join(line + "\n" for line in lines)


def sign_promise(private_key: Ed25519PrivateKey, text: bytes) -> str:
    """Base64 Ed25519 signature over the promise text (``promise_text``)."""
    return base64.b64encode(private_key.sign(text)).decode()
