"""The files context's only door for other contexts.

Other contexts keep a document's id (an integer) and call these functions; they receive
:class:`~yingshang.files.contracts.DocumentRef` values, never models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from yingshang.files import selectors, services, staging
from yingshang.files.contracts import DocumentRef
from yingshang.files.rules import ALL_TYPES, KINDS, UploadPurpose
from yingshang.files.rules import register_purpose as _register_purpose
from yingshang.kernel.errors import NotFound
from yingshang.kernel.policy import Principal

__all__ = [
    "ALL_TYPES",
    "KINDS",
    "DocumentRef",
    "StagedShort",
    "UploadPurpose",
    "discard_staged",
    "document",
    "document_for",
    "may_view",
    "metadata_of",
    "open_content",
    "open_document",
    "open_staged",
    "register_purpose",
    "stage_chunk",
    "staged_size",
    "store_document",
    "store_staged",
    "sync_staged",
    "write_staged",
]


#: Check and store an upload; refusals raise ``TooLarge`` (413), ``UnsupportedMediaType`` (415)
#: or ``InvalidInput`` (400) and store nothing. See ``services.store_document``.
store_document = services.store_document


def document(document_id: int) -> DocumentRef:
    """The document by id, without a visibility check (the caller holds the id and checks)."""
    return services.as_ref(selectors.document_by_id(document_id))


def document_for(principal: Principal, document_id: int) -> DocumentRef:
    """The document if ``principal`` may see it, else ``NotFound``."""
    return services.as_ref(selectors.document_for(principal, document_id))


def may_view(principal: Principal, document_id: int) -> bool:
    try:
        selectors.document_for(principal, document_id)
    except NotFound:
        return False
    return True


def metadata_of(document_id: int) -> Mapping[str, Any]:
    """The extracted metadata (author, creator, producer, times...) for collusion checks."""
    return selectors.document_by_id(document_id).metadata


def open_document(document_id: int) -> IO[bytes]:
    """The stored bytes, opened for reading; the caller closes the handle."""
    return services.open_content(selectors.document_by_id(document_id))


def open_content(sha256: str) -> IO[bytes]:
    """The stored bytes whose SHA-256 is ``sha256`` (content is stored under its hash), opened for
    reading without a database read; ``NotFound`` when no such content is stored. For a caller
    that holds the hash from its own record (a bid's receipt) and checks what it reads against
    it; the caller closes the handle."""
    return services.open_stored(sha256)


def register_purpose(purpose: UploadPurpose) -> UploadPurpose:
    """Declare an upload purpose (accepted kinds, optional size limit); call from ``AppConfig.ready``."""
    return _register_purpose(purpose)


# --- resumable uploads (staged on disk, chunk by chunk; see ``staging``) ----------------------


StagedShort = staging.StagedShort


def stage_chunk(staging_id: str, *, offset: int, data: bytes, sync: bool = False) -> int:
    """Write a chunk at ``offset`` (the bytes acknowledged so far), dropping anything beyond it;
    in the OS cache when it returns (survives a crash of the process), on disk too with ``sync``.
    Returns the new staged size. Raises ``StagedShort(size)`` when the file holds fewer than
    ``offset`` bytes (lost in a power failure): rewind the acknowledged offset to ``size``."""
    return staging.append(staging_id, offset=offset, data=data, sync=sync)


def write_staged(staging_id: str, *, direct: bool = False) -> IO[bytes]:
    """A new staged file (owner-only) opened for writing from its start, for a whole stream the
    caller produces (a decrypted bid package); the caller closes it, then stores it with
    ``store_staged`` (hard-linked, not copied) and discards it. ``direct`` writes it to the disk
    bypassing the page cache (``staging.DirectWriter``): for a large file read back only in
    small parts."""
    return staging.create(staging_id, direct=direct)


def sync_staged(staging_id: str) -> None:
    """Flush a staged upload to disk (before promising anything on the whole file)."""
    staging.sync(staging_id)


def staged_size(staging_id: str) -> int:
    return staging.size(staging_id)


def open_staged(staging_id: str) -> IO[bytes]:
    """The staged bytes for reading; the caller closes the handle."""
    return staging.open_staged(staging_id)


def edit_staged(staging_id: str) -> IO[bytes]:
    """The staged bytes open for reading and writing in place (the caller closes the handle)."""
    return staging.edit(staging_id)


def discard_staged(staging_id: str) -> None:
    staging.discard(staging_id)


def store_staged(
    staging_id: str,
    *,
    principal: Principal,
    name: str,
    purpose: str,
    sha256: str | None = None,
    max_bytes: int | None = None,
) -> DocumentRef:
    """Store a completed staged upload as a document (checked like any upload). With ``sha256``
    (computed by the caller while it read the staged bytes) the bytes are not read again: the
    staged file is hard-linked into storage. The staged copy stays until the caller discards it
    (``discard_staged``), once its own record of the upload has committed: a crash in between
    must leave the bytes to try again. Refusals raise as ``store_document`` does."""
    if sha256 is not None:
        return services.store_file(
            principal=principal,
            path=staging.path_of(staging_id),
            sha256=sha256,
            name=name,
            purpose=purpose,
            max_bytes=max_bytes,
        )
    with staging.open_staged(staging_id) as stream:
        return services.store_document(
            principal=principal, name=name, stream=stream, purpose=purpose, max_bytes=max_bytes
        )
