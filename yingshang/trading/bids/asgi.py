"""The chunk endpoint of sealed-bid uploads as a plain ASGI application in front of Django.

``PUT /api/v1/trading/bids/uploads/{upload_id}/chunks/{offset}`` with an API token is the
platform's hottest request at a bid deadline: hundreds of bidders send 1 MiB chunks in the same
minute. Through Django's ASGI handler every such request would run the whole middleware stack
and the view in the one thread Django keeps for synchronous code, so chunks would queue behind
each other (and behind each other's disk writes). Here the request is served without Django's
request path:

1. the body is read from the ASGI connection as it arrives, refused as soon as it exceeds the
   chunk size (memory holds at most one chunk per request);
2. the chunk's arrival is read from the domain clock the moment its last byte is in, before
   anything waits for a thread or a database connection;
3. the API token is resolved to its holder through ``identity.facade.holder_of_token`` and
   remembered for ``BID_TOKEN_CACHE_SECONDS`` (default 10; never past the token's expiry);
4. ``services.receive_chunk`` runs on a pool of ``BID_CHUNK_THREADS`` threads (default 8), so
   chunks of different bidders are written and committed side by side; each thread keeps its
   database connection from one chunk to the next (at most that many connections of the
   process's pool; one that met a database error is closed);
5. the answer is the API's own: the same ``UploadOut`` document, or the same RFC 9457 problem
   documents, in the language of ``Accept-Language`` (zh-hans by default).

Requests without a bearer token (the browser page, with its session and CSRF check), with an
offset or upload id that does not parse, and every other path go to Django unchanged; the ninja
operation of the same path stays the documented one (OpenAPI) and serves them.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import hashlib
import logging
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import OperationalError, close_old_connections
from django.utils import translation
from django.utils.translation import trans_real

from yingshang.identity import facade as identity
from yingshang.kernel import clock, request_context
from yingshang.kernel.errors import DomainError
from yingshang.trading.bids import api, services
from yingshang.web.problems import busy_problem, problem

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[Mapping[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CHUNK_PATH = re.compile(
    r"^/api/v1/trading/bids/uploads/(?P<upload>[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
    r"[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})/chunks/(?P<offset>[0-9]{1,15})/?$"
)

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_holders: dict[str, tuple[identity.TokenHolder, float]] = {}
_holders_lock = threading.Lock()
_MAX_HOLDERS = 10_000


def wrap(django_app: ASGIApp) -> ASGIApp:
    """``django_app`` with chunk requests that carry an API token served here."""

    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") == "PUT":
            match = CHUNK_PATH.match(scope.get("path", ""))
            token = _bearer(scope) if match else None
            if match and token:
                await _serve(
                    scope, receive, send, token=token, upload=match["upload"], offset=int(match["offset"])
                )
                return
        await django_app(scope, receive, send)

    return application


# --- one chunk --------------------------------------------------------------------------------


async def _serve(scope: Scope, receive: Receive, send: Send, *, token: str, upload: str, offset: int) -> None:
    headers = _headers(scope)
    language = _language(headers.get(b"accept-language", b"").decode("latin-1"))
    request_id = (headers.get(b"x-request-id", b"").decode("latin-1") or uuid.uuid4().hex)[:64]
    client = scope.get("client") or ("", 0)
    context = (request_id, str(client[0]))
    limit = services.chunk_size()
    declared = headers.get(b"content-length", b"")
    if declared.isdigit() and int(declared) > limit:
        await _answer(send, request_id, _too_large(language, limit, int(declared)))
        return
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return  # the client went away: nothing was acknowledged
        body += message.get("body", b"")
        if len(body) > limit:
            await _answer(send, request_id, _too_large(language, limit, len(body)))
            return
        if not message.get("more_body"):
            break
    arrived = clock.now()
    loop = asyncio.get_running_loop()
    work = functools.partial(
        _receive,
        token=token,
        upload=upload,
        offset=offset,
        data=bytes(body),
        arrived=arrived,
        language=language,
        context=context,
    )
    # The pool thread runs in a copy of this request's context (as Django's sync_to_async does).
    answer = await loop.run_in_executor(_executor(), contextvars.copy_context().run, work)
    await _answer(send, request_id, answer)


def _receive(
    *,
    token: str,
    upload: str,
    offset: int,
    data: bytes,
    arrived: datetime,
    language: str,
    context: tuple[str, str],
) -> tuple[int, str, bytes, dict[str, str]]:
    """On a pool thread: the service call and its answer (status, content type, body, headers)."""
    bound = request_context.bind(request_id=context[0], client_address=context[1])
    try:
        with translation.override(language):
            try:
                holder = _holder(token)
                state = services.receive_chunk(
                    principal=holder.principal, upload_id=upload, offset=offset, data=data, arrived=arrived
                )
                document = api.upload_out(state).model_dump_json().encode()
                return (201 if state.bid is not None else 200, "application/json", document, {})
            except DomainError as exc:
                return _problem(exc.status, exc.code, str(exc), errors=exc.details)
            except OperationalError:
                logger.warning("Chunk of upload %s: database busy", upload, exc_info=True)
                close_old_connections()
                return _from_response(busy_problem())
            except Exception:
                logger.exception("Unhandled error in PUT chunk of upload %s", upload)
                close_old_connections()
                return _problem(500, "server_error", str(_server_error_text()))
    finally:
        request_context.reset(bound)


def _holder(raw: str) -> identity.TokenHolder:
    key = hashlib.sha256(raw.encode()).hexdigest()
    now = time.monotonic()
    with _holders_lock:
        cached = _holders.get(key)
    if cached is not None and cached[1] > now and cached[0].expires_at > clock.wall_now():
        return cached[0]
    holder = identity.holder_of_token(raw)
    keep = float(str(settings.YINGSHANG.get("BID_TOKEN_CACHE_SECONDS", 10)))
    with _holders_lock:
        if len(_holders) >= _MAX_HOLDERS:
            _holders.clear()
        _holders[key] = (holder, now + keep)
    return holder


def forget_tokens() -> None:
    """Drop the remembered token holders (tests; a revocation that must bite at once)."""
    with _holders_lock:
        _holders.clear()


def _executor() -> ThreadPoolExecutor:
    global _pool  # noqa: PLW0603 -- one pool per process, made on first use
    with _pool_lock:
        if _pool is None:
            threads = int(str(settings.YINGSHANG.get("BID_CHUNK_THREADS", 8)))
            _pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="bid-chunk")
        return _pool


# --- HTTP details -----------------------------------------------------------------------------


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {bytes(name).lower(): bytes(value) for name, value in scope.get("headers", [])}


def _bearer(scope: Scope) -> str | None:
    value = _headers(scope).get(b"authorization", b"").decode("latin-1").strip()
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _language(accept: str) -> str:
    for code, _quality in trans_real.parse_accept_lang_header(accept):
        if code == "*":
            break
        try:
            return trans_real.get_supported_language_variant(code)
        except LookupError:
            continue
    return str(settings.LANGUAGE_CODE)


def _too_large(language: str, limit: int, size: int) -> tuple[int, str, bytes, dict[str, str]]:
    with translation.override(language):
        error = services.chunk_too_large(limit=limit, size=size)
        return _problem(error.status, error.code, str(error))


def _problem(status: int, code: str, detail: str, **kwargs: Any) -> tuple[int, str, bytes, dict[str, str]]:
    return _from_response(problem(status, code, detail, **kwargs))


def _from_response(response: Any) -> tuple[int, str, bytes, dict[str, str]]:
    extra = {name: value for name, value in response.items() if name.lower() != "content-type"}
    return (response.status_code, response["Content-Type"], bytes(response.content), extra)


def _server_error_text() -> str:
    return str(translation.gettext("Something went wrong on our side; it has been logged."))


Answer = tuple[int, str, bytes, dict[str, str]]


async def _answer(send: Send, request_id: str, answer: Answer) -> None:
    status, content_type, body, extra = answer
    headers = [
        (b"content-type", content_type.encode("latin-1")),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode("latin-1")),
        (b"cache-control", b"no-store"),
    ]
    headers += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
