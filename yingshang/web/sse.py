"""Server-sent events: one generic streaming response for every public live stream.

A context that streams keeps its events in a table of its own with increasing integer ids,
publishes ``kernel.broadcast.publish(channel, last_id)`` on commit, and serves::

    async def stream(request):
        return sse_response(request, channel="ledger.checkpoints", fetch_after=checkpoints_after)

where ``fetch_after(after)`` returns the events with ids above ``after`` in id order (sync: it
runs in a worker thread and the database connection is closed after each call, so an idle
stream holds none; or async). docs/streams.md describes the whole recipe.

The stream sends a ``retry:`` hint, then the events after the client's ``Last-Event-ID``
(header, or ``?last_event_id=`` for clients that cannot set headers), then every later event as
it is committed. It reads again when a wake-up arrives and at each periodic re-check (aligned
across connections, so all streams of a process re-check together), and sends a comment every
``heartbeat`` seconds so proxies keep the connection open. A client that disconnects ends it.

Reads are shared: the connections of one process waiting on the same channel and ``fetch_after``
after the same id wait on one read (pass a module-level function, not a fresh closure, to get
this), so 1,000 guests cost one query per event, not 1,000.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import connection
from django.http import HttpRequest, StreamingHttpResponse

from yingshang.kernel import broadcast

__all__ = [
    "HEARTBEAT_SECONDS",
    "RETRY_MILLISECONDS",
    "StreamEvent",
    "db_read",
    "format_event",
    "sse_response",
]

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
RETRY_MILLISECONDS = 3000

JSON = Any
T = TypeVar("T")
FetchAfter = Callable[[int], Sequence["StreamEvent"]] | Callable[[int], Awaitable[Sequence["StreamEvent"]]]


@dataclass(frozen=True)
class StreamEvent:
    """One event of a stream: its id (increasing within the channel), name and JSON data."""

    id: int
    event: str
    data: JSON


def format_event(event: StreamEvent) -> str:
    """The event in the text/event-stream format (the JSON on one ``data:`` line)."""
    data = json.dumps(event.data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    name = "".join(ch for ch in event.event if ch not in "\r\n")
    return f"id: {int(event.id)}\nevent: {name}\ndata: {data}\n\n"


def _requested_id(request: HttpRequest) -> int | None:
    """The client's last event id (``Last-Event-ID`` header, else ``?last_event_id=``)."""
    for raw in (request.headers.get("Last-Event-ID"), request.GET.get("last_event_id")):
        if raw is None:
            continue
        try:
            value = int(raw.strip())
        except ValueError:
            continue
        if value >= -1:
            return value
    return None


def _run_sync(fetch: Callable[[int], Sequence[StreamEvent]], after: int) -> list[StreamEvent]:
    """In a worker thread: the read, then let go of the connection (an idle stream holds none)."""
    try:
        return list(fetch(after))
    finally:
        if not connection.in_atomic_block:
            connection.close()


_run_in_thread = sync_to_async(_run_sync, thread_sensitive=False)


def _call_and_release(function: Callable[..., T], *args: Any) -> T:
    try:
        return function(*args)
    finally:
        if not connection.in_atomic_block:
            connection.close()


async def db_read(function: Callable[..., T], *args: Any) -> T:
    """Run a sync read (ORM) from an async view in a worker thread, then release its database
    connection, as the stream does with ``fetch_after`` (e.g. to choose ``last_event_id``)."""
    return await sync_to_async(_call_and_release, thread_sensitive=False)(function, *args)


async def _fetch(channel: str, fetch: FetchAfter, after: int) -> list[StreamEvent]:
    """One read; a failure is logged once (not once per waiting stream) and reads as nothing new:
    the streams try again at the next wake-up or re-check."""
    try:
        if inspect.iscoroutinefunction(fetch):
            return list(await fetch(after))
        return await _run_in_thread(fetch, after)  # type: ignore[arg-type]
    except Exception:
        logger.exception("stream %s: reading the events after %s failed", channel, after)
        return []


# Reads in flight, per event loop: (channel, fetch_after, after) -> the one read every stream
# waiting on that key shares.
_inflight: dict[tuple[asyncio.AbstractEventLoop, str, Any, int], asyncio.Task[list[StreamEvent]]] = {}


async def _shared_fetch(channel: str, fetch: FetchAfter, after: int) -> list[StreamEvent]:
    key = (asyncio.get_running_loop(), channel, fetch, after)
    task = _inflight.get(key)
    if task is None:
        task = asyncio.ensure_future(_fetch(channel, fetch, after))
        _inflight[key] = task
        task.add_done_callback(lambda done: _inflight.pop(key, None))
    # A disconnecting client cancels its own wait, never the read the others share.
    return await asyncio.shield(task)


async def _events(
    channel: str,
    fetch: FetchAfter,
    after: int,
    *,
    heartbeat: float,
    retry_ms: int,
    recheck: float,
) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    yield f"retry: {retry_ms}\n\n"
    last_write = loop.time()
    try:
        while True:
            heard = broadcast.latest(channel)
            events = await _shared_fetch(channel, fetch, after)
            fresh = [event for event in events if event.id > after]
            if fresh:
                after = max(event.id for event in fresh)
                yield "".join(format_event(event) for event in fresh)
                last_write = loop.time()
                continue  # read again at once: a long backlog comes in pages
            # Wait for a wake-up newer than anything already read (a wake-up the read has
            # answered must not wake us again), or for the next re-check tick, which every
            # stream of the process shares so their reads coincide and are shared.
            floor = max(after, heard if heard is not None else -1)
            now = loop.time()
            tick = recheck - (now % recheck)
            await broadcast.wait(channel, floor, min(tick, max(0.0, last_write + heartbeat - now)))
            if loop.time() - last_write >= heartbeat:
                yield ": heartbeat\n\n"
                last_write = loop.time()
    finally:  # the client went away (Django cancels the response) or the server stops
        logger.debug("stream %s closed after id %s", channel, after)


def sse_response(
    request: HttpRequest,
    *,
    channel: str,
    fetch_after: FetchAfter,
    last_event_id: int | None = None,
    heartbeat: float = HEARTBEAT_SECONDS,
    retry_ms: int = RETRY_MILLISECONDS,
) -> StreamingHttpResponse:
    """A text/event-stream response of ``channel``'s events.

    The stream starts after the client's last event id (``Last-Event-ID`` header or
    ``?last_event_id=``); a client that sends none starts after ``last_event_id`` (the view's
    choice: ``-1`` replays everything, the newest id sends only what comes next); None means -1.
    ``fetch_after(after)`` returns events with ids above ``after`` in id order, at most a page
    (the stream reads again at once after a non-empty page).
    """
    requested = _requested_id(request)
    start = requested if requested is not None else (last_event_id if last_event_id is not None else -1)
    response = StreamingHttpResponse(
        _events(
            channel,
            fetch_after,
            start,
            heartbeat=heartbeat,
            retry_ms=retry_ms,
            recheck=broadcast.recheck_seconds(),
        ),
        content_type="text/event-stream; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"
    return response
