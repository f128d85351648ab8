"""The stored package keeps no raw feature code: ``packages`` on real packages made by the bidder
tool's ``pack`` (in place) and on other layouts (rewritten), with the package's SHA-256 resumed
from the marks taken while it was written."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from yingshang.bidder.features import Sources
from yingshang.bidder.packing import OpeningSheet, pack
from yingshang.trading.opening import keys, packages

MAC = "52:54:00:ab:cd:ef"
SERIAL = "CPU-SERIAL-77"


@pytest.fixture
def package(tmp_path: Path, settings: Any) -> bytes:
    settings.KEYS_DIR = tmp_path / "keys"
    machine = tmp_path / "machine"
    (machine / "net" / "eth0").mkdir(parents=True)
    (machine / "net" / "eth0" / "address").write_text(MAC + "\n")
    (machine / "cpuinfo").write_text(f"model name\t: Test CPU\nSerial\t: {SERIAL}\n")
    (machine / "disks").mkdir()
    (machine / "machine-id").write_text("ab" * 16 + "\n")
    documents = tmp_path / "docs"
    documents.mkdir()
    (documents / "technical.bin").write_bytes(bytes(range(256)) * 9000)  # 2.2 MiB
    (documents / "price.txt").write_text("报价：捌佰万元整\n")
    out = tmp_path / "bid.zip"
    pack(
        [documents],
        out,
        tender="7",
        lot="9",
        bidder="91330100MA2B3C4D5E",
        sheet=OpeningSheet(price_fen=8_000_000_00, duration_days=180, quality="合格", project_manager="张工"),
        sources=Sources(
            net=machine / "net",
            cpuinfo=machine / "cpuinfo",
            disks=machine / "disks",
            machine_id=machine / "machine-id",
            use_getnode=False,
        ),
    )
    return out.read_bytes()


def _kept(data: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read(packages.MANIFEST_NAME))
    return {**manifest, "feature_codes": keys.hash_features(manifest["feature_codes"])}


def _written_with_marks(data: bytes, step: int = 64 * 1024, keep: int = 256) -> packages.HashMarks:
    """What the writer thread does: mark the state, then hash each chunk."""
    marks, digest = packages.HashMarks(keep), hashlib.sha256()
    for offset in range(0, len(data), step):
        marks.mark(offset, digest)
        digest.update(data[offset : offset + step])
    return marks


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _no_raw_value(data: bytes) -> None:
    for name, content in _members(data).items():
        assert MAC.encode() not in content, name
        assert SERIAL.encode() not in content, name


def _raw_manifest_bytes(data: bytes) -> bytes:
    """The manifest member's stored (compressed) bytes as they sit in the file."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(packages.MANIFEST_NAME)
    header = data[info.header_offset : info.header_offset + 30]
    start = (
        info.header_offset
        + 30
        + int.from_bytes(header[26:28], "little")
        + int.from_bytes(header[28:30], "little")
    )
    return data[start : start + info.compress_size]


def test_a_package_from_pack_is_edited_in_place_and_its_hash_resumed_from_the_marks(package: bytes) -> None:
    kept = _kept(package)
    assert MAC in json.dumps(_members(package)[packages.MANIFEST_NAME].decode())  # raw before
    marks = _written_with_marks(package)
    handle = io.BytesIO(package)
    changed_from = packages.replace_in_place(handle, packages.manifest_bytes(kept))
    edited = handle.getvalue()

    assert changed_from is not None and 0 < changed_from < len(package)
    assert edited[:changed_from] == package[:changed_from]  # the documents' bytes stay in place
    offset, digest = marks.resume_before(changed_from)
    assert offset <= changed_from
    assert packages.sha256_from(handle, offset, digest) == hashlib.sha256(edited).hexdigest()

    before, after = _members(package), _members(edited)
    assert list(after) == list(before)
    assert {k: v for k, v in after.items() if k != packages.MANIFEST_NAME} == {
        k: v for k, v in before.items() if k != packages.MANIFEST_NAME
    }
    assert json.loads(after[packages.MANIFEST_NAME]) == kept
    assert kept["feature_codes"]["mac_addresses"][0].startswith("hmac-sha256:")
    _no_raw_value(edited)
    assert _raw_manifest_bytes(package) not in edited  # the old member's bytes are gone, not hidden


def _relaid(package: bytes, *, manifest_first: bool = False, twice: bool = False) -> bytes:
    members = _members(package)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        names = (
            sorted(members, key=lambda n: n != packages.MANIFEST_NAME) if manifest_first else list(members)
        )
        for name in names:
            archive.writestr(name, members[name])
        if twice:
            with pytest.warns(UserWarning, match="Duplicate name"):
                archive.writestr(packages.MANIFEST_NAME, members[packages.MANIFEST_NAME])
    return out.getvalue()


@pytest.mark.parametrize("layout", ["manifest first", "manifest twice"])
def test_another_layout_is_rewritten_without_any_raw_manifest(package: bytes, layout: str) -> None:
    other = _relaid(package, manifest_first=layout == "manifest first", twice=layout == "manifest twice")
    kept = _kept(package)
    handle = io.BytesIO(other)
    assert packages.replace_in_place(handle, packages.manifest_bytes(kept)) is None
    assert handle.getvalue() == other  # nothing written

    target = io.BytesIO()
    packages.rewrite(io.BytesIO(other), target, packages.manifest_bytes(kept))
    rewritten = target.getvalue()
    with zipfile.ZipFile(io.BytesIO(rewritten)) as archive:
        assert [i.filename for i in archive.infolist()].count(packages.MANIFEST_NAME) == 1
    members = _members(rewritten)
    assert json.loads(members[packages.MANIFEST_NAME]) == kept
    assert {k: v for k, v in members.items() if k != packages.MANIFEST_NAME} == {
        k: v for k, v in _members(package).items() if k != packages.MANIFEST_NAME
    }
    _no_raw_value(rewritten)
    assert (
        packages.sha256_from(io.BytesIO(rewritten), 0, hashlib.sha256())
        == hashlib.sha256(rewritten).hexdigest()
    )


def test_a_member_that_cannot_be_read_is_the_packages_fault(package: bytes) -> None:
    other = bytearray(_relaid(package, manifest_first=True))
    with zipfile.ZipFile(io.BytesIO(bytes(other))) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("technical.bin"))
    data_start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    other[data_start : data_start + 64] = b"\xff" * 64  # the deflate stream is broken
    with pytest.raises(packages.PackageUnreadable):
        packages.rewrite(io.BytesIO(bytes(other)), io.BytesIO(), b"{}\n")


def test_only_the_latest_marks_are_kept_and_an_edit_before_them_is_hashed_from_the_start(
    package: bytes,
) -> None:
    marks = _written_with_marks(package, step=256, keep=2)
    assert len(marks.marks) == 2  # bounded, whatever the package's size
    handle = io.BytesIO(package)
    changed_from = packages.replace_in_place(handle, packages.manifest_bytes(_kept(package)))
    assert changed_from is not None
    assert all(position > changed_from for position, _ in marks.marks)
    offset, digest = marks.resume_before(changed_from)
    assert offset == 0  # every kept mark lies after the edit
    assert packages.sha256_from(handle, offset, digest) == hashlib.sha256(handle.getvalue()).hexdigest()


def test_a_zip_that_cannot_be_edited_is_the_packages_fault() -> None:
    with pytest.raises(packages.PackageUnreadable):
        packages.replace_in_place(io.BytesIO(b"PK\x05\x06 not a zip"), b"{}\n")
