"""Live-stream fan-out: N guests on one server-sent events stream, each must receive every event.

    .venv/bin/python bench/fanout.py [--connections 1000] [--events 20] [--interval 0.5]
        [--database sqlite|postgresql] [--broadcast memory|postgresql|redis://127.0.0.1:6379/0]
        [--recheck 1] [--url URL --producer module:function] [--write]

By default it starts the real ASGI server (uvicorn, one process, ``config.asgi``) on a fresh
database (a temporary SQLite file, or a temporary PostgreSQL database on the server that
``DATABASE_URL`` / ``BENCH_POSTGRES_URL`` names), opens N connections to the ledger's checkpoint
stream (``/ledger/checkpoints/stream``) with a small asyncio client on loopback (raw HTTP/1.1,
one process), waits until every stream has started, then produces ``--events`` events, one
every ``--interval`` seconds: each event is a ledger checkpoint made in this process (record a
fact, sequence it; the sequencer publishes the wake-up on commit through ``--broadcast``).

The delay of an event at a connection is from the moment the producing transaction started
(record + sequence + commit + publish: a few milliseconds are the producer's own) to the moment
the client read the event. Reported: p50/p99/max delay, delivered/expected, time to connect
everyone, the server's resident memory and threads with everyone connected, and its peak.

With the memory backend (the embedded default) this process's wake-ups do not reach the
server (another process): events are found by the server's periodic re-check (``--recheck``),
so delays spread over the re-check interval. With PostgreSQL or Redis they arrive by wake-up;
the default is ``postgresql`` on PostgreSQL. To measure the fan-out itself on SQLite, pass
``--broadcast redis://127.0.0.1:6379/0``.

``--url`` benches another stream (e.g. the opening hall's) on a server already running; then
``--producer module:function`` names a function called as ``function(n)`` for the n-th event in
this process (Django set up from the environment, so point ``DATABASE_URL`` at the server's
database) that makes one event and returns its id. Not part of the test run.

Target (issue): 1,000 guest connections on loopback each receive every event, p99 under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, load_note, machine, percentile, postgres_database, setup_django, write_section

sys.path.insert(0, str(ROOT))

MARKER = "## Live streams (fan-out)"
STREAM_PATH = "/ledger/checkpoints/stream"


# --- the client ----------------------------------------------------------------------------------


class Guest:
    """One SSE connection: the time each event id was read."""

    def __init__(self) -> None:
        self.received: dict[int, float] = {}
        self.started = asyncio.Event()
        self.error = ""


async def follow(guest: Guest, host: str, port: int, path: str) -> None:
    """Read the stream until cancelled: raw HTTP/1.1, chunked body, SSE lines."""
    writer = None
    try:
        reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        await writer.drain()
        status = (await reader.readline()).split()
        if len(status) < 2 or status[1] != b"200":
            guest.error = f"status {status!r}"
            return
        while (await reader.readline()).strip():
            pass
        pending = b""
        event_id: int | None = None
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                return
            pending += await reader.readexactly(size)
            await reader.readexactly(2)
            now = time.monotonic()
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line.startswith(b"id: "):
                    event_id = int(line[4:])
                elif line.startswith(b"retry: "):
                    guest.started.set()
                elif not line.strip() and event_id is not None:
                    guest.received.setdefault(event_id, now)
                    event_id = None
    except asyncio.CancelledError:
        raise
    except (OSError, ValueError, asyncio.IncompleteReadError) as error:
        guest.error = f"{type(error).__name__}: {error}"
    finally:
        if writer is not None:
            writer.close()


# --- the producer ----------------------------------------------------------------------------------


def ledger_producer(number: int) -> int:
    """One checkpoint: record a fact and sequence it; return the tree size (the event id)."""
    from yingshang.ledger import facade
    from yingshang.ledger.tests.recording import record_many

    record_many(1)
    result = facade.sequence_once()
    return result.size


def load_producer(spec: str) -> Callable[[int], int]:
    if spec == "ledger":
        return ledger_producer
    module, _, name = spec.partition(":")
    function: Callable[[int], int] = getattr(importlib.import_module(module), name)
    return function


def produce(producer: Callable[[int], int], events: int, interval: float, sent: dict[int, float]) -> None:
    """In a thread: one event every ``interval`` seconds (a steady rate, not back to back)."""
    from django.db import connection

    start = time.monotonic()
    for number in range(events):
        delay = start + number * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        began = time.monotonic()
        sent[producer(number)] = began
    connection.close()


# --- the server --------------------------------------------------------------------------------


def process_status(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in {"VmRSS", "VmHWM", "Threads"}:
            values[name] = int(value.split()[0])
    return values


@contextmanager
def own_server(args: argparse.Namespace) -> Iterator[tuple[str, int | None, dict[str, str]]]:
    """A fresh database and the ASGI server on it; yields (base url, server pid, environment)."""
    from tests.surge_kit import Server

    work = Path(tempfile.mkdtemp(prefix="fanout-", dir=str(ROOT / "var")))
    with ExitStack() as stack:
        if args.database == "postgresql":
            database = stack.enter_context(postgres_database("fanout"))
        else:
            database = f"sqlite:///{work / 'var' / 'db.sqlite3'}"
        env = {k: v for k, v in os.environ.items() if k not in {"YINGSHANG_TESTING", "DATABASE_URL"}}
        env.update(
            DATABASE_URL=database,
            YINGSHANG_VAR_DIR=str(work / "var"),
            YINGSHANG_BROADCAST=args.broadcast,
            YINGSHANG_BROADCAST_RECHECK=str(args.recheck),
            YINGSHANG_LOG_LEVEL="WARNING",
            YINGSHANG_DEBUG="0",
        )
        subprocess.run(
            [sys.executable, "-m", "yingshang", "setup", "--no-demo"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        server = Server(env, log=work / "server.log").start()
        try:
            assert server.process is not None
            yield server.url, server.process.pid, env
        finally:
            server.stop()
            log = work / "server.log"
            if log.exists() and log.stat().st_size:
                shutil.copy(log, ROOT / "var" / "fanout-server.log")
            shutil.rmtree(work, ignore_errors=True)


# --- the run -------------------------------------------------------------------------------------


async def session(
    url: str, pid: int | None, args: argparse.Namespace, producer: Callable[[int], int]
) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    guests = [Guest() for _ in range(args.connections)]
    opening = asyncio.Semaphore(50)  # connect in waves, not all 1,000 SYNs at once

    async def one(guest: Guest) -> None:
        async with opening:
            task = asyncio.ensure_future(follow(guest, host, port, path))
            started = asyncio.ensure_future(guest.started.wait())
            await asyncio.wait({task, started}, return_when=asyncio.FIRST_COMPLETED, timeout=60)
            if not started.done():
                started.cancel()
        await task

    began = time.monotonic()
    tasks = [asyncio.ensure_future(one(guest)) for guest in guests]
    waiting = [asyncio.ensure_future(g.started.wait()) for g in guests]
    await asyncio.wait(waiting, timeout=120)
    for w in waiting:
        w.cancel()
    connect_seconds = time.monotonic() - began
    started = sum(1 for g in guests if g.started.is_set())
    connected_status = process_status(pid) if pid else {}
    print(
        f"{started}/{len(guests)} streams started in {connect_seconds:.1f} s; producing ...", file=sys.stderr
    )

    sent: dict[int, float] = {}
    thread = threading.Thread(target=produce, args=(producer, args.events, args.interval, sent))
    thread.start()
    while thread.is_alive():
        await asyncio.sleep(0.1)
    # Wait (bounded) for everyone to have every event.
    deadline = time.monotonic() + max(10.0, 3 * args.recheck)
    while time.monotonic() < deadline:
        if all(all(i in g.received for i in sent) for g in guests if g.started.is_set()):
            break
        await asyncio.sleep(0.05)
    end_status = process_status(pid) if pid else {}
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    delays = [g.received[i] - at for g in guests for i, at in sent.items() if i in g.received]
    errors = sorted({g.error for g in guests if g.error})
    return {
        "connections": args.connections,
        "started": started,
        "events": len(sent),
        "interval": args.interval,
        "expected": len(guests) * len(sent),
        "delivered": len(delays),
        "p50": percentile(delays, 0.5) if delays else float("nan"),
        "p99": percentile(delays, 0.99) if delays else float("nan"),
        "max": max(delays) if delays else float("nan"),
        "connect_seconds": connect_seconds,
        "rss_mib": connected_status.get("VmRSS", 0) / 1024,
        "threads": connected_status.get("Threads", 0),
        "peak_mib": end_status.get("VmHWM", 0) / 1024,
        "errors": errors[:3],
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, 2 * args.connections + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))  # the server inherits it too
    load_start = os.getloadavg()[0]
    with ExitStack() as stack:
        if args.url:
            url, pid = args.url, args.pid
        else:
            base, pid, env = stack.enter_context(own_server(args))
            url = base + STREAM_PATH
            os.environ.update(env)
            os.environ.pop("YINGSHANG_TESTING", None)
        setup_django()
        producer = load_producer(args.producer)
        result = asyncio.run(session(url, pid, args, producer))
    result.update(
        url=url if args.url else STREAM_PATH,
        database=args.database if not args.url else "(the server's)",
        broadcast=args.broadcast if not args.url else os.environ.get("YINGSHANG_BROADCAST", "memory"),
        recheck=args.recheck,
        producer=args.producer,
        load=(load_start, os.getloadavg()[0]),
    )
    return result


def section(result: dict[str, Any]) -> str:
    ok = result["delivered"] == result["expected"] and result["p99"] < 1.0
    return f"""{MARKER}

`bench/fanout.py` ({machine()}): {result["connections"]} guest connections on loopback (one asyncio
client process, raw HTTP/1.1) to `{result["url"]}` served by uvicorn (one process), database
{result["database"]}, wake-ups through `{result["broadcast"]}` (re-check every {result["recheck"]} s);
{result["events"]} events, one every {result["interval"]} s, each made in the benchmark's process
by the producer `{result["producer"]}` (`ledger`: record a fact and sequence it, one checkpoint). Delay: from the start of the producing transaction to the client reading
the event.

| connections | events | delivered / expected | p50 | p99 | max | everyone connected in | server memory (connected / peak) | server threads |
|---|---|---|---|---|---|---|---|---|
| {result["connections"]} | {result["events"]} | {result["delivered"]} / {result["expected"]} | {result["p50"] * 1000:.0f} ms | {result["p99"] * 1000:.0f} ms | {result["max"] * 1000:.0f} ms | {result["connect_seconds"]:.1f} s | {result["rss_mib"]:.0f} / {result["peak_mib"]:.0f} MiB | {result["threads"]} |

Target (every event to every guest, p99 under 1 s): {"met" if ok else "NOT met"}. The server
keeps one thread per open stream (Django runs the sync middleware of each request in a thread of
the request's own, which lives as long as the response). {load_note(result["load"])}.
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.5)
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    parser.add_argument(
        "--database", choices=["sqlite", "postgresql"], default="postgresql" if on_postgres else "sqlite"
    )
    parser.add_argument(
        "--broadcast",
        default=os.environ.get("YINGSHANG_BROADCAST"),
        help="the server's backend (default: postgresql on PostgreSQL, else memory: then the events, "
        "made in this process, reach the server only at its re-checks)",
    )
    parser.add_argument("--recheck", type=float, default=1.0, help="the server's re-check interval (s)")
    parser.add_argument("--url", help="bench this stream on a running server instead of starting one")
    parser.add_argument("--pid", type=int, help="with --url: the server's process id (for its memory)")
    parser.add_argument("--producer", default="ledger", help="ledger, or module:function(n) -> event id")
    parser.add_argument("--write", action="store_true", help="write the section of docs/benchmarks.md")
    args = parser.parse_args()
    if not args.broadcast:
        args.broadcast = "postgresql" if args.database == "postgresql" else "memory"
    result = run(args)
    print(section(result))
    if result["errors"]:
        print("client errors:", result["errors"], file=sys.stderr)
    if args.write:
        write_section(MARKER, section(result))


if __name__ == "__main__":
    main()
