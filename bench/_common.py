"""What every benchmark script shares: the machine line, fresh databases (a temporary SQLite file
and a temporary PostgreSQL database), a worker process per database, and writing one section of
docs/benchmarks.md. Not part of the test run."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def postgres_server() -> str:
    for name in ("BENCH_POSTGRES_URL", "DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("postgres://", "postgresql://")):
            return url
    return "postgres://postgres@127.0.0.1:5432/postgres"


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one run (dropped afterwards); yields its URL."""
    import psycopg

    name = f"{prefix}_{os.getpid()}"
    base = postgres_server().rsplit("/", 1)[0]
    with psycopg.connect(base + "/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(base + "/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_worker(script: str, env_update: dict[str, str], args: list[str]) -> dict[str, Any]:
    """Run ``script --worker ARGS`` in a fresh process with ``env_update``; its last stdout line
    is the JSON result."""
    env = {k: v for k, v in os.environ.items() if k not in {"YINGSHANG_TESTING", "DATABASE_URL"}}
    env.update(env_update, YINGSHANG_LOG_LEVEL="WARNING")
    done = subprocess.run(
        [sys.executable, script, "--worker", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"benchmark worker failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def load_note(load: tuple[float, float]) -> str:
    start, end = load
    note = f"load average (1 min) {start:.1f} at the start and {end:.1f} at the end"
    if start >= 1.5:
        return (
            note + " (other work shared the machine: on 2 cores a load of 2 or more slows every number here)"
        )
    return note + " (idle at the start; the figure at the end counts the benchmark's own processes)"


def write_section(marker: str, section: str) -> None:
    """Replace the section headed ``marker`` in docs/benchmarks.md (or append it)."""
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text()
    if marker in text:
        head, _, rest = text.partition(marker)
        following = rest.find("\n## ")
        text = head + section + (rest[following + 1 :] if following >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
