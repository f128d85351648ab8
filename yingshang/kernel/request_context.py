"""The request id and client address of the act under way, set by middleware.

The evidence ledger and the logs read them from here instead of every caller passing them.
Outside a request (worker, chronograph, commands) both are empty.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    client_address: str = ""


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "yingshang_request_context",
    default=RequestContext(),  # noqa: B039  (a frozen dataclass: immutable)
)


def bind(*, request_id: str, client_address: str) -> contextvars.Token[RequestContext]:
    return _current.set(RequestContext(request_id=request_id, client_address=client_address))


def reset(token: contextvars.Token[RequestContext]) -> None:
    _current.reset(token)


def current() -> RequestContext:
    return _current.get()
