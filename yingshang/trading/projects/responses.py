"""Responses shared by the pages and the API: a notice version's stored PDF."""

from __future__ import annotations

import base64

from django.http import FileResponse, HttpRequest, HttpResponseNotModified
from django.http.response import HttpResponseBase

from yingshang.files import facade as files
from yingshang.kernel.errors import NotFound
from yingshang.trading.projects.models import Notice

__all__ = ["notice_pdf_response"]


def notice_pdf_response(request: HttpRequest, notice: Notice) -> HttpResponseBase:
    """A notice version's stored PDF (public once the tender is), with its digest headers."""
    if not notice.pdf_file_id:
        raise NotFound()
    ref = files.document(notice.pdf_file_id)
    etag = f'"{ref.sha256}"'
    if request.headers.get("If-None-Match") in {etag, f"W/{etag}"}:
        response: HttpResponseBase = HttpResponseNotModified()
    else:
        response = FileResponse(
            files.open_document(ref.id), as_attachment=False, filename=ref.name, content_type=ref.media_type
        )
        response["Content-Length"] = str(ref.size)
    response["ETag"] = etag
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(ref.sha256)).decode('ascii')}:"
    response["X-Content-Type-Options"] = "nosniff"
    return response
