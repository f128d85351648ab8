"""Live streams under the real ASGI server: an anonymous guest reads the ledger's checkpoint
stream from uvicorn, a checkpoint is made by another process, the event arrives; the guest
reconnects with Last-Event-ID and receives only the later events.

Two wake-up paths, each with its own server process on its own SQLite file:

- ``memory`` (the embedded default): the checkpoint is made by another process, so no wake-up
  reaches the server; the stream's periodic re-check (1 s) finds it;
- ``redis``: the re-check is set to a minute, so only the wake-up through Redis can deliver the
  event within the test's timeouts.

Waits are bounded by timeouts on queues; nothing sleeps for time.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.surge_kit import Server

pytestmark = pytest.mark.sqlite  # brings its own SQLite database and server process

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("YINGSHANG_TEST_REDIS", "redis://127.0.0.1:6379/15")

#: Runs in a process of its own against the server's database: for each number N read from
#: stdin, N rounds of recording facts and sequencing them (one checkpoint per round); prints the
#: tree sizes on one line.
CHECKPOINTER = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from yingshang.ledger import facade
from yingshang.ledger.tests.recording import record_many
for line in sys.stdin:
    sizes = []
    for _ in range(int(line)):
        record_many(2)
        sizes.append(str(facade.sequence_once().size))
    print(" ".join(sizes), flush=True)
"""


class Guest:
    """An anonymous SSE client (plain HTTP/1.1 over a socket, so ``close()`` from the test's
    thread really ends the connection) reading in a thread of its own; parsed events arrive on
    a queue."""

    def __init__(self, url: str, last_event_id: int | None = None) -> None:
        parsed = urlsplit(url)
        self.sock = socket.create_connection((parsed.hostname, parsed.port or 80), timeout=30)
        self.sock.settimeout(None)
        extra = f"Last-Event-ID: {last_event_id}\r\n" if last_event_id is not None else ""
        self.sock.sendall(
            f"GET {parsed.path} HTTP/1.1\r\nHost: {parsed.netloc}\r\nAccept: text/event-stream\r\n"
            f"{extra}\r\n".encode()
        )
        self.events: queue.Queue[tuple[int, str, Any] | None] = queue.Queue()
        self.connected: queue.Queue[tuple[int, dict[str, str]]] = queue.Queue()
        self.retry: int | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _body(self, reader: Any) -> Iterator[str]:
        """Lines of the chunked body."""
        pending = b""
        while True:
            size = int(reader.readline().split(b";")[0], 16)
            if size == 0:
                return
            pending += reader.read(size)
            reader.readline()
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield line.rstrip(b"\r").decode()

    def _run(self) -> None:
        try:
            reader = self.sock.makefile("rb")
            status = int(reader.readline().split()[1])
            headers: dict[str, str] = {}
            while raw := reader.readline().strip():
                name, _, value = raw.decode("latin1").partition(":")
                headers[name.strip().lower()] = value.strip()
            self.connected.put((status, headers))
            fields: dict[str, str] = {}
            for line in self._body(reader):
                if line.startswith(":"):
                    continue
                if line:
                    name, _, value = line.partition(": ")
                    fields[name] = value
                    continue
                if "retry" in fields:
                    self.retry = int(fields["retry"])
                if "id" in fields:
                    self.events.put((int(fields["id"]), fields["event"], json.loads(fields["data"])))
                fields = {}
        except (OSError, ValueError, IndexError):
            pass  # closed by close(), or the server went away
        finally:
            self.events.put(None)

    def response(self, timeout: float = 30) -> tuple[int, dict[str, str]]:
        return self.connected.get(timeout=timeout)

    def next(self, timeout: float = 20) -> tuple[int, str, Any]:
        item = self.events.get(timeout=timeout)
        assert item is not None, "the stream ended"
        return item

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._thread.join(timeout=10)
        assert not self._thread.is_alive()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp_path = tmp_path_factory.mktemp("streams")
    env = {k: v for k, v in os.environ.items() if k not in {"YINGSHANG_TESTING", "DATABASE_URL"}}
    env.update(
        YINGSHANG_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'var' / 'db.sqlite3'}",
        YINGSHANG_LOG_LEVEL="WARNING",
    )
    subprocess.run(
        [sys.executable, "-m", "yingshang", "setup", "--no-demo"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return env


class Checkpointer:
    """Another process that makes checkpoints on demand (the sequencer's part in production)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHECKPOINTER],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def __call__(self, rounds: int) -> list[int]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{rounds}\n")
        self.process.stdin.flush()
        return [int(size) for size in self.process.stdout.readline().split()]

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(params=["memory", "redis"])
def served(request: pytest.FixtureRequest, database: dict[str, str]) -> Iterator[tuple[str, Checkpointer]]:
    env = dict(database)
    if request.param == "redis":
        env.update(YINGSHANG_BROADCAST=REDIS_URL, YINGSHANG_BROADCAST_RECHECK="60")
    else:
        env.update(YINGSHANG_BROADCAST="memory", YINGSHANG_BROADCAST_RECHECK="1")
    server = Server(env).start()
    checkpointer = Checkpointer(env)
    try:
        yield server.url + "/ledger/checkpoints/stream", checkpointer
    finally:
        checkpointer.stop()
        server.stop()


def test_a_guest_follows_the_checkpoint_stream_and_resumes_after_a_reconnect(
    served: tuple[str, Checkpointer],
) -> None:
    url, checkpoints = served
    (latest,) = checkpoints(1)
    guest = Guest(url)
    status, headers = guest.response()
    assert status == 200
    assert headers["content-type"] == "text/event-stream; charset=utf-8"
    assert headers["cache-control"] == "no-cache, no-transform"
    assert headers["x-accel-buffering"] == "no"
    assert headers["transfer-encoding"] == "chunked"  # streamed, not buffered
    assert "content-length" not in headers and "content-encoding" not in headers
    assert "set-cookie" not in headers  # a guest needs no session
    # Without Last-Event-ID the stream starts with the latest checkpoint.
    first = guest.next()
    assert first[:2] == (latest, "checkpoint") and first[2]["size"] == latest
    assert guest.retry == 3000

    (made,) = checkpoints(1)
    event_id, name, data = guest.next()
    assert (event_id, name, data["size"]) == (made, "checkpoint", made)
    assert data["note"].splitlines()[1] == str(made) and len(data["root"]) == 64
    guest.close()

    later = checkpoints(2)
    resumed = Guest(url, last_event_id=made)
    assert [resumed.next()[0] for _ in later] == later  # only what came after, in order
    (newest,) = checkpoints(1)
    assert resumed.next()[0] == newest
    assert resumed.events.empty()
    resumed.close()
