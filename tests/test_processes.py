"""`yingshang serve` runs the web server, worker, chronograph and sequencer, and stops them all.

These tests start the real processes on their own SQLite file and port, as `make run` does.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

# These tests bring their own SQLite database and processes: the SQLite pass runs them once.
pytestmark = pytest.mark.sqlite

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp_path = tmp_path_factory.mktemp("serve")
    env = {k: v for k, v in os.environ.items() if k not in {"YINGSHANG_TESTING", "DATABASE_URL"}}
    env.update(
        YINGSHANG_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'var' / 'db.sqlite3'}",
        YINGSHANG_CHRONOGRAPH_INTERVAL="0.5",
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


@pytest.fixture
def served(environment: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "yingshang", "serve", "--port", str(port), "--no-accounts"],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_for_health(port: int, timeout: float = 60.0) -> dict:
    """Poll /healthz until the worker, chronograph and sequencer report in (a bounded wait)."""
    deadline = time.monotonic() + timeout
    last: dict = {}
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                last = json.loads(response.read())
            if all(last[name]["status"] == "ok" for name in ("worker", "chronograph", "sequencer")):
                return last
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"processes did not report healthy within {timeout}s: {last}")


def test_serve_runs_all_four_and_ctrl_c_stops_them(served: tuple[subprocess.Popen[bytes], int]) -> None:
    process, port = served
    report = wait_for_health(port)
    assert report["database"] == {"status": "ok", "vendor": "sqlite"}
    kids = children(process.pid)
    assert len(kids) == 4
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
        assert response.status == 200
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert not [pid for pid in kids if alive(pid)]


def test_serve_stops_everything_when_one_process_dies(served: tuple[subprocess.Popen[bytes], int]) -> None:
    process, port = served
    wait_for_health(port)
    kids = children(process.pid)
    os.kill(kids[1], signal.SIGKILL)  # the worker
    assert process.wait(timeout=30) == 1
    output = process.stdout.read().decode() if process.stdout else ""
    assert "worker exited" in output
    assert not [pid for pid in kids if alive(pid)]
