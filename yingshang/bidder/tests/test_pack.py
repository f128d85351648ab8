from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from yingshang.bidder import __version__
from yingshang.bidder.errors import InputError
from yingshang.bidder.features import Sources, collect
from yingshang.bidder.packing import OpeningSheet, pack, read_manifest
from yingshang.bidder.tests.conftest import USCC
from yingshang.bidder.tests.documents import make_docx, make_pdf

SHEET = OpeningSheet(price_fen=123456789, duration_days=180, quality="合格", project_manager="张三")


def bid_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "bid"
    (folder / "technical").mkdir(parents=True)
    make_pdf(folder / "commercial.pdf")
    make_docx(folder / "technical" / "plan.docx")
    (folder / "technical" / "drawing.dwg").write_bytes(b"\x00drawing" * 100)
    (folder / ".DS_Store").write_bytes(b"junk")
    return folder


def test_pack_writes_documents_and_manifest(tmp_path: Path) -> None:
    folder = bid_folder(tmp_path)
    result = pack([folder], tmp_path / "bid.zip", tender="12", lot="3", bidder=USCC.lower(), sheet=SHEET)

    with zipfile.ZipFile(result.path) as archive:
        names = sorted(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        assert names == [
            "documents/commercial.pdf",
            "documents/technical/drawing.dwg",
            "documents/technical/plan.docx",
            "manifest.json",
        ]
        for entry in manifest["files"]:
            data = archive.read(entry["path"])
            assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["size"]
    assert manifest == result.manifest == read_manifest(result.path)
    assert manifest["format"] == "yingshang-bid-package/1"
    assert (manifest["tender"], manifest["lot"], manifest["bidder"]) == ("12", "3", USCC)
    assert manifest["opening_sheet"] == {
        "price_fen": 123456789,
        "price_uppercase": "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分",
        "duration_days": 180,
        "quality": "合格",
        "project_manager": "张三",
    }
    assert manifest["tool"] == {"name": "yingshang-bidder", "version": __version__}
    assert result.sha256 == hashlib.sha256(result.path.read_bytes()).hexdigest()

    codes = manifest["feature_codes"]
    assert codes["tool_version"] == __version__
    for key in (
        "host_name",
        "user_name",
        "mac_addresses",
        "processors",
        "disks",
        "machine_id",
        "unavailable",
    ):
        assert key in codes
    assert codes["host_name"] and codes["user_name"]
    documents = {item["path"]: item for item in codes["documents"]}
    assert set(documents) == {"documents/commercial.pdf", "documents/technical/plan.docx"}
    assert documents["documents/commercial.pdf"] == {
        "path": "documents/commercial.pdf",
        "format": "pdf",
        "author": "Zhang San",
        "creator": "WPS Writer",
        "producer": "Bid Maker 3.1",
        "created": "2026-11-01T00:30:00Z",
        "modified": "2026-11-02T01:30:00Z",
    }
    assert documents["documents/technical/plan.docx"] == {
        "path": "documents/technical/plan.docx",
        "format": "docx",
        "author": "Li Si",
        "last_modified_by": "Wang Wu",
        "created": "2026-10-01T01:02:03Z",
        "modified": "2026-10-02T04:05:06Z",
        "revision": "7",
    }


def test_pack_single_files_and_refuses_duplicates(tmp_path: Path) -> None:
    one = make_pdf(tmp_path / "a.pdf")
    (tmp_path / "sub").mkdir()
    two = make_pdf(tmp_path / "sub" / "a.pdf")
    result = pack([one], tmp_path / "one.zip", tender="1", lot="1", bidder=USCC, sheet=SHEET)
    assert [f["path"] for f in result.manifest["files"]] == ["documents/a.pdf"]
    with pytest.raises(InputError, match="both be stored"):
        pack([one, two], tmp_path / "two.zip", tender="1", lot="1", bidder=USCC, sheet=SHEET)
    assert not (tmp_path / "two.zip").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bidder": "123"}, "unified social credit code"),
        ({"sheet": OpeningSheet(0, 10, "ok", "pm")}, "more than 0 fen"),
        ({"sheet": OpeningSheet(100, 0, "ok", "pm")}, "at least 1 day"),
        ({"sheet": OpeningSheet(100, 10, " ", "pm")}, "quality"),
        ({"sheet": OpeningSheet(100, 10, "ok", "")}, "project manager"),
        ({"tender": ""}, "tender"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(tmp_path: Path, change: dict, message: str) -> None:
    make_pdf(tmp_path / "a.pdf")
    arguments = {"tender": "1", "lot": "1", "bidder": USCC, "sheet": SHEET, **change}
    with pytest.raises(InputError, match=message):
        pack([tmp_path / "a.pdf"], tmp_path / "out.zip", **arguments)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf"]


def test_missing_input_and_existing_output(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        pack([tmp_path / "nope"], tmp_path / "out.zip", tender="1", lot="1", bidder=USCC, sheet=SHEET)
    make_pdf(tmp_path / "a.pdf")
    (tmp_path / "out.zip").write_bytes(b"old")
    with pytest.raises(InputError, match="already exists"):
        pack([tmp_path / "a.pdf"], tmp_path / "out.zip", tender="1", lot="1", bidder=USCC, sheet=SHEET)
    assert (tmp_path / "out.zip").read_bytes() == b"old"
    pack(
        [tmp_path / "a.pdf"],
        tmp_path / "out.zip",
        tender="1",
        lot="1",
        bidder=USCC,
        sheet=SHEET,
        overwrite=True,
    )
    assert read_manifest(tmp_path / "out.zip")["tender"] == "1"


def test_unwritable_output_folder_leaves_nothing(tmp_path: Path) -> None:
    """A folder nobody may create files in (sysfs refuses even root), so the test runs as any user."""
    make_pdf(tmp_path / "a.pdf")
    locked = Path("/sys/kernel")
    before = set(locked.iterdir())
    with pytest.raises(InputError, match="cannot write"):
        pack([tmp_path / "a.pdf"], locked / "out.zip", tender="1", lot="1", bidder=USCC, sheet=SHEET)
    assert set(locked.iterdir()) == before


def test_unreadable_document_leaves_no_partial_package(tmp_path: Path) -> None:
    folder = bid_folder(tmp_path)
    broken = folder / "broken.pdf"
    broken.symlink_to(tmp_path / "missing-target")  # a dangling link: listed, cannot be read
    (tmp_path / "out").mkdir()
    with pytest.raises(InputError):
        pack([folder, broken], tmp_path / "out" / "bid.zip", tender="1", lot="1", bidder=USCC, sheet=SHEET)
    assert list((tmp_path / "out").iterdir()) == []


def test_features_from_a_machine_with_everything(tmp_path: Path) -> None:
    net = tmp_path / "net"
    for name, address in (
        ("lo", "00:00:00:00:00:00"),
        ("eth0", "52:54:00:AB:CD:EF"),
        ("wlan0", "a4:5e:60:01:02:03"),
    ):
        (net / name).mkdir(parents=True)
        (net / name / "address").write_text(address + "\n")
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nmodel name\t: Example CPU @ 3.0GHz\n\nprocessor\t: 1\nmodel name\t: Example CPU @ 3.0GHz\n"
        "Serial\t\t: 00000000abcdef01\n"
    )
    disks = tmp_path / "by-id"
    disks.mkdir()
    for name in ("ata-DISK_SERIAL123", "ata-DISK_SERIAL123-part1", "nvme-eui.0025"):
        (disks / name).write_text("")
    machine_id = tmp_path / "machine-id"
    machine_id.write_text("0123456789abcdef0123456789abcdef\n")
    codes = collect(sources=Sources(net, cpuinfo, disks, machine_id, use_getnode=False))
    assert codes["mac_addresses"] == ["52:54:00:ab:cd:ef", "a4:5e:60:01:02:03"]
    assert codes["processors"] == ["Example CPU @ 3.0GHz", "serial:00000000abcdef01"]
    assert codes["disks"] == ["ata-DISK_SERIAL123", "nvme-eui.0025"]
    assert codes["machine_id"] == "0123456789abcdef0123456789abcdef"
    assert codes["unavailable"] == {}


def test_features_never_fail_on_missing_sources(tmp_path: Path) -> None:
    nothing = tmp_path / "absent"
    bad_pdf = tmp_path / "bad.pdf"
    bad_pdf.write_bytes(b"%PDF-1.7\n this is not really a pdf")
    codes = collect(
        [(bad_pdf, "documents/bad.pdf")],
        sources=Sources(
            nothing / "net", nothing / "cpuinfo", nothing / "disks", nothing / "machine-id", use_getnode=False
        ),
    )
    assert codes["mac_addresses"] == [] and codes["disks"] == [] and codes["machine_id"] is None
    assert {"mac_addresses", "disks", "machine_id"} <= set(codes["unavailable"])
    assert "absent" in codes["unavailable"]["disks"]
    (document,) = codes["documents"]
    assert document["format"] == "pdf" and document["author"] is None and "error" in document
    json.dumps(codes)  # everything travels as JSON


def test_output_folder_missing_leaves_nothing(tmp_path: Path) -> None:
    make_pdf(tmp_path / "a.pdf")
    with pytest.raises(InputError, match="cannot write"):
        pack([tmp_path / "a.pdf"], tmp_path / "no" / "out.zip", tender="1", lot="1", bidder=USCC, sheet=SHEET)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf"]
