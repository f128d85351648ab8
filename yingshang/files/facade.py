"""The files context's only door for other contexts.

Other contexts keep a document's id (an integer) and call these functions; they receive
:class:`~yingshang.files.contracts.DocumentRef` values, never models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from yingshang.files import selectors, services
from yingshang.files.contracts import DocumentRef
from yingshang.files.rules import ALL_TYPES, KINDS, UploadPurpose
from yingshang.files.rules import register_purpose as _register_purpose
from yingshang.kernel.errors import NotFound
from yingshang.kernel.policy import Principal

__all__ = [
    "ALL_TYPES",
    "KINDS",
    "DocumentRef",
    "UploadPurpose",
    "document",
    "document_for",
    "may_view",
    "metadata_of",
    "open_document",
    "register_purpose",
    "store_document",
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


def register_purpose(purpose: UploadPurpose) -> UploadPurpose:
    """Declare an upload purpose (accepted kinds, optional size limit); call from ``AppConfig.ready``."""
    return _register_purpose(purpose)
