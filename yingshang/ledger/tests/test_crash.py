"""Killing the sequencer at any moment loses nothing and duplicates nothing.

A real process test: a database of its own (a temporary SQLite file, and a temporary PostgreSQL
database when ``DATABASE_URL`` names a PostgreSQL server), a few thousand recorded facts, and
``yingshang ledger sequence --loop`` started and SIGKILLed at random moments (right after a
random batch has committed, so the kill lands inside the next batch's transaction), then
restarted until the outbox is empty. The log must then hold every recorded entry exactly once
at indexes 0..n-1, and ``yingshang ledger verify`` must pass.
"""

from __future__ import annotations

import json
import os
import random
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dj_database_url
import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[3]
RECORDED = 4000
BATCH = 100  # 40 batches: a kill that overshoots by a few batches still leaves work for the next start

PRELUDE = """
import io, json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from django.core.management import call_command
"""

# Migrate the new database and record the facts, in transactions of 200.
RECORD = (
    PRELUDE
    + """
from django.db import transaction
from yingshang.ledger import facade
from yingshang.ledger.contracts import Actor, Subject, Visibility
call_command("migrate", verbosity=0)
facade.register_action("ledger.test.recorded", "测试事实已记录", "test fact recorded")
hashes = []
for start in range(0, int(sys.argv[1]), 200):
    with transaction.atomic():
        for n in range(start, min(start + 200, int(sys.argv[1]))):
            hashes.append(facade.record(
                action="ledger.test.recorded", actor=Actor.system("crash-test"),
                subject=Subject("ledger", "test", str(n)), data={"n": n}, visibility=Visibility.public(),
            ).entry_hash)
print(json.dumps(hashes))
"""
)

# Restart the sequencer once more (a pass to the end), then report the log and `ledger verify`.
FINISH = (
    PRELUDE
    + """
from yingshang.ledger.models import LogEntry, OutboxEntry
call_command("ledger", "sequence", "--batch-size", sys.argv[1], stdout=io.StringIO())
out, err = io.StringIO(), io.StringIO()
try:
    call_command("ledger", "verify", stdout=out, stderr=err)
    status = 0
except SystemExit as exit:
    status = exit.code
print(json.dumps({
    "outbox": OutboxEntry.objects.count(),
    "indexes": list(LogEntry.objects.order_by("index").values_list("index", flat=True)),
    "leaves": list(LogEntry.objects.order_by("index").values_list("leaf_hash", flat=True)),
    "verify": [status, out.getvalue(), err.getvalue()],
}))
"""
)


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.sqlite),
        pytest.param("postgresql", marks=pytest.mark.postgresql),
    ]
)
def environment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if k not in {"YINGSHANG_TESTING", "DATABASE_URL"}}
    env.update(YINGSHANG_VAR_DIR=str(tmp_path / "var"), YINGSHANG_LOG_LEVEL="WARNING")
    if request.param == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'var' / 'crash.sqlite3'}"
        yield env
        return
    server = _postgres_url()
    assert server is not None, "the postgresql marker selects this only when DATABASE_URL is PostgreSQL"
    config = dj_database_url.parse(server)
    name = f"crash_{os.getpid()}_{random.randrange(10**6)}"
    admin = psycopg.connect(
        dbname="postgres",
        user=config["USER"],
        password=config["PASSWORD"],
        host=config["HOST"],
        port=config["PORT"] or 5432,
        autocommit=True,
    )
    admin.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = server.rsplit("/", 1)[0] + "/" + name
    try:
        yield env
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def script(env: dict[str, str], code: str, *args: str) -> object:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def kill_after_batches(env: dict[str, str], batches: int) -> int:
    """Start the sequencer loop; SIGKILL it once ``batches`` batches have committed (or when it
    has nothing left to do). Returns how many batches it reported."""
    process = subprocess.Popen(
        [sys.executable, "-m", "yingshang", "ledger", "sequence", "--loop", "--batch-size", str(BATCH)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    seen = 0
    try:
        assert process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + 60  # a bounded wait for the subprocess
            while seen < batches and time.monotonic() < deadline:
                # A quiet spell of a few seconds after start-up means the outbox is empty.
                if not selector.select(timeout=8 if seen else 30):
                    break
                line = process.stdout.readline()
                if not line:
                    break
                if line.startswith("sequenced"):
                    seen += 1
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    return seen


def test_killing_the_sequencer_loses_and_duplicates_nothing(environment: dict[str, str]) -> None:
    recorded = script(environment, RECORD, str(RECORDED))
    assert isinstance(recorded, list) and len(recorded) == RECORDED
    chooser = random.Random()
    # Three kills of at most two batches each leave work for every next start: each kill
    # lands while there is a batch in progress.
    reported = [kill_after_batches(environment, chooser.randint(1, 2)) for _ in range(3)]
    assert all(reported), f"a sequencer was killed before it committed anything: {reported}"
    state = script(environment, FINISH, str(BATCH))
    assert isinstance(state, dict)
    assert state["outbox"] == 0
    assert state["indexes"] == list(range(RECORDED))
    assert len(set(state["leaves"])) == RECORDED
    assert sorted(state["leaves"]) == sorted(recorded)
    status, out, err = state["verify"]
    assert status == 0, err
    assert f"ok: {RECORDED} entries" in out
