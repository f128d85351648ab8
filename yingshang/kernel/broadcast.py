"""Wake-ups for live streams: "channel C now has events up to id N".

A context that streams events keeps them in a table of its own, with increasing ids; the
stream reads that table. This module only tells waiting streams *when* to read it again:

- ``publish(channel, last_id)``: sync, called from ``transaction.on_commit`` by the code that
  wrote the events. It never raises into its caller (a lost wake-up only delays a stream until
  its periodic re-check); failures are logged.
- ``await wait(channel, after, timeout) -> bool``: in the server's event loop, until a wake-up
  for ``channel`` with ``last_id > after`` arrives (True) or ``timeout`` seconds pass (False).
  ``latest(channel)`` is the highest id this process has heard of.

Backends (``settings.YINGSHANG["BROADCAST"]``, env ``YINGSHANG_BROADCAST``):

- ``memory`` (default): within the process only. The embedded default runs the sequencer,
  worker and chronograph as processes of their own, so their wake-ups do not reach the web
  server; streams still see their events at the next periodic re-check
  (``YINGSHANG["BROADCAST_RECHECK"]``, default 1 s).
- ``postgresql``: ``NOTIFY`` through the Django connection; one ``LISTEN`` connection
  (psycopg ``AsyncConnection``) per server process.
- ``redis://...``: Redis pub/sub; one subscriber connection (``redis.asyncio``) per server process.

Whatever the backend, each process keeps a single listener and fans wake-ups out to its local
waiters; a publish is also delivered at once to the publishing process's own waiters.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings

__all__ = ["BroadcastError", "backend_name", "latest", "publish", "recheck_seconds", "reset", "wait"]

logger = logging.getLogger(__name__)

#: The one PostgreSQL NOTIFY channel / Redis pub/sub channel every stream shares.
WIRE_CHANNEL = "yingshang_streams"
#: Seconds between reconnection attempts of a process's listener.
RECONNECT_SECONDS = 1.0


class BroadcastError(RuntimeError):
    """The configured backend is unknown or unusable."""


def _setting() -> str:
    return str(settings.YINGSHANG.get("BROADCAST", "memory") or "memory").strip()


def recheck_seconds() -> float:
    """Seconds between a stream's periodic re-checks of its table (the cross-process fallback)."""
    return max(0.05, float(str(settings.YINGSHANG.get("BROADCAST_RECHECK", 1.0))))


def backend_name() -> str:
    """``memory``, ``postgresql`` or ``redis`` (what the setting selects)."""
    value = _setting()
    if value == "memory":
        return "memory"
    if value in {"postgresql", "postgres"}:
        return "postgresql"
    if value.startswith(("redis://", "rediss://", "unix://")):
        return "redis"
    raise BroadcastError(f"YINGSHANG_BROADCAST must be memory, postgresql or redis://...; not {value!r}")


# --- the local hub: one per event loop (in a server, one per process) --------------------------


@dataclass
class _Hub:
    loop: asyncio.AbstractEventLoop
    latest: dict[str, int] = field(default_factory=dict)
    waiters: dict[str, dict[asyncio.Future[None], int]] = field(default_factory=dict)
    listener: asyncio.Task[None] | None = None

    def deliver(self, channel: str, last_id: int) -> None:
        """In the loop: remember ``last_id`` and wake the channel's waiters it concerns."""
        if last_id > self.latest.get(channel, -1):
            self.latest[channel] = last_id
        waiting = self.waiters.get(channel)
        if not waiting:
            return
        for future, after in list(waiting.items()):
            if last_id > after and not future.done():
                future.set_result(None)

    def wake_all(self) -> None:
        """After a listener (re)connects, wake everyone: wake-ups may have been missed."""
        for waiting in self.waiters.values():
            for future in waiting:
                if not future.done():
                    future.set_result(None)


_hubs: dict[asyncio.AbstractEventLoop, _Hub] = {}
_hubs_lock = threading.Lock()


def _hub() -> _Hub:
    loop = asyncio.get_running_loop()
    with _hubs_lock:
        for old in [other for other in _hubs if other.is_closed()]:
            del _hubs[old]
        hub = _hubs.get(loop)
        if hub is None:
            hub = _hubs[loop] = _Hub(loop)
    if hub.listener is None or hub.listener.done():
        backend = _backend()
        if backend is not None:
            hub.listener = loop.create_task(backend.listen(hub), name="yingshang-broadcast-listener")
    return hub


def _deliver_locally(channel: str, last_id: int) -> None:
    with _hubs_lock:
        hubs = list(_hubs.values())
    for hub in hubs:
        try:
            hub.loop.call_soon_threadsafe(hub.deliver, channel, last_id)
        except RuntimeError:  # that loop has closed
            with _hubs_lock:
                _hubs.pop(hub.loop, None)


# --- backends ------------------------------------------------------------------------------------


class _Backend(Protocol):
    def send(self, channel: str, last_id: int) -> None: ...

    async def listen(self, hub: _Hub) -> None: ...


def _payload(channel: str, last_id: int) -> str:
    return json.dumps({"c": channel, "id": last_id}, separators=(",", ":"))


def _parse(payload: str | bytes) -> tuple[str, int] | None:
    try:
        data = json.loads(payload)
        return str(data["c"]), int(data["id"])
    except (ValueError, KeyError, TypeError):
        logger.warning("broadcast: ignoring a malformed wake-up %r", payload)
        return None


class _PostgresBackend:
    def send(self, channel: str, last_id: int) -> None:
        from django.db import connection

        self.check()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [WIRE_CHANNEL, _payload(channel, last_id)])

    @staticmethod
    def check() -> None:
        if "postgresql" not in str(settings.DATABASES["default"]["ENGINE"]):
            raise BroadcastError("YINGSHANG_BROADCAST=postgresql needs DATABASE_URL to be PostgreSQL")

    def conninfo(self) -> str:
        """The default database's connection string, for the listening connection of its own."""
        from psycopg.conninfo import make_conninfo

        self.check()
        params = settings.DATABASES["default"]
        keep: dict[str, Any] = {
            key: value
            for key, value in (params.get("OPTIONS") or {}).items()
            if isinstance(value, str | int) and not isinstance(value, bool) and key.startswith("ssl")
        }
        parts: dict[str, Any] = {
            "dbname": params.get("NAME"),
            "user": params.get("USER"),
            "password": params.get("PASSWORD"),
            "host": params.get("HOST"),
            "port": params.get("PORT"),
        }
        keep["application_name"] = "yingshang-broadcast"  # how it shows in pg_stat_activity
        return make_conninfo(**{k: v for k, v in parts.items() if v}, **keep)

    async def listen(self, hub: _Hub) -> None:
        import psycopg

        while True:
            try:
                conninfo = self.conninfo()
                async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {WIRE_CHANNEL}")
                    hub.wake_all()
                    async for notify in conn.notifies():
                        parsed = _parse(notify.payload)
                        if parsed is not None:
                            hub.deliver(*parsed)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("broadcast: the PostgreSQL listener failed; reconnecting")
            await asyncio.sleep(RECONNECT_SECONDS)


class _RedisBackend:
    def __init__(self, url: str) -> None:
        self.url = url
        self._client: Any = None
        self._lock = threading.Lock()

    def send(self, channel: str, last_id: int) -> None:
        import redis

        with self._lock:
            if self._client is None:
                self._client = redis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)
            client = self._client
        client.publish(WIRE_CHANNEL, _payload(channel, last_id))

    async def listen(self, hub: _Hub) -> None:
        import redis.asyncio

        while True:
            client = redis.asyncio.Redis.from_url(
                self.url, socket_connect_timeout=5, client_name=f"yingshang-broadcast-{os.getpid()}"
            )
            try:
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(WIRE_CHANNEL)
                hub.wake_all()
                try:
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        parsed = _parse(message["data"])
                        if parsed is not None:
                            hub.deliver(*parsed)
                finally:
                    await pubsub.aclose()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("broadcast: the Redis listener failed; reconnecting")
            finally:
                await client.aclose()
            await asyncio.sleep(RECONNECT_SECONDS)


_backends: dict[str, _Backend] = {}


def _backend() -> _Backend | None:
    """The cross-process backend the settings select, or None for ``memory``."""
    name = backend_name()
    if name == "memory":
        return None
    value = _setting()
    backend = _backends.get(value)
    if backend is None:
        backend = _backends[value] = _PostgresBackend() if name == "postgresql" else _RedisBackend(value)
    return backend


# --- the API -------------------------------------------------------------------------------------


def publish(channel: str, last_id: int) -> None:
    """Tell every stream of ``channel`` that its events up to ``last_id`` are committed.

    Call it from ``transaction.on_commit`` (after the commit, so readers find the rows).
    Never raises: a failure is logged and the streams find the events at their next re-check.
    """
    try:
        _deliver_locally(channel, int(last_id))
        backend = _backend()
        if backend is not None:
            backend.send(channel, int(last_id))
    except Exception:
        logger.exception("broadcast: could not publish %s up to %s", channel, last_id)


def latest(channel: str) -> int | None:
    """The highest id this process has heard published on ``channel`` (in the event loop)."""
    return _hub().latest.get(channel)


async def wait(channel: str, after: int, timeout: float) -> bool:
    """Wait until ``channel`` has a wake-up with an id above ``after`` (True) or for ``timeout``
    seconds (False). Returns True at once if such a wake-up was already heard."""
    hub = _hub()
    if hub.latest.get(channel, -1) > after:
        return True
    if timeout <= 0:
        return False
    future: asyncio.Future[None] = hub.loop.create_future()
    waiting = hub.waiters.setdefault(channel, {})
    waiting[future] = after
    try:
        done, _ = await asyncio.wait({future}, timeout=timeout)
        return bool(done)
    finally:
        waiting.pop(future, None)
        if not waiting and hub.waiters.get(channel) is waiting:
            del hub.waiters[channel]
        if not future.done():
            future.cancel()


async def reset() -> None:
    """Forget this loop's hub and stop its listener (tests; a server never needs it)."""
    loop = asyncio.get_running_loop()
    with _hubs_lock:
        hub = _hubs.pop(loop, None)
    if hub is not None and hub.listener is not None:
        hub.listener.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await hub.listener
