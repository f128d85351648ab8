"""Files written all at once or not at all: a temporary file in the same directory, renamed at the end.

A failure (or Ctrl-C) while writing removes the temporary file, so a half-written output never
appears under its final name. Secrets (content keys, tokens) are created with mode 0600 from the
start.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

from yingshang.bidder.errors import InputError

HASH_BLOCK = 1024 * 1024


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@contextlib.contextmanager
def atomic_output(path: Path, *, secret: bool = False, overwrite: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file that becomes ``path`` only if the block finishes without an exception."""
    path = Path(path)
    if not overwrite and path.exists():
        raise InputError(f"{path} already exists (use --force to replace it)", code="exists")
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise InputError(f"cannot write in {directory}: {exc.strerror or exc}", code="not_writable") from exc
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield cast(BinaryIO, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o600 if secret else 0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise


def write_json(path: Path, value: Any, *, secret: bool = False) -> None:
    data = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode() + b"\n"
    with atomic_output(path, secret=secret) as handle:
        handle.write(data)


def write_text(path: Path, text: str, *, secret: bool = False) -> None:
    with atomic_output(path, secret=secret) as handle:
        handle.write(text.encode())


def read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file", code="missing_file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}", code="unreadable") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})", code="bad_json") from exc


def read_bytes(path: Path, what: str = "file") -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{what} {path}: no such file", code="missing_file") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{what} {path} is a directory", code="unreadable") from exc
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot read: {exc.strerror or exc}", code="unreadable") from exc


def sha256_file(path: Path) -> tuple[str, int]:
    """The SHA-256 (hex) and size of a file, read in blocks."""
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as handle:
            while block := handle.read(HASH_BLOCK):
                digest.update(block)
                size += len(block)
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file", code="missing_file") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}", code="unreadable") from exc
    return digest.hexdigest(), size


# --- hash records: a file's SHA-256 remembered beside it ------------------------------------------

HASH_RECORD_FORMAT = "yingshang-hash-record/1"
_HEX64 = frozenset("0123456789abcdef")


def hash_record_path(path: Path) -> Path:
    return Path(path).with_name(Path(path).name + ".sha256.json")


def _identity(path: Path) -> dict[str, int]:
    """What tells this very file as it is now: any write changes its change time (``ctime``), which
    no user can set back, and replacing it changes its inode."""
    status = os.stat(path)
    return {
        "size": status.st_size,
        "device": status.st_dev,
        "inode": status.st_ino,
        "mtime_ns": status.st_mtime_ns,
        "ctime_ns": status.st_ctime_ns,
    }


def record_hash(path: Path, sha256: str) -> None:
    """Remember ``path``'s SHA-256 (computed while it was written) in ``<path>.sha256.json``, with
    the file's identity, so that ``file_sha256`` need not read a large file again. Best effort: a
    record that cannot be written only means the file is read again."""
    with contextlib.suppress(InputError, OSError):
        write_json(
            hash_record_path(path), {"format": HASH_RECORD_FORMAT, "sha256": sha256, **_identity(path)}
        )


def forget_hash(path: Path) -> None:
    with contextlib.suppress(OSError):
        hash_record_path(path).unlink()


def file_sha256(path: Path) -> tuple[str, int]:
    """The SHA-256 (hex) and size of a file: from its hash record while the file is the one recorded
    (same size, device, inode, modification and change times), otherwise read (``sha256_file``).
    The server checks the hash of what it receives all the same."""
    try:
        record = json.loads(hash_record_path(path).read_bytes())
        identity = _identity(path)
    except (OSError, ValueError):
        return sha256_file(path)
    sha256 = record.get("sha256") if isinstance(record, dict) else None
    if (
        isinstance(sha256, str)
        and len(sha256) == 64
        and set(sha256) <= _HEX64
        and record.get("format") == HASH_RECORD_FORMAT
        and all(record.get(name) == value for name, value in identity.items())
    ):
        return sha256, identity["size"]
    return sha256_file(path)
