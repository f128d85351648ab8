"""Memory stays bounded whatever the package size: a 64 MiB package sealed and opened under tracemalloc."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from typing import BinaryIO, cast

from yingshang.envelope import open_envelope, seal, unwrap_content_key, verify_envelope
from yingshang.envelope.tests.certs import certificate, ec_key

SIZE = 64 * 1024 * 1024


class Pattern(io.RawIOBase):
    """A readable stream of ``size`` pseudo-random bytes that never exists in memory as a whole."""

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.digest = hashlib.sha256()
        self.block = hashlib.sha256(b"pattern").digest() * 2048  # 64 KiB

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = min(len(buffer), self.remaining, len(self.block))
        data = self.block[:size]
        buffer[:size] = data
        self.digest.update(data)
        self.remaining -= size
        return size


class HashingSink(io.RawIOBase):
    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.digest.update(data)
        self.size += len(data)
        return len(data)


def test_sealing_and_opening_64_mib_stays_small(tmp_path):
    path = tmp_path / "bid.ysenv"
    package = Pattern(SIZE)
    tracemalloc.start()
    try:
        with open(path, "wb") as out:
            result = seal(
                io.BufferedReader(package),
                out,
                tender="T",
                lot="1",
                bidder="B",
                signer_key=ec_key(),
                signer_chain=[certificate(ec_key(), "signer")],
                recipient_certificate=certificate(ec_key(1), "encryption"),
                spool_dir=str(tmp_path),
            )
        _size, seal_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with open(path, "rb") as stream:
            header = verify_envelope(stream)
        key = unwrap_content_key(header, ec_key(1))
        sink = HashingSink()
        with open(path, "rb") as stream:
            open_envelope(stream, cast(BinaryIO, sink), content_key=key)
        _size, open_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert os.path.getsize(path) == result.size
    assert sink.size == SIZE and sink.digest.digest() == package.digest.digest()
    assert header.chunk_count == 64
    # a few chunks (1 MiB each) at most, against a 64 MiB package
    print(f"peak bytes: seal {seal_peak}, open {open_peak}")
    assert seal_peak < 8 * 1024 * 1024, seal_peak
    assert open_peak < 8 * 1024 * 1024, open_peak
    assert sorted(os.listdir(tmp_path)) == ["bid.ysenv"]  # the spool file is gone


def test_no_spool_file_is_left_behind_on_error(tmp_path):
    class Failing(io.RawIOBase):
        calls = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            Failing.calls += 1
            if Failing.calls > 3:
                raise OSError("disk went away")
            buffer[:16] = b"x" * 16
            return 16

    out = io.BytesIO()
    try:
        seal(
            cast(BinaryIO, Failing()),
            out,
            tender="T",
            lot="1",
            bidder="B",
            signer_key=ec_key(),
            signer_chain=[certificate(ec_key(), "signer")],
            recipient_certificate=certificate(ec_key(1), "encryption"),
            chunk_size=16,
            spool_dir=str(tmp_path),
        )
    except OSError:
        pass
    else:  # pragma: no cover
        raise AssertionError("the read error must surface")
    assert os.listdir(tmp_path) == []
    assert out.getvalue() == b""
