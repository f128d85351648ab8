"""Stop reading an oversize request body early, before Django spools it all to disk.

Django streams files larger than ``FILE_UPLOAD_MAX_MEMORY_SIZE`` to temporary files, but it
reads the whole body first. :func:`capped` puts a handler in front that stops at the largest
limit any purpose allows; the service then applies the exact limit of the declared purpose.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

from yingshang.files import services

FLAG = "_yingshang_upload_too_large"
V = TypeVar("V", bound=Callable[..., Any])


class CappedUploadHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        self.received = 0
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            setattr(self.request, FLAG, True)
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _install(request: HttpRequest) -> None:
    if request.method == "POST":
        cap = CappedUploadHandler(request, services.largest_size_limit())
        request.upload_handlers = [cap, *request.upload_handlers]


def capped(view: V) -> V:
    """Decorate a view (before anything reads ``request.POST``) to cap uploaded files."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        _install(request)
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def capped_operation(run: V) -> V:
    """The same cap for a django-ninja operation (use with ``ninja.decorators.decorate_view``).

    When the cap stopped the body, the operation fails validation (the file is missing); the
    answer is then a 413 problem document instead of the 422.
    """
    operation = getattr(run, "__self__", None)

    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        _install(request)
        response = run(request, *args, **kwargs)
        if stopped_too_large(request) and operation is not None and response.status_code in {400, 422}:
            return operation.api.on_exception(request, services.too_large_for_any_purpose())
        return response

    return wrapper  # type: ignore[return-value]


def stopped_too_large(request: HttpRequest) -> bool:
    return bool(getattr(request, FLAG, False))
