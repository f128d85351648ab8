"""Writes of the files context: storing an upload, collecting unreferenced content.

Order of a store: spool the stream to a private temporary file (hash and size in one pass,
stop at the limit) -> check the bytes (kind by content, structure, archive limits) -> extract
metadata -> write the content to storage under ``sha256/ab/cd/<hex>`` unless it is already
there -> in one transaction, the ``Blob`` row (if new) and the ``Document`` row. A refusal at
any step leaves nothing behind. A crash between the storage write and the commit leaves an
orphan object that no row refers to: harmless, and removed by ``yingshang files gc``.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import transaction

from yingshang.files import inspection
from yingshang.files.contracts import DocumentRef
from yingshang.files.metadata import extract_metadata
from yingshang.files.models import Blob, Document
from yingshang.files.permissions import policy
from yingshang.files.rules import PURPOSES, ArchiveLimits, UploadPurpose
from yingshang.kernel import clock
from yingshang.kernel.errors import Conflict, InvalidInput, NotFound, TooLarge, UnsupportedMediaType
from yingshang.kernel.policy import Principal
from yingshang.kernel.streams import is_sha256_hex
from yingshang.kernel.text import Text

logger = logging.getLogger(__name__)

KEY_PREFIX = "sha256"
_ERRORS = {"too_large": TooLarge, "unsupported": UnsupportedMediaType, "invalid": InvalidInput}


def storage() -> Storage:
    return storages["default"]


def storage_key(sha256: str) -> str:
    """Where content lives in storage: ``sha256/ab/cd/<hex>``."""
    return f"{KEY_PREFIX}/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def _setting(name: str, default: Any) -> Any:
    return settings.YINGSHANG.get(name, default)


def archive_limits() -> ArchiveLimits:
    """The archive limits, from ``YINGSHANG["ARCHIVE_LIMITS"]`` (keys as in ``ArchiveLimits``)."""
    return ArchiveLimits(**_setting("ARCHIVE_LIMITS", {}))


def purpose_for(code: str) -> UploadPurpose:
    try:
        return PURPOSES[code]
    except KeyError:
        raise InvalidInput(
            Text(
                zh="未知的上传用途“%(purpose)s”。可选：%(known)s。",
                en="Unknown upload purpose “%(purpose)s”. Known: %(known)s.",
                params={"purpose": code, "known": ", ".join(sorted(PURPOSES))},
            ),
            code="unknown_purpose",
        ) from None


def size_limit(purpose: UploadPurpose, max_bytes: int | None = None) -> int:
    """The byte limit of one upload: the caller's, else the setting for the purpose
    (``YINGSHANG["UPLOAD_LIMITS"][purpose]``), else the purpose's own, else
    ``YINGSHANG["MAX_UPLOAD_BYTES"]``."""
    if max_bytes is not None:
        return max_bytes
    per_purpose = _setting("UPLOAD_LIMITS", {})
    if purpose.code in per_purpose:
        return int(per_purpose[purpose.code])
    if purpose.max_bytes is not None:
        return purpose.max_bytes
    return int(_setting("MAX_UPLOAD_BYTES", 200 * 1024 * 1024))


def largest_size_limit() -> int:
    """The largest limit any purpose allows: where request bodies stop being read at all."""
    return max(size_limit(purpose) for purpose in PURPOSES.values())


def too_large_for_any_purpose() -> TooLarge:
    return TooLarge(
        inspection.too_large_message(largest_size_limit()),
        code="file_too_large",
    )


def as_ref(document: Document) -> DocumentRef:
    return DocumentRef(
        id=document.pk,
        name=document.name,
        purpose=document.purpose,
        media_type=document.media_type,
        size=document.size,
        sha256=document.sha256,
        owner_id=document.owner_id,
        organisation_id=document.organisation_id,
        created_at=document.created_at,
        metadata=document.metadata,
    )


def _refused(refusal: inspection.Refusal) -> Exception:
    return _ERRORS[refusal.kind](refusal.message, code=f"file_{refusal.kind}")


class _SpooledFile(File):
    """The spooled copy, offered to storage as a temporary file so local storage moves it."""

    def __init__(self, spooled: inspection.Spooled, key: str) -> None:
        super().__init__(spooled.path.open("rb"), name=key)
        self._spooled_path = spooled.path

    def temporary_file_path(self) -> str:
        return str(self._spooled_path)


def _put_content(spooled: inspection.Spooled, key: str) -> None:
    """Write the spooled bytes to storage under ``key`` unless they are already there."""
    store = storage()
    if store.exists(key):
        return
    with _SpooledFile(spooled, key) as content:
        saved = store.save(key, content)
    if saved != key:
        # Another upload of the same bytes won the race; keep its copy, drop ours.
        store.delete(saved)


@dataclass(frozen=True)
class _Checked:
    spooled: inspection.Spooled
    media_type: str
    metadata: dict[str, Any]


def _check(
    *, name: str, stream: IO[bytes] | Any, purpose: UploadPurpose, allowed: frozenset[str], limit: int
) -> _Checked:
    try:
        spooled = inspection.spool(stream, max_bytes=limit, directory=settings.FILE_UPLOAD_TEMP_DIR)
    except inspection.Refusal as refusal:
        raise _refused(refusal) from None
    try:
        kind = inspection.inspect_file(spooled.path, name=name, allowed=allowed, limits=archive_limits())
        metadata = extract_metadata(spooled.path, kind.media_type)
    except inspection.Refusal as refusal:
        spooled.discard()
        raise _refused(refusal) from None
    except BaseException:
        spooled.discard()
        raise
    return _Checked(spooled=spooled, media_type=kind.media_type, metadata=metadata)


def store_document(
    *,
    principal: Principal,
    name: str,
    stream: IO[bytes] | Any,
    purpose: str,
    allowed_types: set[str] | frozenset[str] | None = None,
    max_bytes: int | None = None,
) -> DocumentRef:
    """Check and store one upload for ``principal``; refusals raise ``TooLarge`` (413),
    ``UnsupportedMediaType`` (415) or ``InvalidInput`` (400) and store nothing."""
    policy.require(principal, "upload")
    display_name = inspection.safe_display_name(name)
    if not display_name:
        raise InvalidInput(Text(zh="请给出文件名。", en="The file needs a name."), code="file_name_missing")
    declared = purpose_for(purpose)
    allowed = frozenset(
        declared.allowed_types if allowed_types is None else allowed_types & declared.allowed_types
    )
    checked = _check(
        name=display_name,
        stream=stream,
        purpose=declared,
        allowed=allowed,
        limit=size_limit(declared, max_bytes),
    )
    return _store_checked(principal=principal, name=display_name, purpose=declared, checked=checked)


def store_file(
    *,
    principal: Principal,
    path: Path,
    sha256: str,
    name: str,
    purpose: str,
    max_bytes: int | None = None,
) -> DocumentRef:
    """Store a file already on this machine whose SHA-256 the caller computed while reading it
    (a completed resumable upload): no second pass over the bytes. The file is hard-linked into
    the spool (copied only across file systems) and left in place for the caller to remove."""
    policy.require(principal, "upload")
    display_name = inspection.safe_display_name(name)
    declared = purpose_for(purpose)
    size = path.stat().st_size
    limit = size_limit(declared, max_bytes)
    if size > limit:
        raise TooLarge(inspection.too_large_message(limit), code="file_too_large")
    fd, spool_name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=settings.FILE_UPLOAD_TEMP_DIR)
    os.close(fd)
    spool_path = Path(spool_name)
    spool_path.unlink()
    try:
        os.link(path, spool_path)
    except OSError:
        shutil.copyfile(path, spool_path)
    spooled = inspection.Spooled(path=spool_path, size=size, sha256=sha256)
    try:
        kind = inspection.inspect_file(
            spool_path, name=display_name, allowed=frozenset(declared.allowed_types), limits=archive_limits()
        )
        metadata = extract_metadata(spool_path, kind.media_type)
    except inspection.Refusal as refusal:
        spooled.discard()
        raise _refused(refusal) from None
    except BaseException:
        spooled.discard()
        raise
    checked = _Checked(spooled=spooled, media_type=kind.media_type, metadata=metadata)
    return _store_checked(principal=principal, name=display_name, purpose=declared, checked=checked)


def _store_checked(
    *, principal: Principal, name: str, purpose: UploadPurpose, checked: _Checked
) -> DocumentRef:
    display_name = name
    declared = purpose
    spooled = checked.spooled
    key = storage_key(spooled.sha256)
    try:
        _put_content(spooled, key)  # before the rows: an orphan object is harmless
        with transaction.atomic():
            moment = clock.now()
            # Lock the content row so garbage collection cannot remove it under us.
            blob = Blob.objects.select_for_update().filter(pk=spooled.sha256).first()
            if blob is None:
                blob = Blob.objects.create(
                    sha256=spooled.sha256,
                    size=spooled.size,
                    media_type=checked.media_type,
                    storage_key=key,
                    created_at=moment,
                )
            if not storage().exists(key):  # collected between our write and our lock
                if not spooled.path.exists():  # already moved into storage, then collected
                    raise Conflict(Text(zh="请重新上传该文件。", en="Please upload the file again."))
                _put_content(spooled, key)
            document = Document.objects.create(
                blob=blob,
                owner_id=principal.user_id,
                organisation_id=principal.organisation_id,
                name=display_name,
                purpose=declared.code,
                media_type=checked.media_type,
                size=spooled.size,
                sha256=spooled.sha256,
                metadata=checked.metadata,
                created_at=moment,
            )
    finally:
        spooled.discard()
    return as_ref(document)


def open_stored(sha256: str) -> IO[bytes]:
    """The stored bytes under ``sha256`` (``NotFound`` when there are none)."""
    if not is_sha256_hex(sha256):
        raise NotFound()
    try:
        return storage().open(storage_key(sha256), "rb")
    except FileNotFoundError:
        raise NotFound() from None


def open_content(document: Document) -> IO[bytes]:
    """The stored bytes of a document, opened for reading (the caller closes it)."""
    return storage().open(document.blob.storage_key, "rb")


def _stored_keys(store: Storage, folder: str = KEY_PREFIX) -> Iterator[str]:
    try:
        folders, files = store.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _stored_keys(store, f"{folder}/{sub}")


@dataclass(frozen=True)
class GarbageReport:
    blobs_removed: int
    orphans_removed: int
    orphans_too_young: int


def collect_garbage(*, grace: timedelta = timedelta(hours=1), dry_run: bool = False) -> GarbageReport:
    """Remove content no document refers to.

    Two kinds: ``Blob`` rows left without documents (their object and row go), and objects in
    storage under ``sha256/`` with no ``Blob`` row (a crash between the storage write and the
    commit). An object younger than ``grace`` may belong to an upload still committing and is
    kept. Times here are wall-clock: storage reports real modification times.
    """
    store = storage()
    blobs_removed = 0
    for sha256 in list(Blob.objects.filter(documents__isnull=True).values_list("pk", flat=True)):
        with transaction.atomic():
            # Lock, then re-check: an upload of the same bytes may have referred to it since.
            blob = Blob.objects.select_for_update().filter(pk=sha256).first()
            if blob is None or Document.objects.filter(blob_id=sha256).exists():
                continue
            if not dry_run:
                store.delete(blob.storage_key)  # before the row: see store_document
                blob.delete()
        blobs_removed += 1
    known = set(Blob.objects.values_list("storage_key", flat=True))
    cutoff = clock.wall_now() - grace
    orphans_removed = orphans_too_young = 0
    for key in _stored_keys(store):
        if key in known:
            continue
        if store.get_modified_time(key) > cutoff:
            orphans_too_young += 1
            continue
        if not dry_run:
            store.delete(key)
        orphans_removed += 1
    return GarbageReport(blobs_removed, orphans_removed, orphans_too_young)
