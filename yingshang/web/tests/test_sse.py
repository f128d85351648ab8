"""The generic server-sent events response, driven in-process (the live server test in
tests/test_streams_live.py runs it under uvicorn).

Each test runs its event loop with ``asyncio.run``; waits are bounded by timeouts, never sleeps.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, cast

import pytest
from django.test import RequestFactory

from yingshang.kernel import broadcast
from yingshang.web.sse import StreamEvent, format_event, sse_response


class Source:
    """A stream's events table, in memory; counts the reads per ``after``."""

    def __init__(self, count: int = 0) -> None:
        self.events = [
            StreamEvent(id=n, event="step", data={"n": n, "text": "开标"}) for n in range(1, count + 1)
        ]
        self.reads: Counter[int] = Counter()

    async def fetch(self, after: int) -> list[StreamEvent]:
        self.reads[after] += 1
        return [event for event in self.events if event.id > after]

    def add(self) -> int:
        number = len(self.events) + 1
        self.events.append(StreamEvent(id=number, event="step", data={"n": number, "text": "开标"}))
        return number


async def read_until(stream: AsyncIterator[bytes], wanted: str, timeout: float = 10) -> str:
    """Read chunks until ``wanted`` has appeared (bounded by ``timeout``)."""
    text = ""

    async def reading() -> None:
        nonlocal text
        while wanted not in text:
            text += (await anext(stream)).decode()

    await asyncio.wait_for(reading(), timeout)
    return text


def stream_of(response: Any) -> AsyncGenerator[bytes, None]:
    """The response's body as the async generator it is (typed as either kind by Django)."""
    return cast(AsyncGenerator[bytes, None], response.streaming_content)


def ids_in(text: str) -> list[int]:
    return [int(line[4:]) for line in text.splitlines() if line.startswith("id: ")]


def test_format_is_one_event_per_block_with_json_on_one_line() -> None:
    text = format_event(StreamEvent(id=7, event="bid\nopened", data={"note": "a\nb", "价格": 1}))
    assert text == 'id: 7\nevent: bidopened\ndata: {"note":"a\\nb","价格":1}\n\n'


def test_headers_retry_hint_and_resume_from_the_last_event_id() -> None:
    source = Source(count=5)
    factory = RequestFactory()

    async def scenario() -> tuple[Any, str, str, str, str]:
        name = f"test.{uuid.uuid4().hex}"
        header = sse_response(
            factory.get("/s", HTTP_LAST_EVENT_ID="3"), channel=name, fetch_after=source.fetch, last_event_id=0
        )
        query = sse_response(factory.get("/s?last_event_id=4"), channel=name, fetch_after=source.fetch)
        default = sse_response(
            factory.get("/s", HTTP_LAST_EVENT_ID="junk"),
            channel=name,
            fetch_after=source.fetch,
            last_event_id=1,
        )
        everything = sse_response(factory.get("/s"), channel=name, fetch_after=source.fetch)
        streams = [stream_of(r) for r in (header, query, default, everything)]
        from_header, from_query, from_default, all_of_it = [await read_until(s, "id: 5") for s in streams]
        for stream in streams:
            await stream.aclose()
        await broadcast.reset()
        return header, from_header, from_query, from_default, all_of_it

    response, from_header, from_query, from_default, everything = asyncio.run(scenario())
    assert response["Content-Type"] == "text/event-stream; charset=utf-8"
    assert response["Cache-Control"] == "no-cache, no-transform"
    assert response["X-Accel-Buffering"] == "no"
    assert from_header.startswith("retry: 3000\n\n")
    assert ids_in(from_header) == [4, 5]
    assert ids_in(from_query) == [5]
    assert ids_in(from_default) == [2, 3, 4, 5]
    assert ids_in(everything) == [1, 2, 3, 4, 5]
    assert 'event: step\ndata: {"n":4,"text":"开标"}\n\n' in from_header


def test_a_publish_wakes_every_stream_and_they_share_one_read(settings: Any) -> None:
    settings.YINGSHANG = {**settings.YINGSHANG, "BROADCAST_RECHECK": 30.0}  # only the wake-up can deliver
    source = Source(count=2)
    factory = RequestFactory()

    async def scenario() -> list[str]:
        name = f"test.{uuid.uuid4().hex}"
        responses = [
            sse_response(factory.get("/s"), channel=name, fetch_after=source.fetch, last_event_id=2)
            for _ in range(50)
        ]
        streams = [stream_of(r) for r in responses]
        await asyncio.gather(*(read_until(s, "retry:") for s in streams))
        # Each stream now reads (nothing new) and waits; let them all get there.
        readers = [asyncio.ensure_future(read_until(s, "id: 3")) for s in streams]
        for _ in range(5):
            await asyncio.sleep(0)
        number = source.add()
        await asyncio.get_running_loop().run_in_executor(None, broadcast.publish, name, number)
        texts = list(await asyncio.gather(*readers))
        for s in streams:
            await s.aclose()
        await broadcast.reset()
        return texts

    texts = asyncio.run(scenario())
    assert all(ids_in(text) == [3] for text in texts)
    # The first read, and the one after the wake-up: each shared by the 50 streams.
    assert sum(source.reads.values()) <= 2


def test_the_periodic_recheck_finds_events_nobody_announced(settings: Any) -> None:
    """The embedded default: another process wrote the event and its wake-up never came."""
    settings.YINGSHANG = {**settings.YINGSHANG, "BROADCAST_RECHECK": 0.1}
    source = Source(count=1)

    async def scenario() -> str:
        response = sse_response(
            RequestFactory().get("/s"), channel=f"test.{uuid.uuid4().hex}", fetch_after=source.fetch
        )
        stream = stream_of(response)
        await read_until(stream, "id: 1")
        source.add()  # no publish
        text = await read_until(stream, "id: 2", timeout=10)
        await stream.aclose()
        await broadcast.reset()
        return text

    assert ids_in(asyncio.run(scenario())) == [2]


@pytest.mark.parametrize("recheck", [0.05, 30.0])  # re-checks more and less often than heartbeats
def test_an_idle_stream_sends_heartbeats(settings: Any, recheck: float) -> None:
    settings.YINGSHANG = {**settings.YINGSHANG, "BROADCAST_RECHECK": recheck}
    source = Source()

    async def scenario() -> str:
        response = sse_response(
            RequestFactory().get("/s"),
            channel=f"test.{uuid.uuid4().hex}",
            fetch_after=source.fetch,
            heartbeat=0.1,
        )
        stream = stream_of(response)
        text = await read_until(stream, ": heartbeat\n\n")
        await stream.aclose()
        await broadcast.reset()
        return text

    assert asyncio.run(scenario()).startswith("retry: 3000\n\n")


def test_a_disconnected_stream_leaves_no_waiter_behind() -> None:
    source = Source(count=1)
    name = f"test.{uuid.uuid4().hex}"

    async def scenario() -> tuple[int, int]:
        response = sse_response(RequestFactory().get("/s"), channel=name, fetch_after=source.fetch)
        stream = stream_of(response)

        async def consume() -> None:
            async for _ in stream:
                pass

        task = asyncio.ensure_future(consume())
        for _ in range(10):  # until it is waiting (a few loop turns)
            await asyncio.sleep(0)
        hub = broadcast._hub()
        waiting = len(hub.waiters.get(name, {}))
        task.cancel()  # what Django does when the client disconnects
        with pytest.raises(asyncio.CancelledError):
            await task
        left = len(hub.waiters.get(name, {}))
        await broadcast.reset()
        return waiting, left

    assert asyncio.run(scenario()) == (1, 0)


def test_a_failed_read_is_logged_and_the_stream_carries_on(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.YINGSHANG = {**settings.YINGSHANG, "BROADCAST_RECHECK": 0.05}
    source = Source(count=1)
    failures = [RuntimeError("database went away")]

    async def flaky(after: int) -> list[StreamEvent]:
        if failures:
            raise failures.pop()
        return await source.fetch(after)

    async def scenario() -> str:
        response = sse_response(
            RequestFactory().get("/s"), channel=f"test.{uuid.uuid4().hex}", fetch_after=flaky
        )
        stream = stream_of(response)
        text = await read_until(stream, "id: 1")
        await stream.aclose()
        await broadcast.reset()
        return text

    assert ids_in(asyncio.run(scenario())) == [1]
    assert "database went away" in caplog.text
