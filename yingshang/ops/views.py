from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from yingshang.ops.contracts import health_document
from yingshang.ops.selectors import health


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: 200 while the database answers, 503 when it does not."""
    report = health()
    return JsonResponse(health_document(report), status=200 if report.ok else 503)
