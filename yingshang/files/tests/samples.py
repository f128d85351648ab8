"""Real files made for the tests: PDFs by pypdf, Word files by python-docx, real zip bombs."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import docx
from pypdf import PdfWriter
from pypdf.xmp import XmpInformation


def pdf_bytes(
    *,
    author: str = "张三",
    creator: str = "Microsoft Word",
    producer: str = "Acrobat PDFMaker",
    created: str = "D:20240102030405+08'00'",
    modified: str | None = None,
    xmp_creators: list[str] | None = None,
    text: str = "",
) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    info = {"/Author": author, "/Creator": creator, "/Producer": producer, "/CreationDate": created}
    if modified:
        info["/ModDate"] = modified
    if text:
        info["/Subject"] = text
    writer.add_metadata(info)
    if xmp_creators is not None:
        xmp = XmpInformation.create()
        xmp.dc_creator = xmp_creators
        xmp.xmp_creator_tool = "WPS Office"
        xmp.xmp_create_date = datetime(2024, 5, 6, 7, 8, 9)
        writer.xmp_metadata = xmp
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(
    *,
    author: str = "李四",
    last_modified_by: str = "王五",
    created: datetime | None = None,
    modified: datetime | None = None,
    revision: int = 7,
    paragraph: str = "投标文件",
) -> bytes:
    document = docx.Document()
    document.add_paragraph(paragraph)
    props = document.core_properties
    props.author = author
    props.last_modified_by = last_modified_by
    props.created = created or datetime(2024, 3, 1, 8, 30, 0)
    props.modified = modified or datetime(2024, 3, 2, 9, 45, 0)
    props.revision = revision
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_bytes(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def zip_bomb(*, unpacked_mib: int = 64) -> bytes:
    """One entry of zeros: ``unpacked_mib`` MiB that deflate to about a thousandth."""
    out = io.BytesIO()
    zero = bytes(1024 * 1024)
    with (
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("zeros.bin", "w", force_zip64=True) as entry,
    ):
        for _ in range(unpacked_mib):
            entry.write(zero)
    return out.getvalue()


def nested_zip(depth: int, payload: bytes = b"innermost") -> bytes:
    """An archive holding an archive ... ``depth`` archives inside the outer one."""
    data = zip_bytes({"payload.txt": payload})
    for level in range(depth):
        data = zip_bytes({f"level{level}.zip": data})
    return data


PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7V\xbd\xfa\x00\x00\x00\x00IEND\xaeB`\x82"
)

# The start of a real x86-64 ELF executable header followed by padding.
ELF_BYTES = (
    b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + bytes(40) + bytes(4096)
)
