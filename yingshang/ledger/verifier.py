"""Standalone verifier for Yingshang evidence: Merkle proofs, signed notes, evidence bundles.

This one file imports only the Python standard library and ``cryptography``, so anyone can copy
it and check an evidence bundle with no database, no server and none of our code::

    pip install cryptography
    python verifier.py --key '<published verifier key>' bundle.json

(inside the project: ``python -m yingshang.ledger.verifier --key ... bundle.json``).

It is the single home of the verification primitives the platform uses too:

- RFC 9162 section 2 hashing (``leaf_hash``, ``node_hash``, ``EMPTY_ROOT``) and proof
  verification (``verify_inclusion`` 2.1.3.2, ``verify_consistency`` 2.1.4.2), raising
  ``ProofError`` with the reason;
- C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys and C2SP checkpoints
  (https://c2sp.org/tlog-checkpoint): ``parse_verifier_key``, ``verify_note``,
  ``parse_checkpoint``;
- entry promises (``promise_text``, ``verify_promise``);
- evidence bundles (``verify_bundle``, ``main``).

The format is documented in docs/ledger-format.md.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

try:  # optional: SM2 second signatures on checkpoints (pure-Python GM algorithms)
    import gmalg
except ImportError:  # pragma: no cover - the platform installs it; outside verifiers may not
    gmalg = None

__all__ = [
    "BUNDLE_FORMAT",
    "EMPTY_ROOT",
    "HASH_SIZE",
    "PROMISE_FORMAT",
    "BundleEntry",
    "BundleError",
    "BundleReport",
    "CheckpointBody",
    "NoteError",
    "NoteSignature",
    "PromiseError",
    "ProofError",
    "VerifiedNote",
    "Verifier",
    "consistency_proof_size",
    "inclusion_proof_size",
    "key_hash",
    "leaf_hash",
    "main",
    "node_hash",
    "parse_checkpoint",
    "parse_sm2_verifier_key",
    "parse_verifier_key",
    "promise_text",
    "sm2_available",
    "sm2_verify",
    "split_note",
    "valid_key_name",
    "verify_bundle",
    "verify_consistency",
    "verify_inclusion",
    "verify_note",
    "verify_promise",
]

HASH_SIZE = 32
#: MTH({}) = SHA-256 of the empty string (RFC 9162 2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()
BUNDLE_FORMAT = "yingshang-evidence-bundle/1"
PROMISE_FORMAT = "yingshang-entry-promise/1"
#: Signed-note signature lines start with an em dash (U+2014) and a space.
SIGNATURE_PREFIX = "\u2014 "
#: Signed-note signature type byte for Ed25519.
ALG_ED25519 = 0x01
#: Signed-note signature type byte for types the spec assigns no byte to, followed by our identifier.
ALG_OTHER = 0xFF
#: SM2 keys: 0xff, this identifier, then the 65-byte uncompressed point 0x04 || X || Y. Signatures:
#: SM2 (GB/T 32918.2) over the note text with SM3 and the default user ID, r || s (32 bytes each).
SM2_IDENTIFIER = b"sm2-sm3/v1:"
SM2_USER_ID = b"1234567812345678"
SM2_POINT_SIZE = 65
MAX_SIGNATURES = 100


class ProofError(ValueError):
    """A Merkle inclusion or consistency proof does not verify; the message says why."""


class NoteError(ValueError):
    """A signed note, verifier key or checkpoint is malformed or not signed by a known key."""


class PromiseError(ValueError):
    """An entry promise's signature does not verify."""


class BundleError(ValueError):
    """An evidence bundle does not verify; the message names the entry and what failed."""


# --------------------------------------------------------------------------------------------
# RFC 9162 section 2: hashing and proof verification
# --------------------------------------------------------------------------------------------


#: SHA-256 after the interior-node prefix 0x01; hot loops copy it instead of hashing the prefix.
_NODE_PREFIX = hashlib.sha256(b"\x01")


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry): the hash of one log entry (RFC 9162 2.1.1)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node (RFC 9162 2.1.1)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _check_hash(value: object, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray):
        raise ProofError(f"{what} must be bytes, not {type(value).__name__}")
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, a SHA-256 hash is {HASH_SIZE}")
    return bytes(value)


def _check_path(proof: Sequence[object]) -> list[bytes]:
    """The proof's hashes, checked; the message is only built for a bad one (this is a hot path)."""
    path = list(proof)
    for i, p in enumerate(path):
        if type(p) is not bytes or len(p) != HASH_SIZE:
            path[i] = _check_hash(p, f"proof hash {i}")
    return path  # type: ignore[return-value]


def _check_size(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProofError(f"{what} must be an integer, not {type(value).__name__}")
    if value < 0:
        raise ProofError(f"{what} is negative ({value})")
    return value


def inclusion_proof_size(index: int, tree_size: int) -> int:
    """How many hashes an inclusion proof for leaf ``index`` in a tree of ``tree_size`` has."""
    if not 0 <= index < tree_size:
        raise ProofError(f"leaf index {index} is outside a tree of size {tree_size}")
    inner = (index ^ (tree_size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def consistency_proof_size(old_size: int, new_size: int) -> int:
    """How many hashes a consistency proof from ``old_size`` to ``new_size`` has (0 < old <= new)."""
    if not 0 < old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size == new_size:
        return 0
    level = (old_size & -old_size).bit_length() - 1  # trailing zero bits of old_size
    index, last = (old_size - 1) >> level, (new_size - 1) >> level
    inner = (index ^ last).bit_length()
    seed = 0 if index == 0 else 1  # old_size a power of two: its root is the seed, not sent
    return seed + inner + (index >> inner).bit_count()


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``tree_size`` whose root is ``root``.

    RFC 9162 section 2.1.3.2. Raises ``ProofError`` naming what failed: an index outside the
    tree, a hash that is not 32 bytes, a proof too long or too short, or a root mismatch.
    """
    index = _check_size(index, "leaf index")
    tree_size = _check_size(tree_size, "tree size")
    if index >= tree_size:
        raise ProofError(f"leaf index {index} is outside a tree of size {tree_size}")
    leaf = _check_hash(leaf_hash, "leaf hash")
    expected_root = _check_hash(root, "root hash")
    path = _check_path(proof)
    want = inclusion_proof_size(index, tree_size)
    if len(path) != want:
        too = "long" if len(path) > want else "short"
        raise ProofError(
            f"inclusion proof too {too}: {len(path)} hashes, a leaf at index {index} "
            f"of a tree of size {tree_size} needs {want}"
        )
    # With the proof's length checked above, the path splits in two (RFC 9162 2.1.3.2, as
    # transparency-dev's VerifyInclusion does): the ``inner`` hashes below the level where the
    # leaf's path and the tree's right border meet, on the side the index's bits say, then the
    # border's hashes, all on the left. node_hash is inlined, from a SHA-256 state that has
    # already consumed the 0x01 prefix (copying it costs less than a new hash object): this loop
    # is the verifier's hot path.
    inner = (index ^ (tree_size - 1)).bit_length()
    node = _NODE_PREFIX.copy
    r = leaf
    bits = index
    for p in path[:inner]:
        h = node()
        h.update(p + r if bits & 1 else r + p)
        r = h.digest()
        bits >>= 1
    for p in path[inner:]:
        h = node()
        h.update(p + r)
        r = h.digest()
    if r != expected_root:
        raise ProofError(
            f"inclusion proof for leaf {index} does not lead to the root of the tree of size {tree_size} "
            f"(computed {r.hex()}, expected {expected_root.hex()})"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``old_size`` (root ``old_root``) is a prefix of the tree of ``new_size``.

    RFC 9162 section 2.1.4.2. Equal sizes need an empty proof and equal roots; a proof from an
    empty tree (``old_size == 0`` with a larger new tree) is refused as meaningless, as is
    ``old_size > new_size`` (a log never shrinks). Raises ``ProofError`` naming what failed.
    """
    old_size = _check_size(old_size, "old tree size")
    new_size = _check_size(new_size, "new tree size")
    first = _check_hash(old_root, "old root hash")
    second = _check_hash(new_root, "new root hash")
    path = _check_path(proof)
    if old_size > new_size:
        raise ProofError(
            f"old tree size {old_size} is larger than new tree size {new_size}: the log went backwards"
        )
    if old_size == new_size:
        if path:
            raise ProofError(
                f"trees of equal size {old_size} need an empty consistency proof, got {len(path)} hashes"
            )
        if first != second:
            raise ProofError(f"two different roots for the same tree size {old_size}")
        return
    if old_size == 0:
        raise ProofError("a consistency proof from the empty tree is meaningless and is refused")
    want = consistency_proof_size(old_size, new_size)
    if len(path) != want:
        too = "long" if len(path) > want else "short"
        raise ProofError(
            f"consistency proof too {too}: {len(path)} hashes, from size {old_size} to size {new_size} needs {want}"
        )
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root starts the path
        path = [first, *path]
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof too short")
    if fr != first:
        raise ProofError(
            f"consistency proof does not lead to the old root of size {old_size} "
            f"(computed {fr.hex()}, expected {first.hex()})"
        )
    if sr != second:
        raise ProofError(
            f"consistency proof does not lead to the new root of size {new_size} "
            f"(computed {sr.hex()}, expected {second.hex()})"
        )


# --------------------------------------------------------------------------------------------
# C2SP signed notes and checkpoints
# --------------------------------------------------------------------------------------------


def valid_key_name(name: str) -> bool:
    """A key name is non-empty, has no white space and no '+' (signed-note spec)."""
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def key_hash(name: str, key: bytes) -> bytes:
    """The 4-byte key id: the first 4 bytes of SHA-256(name || 0x0A || key).

    ``key`` is the signature type byte followed by the public key (0x01 || 32 bytes for Ed25519).
    """
    return hashlib.sha256(name.encode("utf-8") + b"\n" + key).digest()[:4]


def _b64decode(text: str, what: str, error: type[ValueError]) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise error(f"{what} is not valid base64") from exc


@dataclass(frozen=True)
class Verifier:
    """A known signed-note key: its name, 4-byte key id and public key (Ed25519, or the SM2
    point's bytes when ``algorithm`` is ``ALG_OTHER``)."""

    name: str
    key_id: bytes
    public_key: Any
    vkey: str  # the verifier key string it was parsed from
    algorithm: int = ALG_ED25519

    def verify(self, message: bytes, signature: bytes) -> bool:
        if self.algorithm == ALG_OTHER:
            return sm2_verify(self.public_key, message, signature)
        try:
            self.public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


def sm2_available() -> bool:
    """Whether SM2 signatures can be checked here (the optional ``gmalg`` package is importable)."""
    return gmalg is not None


def sm2_verify(point: bytes, message: bytes, signature: bytes) -> bool:
    """Check an SM2 signature (r || s) over ``message`` with the SM3 digest and the default user ID."""
    if gmalg is None:
        raise NoteError("checking SM2 signatures needs the gmalg package (pip install gmalg)")
    if len(signature) != 64:
        return False
    try:
        return bool(gmalg.SM2(pk=point, uid=SM2_USER_ID).verify(message, signature[:32], signature[32:]))
    except Exception:
        return False


def parse_sm2_verifier_key(vkey: str) -> Verifier:
    """Parse an SM2 verifier key ``<name>+<hex key id>+<base64(0xff || "sm2-sm3/v1:" || point)>``
    (signed-note signature type 0xff, "other"). Raises ``NoteError``."""
    if not isinstance(vkey, str):
        raise NoteError(f"a verifier key is a string, not {type(vkey).__name__}")
    vkey = vkey.strip()
    name, _, rest = vkey.partition("+")
    id_hex, plus, key_b64 = rest.partition("+")
    if not plus or not valid_key_name(name):
        raise NoteError("an SM2 verifier key has the form <name>+<key id>+<base64 key>")
    if len(id_hex) != 8 or any(ch not in "0123456789abcdefABCDEF" for ch in id_hex):
        raise NoteError(f"the key id {id_hex!r} in a verifier key must be 8 hex digits")
    key = _b64decode(key_b64, "the public key in the verifier key", NoteError)
    prefix = bytes([ALG_OTHER]) + SM2_IDENTIFIER
    if not key.startswith(prefix) or len(key) != len(prefix) + SM2_POINT_SIZE or key[len(prefix)] != 0x04:
        raise NoteError("the verifier key is not an SM2 key (0xff, 'sm2-sm3/v1:', an uncompressed point)")
    if key_hash(name, key) != bytes.fromhex(id_hex):
        raise NoteError(f"the key id {id_hex} does not match SM2 key {name!r}")
    return Verifier(
        name=name, key_id=bytes.fromhex(id_hex), public_key=key[len(prefix) :], vkey=vkey, algorithm=ALG_OTHER
    )


def parse_verifier_key(vkey: str) -> Verifier:
    """Parse ``<name>+<hex key id>+<base64(0x01 || Ed25519 public key)>``; check the key id.

    Raises ``NoteError`` if the key is malformed, not Ed25519, or its id does not match.
    """
    if not isinstance(vkey, str):
        raise NoteError(f"a verifier key is a string, not {type(vkey).__name__}")
    vkey = vkey.strip()
    name, _, rest = vkey.partition("+")  # base64 may itself contain '+': split at the first two only
    id_hex, plus, key_b64 = rest.partition("+")
    if not plus:
        raise NoteError("a verifier key has the form <name>+<key id>+<base64 key>")
    if not valid_key_name(name):
        raise NoteError(f"invalid key name {name!r} in verifier key")
    if len(id_hex) != 8 or any(ch not in "0123456789abcdefABCDEF" for ch in id_hex):
        raise NoteError(f"the key id {id_hex!r} in a verifier key must be 8 hex digits")
    key = _b64decode(key_b64, "the public key in the verifier key", NoteError)
    if len(key) != 33 or key[0] != ALG_ED25519:
        raise NoteError("the verifier key is not an Ed25519 key (0x01 followed by 32 bytes)")
    key_id = bytes.fromhex(id_hex)
    if key_hash(name, key) != key_id:
        raise NoteError(f"the key id {id_hex} does not match key {name!r}")
    return Verifier(
        name=name, key_id=key_id, public_key=Ed25519PublicKey.from_public_bytes(key[1:]), vkey=vkey
    )


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a note: key name, 4-byte key id, raw signature."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(self.key_id + self.signature).decode()}"


@dataclass(frozen=True)
class VerifiedNote:
    """A note whose signature by at least one known key verified.

    ``verified_by``: names of the known keys whose signature verified, in note order;
    ``unverified``: signatures by keys the verifier did not know (ignored, as the spec says).
    """

    body: str
    verified_by: tuple[str, ...]
    signatures: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...]


def split_note(text: str) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its body (ending in a newline) and its parsed signature lines.

    Checks the signed-note syntax only (no signature is verified). Raises ``NoteError``.
    """
    if not isinstance(text, str):
        raise NoteError(f"a signed note is text, not {type(text).__name__}")
    for ch in text:
        if ch < " " and ch != "\n":
            raise NoteError("a signed note may contain no control characters other than newline")
    if not text.endswith("\n"):
        raise NoteError("a signed note must end with a newline")
    split = text.rfind("\n\n")
    if split < 0:
        raise NoteError("a signed note needs a blank line between its text and its signatures")
    body, block = text[: split + 1], text[split + 2 :]
    if not block:
        raise NoteError("a signed note has no signature lines")
    signatures = []
    for line in block[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(
                f"malformed signature line {line[:60]!r}: it must start with an em dash and a space"
            )
        name, _, sig_b64 = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not valid_key_name(name) or not sig_b64:
            raise NoteError(f"malformed signature line {line[:60]!r}")
        raw = _b64decode(sig_b64, f"the signature by {name!r}", NoteError)
        if len(raw) < 5:
            raise NoteError(f"the signature by {name!r} is too short")
        signatures.append(NoteSignature(name=name, key_id=raw[:4], signature=raw[4:]))
        if len(signatures) > MAX_SIGNATURES:
            raise NoteError(f"a signed note may carry at most {MAX_SIGNATURES} signatures")
    return body, signatures


def verify_note(text: str, verifiers: Sequence[Verifier]) -> VerifiedNote:
    """Verify a signed note against known keys.

    Signatures by unknown keys are ignored (reported in ``unverified``); a signature by a known
    key that does not verify is an error; repeated signatures by one key count once. Raises
    ``NoteError`` if the note is malformed or no known key signed it.
    """
    body, signatures = split_note(text)
    known = {(v.name, v.key_id): v for v in verifiers}
    message = body.encode("utf-8")
    verified: list[str] = []
    seen: set[tuple[str, bytes]] = set()
    unverified: list[NoteSignature] = []
    for sig in signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            if sig not in unverified:
                unverified.append(sig)
            continue
        if (sig.name, sig.key_id) in seen:
            continue
        seen.add((sig.name, sig.key_id))
        if not verifier.verify(message, sig.signature):
            raise NoteError(f"invalid signature for key {sig.name!r} (key id {sig.key_id.hex()})")
        verified.append(sig.name)
    if not verified:
        names = ", ".join(sorted({f"{v.name}+{v.key_id.hex()}" for v in verifiers})) or "none"
        raise NoteError(f"the note is not signed by any known key (known keys: {names})")
    return VerifiedNote(
        body=body, verified_by=tuple(verified), signatures=tuple(signatures), unverified=tuple(unverified)
    )


@dataclass(frozen=True)
class CheckpointBody:
    """A parsed C2SP checkpoint body: origin line, tree size, root hash, extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()


def parse_checkpoint(body: str) -> CheckpointBody:
    """Parse a checkpoint note body (https://c2sp.org/tlog-checkpoint). Raises ``NoteError``.

    Lines: origin (non-empty), tree size (decimal, no leading zeros), base64 root hash (32
    bytes), then optional non-empty extension lines; the body ends with a newline.
    """
    if not isinstance(body, str) or not body.endswith("\n"):
        raise NoteError("a checkpoint body must be text ending with a newline")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("a checkpoint needs an origin line, a tree size line and a root hash line")
    origin, size_text, root_b64, *extensions = lines
    if not origin:
        raise NoteError("the checkpoint's origin line is empty")
    if not size_text.isascii() or not size_text.isdigit() or (len(size_text) > 1 and size_text[0] == "0"):
        raise NoteError(
            f"the checkpoint's tree size {size_text!r} is not a decimal number without leading zeros"
        )
    size = int(size_text)
    if size >= 1 << 64:
        raise NoteError("the checkpoint's tree size does not fit in 64 bits")
    root = _b64decode(root_b64, "the checkpoint's root hash", NoteError)
    if len(root) != HASH_SIZE:
        raise NoteError(f"the checkpoint's root hash is {len(root)} bytes, not {HASH_SIZE}")
    if any(not line for line in extensions):
        raise NoteError("a checkpoint may not contain empty extension lines")
    return CheckpointBody(origin=origin, size=size, root=root, extensions=tuple(extensions))


# --------------------------------------------------------------------------------------------
# Entry promises
# --------------------------------------------------------------------------------------------


def promise_text(*, origin: str, leaf_hash: bytes, time: str) -> bytes:
    """The exact bytes the log signs to promise it will include an entry.

    ``yingshang-entry-promise/1\\n<origin>\\n<hex leaf hash>\\n<RFC 3339 time>\\n`` in UTF-8.
    """
    for what, value in (("origin", origin), ("time", time)):
        if not isinstance(value, str) or not value or "\n" in value:
            raise ValueError(f"the promise's {what} must be a non-empty single line")
    if not isinstance(leaf_hash, bytes) or len(leaf_hash) != HASH_SIZE:
        raise ValueError(f"the promise's leaf hash must be {HASH_SIZE} bytes")
    return f"{PROMISE_FORMAT}\n{origin}\n{leaf_hash.hex()}\n{time}\n".encode()


def verify_promise(public_key: Ed25519PublicKey, text: bytes, signature_b64: str) -> None:
    """Check an entry promise's Ed25519 signature (base64). Raises ``PromiseError``."""
    signature = _b64decode(signature_b64, "the promise signature", PromiseError)
    try:
        public_key.verify(signature, text)
    except InvalidSignature as exc:
        raise PromiseError("the entry promise's signature does not verify with this key") from exc


# --------------------------------------------------------------------------------------------
# Evidence bundles
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleEntry:
    """One verified entry of a bundle."""

    index: int
    leaf_hash: bytes
    action: str | None
    time: str | None


@dataclass(frozen=True)
class BundleReport:
    """What ``verify_bundle`` established."""

    origin: str
    tree_size: int
    root: bytes
    key_name: str
    key_id: str  # 8 hex digits
    trusted: bool  # True if the bundle's key equals the trusted key passed in
    subject: Mapping[str, str] | None
    entries: tuple[BundleEntry, ...]
    witnesses: tuple[str, ...]  # names of witness keys whose cosignature verified
    sm2: str = ""  # the SM2 second signature: "" none checked, else what was established

    def summary(self) -> str:
        lines = [
            f"OK: {len(self.entries)} entr{'y' if len(self.entries) == 1 else 'ies'} included in log {self.origin!r}",
            f"checkpoint: tree size {self.tree_size}, root {self.root.hex()}",
            f"signed by: {self.key_name} (key id {self.key_id})"
            + ("" if self.trusted else " - NOT checked against a published key (use --key)"),
        ]
        if self.sm2:
            lines.append(f"SM2 signature: {self.sm2}")
        if self.witnesses:
            lines.append("cosigned by: " + ", ".join(self.witnesses))
        if self.subject is not None:
            lines.append("subject: {context}/{type}/{id}".format(**self.subject))
        lines.extend(
            f"  #{e.index} {e.leaf_hash.hex()} {e.action or ''} {e.time or ''}".rstrip() for e in self.entries
        )
        return "\n".join(lines)


def _field(bundle: Mapping[str, Any], key: str, kind: type, where: str = "bundle") -> Any:
    if key not in bundle:
        raise BundleError(f"{where}: missing field {key!r} (truncated bundle?)")
    value = bundle[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise BundleError(f"{where}: field {key!r} must be {kind.__name__}, not {type(value).__name__}")
    return value


def _subject(value: object) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) != {"context", "type", "id"}:
        raise BundleError("bundle: subject must be null or an object with exactly context, type and id")
    if not all(isinstance(value[k], str) for k in ("context", "type", "id")):
        raise BundleError("bundle: subject context, type and id must be strings")
    return {k: value[k] for k in ("context", "type", "id")}


def verify_bundle(
    bundle: Mapping[str, Any],
    *,
    trusted_key: str | Sequence[str] | None = None,
    sm2_key: str | None = None,
) -> BundleReport:
    """Verify an evidence bundle offline; return what it proves or raise ``BundleError``.

    Checks the format, the checkpoint's signature by the bundle's key (and that this key is
    ``trusted_key`` when given), the origin, every entry's leaf hash rebuilt from its text and
    its inclusion proof against the checkpoint's root, listed witness cosignatures, and that
    every entry belongs to the bundle's subject when one is named.

    A bundle that carries its own key proves only that it is self-consistent: anyone can make
    such a bundle with a key of their own. Supervisors pass the log's PUBLISHED verifier key
    as ``trusted_key`` (``--key`` on the command line); after a key rotation, pass every published
    key of the log (a sequence): the bundle's key must be one of them.

    SM2: with ``sm2_key`` (the log's published SM2 verifier key) the checkpoint must also carry a
    valid SM2 signature by it (the ``gmalg`` package is needed). Without it, a bundle's own
    ``sm2_verifier_key`` is checked when ``gmalg`` is importable, and reported as not checked
    otherwise.
    """
    if not isinstance(bundle, Mapping):
        raise BundleError("bundle: not a JSON object")
    fmt = _field(bundle, "format", str)
    if fmt != BUNDLE_FORMAT:
        raise BundleError(f"bundle: unknown format {fmt!r}, expected {BUNDLE_FORMAT!r}")
    origin = _field(bundle, "origin", str)
    log_key, trusted = _bundle_key(bundle, trusted_key)
    note, checkpoint = _bundle_checkpoint(bundle, log_key)
    sm2 = _bundle_sm2(bundle, sm2_key)
    if checkpoint.origin != origin:
        raise BundleError(
            f"origin mismatch: the bundle says {origin!r}, the checkpoint says {checkpoint.origin!r}"
        )
    subject = _subject(bundle.get("subject"))
    seen: set[int] = set()
    verified = [
        _bundle_entry(item, position, checkpoint, subject, seen)
        for position, item in enumerate(_field(bundle, "entries", list))
    ]
    return BundleReport(
        origin=origin,
        tree_size=checkpoint.size,
        root=checkpoint.root,
        key_name=log_key.name,
        key_id=log_key.key_id.hex(),
        trusted=trusted,
        subject=subject,
        entries=tuple(verified),
        witnesses=tuple(name for name in note.verified_by if name != log_key.name),
        sm2=sm2,
    )


def _bundle_sm2(bundle: Mapping[str, Any], sm2_key: str | None) -> str:
    """Check the checkpoint's SM2 signature; return what was established ("" if nothing asked)."""
    carried = bundle.get("sm2_verifier_key")
    vkey = sm2_key or carried
    if not vkey:
        return ""
    if not isinstance(vkey, str):
        raise BundleError("bundle: sm2_verifier_key must be a string")
    try:
        key = parse_sm2_verifier_key(vkey)
    except NoteError as exc:
        raise BundleError(f"SM2 key: {exc}") from exc
    if sm2_key and carried and carried != sm2_key:
        raise BundleError(f"SM2 key mismatch: the bundle names {carried}, the trusted key is {sm2_key}")
    if not sm2_available():
        if sm2_key:
            raise BundleError("SM2: checking SM2 signatures needs the gmalg package (pip install gmalg)")
        return f"not checked (key id {key.key_id.hex()}): the gmalg package is not installed"
    try:
        verify_note(_field(bundle, "checkpoint", str), [key])
    except NoteError as exc:
        raise BundleError(f"checkpoint: no valid SM2 signature by key {key.key_id.hex()}: {exc}") from exc
    trusted = "" if sm2_key else " - NOT checked against a published key (use --sm2-key)"
    return f"verified (key id {key.key_id.hex()}){trusted}"


def _bundle_key(bundle: Mapping[str, Any], trusted_key: str | Sequence[str] | None) -> tuple[Verifier, bool]:
    try:
        log_key = parse_verifier_key(_field(bundle, "verifier_key", str))
    except NoteError as exc:
        raise BundleError(f"bundle: verifier_key: {exc}") from exc
    if trusted_key is None or (not isinstance(trusted_key, str) and not trusted_key):
        return log_key, False
    trusted_keys = [trusted_key] if isinstance(trusted_key, str) else list(trusted_key)
    trusted_verifiers = []
    for vkey in trusted_keys:
        try:
            trusted_verifiers.append(parse_verifier_key(vkey))
        except NoteError as exc:
            raise BundleError(f"trusted key: {exc}") from exc
    if log_key.vkey not in {v.vkey for v in trusted_verifiers}:
        published = " or ".join(v.vkey for v in trusted_verifiers)
        raise BundleError(
            f"key mismatch: the bundle is signed with {log_key.vkey}, "
            f"but the trusted (published) key is {published}"
        )
    return log_key, True


def _bundle_checkpoint(bundle: Mapping[str, Any], log_key: Verifier) -> tuple[VerifiedNote, CheckpointBody]:
    witnesses: list[Verifier] = []
    raw_witnesses = bundle.get("cosignatures") or []
    if not isinstance(raw_witnesses, list):
        raise BundleError("bundle: cosignatures must be a list of witness verifier keys")
    for position, vkey in enumerate(raw_witnesses):
        try:
            witnesses.append(parse_verifier_key(vkey))
        except NoteError as exc:
            raise BundleError(f"bundle: cosignatures[{position}]: {exc}") from exc
    checkpoint_text = _field(bundle, "checkpoint", str)
    try:
        note = verify_note(checkpoint_text, [log_key, *witnesses])
        checkpoint = parse_checkpoint(note.body)
    except NoteError as exc:
        raise BundleError(f"checkpoint: {exc}") from exc
    if log_key.name not in note.verified_by:
        raise BundleError(f"checkpoint: not signed by the log's key {log_key.name!r}")
    missing = [w.name for w in witnesses if w.name not in note.verified_by]
    if missing:
        raise BundleError(f"checkpoint: no cosignature from listed witness(es) {', '.join(missing)}")
    return note, checkpoint


def _bundle_entry(
    item: object, position: int, checkpoint: CheckpointBody, subject: Mapping[str, str] | None, seen: set[int]
) -> BundleEntry:
    if not isinstance(item, Mapping):
        raise BundleError(f"entries[{position}]: not an object")
    index = _field(item, "index", int, f"entries[{position}]")
    where = f"entry {index}"
    if index in seen:
        raise BundleError(f"{where}: appears twice in the bundle")
    seen.add(index)
    text = _field(item, "entry", str, where)
    proof = []
    for i, encoded in enumerate(_field(item, "proof", list, where)):
        if not isinstance(encoded, str):
            raise BundleError(f"{where}: proof hash {i} is not a base64 string")
        try:
            proof.append(_b64decode(encoded, f"proof hash {i}", ProofError))
        except ProofError as exc:
            raise BundleError(f"{where}: {exc}") from exc
    leaf = leaf_hash(text.encode("utf-8"))
    try:
        verify_inclusion(leaf, index, checkpoint.size, proof, checkpoint.root)
    except ProofError as exc:
        raise BundleError(f"{where}: wrong inclusion proof: {exc}") from exc
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise BundleError(f"{where}: the entry is not JSON") from exc
    if not isinstance(parsed, dict):
        raise BundleError(f"{where}: the entry is not a JSON object")
    if subject is not None and parsed.get("subject") != subject:
        raise BundleError(
            f"{where}: belongs to subject {parsed.get('subject')!r}, not to the bundle's {subject!r}"
        )
    action, time = parsed.get("action"), parsed.get("time")
    return BundleEntry(
        index=index,
        leaf_hash=leaf,
        action=action if isinstance(action, str) else None,
        time=time if isinstance(time, str) else None,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python verifier.py [--key VKEY] BUNDLE``: print a short report; exit 0 if it verifies, 1 if not."""
    parser = argparse.ArgumentParser(
        prog="verifier.py",
        description="Verify a Yingshang evidence bundle offline (RFC 9162 proofs, signed checkpoint).",
    )
    parser.add_argument("bundle", help="path to the bundle JSON file ('-' for standard input)")
    parser.add_argument(
        "--key",
        action="append",
        help="the log's published verifier key (<name>+<id>+<base64>); strongly recommended; "
        "repeat it for each published key after a key rotation",
    )
    parser.add_argument(
        "--sm2-key", help="the log's published SM2 verifier key: also check the SM2 signature (needs gmalg)"
    )
    args = parser.parse_args(None if argv is None else list(argv))
    try:
        if args.bundle == "-":
            raw = sys.stdin.read()
        else:
            with open(args.bundle, encoding="utf-8") as handle:
                raw = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"FAILED: cannot read {args.bundle}: {exc}")
        return 1
    try:
        bundle = json.loads(raw)
    except ValueError as exc:
        print(f"FAILED: the bundle is not valid JSON (truncated?): {exc}")
        return 1
    try:
        report = verify_bundle(bundle, trusted_key=args.key, sm2_key=args.sm2_key)
    except BundleError as exc:
        print(f"FAILED: {exc}")
        return 1
    print(report.summary())
    if not report.trusted:
        print(
            "WARNING: checked only against the key inside the bundle; pass --key with the log's "
            "published verifier key to know the log really signed it."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
