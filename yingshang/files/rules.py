"""The kinds of file the platform accepts, the purposes of uploads and the archive limits.

Pure: no Django. Messages are :class:`~yingshang.kernel.text.Text` so they reach people in
their language.
"""

from __future__ import annotations

from dataclasses import dataclass

from yingshang.envelope.header import MAGIC as ENVELOPE_MAGIC
from yingshang.kernel.text import Text

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"
OFD = "application/ofd"
PNG = "image/png"
JPEG = "image/jpeg"
#: A sealed bid (yingshang.envelope): ciphertext with a signed header; recognised by its magic.
SEALED_BID = "application/vnd.yingshang.sealed-bid"


@dataclass(frozen=True)
class MediaKind:
    """One accepted kind of file, recognised from its content, never from its name."""

    media_type: str
    extensions: tuple[str, ...]
    label: Text
    is_archive: bool = False
    #: Leading bytes that identify the kind (kinds of our own formats; others are recognised by
    #: their published signatures in ``inspection``).
    magic: bytes = b""

    @property
    def preferred_extension(self) -> str:
        return self.extensions[0]


KINDS: dict[str, MediaKind] = {
    kind.media_type: kind
    for kind in (
        MediaKind(PDF, (".pdf",), Text(zh="PDF 文档", en="PDF document")),
        MediaKind(DOCX, (".docx",), Text(zh="Word 文档", en="Word document"), is_archive=True),
        MediaKind(XLSX, (".xlsx",), Text(zh="Excel 表格", en="Excel workbook"), is_archive=True),
        MediaKind(OFD, (".ofd",), Text(zh="OFD 版式文档", en="OFD document"), is_archive=True),
        MediaKind(ZIP, (".zip",), Text(zh="ZIP 压缩包", en="ZIP archive"), is_archive=True),
        MediaKind(PNG, (".png",), Text(zh="PNG 图片", en="PNG image")),
        MediaKind(JPEG, (".jpg", ".jpeg"), Text(zh="JPEG 图片", en="JPEG image")),
        MediaKind(SEALED_BID, (".sealed",), Text(zh="密封投标文件", en="sealed bid"), magic=ENVELOPE_MAGIC),
    )
}

#: The kinds of ordinary documents (what a purpose accepts unless it says otherwise). Sealed bids
#: are accepted only by purposes that name them.
ALL_TYPES: frozenset[str] = frozenset(KINDS) - {SEALED_BID}


def kind_for_extension(extension: str) -> MediaKind | None:
    extension = extension.lower()
    for kind in KINDS.values():
        if extension in kind.extensions:
            return kind
    return None


def extension_of(name: str) -> str:
    """The lower-case extension of a file name, with its dot, or ``""``."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if "." not in base.strip("."):
        return ""
    return "." + base.rsplit(".", 1)[-1].lower()


def labels(types: frozenset[str] | set[str], language: str) -> str:
    """The accepted kinds for a message in ``language`` (``"zh"`` or ``"en"``), in a stable order."""
    kinds = [kind for code, kind in KINDS.items() if code in types]
    if language == "zh":
        return "、".join(f"{kind.label.zh}（{'/'.join(kind.extensions)}）" for kind in kinds)
    return ", ".join(f"{kind.label.en} ({'/'.join(kind.extensions)})" for kind in kinds)


@dataclass(frozen=True)
class ArchiveLimits:
    """Limits for zip-based files (docx, xlsx, ofd, zip) against zip bombs.

    ``max_unpacked_bytes`` counts every entry at every nesting level; ``max_ratio`` applies to
    an entry (and to the archive as a whole) once it unpacks to more than
    ``ratio_floor_bytes``, so small, very repetitive XML parts stay acceptable;
    ``max_depth`` is how many archives deep the content may go (an archive in the upload is
    depth 1).
    """

    max_unpacked_bytes: int = 512 * 1024 * 1024
    max_ratio: int = 100
    max_entries: int = 10_000
    max_depth: int = 2
    ratio_floor_bytes: int = 1024 * 1024


@dataclass(frozen=True)
class UploadPurpose:
    """Why a document is uploaded; decides the accepted kinds and, optionally, the size limit."""

    code: str
    label: Text
    allowed_types: frozenset[str] = ALL_TYPES
    max_bytes: int | None = None
    #: Only the uploader and the uploader's organisation may see such documents (not centre
    #: staff, supervisors, auditors or superusers): a sealed bid's very existence is secret.
    restricted: bool = False


PURPOSES: dict[str, UploadPurpose] = {}


def restricted_purposes() -> frozenset[str]:
    return frozenset(code for code, purpose in PURPOSES.items() if purpose.restricted)


def register_purpose(purpose: UploadPurpose) -> UploadPurpose:
    """Add (or replace) a purpose; later contexts register theirs at start-up."""
    unknown = purpose.allowed_types - set(KINDS)
    if unknown:
        raise ValueError(f"unknown media types for purpose {purpose.code!r}: {sorted(unknown)}")
    PURPOSES[purpose.code] = purpose
    return purpose


for _purpose in (
    UploadPurpose("general", Text(zh="一般材料", en="General document")),
    UploadPurpose(
        "tender_documents",
        Text(zh="招标文件", en="Tender documents"),
        frozenset({PDF, DOCX, XLSX, OFD, ZIP}),
    ),
    UploadPurpose(
        "qualification",
        Text(zh="资格证明材料", en="Qualification evidence"),
        frozenset({PDF, OFD, PNG, JPEG}),
    ),
    UploadPurpose("evidence", Text(zh="证据材料", en="Evidence")),
):
    register_purpose(_purpose)
