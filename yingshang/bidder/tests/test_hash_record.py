"""A file's SHA-256 recorded beside it when it is written (``record_hash``) is used by
``file_sha256`` only while the file is the one recorded; otherwise the file is read."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from yingshang.bidder.files import file_sha256, hash_record_path, record_hash

#: Not the file's hash: a result equal to it proves the record was used and the file not read.
RECORDED = hashlib.sha256(b"recorded").hexdigest()


@pytest.fixture
def bid(tmp_path: Path) -> Path:
    path = tmp_path / "bid.env"
    path.write_bytes(os.urandom(5000))
    return path


def actual(path: Path) -> tuple[str, int]:
    data = path.read_bytes()
    return hashlib.sha256(data).hexdigest(), len(data)


def test_the_record_is_used_while_the_file_is_unchanged(bid: Path) -> None:
    record_hash(bid, RECORDED)
    assert file_sha256(bid) == (RECORDED, 5000)


def test_a_file_replaced_by_the_same_bytes_is_read_again(bid: Path) -> None:
    record_hash(bid, RECORDED)
    replacement = bid.with_name("other")
    replacement.write_bytes(bid.read_bytes())
    status = bid.stat()
    os.utime(replacement, ns=(status.st_atime_ns, status.st_mtime_ns))
    os.replace(replacement, bid)  # same size, same bytes, same modification time: another inode
    assert file_sha256(bid) == actual(bid)


def test_a_file_grown_or_touched_is_read_again(bid: Path) -> None:
    record_hash(bid, RECORDED)
    with bid.open("ab") as handle:
        handle.write(b"x")
    assert file_sha256(bid) == actual(bid)
    record_hash(bid, RECORDED)
    status = bid.stat()
    os.utime(bid, ns=(status.st_atime_ns, status.st_mtime_ns - 1_000_000_000))
    assert file_sha256(bid) == actual(bid)


@pytest.mark.parametrize(
    "record",
    [
        b"not json",
        b"[]",
        json.dumps({"format": "something-else/1", "sha256": RECORDED}).encode(),
        None,  # a record whose hash is not 64 hex digits
    ],
)
def test_a_damaged_or_foreign_record_is_ignored(bid: Path, record: bytes | None) -> None:
    record_hash(bid, RECORDED)
    path = hash_record_path(bid)
    if record is None:
        kept = json.loads(path.read_text())
        record = json.dumps({**kept, "sha256": "../" + RECORDED[3:]}).encode()
    path.write_bytes(record)
    assert file_sha256(bid) == actual(bid)
