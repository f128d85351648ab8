"""The live stream of signed checkpoints: the sequencer's wake-up on commit and the SSE view
(tests/test_streams_live.py runs the same stream under uvicorn, across processes)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import Any, cast

import pytest
from asgiref.sync import sync_to_async
from django.test import RequestFactory

from yingshang.kernel import broadcast
from yingshang.ledger import facade, views
from yingshang.ledger.models import Checkpoint
from yingshang.ledger.services import CHECKPOINT_CHANNEL
from yingshang.ledger.tests.recording import record_many

pytestmark = pytest.mark.django_db(transaction=True)


def _checkpoint(count: int) -> int:
    record_many(count)
    result = facade.sequence_once()
    assert result.checkpoint is not None
    return result.size


in_thread = sync_to_async(_checkpoint, thread_sensitive=False)


def test_the_sequencer_publishes_each_checkpoint_once_committed() -> None:
    async def scenario() -> tuple[bool, int, int | None]:
        waiter = asyncio.ensure_future(broadcast.wait(CHECKPOINT_CHANNEL, 0, timeout=10))
        await asyncio.sleep(0)
        size = await in_thread(3)
        woke = await waiter
        latest = broadcast.latest(CHECKPOINT_CHANNEL)
        await broadcast.reset()
        return woke, size, latest

    woke, size, latest = asyncio.run(scenario())
    assert woke and size == 3 and latest == 3


def test_the_stream_starts_with_the_latest_checkpoint_then_sends_new_ones(settings: Any) -> None:
    settings.YINGSHANG = {**settings.YINGSHANG, "BROADCAST_RECHECK": 30.0}  # the wake-up must deliver
    _checkpoint(2)

    async def scenario() -> tuple[Any, list[str]]:
        response = await views.checkpoint_stream(RequestFactory().get("/ledger/checkpoints/stream"))
        stream = cast(AsyncGenerator[bytes, None], response.streaming_content)
        blocks: list[str] = []
        text = ""
        while len(blocks) < 3:  # retry, the latest checkpoint, the new one
            text += (await asyncio.wait_for(anext(stream), 10)).decode()
            *complete, text = text.split("\n\n")
            blocks += complete
            if len(blocks) == 2:
                await in_thread(1)
        await stream.aclose()
        await broadcast.reset()
        return response, blocks

    response, blocks = asyncio.run(scenario())
    assert response.status_code == 200 and response["Content-Type"].startswith("text/event-stream")
    assert blocks[0] == "retry: 3000"
    events = []
    for block in blocks[1:]:
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
    assert [(e[0], e[1]) for e in events] == [(2, "checkpoint"), (3, "checkpoint")]
    for number, _, data in events:
        stored = Checkpoint.objects.get(size=number)
        assert data == {
            "size": number,
            "root": stored.root,
            "note": stored.note,
            "created_at": stored.created_at.isoformat(),
        }
