"""The ledger's checkpoint key and its history: which key signed which tree sizes (docs/keys.md,
"Rotation").

The checkpoint key is the platform signing key (``kernel.keys``). Rotating it
(``yingshang ledger rotate-key``, :func:`rotate`) makes a new key and appends it to the **key
history**, a public text file beside the key: ``ledger-verifier-keys.txt`` in the key's folder
(``var/keys/`` unless ``YINGSHANG_SIGNING_KEY_PATH`` points elsewhere). One line per key, oldest
first::

    # <first tree size> <verifier key>
    0 127.0.0.1:8000/yingshang/ledger+1a2b3c4d+AQ...
    1234 127.0.0.1:8000/yingshang/ledger+5e6f7a8b+AQ...

A key signs the checkpoints from its first tree size up to the size before the next key's first
size; the last key is the current one. Without the file the history is the current key alone,
from size 0. ``ledger verify`` checks every checkpoint against the key of its period, evidence
bundles carry the key that signed their checkpoint, and ``GET /api/v1/ledger/public-key`` lists
the history.

:func:`signing_key` reloads the key when its file changes (one ``stat`` per call), so a
running sequencer signs with the new key from its next batch on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from yingshang.kernel import keys
from yingshang.ledger import note, verifier

__all__ = [
    "HISTORY_FILE",
    "KeyHistoryError",
    "KeyPeriod",
    "Rotation",
    "SM2KeyError",
    "extra_signers",
    "history",
    "history_path",
    "key_for_size",
    "read_history",
    "read_sm2_key",
    "rotate",
    "signing_key",
    "sm2_key_path",
    "sm2_signer",
    "write_sm2_key",
]

HISTORY_FILE = "ledger-verifier-keys.txt"
HEADER = "# Yingshang evidence ledger: checkpoint keys, oldest first: <first tree size> <verifier key>\n"


class KeyHistoryError(ValueError):
    """The key history file is malformed or does not end with the current key."""


@dataclass(frozen=True)
class KeyPeriod:
    """A checkpoint key and the tree sizes it signs: ``first_size`` to ``last_size`` (``None``: the
    current key, no upper bound)."""

    verifier_key: str
    first_size: int
    last_size: int | None

    @property
    def key_id(self) -> str:
        return self.verifier_key.split("+", 2)[1]

    def covers(self, size: int) -> bool:
        return self.first_size <= size and (self.last_size is None or size <= self.last_size)

    def describe(self) -> str:
        last = "on" if self.last_size is None else f"to {self.last_size}"
        return f"key {self.key_id} (tree sizes {self.first_size} {last})"


# --- the signing key, reloaded when its file changes -------------------------------------------

_loaded: dict[str, tuple[tuple[int, int, int], Ed25519PrivateKey]] = {}


def signing_key() -> Ed25519PrivateKey:
    """The platform signing key (created at first use), reloaded if its file was replaced."""
    path = keys.signing_key_path()
    if not path.exists():
        keys.ensure_signing_key()
    stat = path.stat()
    stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    cached = _loaded.get(str(path))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    keys.platform_signing_key.cache_clear()
    key = keys.platform_signing_key()
    _loaded[str(path)] = (stamp, key)
    return key


# --- the history -------------------------------------------------------------------------------


def history_path() -> Path:
    return keys.signing_key_path().with_name(HISTORY_FILE)


def read_history(path: Path, *, origin: str) -> list[KeyPeriod]:
    """Parse a key history file; ``[]`` if it does not exist. Raises ``KeyHistoryError``."""
    if not path.exists():
        return []
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        size_text, _, vkey = line.partition(" ")
        if not size_text.isdigit():
            raise KeyHistoryError(f"{path}, line {number}: expected '<first tree size> <verifier key>'")
        try:
            parsed = verifier.parse_verifier_key(vkey.strip())
        except verifier.NoteError as error:
            raise KeyHistoryError(f"{path}, line {number}: {error}") from error
        if parsed.name != origin:
            raise KeyHistoryError(
                f"{path}, line {number}: the key is named {parsed.name!r}, not the log's origin {origin!r}"
            )
        first = int(size_text)
        if not lines and first != 0:
            raise KeyHistoryError(f"{path}, line {number}: the first key must start at tree size 0")
        if lines and first < lines[-1][0]:
            raise KeyHistoryError(f"{path}, line {number}: tree sizes must not decrease")
        lines.append((first, parsed.vkey))
    periods = []
    for position, (first, vkey) in enumerate(lines):
        last = lines[position + 1][0] - 1 if position + 1 < len(lines) else None
        periods.append(KeyPeriod(verifier_key=vkey, first_size=first, last_size=last))
    return periods


def history(*, origin: str, current: str) -> list[KeyPeriod]:
    """Every checkpoint key of the log, oldest first; the last is ``current`` (the verifier key of
    the platform key now). Raises ``KeyHistoryError`` if the file does not end with it."""
    path = history_path()
    periods = read_history(path, origin=origin)
    if not periods:
        return [KeyPeriod(verifier_key=current, first_size=0, last_size=None)]
    if periods[-1].verifier_key != current:
        raise KeyHistoryError(
            f"the platform key ({current.split('+', 2)[1]}) is not the last key of {path}: the key was "
            "replaced without `yingshang ledger rotate-key`; add a line '<first tree size> "
            f"{current}' to the file (see docs/keys.md, Rotation)"
        )
    return periods


def key_for_size(periods: list[KeyPeriod], size: int) -> KeyPeriod | None:
    """The key whose period covers ``size`` (the last such when periods are empty ones)."""
    found = [period for period in periods if period.covers(size)]
    return found[-1] if found else None


# --- the optional SM2 second signature --------------------------------------------------------

_sm2_loaded: dict[str, tuple[tuple[int, int, int], bytes]] = {}


class SM2KeyError(ValueError):
    """The configured SM2 key file is missing, unreadable, too open or malformed."""


def sm2_key_path() -> Path | None:
    """``settings.YINGSHANG["LEDGER_SM2_KEY"]`` (``YINGSHANG_LEDGER_SM2_KEY``), or None (off)."""
    configured = str(settings.YINGSHANG.get("LEDGER_SM2_KEY") or "")
    return Path(configured) if configured else None


def read_sm2_key(path: Path) -> bytes:
    """The 32-byte SM2 private key in ``path`` (64 hex digits; the file must be mode 0600)."""
    try:
        stat = path.stat()
        if stat.st_mode & 0o077:
            raise SM2KeyError(
                f"{path} is readable by others (mode {oct(stat.st_mode & 0o777)}); chmod 600 it"
            )
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        if isinstance(error, SM2KeyError):
            raise
        raise SM2KeyError(f"cannot read the SM2 key {path}: {error}") from error
    if len(key) != 32:
        raise SM2KeyError(f"{path} must hold a 32-byte SM2 private key as 64 hex digits")
    return key


def write_sm2_key(path: Path) -> bytes:
    """Create a new SM2 private key file (0600; refuses to overwrite one)."""
    key = note.sm2_private_key()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    _write_private(path, key.hex().encode() + b"\n")
    return key


def sm2_signer(origin: str) -> note.SM2NoteSigner | None:
    """The SM2 signer of checkpoints when the operator configured a key, else None. Raises
    ``SM2KeyError`` if a key is configured but cannot be used (the sequencer then signs nothing)."""
    path = sm2_key_path()
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError as error:
        raise SM2KeyError(f"the configured SM2 key {path} does not exist: {error}") from error
    stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    cached = _sm2_loaded.get(str(path))
    key = cached[1] if cached is not None and cached[0] == stamp else read_sm2_key(path)
    _sm2_loaded[str(path)] = (stamp, key)
    try:
        return note.SM2NoteSigner(origin, key)
    except ValueError as error:
        raise SM2KeyError(str(error)) from error


def extra_signers(origin: str) -> list[note.SM2NoteSigner]:
    """The signers whose lines follow the platform key's on every checkpoint (the SM2 key, if any)."""
    signer = sm2_signer(origin)
    return [signer] if signer is not None else []


# --- rotation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rotation:
    retired: KeyPeriod
    current: KeyPeriod
    retired_key_file: Path


def _write_private(path: Path, pem: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def rotate(*, origin: str, latest_size: int) -> Rotation:
    """Replace the platform key by a new one that signs the checkpoints after ``latest_size`` (the
    latest checkpoint's size; hold the sequencer lock while calling this). The old private key is
    kept beside it as ``<name>.retired-<key id>.pem`` (0600); the history gains the new key."""
    path = keys.signing_key_path()
    old = signing_key()
    old_vkey = note.verifier_key(origin, old.public_key())
    periods = history(origin=origin, current=old_vkey)
    first = latest_size + 1
    first = max(first, periods[-1].first_size)
    new = Ed25519PrivateKey.generate()
    new_vkey = note.verifier_key(origin, new.public_key())
    encoding, pkcs8 = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8
    retired_file = path.with_name(f"{path.stem}.retired-{periods[-1].key_id}.pem")
    if not retired_file.exists():
        _write_private(retired_file, path.read_bytes())
    staged = path.with_name(f".{path.name}.new")
    staged.unlink(missing_ok=True)
    _write_private(staged, new.private_bytes(encoding, pkcs8, serialization.NoEncryption()))
    lines = [HEADER] + [f"{p.first_size} {p.verifier_key}\n" for p in periods] + [f"{first} {new_vkey}\n"]
    history_staged = history_path().with_name(f".{HISTORY_FILE}.new")
    history_staged.write_text("".join(lines), encoding="utf-8")
    os.chmod(history_staged, 0o644)
    os.replace(staged, path)
    os.replace(history_staged, history_path())
    keys.platform_signing_key.cache_clear()
    keys.ensure_signing_key()  # rewrites the public half beside it
    final = read_history(history_path(), origin=origin)
    return Rotation(retired=final[-2], current=final[-1], retired_key_file=retired_file)
