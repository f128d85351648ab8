"""The download response shared by the page and the API."""

from __future__ import annotations

import base64

from django.http import FileResponse, HttpRequest, HttpResponseNotModified
from django.http.response import HttpResponseBase

from yingshang.files import facade
from yingshang.files.contracts import DocumentRef


def digest_headers(ref: DocumentRef) -> dict[str, str]:
    raw = base64.b64encode(bytes.fromhex(ref.sha256)).decode("ascii")
    return {
        "ETag": f'"{ref.sha256}"',
        "Digest": f"sha-256={raw}",  # RFC 3230
        "Repr-Digest": f"sha-256=:{raw}:",  # RFC 9530
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-cache",
    }


def download(request: HttpRequest, ref: DocumentRef) -> HttpResponseBase:
    """Stream the document as an attachment; the name is sent as RFC 5987 ``filename*``."""
    headers = digest_headers(ref)
    if request.headers.get("If-None-Match") in {headers["ETag"], f"W/{headers['ETag']}"}:
        response: HttpResponseBase = HttpResponseNotModified()
    else:
        response = FileResponse(
            facade.open_document(ref.id),
            as_attachment=True,
            filename=ref.name,
            content_type=ref.media_type,
        )
        response["Content-Length"] = str(ref.size)
    for name, value in headers.items():
        response[name] = value
    return response
