"""Deadline surge: N bidders upload sealed bids of M MiB in the last minute before the deadline.

    .venv/bin/python bench/surge.py [--bidders 200] [--mib 8] [--late 5] [--processes 8] [--write]

Against the running ASGI server (uvicorn, one process) on a fresh PostgreSQL database: the
domain clock is set (sandbox, factor 1) to one minute before the bid deadline; N client
threads spread over several processes each upload one envelope with the bidder tool's library
(``BidderClient``: chunked, resumable, idempotency key), all at once. Then ``--late`` more
bidders start once the deadline has passed (they must be refused as late). Reported: accepted,
refused as late, lost (acknowledged but missing or with another hash in storage), duplicated,
p50/p99 latency per bid, MiB/s, the server's peak memory; and the same bytes through a raw
streaming sink (a minimal ASGI app writing request bodies to the same disk, same chunks, same
clients) in the same run, as the baseline. A last run uploads one bid of ``--big-mib`` MiB to
show the server's memory does not grow with the file size.

Targets (issue 5): 200 bidders x 8 MiB, 0 lost, 0 duplicated, at least 50 % of the sink's
throughput, memory bounded whatever the file size. Not part of the test run.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, load_note, machine, percentile, postgres_database, write_section

sys.path.insert(0, str(ROOT))
from tests import surge_kit

MARKER = "## Deadline surge (sealed bids)"
CHUNK = 1024 * 1024

SINK_APP = r"""
import os
ROOT = os.environ["SINK_DIR"]

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["method"] == "GET":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    _, _, name, offset = scope["path"].split("/", 3)
    path = os.path.join(ROOT, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        position = int(offset)
        while True:
            message = await receive()
            body = message.get("body", b"")
            if body:
                os.pwrite(fd, body, position)
                position += len(body)
            if not message.get("more_body"):
                break
    finally:
        os.close(fd)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"received": %d}' % position})
"""


# --- client processes -----------------------------------------------------------------------------


def _upload_many(args: tuple[str, list[dict[str, Any]], int, int]) -> list[dict[str, Any]]:
    """One client process: a thread per bidder, all started together; per bid the outcome and latency."""
    from yingshang.bidder.client import BidderClient, RetryPolicy
    from yingshang.bidder.errors import BidderError

    url, bidders, tender_id, lot_id = args
    results: list[dict[str, Any]] = []
    lock = threading.Lock()

    def one(spec: dict[str, Any]) -> None:
        client = BidderClient(url, spec["token"], retry=RetryPolicy(attempts=8, base_delay=0.2), timeout=300)
        started = time.perf_counter()
        outcome: dict[str, Any] = {"uscc": spec["uscc"], "sha256": spec["sha256"], "size": spec["size"]}
        try:
            result = client.upload(Path(spec["path"]), tender_id=tender_id, lot_id=lot_id)
            outcome.update(status="accepted", receipt=result.receipt["receipt"])
        except BidderError as exc:
            outcome.update(status="refused", code=getattr(exc, "code", ""), message=str(exc)[:300])
        finally:
            client.close()
        outcome["seconds"] = time.perf_counter() - started
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=one, args=(spec,)) for spec in bidders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _sink_many(args: tuple[str, list[dict[str, Any]]]) -> list[float]:
    import httpx

    url, bidders = args
    latencies: list[float] = []
    lock = threading.Lock()

    def one(spec: dict[str, Any]) -> None:
        started = time.perf_counter()
        name = Path(spec["path"]).name
        with httpx.Client(timeout=300) as client, open(spec["path"], "rb") as source:
            offset = 0
            while chunk := source.read(CHUNK):
                response = client.put(f"{url}/sink/{name}/{offset}", content=chunk)
                response.raise_for_status()
                offset += len(chunk)
        with lock:
            latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=one, args=(spec,)) for spec in bidders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def _split(items: list[Any], parts: int) -> list[list[Any]]:
    return [items[n::parts] for n in range(parts) if items[n::parts]]


def _clock_set(env: dict[str, str], moment: datetime, *, unless_past: bool = False) -> None:
    """Set the sandbox clock to ``moment`` (it only jumps forward: with ``unless_past`` a moment
    the domain time has already passed is fine)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "yingshang",
            "clock",
            "set",
            "--factor",
            "1",
            "--at",
            moment.isoformat(),
            "--reason",
            "deadline surge benchmark",
        ],
        env=env,
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode and not unless_past:
        raise SystemExit(f"clock set failed: {done.stdout}{done.stderr}")


def _surge(
    url: str, bidders: list[dict[str, Any]], world: dict[str, Any], processes: int
) -> tuple[list[dict[str, Any]], float]:
    jobs = [(url, part, world["tender_id"], world["lot_id"]) for part in _split(bidders, processes)]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=len(jobs)) as pool:
        results = [r for part in pool.map(_upload_many, jobs) for r in part]
    return results, time.perf_counter() - started


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_start = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="surge-", dir=str(ROOT / "var")))
    with postgres_database("surge") as database:
        env = {k: v for k, v in os.environ.items() if k not in {"YINGSHANG_TESTING", "DATABASE_URL"}}
        env.update(
            DATABASE_URL=database,
            YINGSHANG_VAR_DIR=str(work / "var"),
            YINGSHANG_BID_CHUNK_BYTES=str(args.chunk_mib * 1024 * 1024),
            YINGSHANG_ALLOW_SANDBOX="1",
            YINGSHANG_LOG_LEVEL="WARNING",
            YINGSHANG_DEBUG="0",  # as in production: no query log kept per request
        )
        size = args.mib * 1024 * 1024
        print(f"sealing {args.bidders + args.late} envelopes of {args.mib} MiB ...", file=sys.stderr)
        world = surge_kit.prepare(env, sizes=[size] * (args.bidders + args.late), out=work / "bids")
        bidders, late = world["bidders"][: args.bidders], world["bidders"][args.bidders :]
        deadline = datetime.fromisoformat(world["deadline"])
        _clock_set(env, deadline - timedelta(seconds=60))
        server = surge_kit.Server(env, log=work / "server.log", workers=args.workers).start()
        try:
            print(f"surge: {args.bidders} bidders ...", file=sys.stderr)
            results, seconds = _surge(server.url, bidders, world, args.processes)
            in_time = seconds < 60
            _clock_set(env, deadline + timedelta(seconds=1), unless_past=True)
            late_results, _ = (
                _surge(server.url, late, world, min(args.processes, max(1, len(late)))) if late else ([], 0)
            )
            peak_kib = server.peak_memory_kib()
        finally:
            server.stop()
        final = surge_kit.state(env)
        big = _big_run(env, work, args.big_mib)
    sink = _sink_run(work, bidders, args.processes, args.workers)
    log = work / "server.log"
    if log.exists():  # kept for a look at what the server said (errors are logged there)
        (ROOT / "var" / "surge-server.log").write_bytes(log.read_bytes())
    subprocess.run(["rm", "-rf", str(work)], check=False)
    return _summary(
        args, results, seconds, in_time, late, late_results, final, peak_kib, big, sink, load_start
    )


def _big_run(env: dict[str, str], work: Path, mib: int) -> dict[str, Any]:
    """One big bid, on a fresh server: its peak memory against the surge's."""
    world = surge_kit.prepare(env, sizes=[mib * 1024 * 1024], out=work / "big")
    _clock_set(env, datetime.fromisoformat(world["deadline"]) - timedelta(seconds=60))
    server = surge_kit.Server(env).start()
    try:
        results, seconds = _surge(server.url, world["bidders"], world, 1)
        peak_kib = server.peak_memory_kib()
    finally:
        server.stop()
    return {
        "ok": bool(results) and results[0]["status"] == "accepted",
        "seconds": seconds,
        "peak_kib": peak_kib,
    }


def _sink_run(work: Path, bidders: list[dict[str, Any]], processes: int, workers: int) -> dict[str, Any]:
    """The baseline: the same envelopes through the raw sink, on the same disk, same clients,
    the same number of server processes."""
    sink_dir = work / "sink"
    sink_dir.mkdir()
    (work / "sink_app.py").write_text(SINK_APP)
    sink_env = {**os.environ, "SINK_DIR": str(sink_dir), "PYTHONPATH": str(work)}
    sink = surge_kit.Server(sink_env, app="sink_app:app", workers=workers)
    sink.start(ready_path="/")
    try:
        started = time.perf_counter()
        jobs = [(sink.url, part) for part in _split(bidders, processes)]
        with ProcessPoolExecutor(max_workers=processes) as pool:
            latencies = [x for part in pool.map(_sink_many, jobs) for x in part]
        seconds = time.perf_counter() - started
        peak_kib = sink.peak_memory_kib()
    finally:
        sink.stop()
    return {"latencies": latencies, "seconds": seconds, "peak_kib": peak_kib}


def _summary(  # noqa: PLR0917 - one call site, the run's pieces in order
    args: argparse.Namespace,
    results: list[dict[str, Any]],
    seconds: float,
    in_time: bool,
    late: list[dict[str, Any]],
    late_results: list[dict[str, Any]],
    final: dict[str, Any],
    peak_kib: int,
    big: dict[str, Any],
    sink: dict[str, Any],
    load_start: float,
) -> dict[str, Any]:
    sink_latencies, sink_seconds, sink_peak_kib = sink["latencies"], sink["seconds"], sink["peak_kib"]
    big_seconds, big_peak_kib = big["seconds"], big["peak_kib"]
    accepted = [r for r in results if r["status"] == "accepted"]
    stored = {b["id"]: b for b in final["bids"]}
    lost = [
        r
        for r in accepted
        if r["receipt"]["bid_id"] not in stored
        or stored[r["receipt"]["bid_id"]]["stored_sha256"] != r["sha256"]
    ]
    per_bidder: dict[str, int] = {}
    for bid in final["bids"]:
        if bid["status"] == "submitted":
            per_bidder[bid["uscc"]] = per_bidder.get(bid["uscc"], 0) + 1
    duplicated = sum(n - 1 for n in per_bidder.values() if n > 1)
    late_refused = [r for r in late_results if r["status"] == "refused" and _code_of(r) == "late"]
    total_mib = sum(r["size"] for r in results) / (1024 * 1024)
    latencies = [r["seconds"] for r in accepted]
    ours = total_mib / seconds
    baseline = total_mib / sink_seconds
    return {
        "chunk_mib": args.chunk_mib,
        "late_codes": [_code_of(r) for r in late_results],
        "refused_codes": [_code_of(r) for r in results if r["status"] != "accepted"],
        "errors": [r.get("message", "") for r in results if _code_of(r) == "error"][:3],
        "bidders": args.bidders,
        "mib": args.mib,
        "processes": args.processes,
        "workers": args.workers,
        "accepted": len(accepted),
        "late_sent": len(late),
        "late_refused": len(late_refused),
        "late_accepted": sum(1 for r in late_results if r["status"] == "accepted"),
        "lost": len(lost),
        "duplicated": duplicated,
        "seconds": seconds,
        "within_the_minute": in_time,
        "p50": percentile(latencies, 0.5) if latencies else 0.0,
        "p99": percentile(latencies, 0.99) if latencies else 0.0,
        "mib_per_s": ours,
        "sink_mib_per_s": baseline,
        "sink_p50": percentile(sink_latencies, 0.5),
        "ratio": ours / baseline,
        "peak_mib": peak_kib / 1024,
        "sink_peak_mib": sink_peak_kib / 1024,
        "big_mib": args.big_mib,
        "big_ok": big["ok"],
        "big_seconds": big_seconds,
        "big_peak_mib": big_peak_kib / 1024,
        "load": (load_start, os.getloadavg()[0]),
    }


def _code_of(result: dict[str, Any]) -> str:
    """The refusal's code, also when the tool reports it inside a resumable stop ("[late, HTTP 409]")."""
    if result["status"] == "accepted":
        return "accepted"
    found = re.search(r"\[([a-z_]+), HTTP \d+\]", result.get("message", ""))
    return found.group(1) if found else str(result.get("code") or "error")


def _codes(codes: list[str]) -> str:
    if not codes:
        return "none"
    counts: dict[str, int] = {}
    for code in codes:
        counts[code] = counts.get(code, 0) + 1
    return ", ".join(f"{n} {code}" for code, n in sorted(counts.items()))


def section(r: dict[str, Any]) -> str:
    met = r["lost"] == 0 and r["duplicated"] == 0 and r["ratio"] >= 0.5 and r["accepted"] == r["bidders"]
    verdict = "MET" if met else "MISSED"
    return f"""{MARKER}

`bench/surge.py --bidders {r["bidders"]} --mib {r["mib"]} --processes {r["processes"]} --workers {r["workers"]}` on {machine()};
PostgreSQL, the ASGI server (uvicorn, {r["workers"]} worker processes, as `YINGSHANG_WEB_WORKERS={r["workers"]} make run` serves; the sink gets as many), {r["processes"]} client processes using the bidder
tool's library, 1 MiB chunks through the chunk endpoint (`yingshang.trading.bids.asgi`), each bid's file flushed to disk before its receipt; {load_note(r["load"])}.

| measure | value |
|---|---|
| bids accepted (of {r["bidders"]}) | {r["accepted"]} |
| lost (acknowledged but missing or changed) | {r["lost"]} |
| duplicated | {r["duplicated"]} |
| late bidders refused as late | {r["late_refused"]} of {r["late_sent"]} (accepted: {r["late_accepted"]}) |
| surge duration | {r["seconds"]:.1f} s ({"within" if r["within_the_minute"] else "NOT within"} the last minute) |
| latency per bid p50 / p99 | {r["p50"]:.2f} s / {r["p99"]:.2f} s |
| throughput | {r["mib_per_s"]:.1f} MiB/s |
| raw streaming sink (same bytes, same disk, same clients) | {r["sink_mib_per_s"]:.1f} MiB/s (p50 per bid {r["sink_p50"]:.2f} s) |
| **ratio to the sink** | **{r["ratio"]:.2f}** (target >= 0.50) |
| server peak memory (VmHWM) during the surge | {r["peak_mib"]:.0f} MiB (sink: {r["sink_peak_mib"]:.0f} MiB) |
| one bid of {r["big_mib"]} MiB: server peak memory | {r["big_peak_mib"]:.0f} MiB ({"accepted" if r["big_ok"] else "NOT accepted"} in {r["big_seconds"]:.1f} s) |

Verdict: {verdict}: lost {r["lost"]} (target 0), duplicated {r["duplicated"]} (target 0), accepted
{r["accepted"]} of {r["bidders"]} within the minute, ratio {r["ratio"]:.2f} (target >= 0.50). Refused during the
surge: {_codes(r["refused_codes"])}; the late bidders: {_codes(r["late_codes"])}. The server's memory is bounded by the
concurrent chunks, not by a bid's size (compare the {r["big_mib"]} MiB bid with the surge).

Where the time goes (py-spy on the server during a surge): the server is bound by Python's one
running thread per process, not by the disk or the database: every chunk is a little Python work
(the request, the upload's row lock, the deadline, the update, about five milliseconds of it under
this load) and every completed bid about 50 ms more (one pass over the file for the envelope and
its hash, the signature, the certificate path with its CRLs, storage, the ledger entry, the signed
receipt), while the 8 client processes, PostgreSQL and the kernel's copying share the same two
cores. A second web process (`YINGSHANG_WEB_WORKERS=2`, as here; the sink gets two as well) gave
0.34 to 0.45 of the sink over three runs on an idle machine (the sink itself varied from 148 to
196 MiB/s); one process gives 0.34. Every run accepted all 200 bids within the minute, lost and
duplicated none, and refused the late ones. Before the chunk endpoint (every chunk through
Django's request path, whose synchronous views share one thread, with an fsync per chunk) the same
machine reached 12.7 MiB/s, 0.13 of the sink, and finished no bid of 200 in the minute; the first
run of the endpoint found a deadlock (threads holding pooled connections waiting for the domain
clock while the clock waited for a connection), fixed in `kernel.sandbox.DatabaseClock`.

On 2026-11-30 the chunk path became one conditional UPDATE for the next chunk of an upload the
process has seen (4 queries a chunk instead of 5, none built by the ORM), and the certificate
checks stopped re-reading and re-parsing the trust store while no CA or CRL row changed (the
path is still validated in full for every bid): measured in-process on 30 bids, a chunk's server
CPU went from 3.6 to 1.3 ms and a completing chunk's from 52 to 43 ms. Our throughput did not
move: 55.5 and 56.3 MiB/s in two runs that day (ratios 0.34 and 0.43, as the sink gave 165 and
130 MiB/s), so the server's own Python per chunk is no longer what holds the surge back: what
remains is the HTTP layer reading each 1 MiB body (uvicorn hands it over in small pieces), the
two SHA-256 passes a completed bid needs (the declared hash of the whole file and the signed hash
of the ciphertext, about 12 ms for 8 MiB here), and the eight client processes and PostgreSQL
sharing the same two cores.

On 2026-12-01 the whole machine was accounted during surges of 100 bidders (CPU time per process
from /proc every half second, vmstat, py-spy on the server with and without `--gil`, and
snapshots of every server thread). Per bid of 8 MiB, ours took about 90 ms of server CPU, 35 ms
of the client processes' (the bidder tool hashes the file before uploading, keeps its resume
state on disk and opens the upload through the API) and 15 ms of PostgreSQL's; the sink took
about 18 ms of server CPU (the kernel's copies and uvicorn's HTTP parsing, which ours pays too)
and 14 ms of its clients'. Of the server's 90 ms about 40 are Python holding the interpreter
lock: opening the upload through Django and the API (about 15 ms: middleware, token, tender,
principal), completing it (about 21 ms: the certificate path, 8 ms; the bid, ledger entry and
receipt, 7 ms; the envelope, storage and organisation), the chunks themselves about 3 ms; the
two SHA-256 passes over the file take about 16 ms more. Unlike the sink's, our surge does not
keep the machine busy: two cores were 20 to 30 % idle through it, with no I/O wait (vmstat), so
what is missing is not only CPU; thread snapshots show the first seconds' uploads queueing for
database connections (each Django request runs on its own thread), and later one server process
idle while the other still worked (each bidder's connection stays with the process that took
it). Tried and measured, without effect on the ratio: four server processes instead of two
(0.35), 32 pooled connections per process instead of 16 (0.37), uvicorn's C parser and event
loop (httptools, uvloop: 0.35), closing the connection after each chunk so that bidders spread
over the processes again (0.36), writing the staged chunks with direct I/O as the opening now
writes its packages (0.37 against 0.39 without, 100 bidders each, the same day: the cache pages
saved were paid back by reading the file from the disk for its checks). One change did help and is kept: every server process now
imports the URLconf as it starts (before, the second process spent its first two seconds of the
surge importing the API's schemas), after which 200 bidders gave 71.2 MiB/s (0.37 of a sink of
191). Runs of the same code vary from 0.31 to 0.47, as the sink varies from 165 to 235 MiB/s.
Sampling the machine through a surge (vmstat, top) then showed its first second spent by the
eight client processes alone, each bidder reading its whole envelope to hash it before opening
the upload, while the server waited. The bidder tool's `seal` now records the envelope's hash
beside it (`bid.env.sha256.json`, trusted only while the file is the very one recorded; the
server checks the hash of what it receives all the same), so `submit` starts at once; the
envelopes here are sealed and recorded as the tool does. 100 bidders then gave 80.5 MiB/s
against 70.1 to 72.4 in three runs earlier that day (ratios 0.40 against 0.36 to 0.39); 200
bidders gave the table above, 0.38 (the previous 200-bidder run, 0.35, was on another host).

"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bidders", type=int, default=200)
    parser.add_argument("--mib", type=int, default=8)
    parser.add_argument("--late", type=int, default=5)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--big-mib", type=int, default=256)
    parser.add_argument("--chunk-mib", type=int, default=1, help="the server's chunk size (MiB)")
    parser.add_argument(
        "--workers", type=int, default=2, help="server processes, ours and the sink's (YINGSHANG_WEB_WORKERS)"
    )
    parser.add_argument("--write", action="store_true", help="write the result into docs/benchmarks.md")
    args = parser.parse_args()
    result = run(args)
    text = section(result)
    print(text)
    print("errors:", result["errors"], file=sys.stderr)
    if args.write:
        write_section(MARKER, text)


if __name__ == "__main__":
    main()
