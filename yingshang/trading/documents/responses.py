"""Responses shared by the pages and the API: a stored PDF, a receipt as JSON."""

from __future__ import annotations

import base64
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponseNotModified
from django.http.response import HttpResponseBase
from django.urls import reverse

from yingshang.files import facade as files
from yingshang.trading.documents import services
from yingshang.trading.documents.models import DownloadReceipt


def pdf_response(request: HttpRequest, file_id: int) -> HttpResponseBase:
    """The stored PDF as an attachment, with its digest headers."""
    ref = files.document(file_id)
    etag = f'"{ref.sha256}"'
    if request.headers.get("If-None-Match") in {etag, f"W/{etag}"}:
        response: HttpResponseBase = HttpResponseNotModified()
    else:
        response = FileResponse(
            files.open_document(ref.id), as_attachment=True, filename=ref.name, content_type=ref.media_type
        )
        response["Content-Length"] = str(ref.size)
    raw = base64.b64encode(bytes.fromhex(ref.sha256)).decode("ascii")
    response["ETag"] = etag
    response["Repr-Digest"] = f"sha-256=:{raw}:"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response


def receipt_json(receipt: DownloadReceipt) -> dict[str, Any]:
    """What the bidder keeps: the canonical receipt, its commitment, the platform's signature
    over it and the ledger's signed promise to include the commitment."""
    document = services.receipt_document(receipt)
    return {
        "receipt": document,
        "commitment": receipt.commitment,
        "signature": services.sign_receipt(document),
        "ledger_promise": receipt.promise,
        "content_url": reverse("api:receipt_content", kwargs={"number": receipt.number}),
    }
