"""Request context for the evidence ledger and logs: request id and client address."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from yingshang.kernel import request_context


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
        request_id = request_id[:64]
        address = request.META.get("REMOTE_ADDR", "")
        token = request_context.bind(request_id=request_id, client_address=address)
        try:
            response = self.get_response(request)
        finally:
            request_context.reset(token)
        response["X-Request-Id"] = request_id
        return response
