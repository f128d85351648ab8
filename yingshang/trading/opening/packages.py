"""The decrypted bid package as the platform stores it: no raw feature code in it.

A package made by ``yingshang-bidder pack`` is a zip whose last member is ``manifest.json``, and
that manifest carries the feature codes (network-card addresses, disk and processor identifiers,
host and user fingerprints, document authors) in the clear. The opening replaces them by keyed
hashes (``keys.hash_features``); before the package is stored, its ``manifest.json`` is replaced
by the manifest the opening keeps, so no raw value is stored anywhere.

- **In place** (every package the tool makes): the one ``manifest.json`` is the last member, so
  the file is cut where that member begins and the new manifest and central directory are
  written there. Every document's bytes stay where they were.
- **Rewritten** (any other layout: the manifest not last, or more than one member of that name):
  the members are copied into a new zip without any ``manifest.json`` and the kept one is added.

The package's SHA-256 is computed as it is decrypted; ``HashMarks`` keeps the hash state at
every chunk boundary so that, after an in-place edit, only the bytes from the last boundary
before the edit are hashed again (at most one chunk plus the new manifest and directory), not
the whole package.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
import zlib
from collections import deque
from typing import IO, Any

MANIFEST_NAME = "manifest.json"
COPY_BLOCK = 1024 * 1024


class PackageUnreadable(Exception):
    """The package's members cannot be read to be re-written (the bidder's cause)."""


#: What zipfile raises for a package it cannot read or write back: damaged, encrypted members,
#: an unsupported compression method.
UNREADABLE = (zipfile.BadZipFile, RuntimeError, NotImplementedError, ValueError, EOFError, zlib.error)


class HashMarks:
    """The SHA-256 state of a stream at the last ``keep`` points ``mark`` was called. Only the
    latest are kept (the manifest and the central directory sit at the end of the package), so
    memory does not grow with the package; an edit before the oldest kept mark is hashed again
    from the start."""

    def __init__(self, keep: int = 256) -> None:
        self.marks: deque[tuple[int, Any]] = deque(maxlen=keep)

    def mark(self, offset: int, digest: Any) -> None:
        self.marks.append((offset, digest.copy()))

    def resume_before(self, offset: int) -> tuple[int, Any]:
        """The latest kept mark at or before ``offset``: its position and a copy of its state
        (the start and an empty state when there is none)."""
        for position, state in reversed(self.marks):
            if position <= offset:
                return position, state.copy()
        return 0, hashlib.sha256()


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The stored ``manifest.json``, laid out as the bidder tool writes it."""
    return (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _manifest_info(date_time: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(MANIFEST_NAME, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    return info


def replace_in_place(handle: IO[bytes], data: bytes) -> int | None:
    """Replace the package's ``manifest.json`` by ``data`` where it is the only member of that
    name and the last one; return the offset from which the file's bytes changed. ``None``
    (nothing written) for any other layout; ``PackageUnreadable`` for a zip it cannot read.
    ``handle`` is open for reading and writing."""
    try:
        handle.seek(0)
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
        manifests = [m for m in members if m.filename == MANIFEST_NAME]
        if len(manifests) != 1 or max(members, key=lambda m: m.header_offset) is not manifests[0]:
            return None
        handle.seek(0)
        with zipfile.ZipFile(handle, "a") as editing:
            entry = editing.NameToInfo.pop(MANIFEST_NAME)
            editing.filelist.remove(entry)
            # New members are written from ``start_dir`` on; the central directory follows them
            # and the file is cut after it (zipfile truncates in append mode).
            editing.start_dir = entry.header_offset
            editing.writestr(_manifest_info(entry.date_time), data)
    except UNREADABLE as exc:
        raise PackageUnreadable(type(exc).__name__) from exc
    return int(entry.header_offset)


def rewrite(source: IO[bytes], target: IO[bytes], data: bytes) -> None:
    """Copy every member of ``source`` but ``manifest.json`` into a new zip on ``target`` and add
    ``data`` as its manifest. Raises ``PackageUnreadable`` for a member that cannot be read."""
    try:
        with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", allowZip64=True) as new:
            date_time = (1980, 1, 1, 0, 0, 0)
            for member in old.infolist():
                if member.filename == MANIFEST_NAME:
                    date_time = member.date_time
                    continue
                copy = zipfile.ZipInfo(member.filename, date_time=member.date_time)
                copy.external_attr = member.external_attr
                stored = member.compress_type == zipfile.ZIP_STORED
                copy.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                if member.is_dir():
                    new.writestr(copy, b"")
                    continue
                with old.open(member) as reader, new.open(copy, "w", force_zip64=True) as writer:
                    shutil.copyfileobj(reader, writer, COPY_BLOCK)
            new.writestr(_manifest_info(date_time), data)
    except UNREADABLE as exc:
        raise PackageUnreadable(type(exc).__name__) from exc


def sha256_from(handle: IO[bytes], offset: int, digest: Any) -> str:
    """Finish ``digest`` (the state at ``offset``) with the file's bytes from ``offset`` on."""
    handle.seek(offset)
    while block := handle.read(COPY_BLOCK):
        digest.update(block)
    return str(digest.hexdigest())
