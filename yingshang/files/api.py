"""Files API: upload (multipart), a document's record, its content."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja import File, Form, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile

from yingshang.files import facade, uploads
from yingshang.files.responses import download
from yingshang.identity.facade import API_AUTH, principal_for

router = Router(tags=["files"], auth=API_AUTH)


class DocumentOut(Schema):
    id: int
    name: str
    purpose: str
    media_type: str
    size: int
    sha256: str
    owner_id: int | None
    organisation_id: int | None
    created_at: datetime
    metadata: dict[str, Any]


@router.post(
    "",
    response={201: DocumentOut},
    summary="Upload a document",
    description=(
        "Multipart upload. The kind of file is recognised from its content (PDF, Word, Excel, "
        "OFD, ZIP, PNG, JPEG) and must match the name's extension. Refusals: 413 too large, "
        "415 unsupported or mismatched kind, 400 broken structure or archive limits."
    ),
)
@decorate_view(uploads.capped_operation)
def upload(request: HttpRequest, file: File[UploadedFile], purpose: Form[str] = "general") -> Any:
    ref = facade.store_document(
        principal=principal_for(request), name=file.name or "", stream=file, purpose=purpose
    )
    return Status(201, DocumentOut.model_validate(ref))


@router.get("/{int:document_id}", response=DocumentOut, summary="A document's record and metadata")
def document(request: HttpRequest, document_id: int) -> DocumentOut:
    return DocumentOut.model_validate(facade.document_for(principal_for(request), document_id))


@router.get(
    "/{int:document_id}/content",
    summary="Download a document's content",
    response={200: None},
    openapi_extra={"responses": {200: {"description": "The stored bytes, as an attachment"}}},
)
def content(request: HttpRequest, document_id: int) -> HttpResponseBase:
    return download(request, facade.document_for(principal_for(request), document_id))
