"""Wake-ups for live streams: the in-process hub and the Redis and PostgreSQL backends.

Each test runs its event loop with ``asyncio.run``; waits are bounded by timeouts, never sleeps.
Redis is the one at 127.0.0.1:6379 (``YINGSHANG_TEST_REDIS`` overrides it); the PostgreSQL tests
run in the PostgreSQL pass (the ``postgresql`` marker).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

from yingshang.kernel import broadcast

REDIS_URL = os.environ.get("YINGSHANG_TEST_REDIS", "redis://127.0.0.1:6379/15")


def channel() -> str:
    return f"test.{uuid.uuid4().hex[:12]}"


@pytest.fixture
def backend(settings: Any) -> Iterator[Any]:
    """Select a backend for one test (``use(value)``); the process's backend objects are dropped
    afterwards so another test's setting is never reused."""

    def use(value: str) -> None:
        settings.YINGSHANG = {**settings.YINGSHANG, "BROADCAST": value}

    yield use
    broadcast._backends.clear()


def test_memory_wakes_a_waiter_when_another_thread_publishes() -> None:
    name = channel()

    async def scenario() -> tuple[bool, int | None]:
        loop = asyncio.get_running_loop()
        waiter = asyncio.ensure_future(broadcast.wait(name, 4, timeout=10))
        await asyncio.sleep(0)  # let the waiter register (one loop turn, not a wait for time)
        await loop.run_in_executor(None, broadcast.publish, name, 5)
        woke = await waiter
        latest = broadcast.latest(name)
        await broadcast.reset()
        return woke, latest

    assert asyncio.run(scenario()) == (True, 5)


def test_memory_wakes_only_waiters_behind_the_published_id() -> None:
    name = channel()

    async def scenario() -> tuple[bool, bool, bool]:
        behind = asyncio.ensure_future(broadcast.wait(name, 2, timeout=10))
        level = asyncio.ensure_future(broadcast.wait(name, 3, timeout=0.2))
        await asyncio.sleep(0)
        broadcast.publish(name, 3)  # from the loop's own thread, as a sync view would
        woke_behind, woke_level = await behind, await level
        # A wake-up already heard answers at once.
        already = await broadcast.wait(name, 2, timeout=0)
        await broadcast.reset()
        return woke_behind, woke_level, already

    assert asyncio.run(scenario()) == (True, False, True)


def test_memory_fans_out_to_a_thousand_waiters() -> None:
    name = channel()

    async def scenario() -> list[bool]:
        waiters = [asyncio.ensure_future(broadcast.wait(name, 0, timeout=10)) for _ in range(1000)]
        await asyncio.sleep(0)
        await asyncio.get_running_loop().run_in_executor(None, broadcast.publish, name, 1)
        results = list(await asyncio.gather(*waiters))
        await broadcast.reset()
        return results

    results = asyncio.run(scenario())
    assert len(results) == 1000 and all(results)


def test_a_failing_publish_is_logged_not_raised(backend: Any, caplog: pytest.LogCaptureFixture) -> None:
    backend("redis://127.0.0.1:1/0")  # nothing listens there
    broadcast.publish(channel(), 1)
    assert "could not publish" in caplog.text


def test_an_unknown_backend_is_refused_by_name(backend: Any) -> None:
    backend("carrier-pigeon")
    with pytest.raises(broadcast.BroadcastError):
        broadcast.backend_name()


# --- Redis ---------------------------------------------------------------------------------------


def test_redis_publish_sends_on_the_wire_channel(backend: Any) -> None:
    import redis

    backend(REDIS_URL)
    name = channel()
    client = redis.Redis.from_url(REDIS_URL)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(broadcast.WIRE_CHANNEL)
    assert pubsub.get_message(timeout=5) is None  # the subscription confirmation, skipped
    broadcast.publish(name, 42)
    message = None
    for _ in range(10):  # other test sessions may publish on the same Redis: find ours
        message = pubsub.get_message(timeout=5)
        if message and name.encode() in message["data"]:
            break
    pubsub.close()
    client.close()
    assert message is not None and broadcast._parse(message["data"]) == (name, 42)


def test_redis_listener_delivers_a_wake_up_from_another_process(backend: Any) -> None:
    """The wake-up is put on Redis directly (as another process's publish would be), so only
    the listener can deliver it."""
    import redis

    backend(REDIS_URL)
    name = channel()

    async def scenario() -> tuple[bool, bool, int | None]:
        # The listener starts with the first waiter and wakes it once subscribed (anything
        # published before then may have been missed).
        subscribed = await broadcast.wait(name, 0, timeout=10)
        waiter = asyncio.ensure_future(broadcast.wait(name, 6, timeout=10))
        await asyncio.sleep(0)
        sender = redis.Redis.from_url(REDIS_URL)
        sender.publish(broadcast.WIRE_CHANNEL, broadcast._payload(name, 7))
        sender.close()
        woke = await waiter
        latest = broadcast.latest(name)
        await broadcast.reset()
        return subscribed, woke, latest

    assert asyncio.run(scenario()) == (True, True, 7)


def test_redis_listener_reconnects_and_then_wakes_everyone(backend: Any) -> None:
    """A lost listener connection (Redis restarted, network cut): the listener reconnects and
    wakes every stream, which re-check since wake-ups may have been missed meanwhile."""
    import redis

    backend(REDIS_URL)
    name = channel()

    async def scenario() -> tuple[bool, int, bool, bool]:
        subscribed = await broadcast.wait(name, 0, timeout=10)
        waiter = asyncio.ensure_future(broadcast.wait(name, 0, timeout=20))
        await asyncio.sleep(0)
        admin = redis.Redis.from_url(REDIS_URL)
        ours = [c for c in admin.client_list() if c["name"] == f"yingshang-broadcast-{os.getpid()}"]
        for connection in ours:
            admin.client_kill_filter(_id=connection["id"])
        woke_on_reconnect = await waiter
        after = asyncio.ensure_future(broadcast.wait(name, 7, timeout=10))
        await asyncio.sleep(0)
        admin.publish(broadcast.WIRE_CHANNEL, broadcast._payload(name, 8))
        admin.close()
        delivered = await after
        await broadcast.reset()
        return subscribed, len(ours), woke_on_reconnect, delivered

    assert asyncio.run(scenario()) == (True, 1, True, True)


# --- PostgreSQL ----------------------------------------------------------------------------------


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_postgresql_publish_notifies_and_the_listener_delivers(backend: Any) -> None:
    import psycopg

    backend("postgresql")
    name = channel()
    conninfo = broadcast._PostgresBackend().conninfo()
    assert connections["default"].settings_dict["NAME"] in conninfo  # the test database
    with psycopg.connect(conninfo, autocommit=True) as listener:
        listener.execute(f"LISTEN {broadcast.WIRE_CHANNEL}")
        broadcast.publish(name, 9)  # NOTIFY through the Django connection
        received = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
    assert [broadcast._parse(p) for p in received] == [(name, 9)]

    async def scenario() -> tuple[bool, bool, int | None]:
        subscribed = await broadcast.wait(name, 100, timeout=10)
        waiter = asyncio.ensure_future(broadcast.wait(name, 100, timeout=10))
        await asyncio.sleep(0)
        async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as sender:
            await sender.execute(
                "SELECT pg_notify(%s, %s)", [broadcast.WIRE_CHANNEL, broadcast._payload(name, 101)]
            )
        woke = await waiter
        latest = broadcast.latest(name)
        await broadcast.reset()
        return subscribed, woke, latest

    assert asyncio.run(scenario()) == (True, True, 101)
