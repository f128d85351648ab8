"""Resumable uploads: bytes that arrive in chunks, staged on disk until the caller stores them.

A staged upload is a file ``<STAGING_DIR>/<staging id>.part`` (owner-only permissions). The
caller (a context with its own upload record, such as bids) keeps how many bytes it has
acknowledged; :func:`append` writes a chunk at exactly that offset after cutting away anything
beyond it (bytes written by a request that crashed before its acknowledgement was committed),
and flushes to disk before returning, so every acknowledged byte survives a crash of the
server. Memory holds one chunk at a time.

``STAGING_DIR`` (``YINGSHANG["STAGING_DIR"]``, default ``var/staging``) must be one directory
shared by every web process of the site (a shared volume when the web tier is scaled out).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import IO

from django.conf import settings

_ID = re.compile(r"^[A-Za-z0-9_-]{8,80}$")


def staging_dir() -> Path:
    configured = settings.YINGSHANG.get("STAGING_DIR") or str(Path(str(settings.VAR_DIR)) / "staging")
    path = Path(str(configured))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def path_of(staging_id: str) -> Path:
    if not _ID.match(staging_id):
        raise ValueError(f"not a staging id: {staging_id!r}")
    return staging_dir() / f"{staging_id}.part"


def size(staging_id: str) -> int:
    """The bytes on disk (may exceed what the caller acknowledged after a crash)."""
    try:
        return path_of(staging_id).stat().st_size
    except FileNotFoundError:
        return 0


def append(staging_id: str, *, offset: int, data: bytes) -> int:
    """Write ``data`` at ``offset`` (the caller's acknowledged size), dropping anything after it;
    flushed to disk before returning. Returns the new size."""
    if offset < 0:
        raise ValueError("negative offset")
    path = path_of(staging_id)
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o600)
    try:
        if os.fstat(fd).st_size < offset:
            raise ValueError(f"staged upload {staging_id} holds fewer than {offset} bytes")
        os.ftruncate(fd, offset)
        written = 0
        view = memoryview(data)
        while written < len(data):
            written += os.pwrite(fd, view[written:], offset + written)
        os.fsync(fd)
    finally:
        os.close(fd)
    return offset + len(data)


def open_staged(staging_id: str) -> IO[bytes]:
    """The staged bytes for reading (the caller closes the handle)."""
    return path_of(staging_id).open("rb")


def discard(staging_id: str) -> None:
    path_of(staging_id).unlink(missing_ok=True)
