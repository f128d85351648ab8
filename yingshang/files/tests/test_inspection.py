"""The pure checks on an upload's bytes, on real files written to a temporary folder."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yingshang.files import inspection
from yingshang.files.inspection import Refusal, inspect_file, spool, unsafe_entry_name
from yingshang.files.metadata import extract_metadata
from yingshang.files.rules import ALL_TYPES, DOCX, PDF, PNG, XLSX, ZIP, ArchiveLimits
from yingshang.files.tests import samples

LIMITS = ArchiveLimits()


def write(tmp_path: Path, data: bytes, name: str = "upload.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refused(
    tmp_path: Path, data: bytes, name: str, *, limits: ArchiveLimits = LIMITS, allowed=ALL_TYPES
) -> Refusal:
    with pytest.raises(Refusal) as caught:
        inspect_file(write(tmp_path, data), name=name, allowed=allowed, limits=limits)
    return caught.value


def test_a_real_pdf_is_recognised_from_its_content(tmp_path):
    kind = inspect_file(
        write(tmp_path, samples.pdf_bytes()), name="报价单.pdf", allowed=ALL_TYPES, limits=LIMITS
    )
    assert kind.media_type == PDF


def test_a_real_word_file_is_recognised_by_its_structure(tmp_path):
    kind = inspect_file(
        write(tmp_path, samples.docx_bytes()), name="投标文件.docx", allowed=ALL_TYPES, limits=LIMITS
    )
    assert kind.media_type == DOCX


def test_an_xlsx_structure_is_recognised(tmp_path):
    data = samples.zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    assert (
        inspect_file(write(tmp_path, data), name="报价.xlsx", allowed=ALL_TYPES, limits=LIMITS).media_type
        == XLSX
    )


def test_a_zip_named_docx_without_word_document_is_refused_naming_both(tmp_path):
    data = samples.zip_bytes({"[Content_Types].xml": b"<Types/>", "notes.txt": b"hello"})
    refusal = refused(tmp_path, data, "投标文件.docx")
    assert refusal.kind == "unsupported"
    english = refusal.message.render("en")
    assert ".docx" in english and "Word document" in english and "ZIP archive" in english
    chinese = refusal.message.render("zh-hans")
    assert "Word 文档" in chinese and "ZIP 压缩包" in chinese


def test_a_png_posing_as_pdf_is_refused_naming_both(tmp_path):
    refusal = refused(tmp_path, samples.PNG_BYTES, "scan.pdf")
    assert refusal.kind == "unsupported"
    assert "ends in .pdf (PDF document) but the content is a PNG image" in refusal.message.render("en")


def test_an_executable_renamed_to_pdf_is_refused_as_unsupported(tmp_path):
    refusal = refused(tmp_path, samples.ELF_BYTES, "invoice.pdf")
    assert refusal.kind == "unsupported"
    assert "ELF" in refusal.message.render("en")
    assert "不是可接受的文件类型" in refusal.message.render("zh-hans")


def test_text_is_not_an_accepted_kind(tmp_path):
    refusal = refused(tmp_path, b"just some words\n" * 20, "notes.pdf")
    assert refusal.kind == "unsupported"


def test_a_pdf_header_over_garbage_is_a_broken_pdf(tmp_path):
    refusal = refused(tmp_path, b"%PDF-1.7\n" + b"\x00garbage" * 200, "broken.pdf")
    assert refusal.kind == "invalid"
    assert "cannot be parsed" in refusal.message.render("en")


def test_a_name_without_extension_is_told_which_to_use(tmp_path):
    refusal = refused(tmp_path, samples.pdf_bytes(), "报价单")
    assert "…" + ".pdf" in refusal.message.render("en")


def test_a_kind_the_purpose_does_not_accept_is_refused(tmp_path):
    refusal = refused(tmp_path, samples.PNG_BYTES, "photo.png", allowed=frozenset({PDF, DOCX}))
    assert refusal.kind == "unsupported"
    assert "PNG image is not accepted here" in refusal.message.render("en")
    assert (
        inspect_file(
            write(tmp_path, samples.PNG_BYTES), name="p.png", allowed=ALL_TYPES, limits=LIMITS
        ).media_type
        == PNG
    )


def test_a_real_zip_bomb_is_refused_by_its_compression_ratio(tmp_path):
    bomb = samples.zip_bomb(unpacked_mib=64)
    assert len(bomb) < 200 * 1024  # it really is a bomb: 64 MiB in a few dozen KiB
    refusal = refused(tmp_path, bomb, "材料.zip")
    assert refusal.kind == "invalid"
    assert "zip bomb" in refusal.message.render("en")
    assert "压缩炸弹" in refusal.message.render("zh-hans")


def test_the_total_unpacked_size_is_limited(tmp_path):
    data = samples.zip_bytes(
        {f"part{i}.bin": bytes(range(256)) * 64 for i in range(4)}, compression=zipfile.ZIP_STORED
    )
    refusal = refused(tmp_path, data, "parts.zip", limits=ArchiveLimits(max_unpacked_bytes=3 * 256 * 64))
    assert "unpacks to more than" in refusal.message.render("en")


def test_too_many_entries_are_refused(tmp_path):
    data = samples.zip_bytes({f"f{i}.txt": b"x" for i in range(11)})
    refusal = refused(tmp_path, data, "many.zip", limits=ArchiveLimits(max_entries=10))
    assert "11 entries, more than the limit of 10" in refusal.message.render("en")
    inspect_file(
        write(tmp_path, samples.zip_bytes({f"f{i}.txt": b"x" for i in range(10)})),
        name="ok.zip",
        allowed=ALL_TYPES,
        limits=ArchiveLimits(max_entries=10),
    )


@pytest.mark.parametrize(
    "entry", ["../../etc/passwd", "/etc/passwd", "C:\\Windows\\evil.dll", "docs/../../up.txt", "a\\..\\..\\b"]
)
def test_path_traversal_names_are_refused(tmp_path, entry):
    refusal = refused(tmp_path, samples.zip_bytes({"fine.txt": b"ok", entry: b"evil"}), "x.zip")
    assert "path traversal" in refusal.message.render("en")
    assert "路径穿越" in refusal.message.render("zh-hans")


def test_a_symbolic_link_entry_is_refused(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo("link")
        info.create_system = 3
        info.external_attr = 0o120777 << 16
        archive.writestr(info, "/etc/passwd")
    refusal = refused(tmp_path, out.getvalue(), "links.zip")
    assert "symbolic link" in refusal.message.render("en")


def test_nesting_is_allowed_to_the_limit_and_refused_beyond(tmp_path):
    limits = ArchiveLimits(max_depth=2)
    assert (
        inspect_file(
            write(tmp_path, samples.nested_zip(2)), name="n.zip", allowed=ALL_TYPES, limits=limits
        ).media_type
        == ZIP
    )
    refusal = refused(tmp_path, samples.nested_zip(3), "n.zip", limits=limits)
    assert "nested more than 2 levels" in refusal.message.render("en")


def test_a_bomb_hidden_inside_a_nested_archive_is_found(tmp_path):
    inner = samples.zip_bomb(unpacked_mib=8)
    data = samples.zip_bytes({"inner.zip": inner}, compression=zipfile.ZIP_STORED)
    refusal = refused(tmp_path, data, "outer.zip", limits=ArchiveLimits(max_unpacked_bytes=4 * 1024 * 1024))
    assert "outer.zip › inner.zip" in refusal.message.render("en")


@given(
    st.lists(
        st.text(alphabet="abcXYZ019_-.中文", min_size=1, max_size=8).filter(lambda s: s not in {".", ".."}),
        min_size=1,
        max_size=5,
    )
)
def test_names_made_of_plain_segments_are_safe(segments):
    assert not unsafe_entry_name("/".join(segments))


@given(
    st.lists(st.sampled_from(["a", "b", "中"]), max_size=3), st.lists(st.sampled_from(["a", "b"]), max_size=3)
)
def test_any_dot_dot_segment_is_unsafe(before, after):
    assert unsafe_entry_name("/".join([*before, "..", *after]))


def test_spool_hashes_and_counts_in_one_pass(tmp_path):
    data = b"abc" * 1_000_000
    spooled = spool(io.BytesIO(data), max_bytes=len(data), directory=str(tmp_path))
    import hashlib

    assert spooled.size == len(data)
    assert spooled.sha256 == hashlib.sha256(data).hexdigest()
    assert spooled.path.read_bytes() == data
    spooled.discard()
    assert list(tmp_path.iterdir()) == []


def test_spool_stops_at_the_limit_and_leaves_nothing(tmp_path):
    class Endless(io.RawIOBase):
        served = 0

        def read(self, n=-1):
            self.served += n
            return b"x" * n

    stream = Endless()
    with pytest.raises(Refusal) as caught:
        spool(stream, max_bytes=3 * inspection.CHUNK_BYTES, directory=str(tmp_path))
    assert caught.value.kind == "too_large"
    assert stream.served <= 4 * inspection.CHUNK_BYTES  # it stopped reading
    assert list(tmp_path.iterdir()) == []


def test_an_empty_file_is_refused(tmp_path):
    with pytest.raises(Refusal) as caught:
        spool(io.BytesIO(b""), max_bytes=10, directory=str(tmp_path))
    assert caught.value.kind == "invalid"
    assert list(tmp_path.iterdir()) == []


def test_pdf_metadata_from_the_information_dictionary(tmp_path):
    data = samples.pdf_bytes(
        author="张三",
        creator="Microsoft Word 2019",
        producer="Acrobat",
        created="D:20240102030405+08'00'",
        modified="D:20240103120000Z",
    )
    meta = extract_metadata(write(tmp_path, data), PDF)
    assert meta["format"] == "pdf"
    assert meta["author"] == "张三"
    assert meta["creator"] == "Microsoft Word 2019"
    assert meta["producer"] == "Acrobat"
    assert meta["created"] == "2024-01-01T19:04:05Z"  # 03:04:05 at +08:00
    assert meta["modified"] == "2024-01-03T12:00:00Z"
    assert "errors" not in meta


def test_pdf_metadata_from_xmp_fills_what_the_dictionary_lacks(tmp_path):
    data = samples.pdf_bytes(author="", creator="", producer="pypdf", created="", xmp_creators=["赵六"])
    meta = extract_metadata(write(tmp_path, data), PDF)
    assert meta["xmp"]["author"] == "赵六"
    assert meta["author"] == "赵六"
    assert meta["creator"] == "WPS Office"
    assert meta["xmp"]["created"] == "2024-05-06T07:08:09Z"


def test_word_metadata_from_core_and_app_properties(tmp_path):
    meta = extract_metadata(
        write(tmp_path, samples.docx_bytes(author="李四", last_modified_by="王五", revision=7)), DOCX
    )
    assert meta["format"] == "docx"
    assert meta["author"] == "李四"
    assert meta["last_modified_by"] == "王五"
    assert meta["revision"] == 7
    assert meta["created"] == "2024-03-01T08:30:00Z"
    assert meta["modified"] == "2024-03-02T09:45:00Z"
    assert meta["application"] and "Word" in meta["application"]  # python-docx's template says so
    assert meta["creator"] == meta["application"]


def test_kinds_without_metadata_give_nothing(tmp_path):
    assert extract_metadata(write(tmp_path, samples.PNG_BYTES), PNG) == {}


def test_messages_render_whole_in_either_language_whatever_was_active(tmp_path):
    refusal = refused(tmp_path, samples.ELF_BYTES, "invoice.pdf", allowed=frozenset({PDF, DOCX}))
    assert refusal.message.render("en").endswith("Accepted: PDF document (.pdf), Word document (.docx).")
    assert refusal.message.render("zh-hans").endswith("可接受：PDF 文档（.pdf）、Word 文档（.docx）。")
