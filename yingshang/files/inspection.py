"""Checks on an upload's bytes: size while streaming, kind by content, structure, zip bombs.

Pure: no Django. The caller spools the upload with :func:`spool` (hash and size in one pass,
never the whole file in memory) and then calls :func:`inspect_file` on the spooled copy. Every
refusal is a :class:`Refusal` whose ``kind`` maps to an HTTP status (``too_large`` 413,
``unsupported`` 415, ``invalid`` 400) and whose ``message`` is bilingual.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal

import puremagic
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from yingshang.files.rules import (
    DOCX,
    JPEG,
    KINDS,
    OFD,
    PDF,
    PNG,
    XLSX,
    ZIP,
    ArchiveLimits,
    MediaKind,
    extension_of,
    kind_for_extension,
    labels,
)
from yingshang.kernel.text import Text

CHUNK_BYTES = 1024 * 1024
NESTED_ARCHIVE_EXTENSIONS = frozenset(
    {".zip", ".docx", ".xlsx", ".pptx", ".ofd", ".jar", ".odt", ".ods", ".epub"}
)
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

RefusalKind = Literal["too_large", "unsupported", "invalid"]


class Refusal(Exception):
    """The upload is refused; nothing about it may be kept."""

    def __init__(self, kind: RefusalKind, message: Text) -> None:
        self.kind = kind
        self.message = message
        super().__init__(message.render("en"))


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB" if size >= 1024 * 1024 else f"{size} B"


def too_large_message(limit: int) -> Text:
    return Text(
        zh="文件超过了大小上限 %(limit)s。",
        en="The file is larger than the limit of %(limit)s.",
        params={"limit": _mib(limit)},
    )


# --- streaming ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Spooled:
    """The upload copied to a private temporary file, with its SHA-256 and size."""

    path: Path
    size: int
    sha256: str

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def _chunks(stream: Any) -> Iterator[bytes]:
    chunks = getattr(stream, "chunks", None)
    if callable(chunks):  # a Django UploadedFile
        yield from chunks(CHUNK_BYTES)
        return
    while True:
        chunk = stream.read(CHUNK_BYTES)
        if not chunk:
            return
        yield chunk


def spool(stream: IO[bytes] | Any, *, max_bytes: int, directory: str | None = None) -> Spooled:
    """Copy ``stream`` to a temporary file, hashing and counting in the same pass.

    Stops reading as soon as more than ``max_bytes`` arrived and removes the partial copy.
    """
    digest = hashlib.sha256()
    size = 0
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=directory)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in _chunks(stream):
                size += len(chunk)
                if size > max_bytes:
                    raise Refusal("too_large", too_large_message(max_bytes))
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise Refusal("invalid", Text(zh="文件是空的。", en="The file is empty."))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Spooled(path=path, size=size, sha256=digest.hexdigest())


# --- recognising the kind ----------------------------------------------------------------


def _head(path: Path, size: int = 16) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def describe_content(path: Path) -> str:
    """What puremagic thinks the content is, for messages about refused files."""
    try:
        matches = puremagic.magic_file(str(path))
    except (puremagic.PureError, ValueError, OSError):
        return ""
    return matches[0].name if matches else ""


def _family(path: Path) -> str | None:
    """The family the leading bytes claim: puremagic's best guesses checked against signatures."""
    head = _head(path)
    for kind in KINDS.values():
        if kind.magic and head.startswith(kind.magic):
            return kind.media_type
    try:
        guesses = puremagic.magic_file(str(path))
    except (puremagic.PureError, ValueError, OSError):
        guesses = []
    mimes = {guess.mime_type for guess in guesses}
    extensions = {guess.extension for guess in guesses}
    if head.startswith(b"%PDF-") and (PDF in mimes or ".pdf" in extensions):
        return PDF
    if head.startswith(ZIP_SIGNATURES):
        return ZIP
    if head.startswith(PNG_SIGNATURE) and PNG in mimes:
        return PNG
    if head.startswith(b"\xff\xd8\xff") and (JPEG in mimes or ".jpg" in extensions):
        return JPEG
    return None


def _unsupported(name: str, path: Path, allowed: frozenset[str]) -> Refusal:
    detected = describe_content(path)
    return Refusal(
        "unsupported",
        Text(
            zh="“%(name)s”的内容不是可接受的文件类型（检测结果：%(detected_zh)s）。可接受：%(accepted_zh)s。",
            en="The content of “%(name)s” is not an accepted kind of file (detected: %(detected_en)s). "
            "Accepted: %(accepted_en)s.",
            params={
                "name": name,
                "detected_zh": detected or "无法识别",
                "detected_en": detected or "not recognised",
                "accepted_zh": labels(allowed, "zh"),
                "accepted_en": labels(allowed, "en"),
            },
        ),
    )


def _invalid(kind: MediaKind, name: str, reason_zh: str, reason_en: str) -> Refusal:
    return Refusal(
        "invalid",
        Text(
            zh="“%(name)s”看起来是%(kind_zh)s，但结构损坏：%(reason_zh)s。",
            en="“%(name)s” looks like a %(kind_en)s but its structure is broken: %(reason_en)s.",
            params={
                "name": name,
                "kind_zh": kind.label.zh,
                "kind_en": kind.label.en,
                "reason_zh": reason_zh,
                "reason_en": reason_en,
            },
        ),
    )


def _check_pdf(path: Path, name: str) -> None:
    with path.open("rb") as handle:
        if not handle.read(5) == b"%PDF-":
            raise _invalid(KINDS[PDF], name, "缺少 %PDF- 文件头", "it does not start with %PDF-")
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise Refusal(
                "unsupported",
                Text(
                    zh="“%(name)s”设置了打开密码，平台无法检查其内容；请上传未加密的 PDF。",
                    en="“%(name)s” is protected by a password, so its content cannot be checked; "
                    "upload it without the password.",
                    params={"name": name},
                ),
            )
        if len(reader.pages) < 1:
            raise _invalid(KINDS[PDF], name, "没有任何页面", "it has no pages")
    except Refusal:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise _invalid(KINDS[PDF], name, "无法解析", f"it cannot be parsed ({type(exc).__name__})") from exc


def _check_png(path: Path, name: str) -> None:
    head = _head(path, 16)
    if head[12:16] != b"IHDR":
        raise _invalid(KINDS[PNG], name, "缺少 IHDR 数据块", "the IHDR chunk is missing")


def _check_jpeg(path: Path, name: str) -> None:
    with path.open("rb") as handle:
        handle.seek(-2, os.SEEK_END)
        if handle.read(2) != b"\xff\xd9":
            raise _invalid(KINDS[JPEG], name, "文件不完整", "the file is truncated")


# --- archives ----------------------------------------------------------------------------


def _archive_refusal(name: str, zh: str, en: str, **params: Any) -> Refusal:
    return Refusal(
        "invalid",
        Text(
            zh="压缩内容“%(name)s”被拒绝：" + zh,
            en="The archive content of “%(name)s” is refused: " + en,
            params={"name": name, **params},
        ),
    )


def unsafe_entry_name(entry: str) -> bool:
    """True for names that could escape an extraction folder or confuse one."""
    if not entry or "\x00" in entry:
        return True
    unified = entry.replace("\\", "/")
    if unified.startswith("/") or (len(unified) > 1 and unified[1] == ":"):
        return True
    return any(part == ".." for part in PurePosixPath(unified).parts)


@dataclass
class _Budget:
    limits: ArchiveLimits
    unpacked: int = 0


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return info.create_system == 3 and stat.S_ISLNK(mode)


def _check_entries(archive: zipfile.ZipFile, name: str, budget: _Budget, depth: int, size: int) -> None:
    limits = budget.limits
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise _archive_refusal(
            name,
            "条目数 %(count)s 超过上限 %(limit)s。",
            "it has %(count)s entries, more than the limit of %(limit)s.",
            count=len(infos),
            limit=limits.max_entries,
        )
    archive_total = 0
    for info in infos:
        if unsafe_entry_name(info.filename):
            raise _archive_refusal(
                name,
                "条目名“%(entry)s”指向压缩包之外（路径穿越）。",
                "the entry name “%(entry)s” points outside the archive (path traversal).",
                entry=info.filename,
            )
        if _is_symlink(info):
            raise _archive_refusal(
                name,
                "条目“%(entry)s”是符号链接。",
                "the entry “%(entry)s” is a symbolic link.",
                entry=info.filename,
            )
        budget.unpacked += info.file_size
        archive_total += info.file_size
        if budget.unpacked > limits.max_unpacked_bytes:
            raise _archive_refusal(
                name,
                "解压后总大小超过上限 %(limit)s。",
                "it unpacks to more than the limit of %(limit)s.",
                limit=_mib(limits.max_unpacked_bytes),
            )
        if info.file_size > limits.ratio_floor_bytes and (
            info.compress_size == 0 or info.file_size / info.compress_size > limits.max_ratio
        ):
            raise _archive_refusal(
                name,
                "条目“%(entry)s”的压缩比超过上限 %(ratio)s:1（疑似压缩炸弹）。",
                "the entry “%(entry)s” is compressed more than %(ratio)s:1 (a likely zip bomb).",
                entry=info.filename,
                ratio=limits.max_ratio,
            )
    if archive_total > limits.ratio_floor_bytes and archive_total / max(size, 1) > limits.max_ratio:
        raise _archive_refusal(
            name,
            "整体压缩比超过上限 %(ratio)s:1（疑似压缩炸弹）。",
            "it is compressed more than %(ratio)s:1 as a whole (a likely zip bomb).",
            ratio=limits.max_ratio,
        )
    for info in infos:
        if info.is_dir() or info.file_size < 4:
            continue
        with archive.open(info) as member:
            nested = (
                extension_of(info.filename) in NESTED_ARCHIVE_EXTENSIONS or member.read(4) in ZIP_SIGNATURES
            )
        if nested:
            _check_nested(archive, info, name, budget, depth + 1)


def _check_nested(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: _Budget, depth: int
) -> None:
    if depth > budget.limits.max_depth:
        raise _archive_refusal(
            name,
            "压缩包嵌套超过 %(limit)s 层（“%(entry)s”）。",
            "archives are nested more than %(limit)s levels deep (“%(entry)s”).",
            limit=budget.limits.max_depth,
            entry=info.filename,
        )
    with tempfile.TemporaryFile() as copy:
        with archive.open(info) as member:
            for chunk in iter(lambda: member.read(CHUNK_BYTES), b""):
                copy.write(chunk)
        copy.seek(0)
        try:
            with zipfile.ZipFile(copy) as inner:
                _check_entries(inner, f"{name} › {info.filename}", budget, depth, info.file_size)
        except zipfile.BadZipFile:
            return  # named like an archive but not one: ordinary content


def check_archive(path: Path, name: str, limits: ArchiveLimits) -> zipfile.ZipFile:
    """Open a zip-based upload and apply every archive limit; returns the open archive."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _invalid(KINDS[ZIP], name, "无法读取压缩目录", "its central directory cannot be read") from exc
    try:
        _check_entries(archive, name, _Budget(limits), 0, path.stat().st_size)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        RuntimeError,
        EOFError,
        OSError,
    ) as exc:
        archive.close()
        raise _invalid(KINDS[ZIP], name, "条目无法解压", f"an entry cannot be unpacked ({exc})") from exc
    except BaseException:
        archive.close()
        raise
    return archive


def _zip_kind(archive: zipfile.ZipFile) -> str:
    names = set(archive.namelist())
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return DOCX
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return XLSX
    if "OFD.xml" in names:
        return OFD
    return ZIP


# --- the whole check ---------------------------------------------------------------------


def inspect_file(path: Path, *, name: str, allowed: frozenset[str], limits: ArchiveLimits) -> MediaKind:
    """Recognise the kind of the spooled upload from its bytes and check its structure.

    The file name is used only to refuse a name whose extension disagrees with the content.
    """
    family = _family(path)
    if family is None:
        raise _unsupported(name, path, allowed)
    if family == ZIP:
        with check_archive(path, name, limits) as archive:
            kind = KINDS[_zip_kind(archive)]
    else:
        kind = KINDS[family]
        check = {PDF: _check_pdf, PNG: _check_png, JPEG: _check_jpeg}.get(family)
        if check is not None:  # our own formats are checked by the context that uses them
            check(path, name)
    _check_name(name, kind)
    if kind.media_type not in allowed:
        raise Refusal(
            "unsupported",
            Text(
                zh="这里不接受%(kind_zh)s。可接受：%(accepted_zh)s。",
                en="A %(kind_en)s is not accepted here. Accepted: %(accepted_en)s.",
                params={
                    "kind_zh": kind.label.zh,
                    "kind_en": kind.label.en,
                    "accepted_zh": labels(allowed, "zh"),
                    "accepted_en": labels(allowed, "en"),
                },
            ),
        )
    return kind


def _check_name(name: str, kind: MediaKind) -> None:
    extension = extension_of(name)
    if extension in kind.extensions:
        return
    if not extension:
        raise Refusal(
            "unsupported",
            Text(
                zh="文件名“%(name)s”没有扩展名；内容是%(kind_zh)s，请以 %(ext)s 结尾。",
                en="The file name “%(name)s” has no extension; the content is a %(kind_en)s, "
                "so name it …%(ext)s.",
                params={
                    "name": name,
                    "kind_zh": kind.label.zh,
                    "kind_en": kind.label.en,
                    "ext": kind.preferred_extension,
                },
            ),
        )
    claimed = kind_for_extension(extension)
    claimed_zh = claimed.label.zh if claimed else "未知类型"
    claimed_en = claimed.label.en if claimed else "an unknown kind"
    raise Refusal(
        "unsupported",
        Text(
            zh="文件名“%(name)s”的扩展名 %(ext)s 表示%(claimed_zh)s，但内容是%(kind_zh)s。",
            en="The file name “%(name)s” ends in %(ext)s (%(claimed_en)s) but the content is a %(kind_en)s.",
            params={
                "name": name,
                "ext": extension,
                "claimed_zh": claimed_zh,
                "claimed_en": claimed_en,
                "kind_zh": kind.label.zh,
                "kind_en": kind.label.en,
            },
        ),
    )


def safe_display_name(name: str, *, max_length: int = 200) -> str:
    """The last path component of a client's file name, without control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    if len(cleaned) > max_length:
        extension = extension_of(cleaned)
        cleaned = cleaned[: max_length - len(extension)] + extension
    return cleaned
