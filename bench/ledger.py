"""Evidence-ledger benchmark (not part of the test run): ``.venv/bin/python bench/ledger.py``.

For SQLite (a temporary file) and, when ``BENCH_POSTGRES_URL`` or a PostgreSQL ``DATABASE_URL``
names a server, PostgreSQL (a temporary database), each in a fresh process:

1. sequencing throughput: ``ENTRIES`` canonical entries in the outbox, sequenced in batches of
   ``BATCH`` (each batch one transaction: log rows, subtree hashes, outbox delete, consistency
   proof, signed checkpoint), compared with a bulk INSERT of the very same log and node rows into
   the same tables of the same database in the same run (one transaction per batch too);
2. sequencer memory (tracemalloc peak of a pass of ``MEMORY_ENTRIES`` entries) at two log sizes;
3. inclusion proofs from the database for a log of ``PROOF_LOG`` leaves (built quickly by bulk
   inserting synthetic leaves and their nodes with the Frontier, not through ``record()``):
   p50/p99 of ``selectors.inclusion_proof`` and of ``merkle.verify_inclusion``.

Writes the "Evidence ledger" section of docs/benchmarks.md. Options: ``--entries``,
``--proof-log``, ``--no-write``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    ROOT,
    load_note,
    machine,
    percentile,
    postgres_database,
    run_worker,
    setup_django,
    write_section,
)

BATCH = 5000
MEMORY_ENTRIES = 20_000
PROOF_SAMPLES = 5000


def _entries(count: int, start: int = 0) -> list[tuple[str, str, datetime]]:
    """Canonical entries shaped like a bid submission, with their hex leaf hashes."""
    from yingshang.ledger import entry, merkle

    now = datetime.now(UTC)
    out = []
    for n in range(start, start + count):
        text = entry.canonical_entry(
            action="trading.bid.submitted",
            actor={
                "kind": "user",
                "user_id": 1000 + n % 500,
                "organisation_id": 200 + n % 50,
                "role": "bidder",
            },
            subject={"context": "trading", "type": "bid", "id": str(n)},
            data={
                "section": f"GC-2026-{n % 300:04d}-01",
                "amount": f"{1_000_000 + n}.00",
                "envelope": "a" * 64,
            },
            visibility={"kind": "public_from", "event": "opened", "user_ids": [1000 + n % 500]},
            time=now,
            salt=os.urandom(16),
            request={"id": f"req-{n}", "address": "10.0.0.1"},
        )
        out.append((text.decode(), merkle.leaf_hash(text).hex(), now))
    return out


def _fill_outbox(entries: list[tuple[str, str, datetime]]) -> None:
    from django.db import connection, transaction

    from yingshang.ledger import services
    from yingshang.ledger.models import OutboxEntry

    adapt = connection.ops.adapt_datetimefield_value
    columns = ("entry", "leaf_hash", "recorded_at", *_OUTBOX_EXTRA)
    rows = []
    for text, leaf, at in entries:
        extra = services.outbox_columns(text)
        extra["visibility"] = json.dumps(extra["visibility"], separators=(",", ":"))
        rows.append((text, leaf, adapt(at), *(extra[c] for c in _OUTBOX_EXTRA)))
    with transaction.atomic():
        services._insert(OutboxEntry._meta.db_table, columns, rows)


_OUTBOX_EXTRA = (
    "action",
    "subject_context",
    "subject_type",
    "subject_id",
    "actor_user_id",
    "actor_organisation_id",
    "visibility",
)


def _log_row(index: int, leaf: str, text: str, at: Any, sequenced_at: Any) -> tuple[Any, ...]:
    """The log row the sequencer writes for an entry, in ``services.LOG_COLUMNS`` order."""
    from yingshang.ledger import services

    extra = services.outbox_columns(text)
    visibility = json.dumps(extra["visibility"], separators=(",", ":"))
    return (index, leaf, text, *(extra[c] for c in _OUTBOX_EXTRA[:-1]), visibility, at, sequenced_at)


def _truncate(*models: Any) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for model in models:
            table = connection.ops.quote_name(model._meta.db_table)
            if connection.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {table}")
            else:  # the insert-only triggers give way to a flush (migration 0004)
                cursor.execute("INSERT INTO ledger_flushing (started_at) VALUES ('bench')")
                cursor.execute(f"DELETE FROM {table}")
                cursor.execute("DELETE FROM ledger_flushing")


def _throughput(count: int) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone

    from yingshang.ledger import merkle, services
    from yingshang.ledger.models import LogEntry, TreeNode

    entries = _entries(count)
    # Baseline: the same log and node rows, bulk inserted, one transaction per batch.
    frontier = merkle.Frontier.empty()
    adapt = connection.ops.adapt_datetimefield_value
    sequenced_at = adapt(timezone.now())
    batches = []
    for start in range(0, count, BATCH):
        log_rows, node_rows = [], []
        for offset, (text, leaf, at) in enumerate(entries[start : start + BATCH]):
            log_rows.append(_log_row(start + offset, leaf, text, adapt(at), sequenced_at))
            node_rows.extend(frontier.append(bytes.fromhex(leaf))[1:])
        batches.append((log_rows, node_rows))
    began = time.perf_counter()
    for log_rows, node_rows in batches:
        with transaction.atomic():
            services._insert(LogEntry._meta.db_table, services.LOG_COLUMNS, log_rows)
            services._insert(TreeNode._meta.db_table, services.NODE_COLUMNS, node_rows)
    baseline = time.perf_counter() - began
    del batches
    _truncate(LogEntry, TreeNode)
    _fill_outbox(entries)
    began = time.perf_counter()
    result = services.sequence_once(batch_size=BATCH)
    elapsed = time.perf_counter() - began
    assert result.sequenced == count and result.size == count, result
    return {
        "entries": count,
        "batch": BATCH,
        "baseline_seconds": baseline,
        "baseline_rate": count / baseline,
        "sequencer_seconds": elapsed,
        "sequencer_rate": count / elapsed,
        "ratio": baseline / elapsed,
    }


def _memory_peak(start: int) -> dict[str, Any]:
    from yingshang.ledger import services

    _fill_outbox(_entries(MEMORY_ENTRIES, start=start))
    tracemalloc.start()
    result = services.sequence_once(batch_size=BATCH)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "log_size_before": result.size - result.sequenced,
        "entries": result.sequenced,
        "peak_bytes": peak,
    }


def _grow_log(target: int) -> float:
    """Append synthetic leaves (entry text + leaf hash + nodes) up to ``target``, bulk inserted."""
    from django.db import connection, transaction
    from django.utils import timezone

    from yingshang.ledger import merkle, services
    from yingshang.ledger.models import Checkpoint, LogEntry, TreeNode
    from yingshang.ledger.selectors import fetch_nodes

    began = time.perf_counter()
    size = services._log_size()
    frontier = merkle.Frontier.load(fetch_nodes, size)
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    visibility = json.dumps({"kind": "public"})
    chunk = 50_000
    while size < target:
        end = min(size + chunk, target)
        log_rows, node_rows = [], []
        for index in range(size, end):
            text = json.dumps({"n": index, "filler": "x" * 300}, separators=(",", ":"))
            leaf = merkle.leaf_hash(text.encode())
            log_rows.append(
                (
                    index,
                    leaf.hex(),
                    text,
                    "bench.leaf.grown",
                    "bench",
                    "leaf",
                    str(index),
                    None,
                    None,
                    visibility,
                    at,
                    at,
                )
            )
            node_rows.extend(frontier.append(leaf)[1:])
        with transaction.atomic():
            services._insert(LogEntry._meta.db_table, services.LOG_COLUMNS, log_rows)
            services._insert(TreeNode._meta.db_table, services.NODE_COLUMNS, node_rows)
        size = end
    if (
        frontier.size > services._log_size() - 1
        and not Checkpoint.objects.filter(size=frontier.size).exists()
    ):
        with transaction.atomic():
            services._store_checkpoint(frontier.size, frontier.root())
    return time.perf_counter() - began


def _settle() -> None:
    """Let the database finish the bulk load before timing reads: a live log is not a million
    rows written a minute ago. PostgreSQL: VACUUM ANALYZE the log tables and CHECKPOINT, so the
    background writer's flush of the load and autovacuum do not land inside the measurements."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE ledger_logentry, ledger_treenode")
            cursor.execute("CHECKPOINT")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _proofs(size: int) -> dict[str, Any]:
    from yingshang.ledger import merkle, selectors
    from yingshang.ledger.models import LogEntry

    _settle()
    root = selectors.root_at(size)
    chooser = random.Random(7)
    for _ in range(1000):  # warm-up: the connection's prepared statement, the caches
        selectors.inclusion_proof(chooser.randrange(size), size)
    indexes = [chooser.randrange(size) for _ in range(PROOF_SAMPLES)]
    leaves = dict(LogEntry.objects.filter(index__in=indexes[:500]).values_list("index", "leaf_hash"))
    proof_times: list[float] = []
    verify_times: list[float] = []
    checked = []
    for i, index in enumerate(indexes):
        began = time.perf_counter()
        proof = selectors.inclusion_proof(index, size)
        proof_times.append(time.perf_counter() - began)
        if i < 500:
            checked.append((bytes.fromhex(leaves[index]), index, proof))
    # Verification: each of the 500 proofs checked 10 times, each call timed on its own, with the
    # garbage collector paused so its pauses do not land inside a 20 µs call.
    gc.disable()
    try:
        for _ in range(10):
            for leaf, index, proof in checked:
                began = time.perf_counter()
                merkle.verify_inclusion(leaf, index, size, proof, root)
                verify_times.append(time.perf_counter() - began)
    finally:
        gc.enable()
    return {
        "log_size": size,
        "samples": len(proof_times),
        "proof_p50_ms": percentile(proof_times, 0.5) * 1000,
        "proof_p99_ms": percentile(proof_times, 0.99) * 1000,
        "verify_p50_us": percentile(verify_times, 0.5) * 1e6,
        "verify_p99_us": percentile(verify_times, 0.99) * 1e6,
    }


def worker(entries: int, proof_log: int) -> dict[str, Any]:
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    out: dict[str, Any] = {"vendor": connection.vendor}
    out["throughput"] = _throughput(entries)
    out["memory"] = [_memory_peak(entries)]
    out["grow_seconds"] = _grow_log(proof_log)
    out["memory"].append(_memory_peak(proof_log + MEMORY_ENTRIES))
    from yingshang.ledger import services

    out["proofs"] = _proofs(services._log_size())
    return out


def _verdict(results: list[dict[str, Any]]) -> str:
    """Which targets this run met, stated plainly, with the numbers."""
    notes = []
    for r in results:
        t, p = r["throughput"], r["proofs"]
        if r["vendor"] == "postgresql":
            rate = t["sequencer_rate"]
            notes.append(
                f"PostgreSQL sequencing {rate:,.0f}/s {'meets' if rate >= 20_000 else 'MISSES'} "
                "the 20,000/s target"
            )
        notes.append(
            f"{r['vendor']} proof p99 {p['proof_p99_ms']:.2f} ms "
            f"{'meets' if p['proof_p99_ms'] < 1 else 'MISSES'} the 1 ms target; verification "
            f"p50 {p['verify_p50_us']:.0f} µs {'meets' if p['verify_p50_us'] < 50 else 'MISSES'} and "
            f"p99 {p['verify_p99_us']:.0f} µs {'meets' if p['verify_p99_us'] < 50 else 'MISSES'} "
            "the 50 µs target"
        )
    return "**Targets in this run:** " + "; ".join(notes) + "."


def _section(results: list[dict[str, Any]], load: tuple[float, float]) -> str:
    lines = [
        "## Evidence ledger",
        "",
        f"Run `{Path(__file__).relative_to(ROOT)}` on {datetime.now(UTC):%Y-%m-%d} ({machine()}); "
        f"{load_note(load)}.",
        "",
        "### Sequencing throughput (with persistence, batches of "
        f"{BATCH:,}, each one transaction with a signed checkpoint)",
        "",
        "| database | entries | bulk INSERT of the same rows | sequencer | sequencer / bulk INSERT |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        t = r["throughput"]
        lines.append(
            f"| {r['vendor']} | {t['entries']:,} | {t['baseline_rate']:,.0f}/s | "
            f"**{t['sequencer_rate']:,.0f}/s** | {t['ratio']:.2f} |"
        )
    lines += [
        "",
        "The bulk INSERT writes exactly the log rows and subtree-hash rows the sequencer writes "
        "(COPY on PostgreSQL, multi-row INSERT on SQLite, one transaction per batch). The "
        "sequencer reads the batch's ids and leaf hashes from the outbox, computes the new "
        "subtree hashes, moves the rows into the log inside the database with one "
        "`INSERT ... SELECT` (PostgreSQL recomputes every leaf hash from its entry there; on "
        "SQLite the sequencer does), COPYs the subtree hashes, deletes the moved outbox rows, "
        "checks a consistency proof from the store and signs a checkpoint. Each entry writes one "
        "log row (indexes: primary key, unique leaf hash, subject) and on average one subtree row "
        "(levels 1 and up; a leaf is the log's own leaf hash). Target: 20,000 entries/s on "
        "PostgreSQL.",
        "",
        _verdict(results),
        "",
        "Where the time goes: the sequencer runs at the speed of a bulk INSERT of the very same rows "
        "into the same database or faster (the ratio above), so what remains is the database's own "
        "write path: per entry about 1 KB of log row with three indexes, and one subtree row. The "
        "absolute targets need the two cores to themselves: on 2026-11-30, with other work sharing "
        "the machine (load average about 1.1), the same script measured 17,479 entries/s on "
        "PostgreSQL, proof p99 1.35 ms and verification p99 68 µs; and an idle run while the "
        "virtual machine ran about half as fast as usual (verification p50 29 µs instead of 16) "
        "measured verification p99 52 µs on SQLite's run and 50 µs on PostgreSQL's, on the line "
        "(the other targets held). Should the targets have to hold "
        "under such load: store only every other level of the tree (fewer subtree rows), keep leaf "
        "hashes as 32 bytes of binary instead of 64 hex characters, drop the log row's copy of "
        "`visibility` (it is in the entry). A proof on PostgreSQL is one prepared query's round "
        "trip; its p99 follows the machine's scheduling more than the query.",
        "",
        f"### Sequencer memory (tracemalloc peak of a pass of {MEMORY_ENTRIES:,} entries)",
        "",
        "| database | log size before the pass | peak |",
        "|---|---:|---:|",
    ]
    for r in results:
        for m in r["memory"]:
            lines.append(f"| {r['vendor']} | {m['log_size_before']:,} | {m['peak_bytes'] / 1e6:.1f} MB |")
    lines += [
        "",
        "The sequencer holds one batch and the O(log n) frontier, so its peak does not grow with the log.",
        "",
        "### Inclusion proofs from the database",
        "",
        "| database | log size | proof p50 | proof p99 (target < 1 ms) | verify p50 | verify p99 (target < 50 µs) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        p = r["proofs"]
        lines.append(
            f"| {r['vendor']} | {p['log_size']:,} | {p['proof_p50_ms']:.3f} ms | {p['proof_p99_ms']:.3f} ms | "
            f"{p['verify_p50_us']:.1f} µs | {p['verify_p99_us']:.1f} µs |"
        )
    lines += [
        "",
        f"{PROOF_SAMPLES:,} proofs at random indexes (after the grown tables were vacuumed and "
        "analysed, a checkpoint taken and 1,000 untimed proofs), each one query for its O(log n) stored subtree "
        "hashes (`selectors.inclusion_proof`, a prepared statement on PostgreSQL); verification "
        "is `merkle.verify_inclusion` on 500 of them, each checked 10 times and each call timed "
        "on its own with the garbage collector paused. The "
        "log was grown to its size by bulk inserting synthetic leaves and their nodes "
        "(" + ", ".join(f"{r['vendor']} {r['grow_seconds']:.0f} s" for r in results) + ").",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--proof-log", type=int, default=1_000_000)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.entries, args.proof_log)))
        return
    results = []
    load_before = os.getloadavg()[0]
    size = ["--entries", str(args.entries), "--proof-log", str(args.proof_log)]
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        var = Path(tmp) / "var"
        sqlite = {"YINGSHANG_VAR_DIR": str(var), "DATABASE_URL": f"sqlite:///{var / 'bench.sqlite3'}"}
        results.append(run_worker(__file__, sqlite, size))
        print(json.dumps(results[-1], indent=1), flush=True)
        if not args.no_postgres:
            with postgres_database("ledger_bench") as url:
                results.append(
                    run_worker(__file__, {"YINGSHANG_VAR_DIR": str(var), "DATABASE_URL": url}, size)
                )
            print(json.dumps(results[-1], indent=1), flush=True)
    section = _section(results, (load_before, os.getloadavg()[0]))
    print(section)
    if not args.no_write:
        write_section("## Evidence ledger", section)


if __name__ == "__main__":
    main()
