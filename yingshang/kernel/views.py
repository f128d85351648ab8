"""Public downloads of the platform's certificates, so anyone can check a PDF the platform signed.

``GET /keys/document-signing-ca.pem``: the trust root(s) of the document-signing certificate
(import it into a PDF reader, or ``pyhanko sign validate --trust document-signing-ca.pem f.pdf``);
``GET /keys/document-signing.pem``: the signing certificate and its chain. No sign-in.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from yingshang.kernel import keys

PEM_TYPE = "application/x-pem-file"


def _pem_download(read: Callable[[], bytes], filename: str) -> HttpResponse:
    try:
        body = read()
    except FileNotFoundError as exc:  # `yingshang setup` has not made the identity yet
        raise Http404("no document-signing certificate is configured") from exc
    response = HttpResponse(body, content_type=PEM_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def document_signing_ca(request: HttpRequest) -> HttpResponse:
    return _pem_download(keys.document_signing_ca_pem, "document-signing-ca.pem")


@require_GET
def document_signing_certificate(request: HttpRequest) -> HttpResponse:
    return _pem_download(keys.document_signing_certificate_pem, "document-signing.pem")
