"""Staged files: written straight to the disk (``write_staged(direct=True)``), every byte kept, the
file cut to its true size, and a file system that refuses direct I/O still gets the whole file;
appended chunk by chunk (``stage_chunk``), a resent chunk replacing what followed it."""

from __future__ import annotations

import errno
import fcntl
import os
import uuid

import pytest

from yingshang.files import facade as files
from yingshang.files import staging

BUFFER = staging.DirectWriter.BUFFER


def _staging_id() -> str:
    return f"direct-{uuid.uuid4().hex}"


def _write(pieces: list[bytes]) -> tuple[str, bytes]:
    staging_id = _staging_id()
    with files.write_staged(staging_id, direct=True) as sink:
        for piece in pieces:
            assert sink.write(piece) == len(piece)
    return staging_id, b"".join(pieces)


@pytest.mark.parametrize(
    "sizes",
    [
        [],  # an empty file
        [1],
        [4095, 1, 4097],  # around one block
        [BUFFER],  # exactly one buffer
        [BUFFER - 1, 2, BUFFER + 7],  # across buffer boundaries
        [3 * BUFFER + 12345],  # one write larger than the buffer
    ],
)
def test_direct_write_keeps_every_byte_and_the_true_size(sizes: list[int]) -> None:
    staging_id, expected = _write([os.urandom(size) for size in sizes])
    try:
        assert files.staged_size(staging_id) == len(expected)
        with files.open_staged(staging_id) as stream:
            assert stream.read() == expected
    finally:
        files.discard_staged(staging_id)


def test_direct_write_goes_to_the_disk_with_direct_io() -> None:
    staging_id = _staging_id()
    try:
        with files.write_staged(staging_id, direct=True) as sink:
            assert fcntl.fcntl(sink.fileno(), fcntl.F_GETFL) & os.O_DIRECT
    finally:
        files.discard_staged(staging_id)


def test_a_file_system_without_direct_io_gets_the_file_through_the_cache(monkeypatch) -> None:
    real_open = os.open

    def refusing_open(path, flags, *args):  # such as a file system that has no O_DIRECT
        if flags & os.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", refusing_open)
    staging_id, expected = _write([os.urandom(5000), os.urandom(BUFFER)])
    try:
        with files.open_staged(staging_id) as stream:
            assert stream.read() == expected
    finally:
        files.discard_staged(staging_id)


def test_a_refused_direct_write_continues_through_the_cache(monkeypatch) -> None:
    real_pwrite = os.pwrite
    refused = []

    def refusing_pwrite(fd, data, offset):  # an alignment this file system does not take
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
            refused.append(offset)
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", refusing_pwrite)
    staging_id, expected = _write([os.urandom(BUFFER + 999), os.urandom(3)])
    try:
        assert refused == [0]  # refused once, then the flag is dropped for the rest
        assert files.staged_size(staging_id) == len(expected)
        with files.open_staged(staging_id) as stream:
            assert stream.read() == expected
    finally:
        files.discard_staged(staging_id)


def test_other_write_errors_are_raised(monkeypatch) -> None:
    def full_disk(fd, data, offset):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwrite", full_disk)
    staging_id = _staging_id()
    try:
        with pytest.raises(OSError) as caught, files.write_staged(staging_id, direct=True) as sink:
            sink.write(b"x" * BUFFER)
        assert caught.value.errno == errno.ENOSPC
    finally:
        files.discard_staged(staging_id)


def test_appended_chunks_are_kept_exactly_and_a_resent_chunk_replaces_the_tail() -> None:
    staging_id = _staging_id()
    first, second, last = os.urandom(BUFFER), os.urandom(BUFFER), os.urandom(12345)
    try:
        assert files.stage_chunk(staging_id, offset=0, data=first) == BUFFER
        assert files.stage_chunk(staging_id, offset=BUFFER, data=second) == 2 * BUFFER
        # A request that died after writing, before its acknowledgement: its bytes are cut away.
        assert files.stage_chunk(staging_id, offset=2 * BUFFER, data=os.urandom(5000)) == 2 * BUFFER + 5000
        assert files.stage_chunk(staging_id, offset=2 * BUFFER, data=last, sync=True) == 2 * BUFFER + 12345
        # A chunk of another size (a client's own chunk size) follows on.
        tail = os.urandom(777)
        end = files.stage_chunk(staging_id, offset=2 * BUFFER + 12345, data=tail)
        assert end == files.staged_size(staging_id) == 2 * BUFFER + 12345 + 777
        with files.open_staged(staging_id) as stream:
            assert stream.read() == first + second + last + tail
    finally:
        files.discard_staged(staging_id)


def test_a_chunk_beyond_what_the_file_holds_is_refused() -> None:
    staging_id = _staging_id()
    try:
        files.stage_chunk(staging_id, offset=0, data=os.urandom(4096))
        with pytest.raises(files.StagedShort):
            files.stage_chunk(staging_id, offset=8192, data=os.urandom(4096))
        assert files.staged_size(staging_id) == 4096
    finally:
        files.discard_staged(staging_id)
