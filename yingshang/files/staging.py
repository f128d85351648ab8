"""Resumable uploads: bytes that arrive in chunks, staged on disk until the caller stores them.

A staged upload is a file ``<STAGING_DIR>/<staging id>.part`` (owner-only permissions). The
caller (a context with its own upload record, such as bids) keeps how many bytes it has
acknowledged; :func:`append` writes a chunk at exactly that offset after cutting away anything
beyond it (bytes written by a request that crashed before its acknowledgement was committed).
Memory holds one chunk at a time.

Durability: an appended chunk is in the operating system's cache when :func:`append` returns,
so it survives a crash (even SIGKILL) of the server process; :func:`sync` flushes the file to
disk, and the caller syncs before it promises anything on the whole file (a bid's receipt).
After a power failure the file may hold fewer bytes than were acknowledged:
:func:`append` then raises :class:`StagedShort` with the size that survived, and the caller
rewinds its acknowledged offset to it (the client still holds the file and resends).

``STAGING_DIR`` (``YINGSHANG["STAGING_DIR"]``, default ``var/staging``) must be one directory
shared by every web process of the site (a shared volume when the web tier is scaled out).
"""

from __future__ import annotations

import errno
import io
import mmap
import os
import re
from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings

_ID = re.compile(r"^[A-Za-z0-9_-]{8,80}$")


_made: set[str] = set()


def staging_dir() -> Path:
    configured = str(settings.YINGSHANG.get("STAGING_DIR") or Path(str(settings.VAR_DIR)) / "staging")
    path = Path(configured)
    if configured not in _made or not path.is_dir():  # made once per process (a hot path)
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        _made.add(configured)
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


class StagedShort(Exception):
    """The staged file holds fewer bytes than the caller acknowledged (lost in a power failure
    before they reached the disk); ``size`` is what it holds."""

    def __init__(self, staging_id: str, size: int) -> None:
        super().__init__(f"staged upload {staging_id} holds only {size} bytes")
        self.size = size


def append(staging_id: str, *, offset: int, data: bytes, sync: bool = False) -> int:
    """Write ``data`` at ``offset`` (the caller's acknowledged size), dropping anything after it.
    With ``sync`` the file is flushed to disk before returning. Returns the new size; raises
    :class:`StagedShort` if the file holds fewer than ``offset`` bytes."""
    if offset < 0:
        raise ValueError("negative offset")
    path = path_of(staging_id)
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o600)
    try:
        held = os.fstat(fd).st_size
        if held < offset:
            raise StagedShort(staging_id, held)
        if held > offset:
            os.ftruncate(fd, offset)
        written = 0
        view = memoryview(data)
        while written < len(data):
            written += os.pwrite(fd, view[written:], offset + written)
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)
    return offset + len(data)


def sync(staging_id: str) -> None:
    """Flush the staged file to disk."""
    fd = os.open(path_of(staging_id), os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create(staging_id: str, *, direct: bool = False) -> IO[bytes]:
    """A new (or emptied) staged file, owner-only, open for writing. With ``direct`` the bytes go
    straight to the disk (``O_DIRECT``, where the system has it), bypassing the page cache
    (:class:`DirectWriter`)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    path = path_of(staging_id)
    if direct and _O_DIRECT:
        try:
            fd = os.open(path, flags | _O_DIRECT, 0o600)
        except OSError as exc:
            if exc.errno != errno.EINVAL:  # this file system has no direct I/O: write through the cache
                raise
        else:
            return cast(IO[bytes], DirectWriter(fd))
    return os.fdopen(os.open(path, flags, 0o600), "wb")


_O_DIRECT: int = getattr(os, "O_DIRECT", 0)


class DirectWriter(io.RawIOBase):
    """Writes a file once, from start to end, with direct I/O: whole blocks from an aligned buffer
    of ``BUFFER`` bytes, the last block padded and the file then cut to its true size.

    For a large file written once and read back only in small parts (a decrypted bid package):
    through the page cache every byte would first be copied into freshly allocated cache pages
    (costly, and more so in a virtual machine whose memory is backed on first touch) and then
    written back anyway. A file system that refuses a direct write (``EINVAL``: an alignment it
    does not take) gets the rest of the file through the cache."""

    BLOCK = 4096  # the largest logical block size in use: every direct write is a multiple of it
    BUFFER = 1024 * 1024

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd
        self._buffer = mmap.mmap(-1, self.BUFFER)  # page-aligned, as direct I/O requires
        self._held = 0
        self._offset = 0
        self._direct = True

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        taken = 0
        while taken < len(view):
            count = min(len(view) - taken, self.BUFFER - self._held)
            self._buffer[self._held : self._held + count] = view[taken : taken + count]
            self._held += count
            taken += count
            if self._held == self.BUFFER:
                self._write_out(self.BUFFER)
                self._offset += self.BUFFER
                self._held = 0
        return taken

    def _write_out(self, length: int) -> None:
        view = memoryview(self._buffer)[:length]
        try:
            written = 0
            while written < length:
                try:
                    with view[written:] as part:  # released even if the write fails
                        written += os.pwrite(self._fd, part, self._offset + written)
                except OSError as exc:
                    if exc.errno != errno.EINVAL or not self._direct:
                        raise
                    self._direct = False
                    import fcntl  # only where direct I/O exists (not on Windows)

                    fcntl.fcntl(self._fd, fcntl.F_SETFL, fcntl.fcntl(self._fd, fcntl.F_GETFL) & ~_O_DIRECT)
        finally:
            view.release()

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self._held:
                padded = -(-self._held // self.BLOCK) * self.BLOCK
                self._buffer[self._held : padded] = bytes(padded - self._held)
                self._write_out(padded)
            os.ftruncate(self._fd, self._offset + self._held)
        finally:
            os.close(self._fd)
            self._buffer.close()
            super().close()


def open_staged(staging_id: str) -> IO[bytes]:
    """The staged bytes for reading (the caller closes the handle)."""
    return path_of(staging_id).open("rb")


def edit(staging_id: str) -> IO[bytes]:
    """The staged bytes for reading and writing in place (the caller closes the handle)."""
    return path_of(staging_id).open("r+b")


def discard(staging_id: str) -> None:
    path_of(staging_id).unlink(missing_ok=True)
