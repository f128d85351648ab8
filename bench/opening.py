"""Decrypting and checking sealed bids at the opening, against raw AES-GCM plus SHA-256.

    .venv/bin/python bench/opening.py [--bids 200] [--mib 8] [--sqlite] [--write]

In a fresh database (PostgreSQL by default, or a temporary SQLite file): a tender with ``--bids``
bidders, each with real certificates from a test CA and a sealed bid whose package holds
``--mib`` MiB of incompressible documents, submitted through the bids service; the domain clock
moved to the deadline, the opening session opened and the decryption window started. Then:

- **ours**: every bidder releases its content key through ``opening.services.release_key``: the
  key checked against its commitment, the stored envelope decrypted by streaming and checked
  against the receipt (hash, signature), the package's manifest read, feature codes hashed, the
  package stored, the outcome recorded with its ledger entry;
- **raw**: the same stored envelope files read from disk, every chunk decrypted with AES-256-GCM
  (``cryptography``) and the chunk bytes hashed with SHA-256, nothing else;
- **checks alone**: the work every release needs whatever its bookkeeping, on one thread: the
  stored envelope read and hashed, every chunk decrypted, the package hashed and written (direct
  I/O), nothing recorded;

all in the same process, one after the other, the raw pass first and again after ours (the better
of the two counts, so the page cache favours neither), then the checks alone. Reported: seconds,
MiB/s, the ratios, and the process's peak memory during each pass. Target (issue 6): ours at least half the raw rate (no
more than twice its time), memory bounded whatever the bid size. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contextlib

from _common import load_note, machine, postgres_database, run_worker, setup_django, write_section

MARKER = "## Opening: decryption and checks"


#: As in production: no query log kept (Django's debug cursor formats and keeps every query).
PRODUCTION_LIKE = {"YINGSHANG_DEBUG": "0"}


def _reset_peak() -> None:
    """Start a new peak-memory measurement (Linux: writing 5 to clear_refs resets VmHWM)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _children_peak_mib() -> float:
    """The largest peak resident memory of a finished child process (forked release processes)."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _raw_pass(documents: list[int], keys: list[bytes]) -> float:
    """Raw AES-256-GCM decryption of every chunk plus SHA-256 of the chunk bytes (the envelope's
    documented nonce and additional data, docs/envelope.md), reading the stored files."""
    import hashlib

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from yingshang import envelope
    from yingshang.files import facade as files

    started = time.perf_counter()
    for document, key in zip(documents, keys, strict=True):
        with files.open_document(document) as stream:
            header = envelope.read_header(stream)  # type: ignore[arg-type]
            aead = AESGCM(key)
            prefix = header.nonce_prefix
            digest = hashlib.sha256()
            for index in range(header.chunk_count):
                final = index == header.chunk_count - 1
                size = (
                    header.plaintext_size - index * header.chunk_size if final else header.chunk_size
                ) + 16
                sealed = stream.read(size)
                digest.update(sealed)
                aad = (
                    b"yingshang.envelope.v1.chunk"
                    + header.key_commitment
                    + struct.pack(">Q", index)
                    + (b"\x01" if final else b"\x00")
                )
                aead.decrypt(prefix + struct.pack(">Q", index), sealed, aad)
            assert digest.hexdigest() == header.ciphertext_sha256
    return time.perf_counter() - started


def _checks_pass(documents: list[int], keys: list[bytes]) -> float:
    """The work every release needs whatever its bookkeeping, on one thread: the stored envelope
    read and hashed (SHA-256, against the receipt), every chunk decrypted, the package hashed
    (SHA-256, its name in storage) and written to a staged file with direct I/O, as ours does;
    nothing recorded, the staged file discarded."""
    import hashlib

    from yingshang import envelope
    from yingshang.files import facade as files
    from yingshang.kernel.streams import HashingReader

    class HashingSink:
        def __init__(self, sink: Any) -> None:
            self.sink, self.digest = sink, hashlib.sha256()

        def write(self, data: bytes) -> int:
            self.digest.update(data)
            return int(self.sink.write(data))

    started = time.perf_counter()
    for n, (document, key) in enumerate(zip(documents, keys, strict=True)):
        staging_id = f"bench-checks-{n:04d}"
        with files.open_document(document) as stream, files.write_staged(staging_id, direct=True) as spool:
            reader = HashingReader(stream)
            envelope.open_envelope(reader, HashingSink(spool), content_key=key, check_hash=False)  # type: ignore[arg-type]
            reader.drain()
        files.discard_staged(staging_id)
    return time.perf_counter() - started


def _prepare(bids: int, mib: int, work: Path) -> dict[str, Any]:
    from yingshang import envelope
    from yingshang.bidder.packing import OpeningSheet, pack
    from yingshang.identity import certificate_services
    from yingshang.identity.facade import principal_for_user
    from yingshang.identity.testing import make_organisation, make_user
    from yingshang.kernel import clock
    from yingshang.pki import Vendor
    from yingshang.trading.bids import facade as bid_service
    from yingshang.trading.projects.testing import tender_open_now

    now = clock.now()
    vendor = Vendor.create("基准CA", now=now - timedelta(days=1))
    for authority in vendor.authorities:
        certificate_services.ensure_authority(
            certificate=authority.der, vendor=vendor.name, uscc_rule=str(vendor.rule)
        )
    tender = tender_open_now(name="金城市开标基准工程")
    lot_id = tender.lots.get().pk
    entrants = []
    for n in range(bids):
        organisation = make_organisation("enterprise", name=f"金城市开标基准投标人{n:03d}有限公司")
        user = make_user(roles=["bidder"], organisation=organisation)
        signing = vendor.issue_leaf(organisation.name, organisation.uscc, usage="signing", now=now)
        encryption = vendor.issue_leaf(organisation.name, organisation.uscc, usage="encryption", now=now)
        folder = work / f"docs-{n:03d}"
        folder.mkdir()
        (folder / "technical.bin").write_bytes(os.urandom(mib * 1024 * 1024))
        package = work / f"bid-{n:03d}.zip"
        pack(
            [folder],
            package,
            tender=str(tender.pk),
            lot=str(lot_id),
            bidder=organisation.uscc,
            sheet=OpeningSheet(
                price_fen=8_000_000_00 + n * 1_234, duration_days=180, quality="合格", project_manager="张工"
            ),
        )
        sealed = work / f"bid-{n:03d}.sealed"
        with package.open("rb") as source, sealed.open("wb") as sink:
            result = envelope.seal(
                source,
                sink,
                tender=str(tender.pk),
                lot=str(lot_id),
                bidder=organisation.uscc,
                signer_key=signing.private_key,
                signer_chain=signing.chain,
                recipient_certificate=encryption.der,
            )
        package.unlink()
        for item in folder.iterdir():
            item.unlink()
        folder.rmdir()
        principal = principal_for_user(user, organisation_id=organisation.pk)
        receipt = bid_service.submit_envelope(
            principal=principal,
            tender_id=tender.pk,
            lot_id=lot_id,
            data=sealed.read_bytes(),
            idempotency_key=f"opening-bench-{n:04d}",
        )
        sealed.unlink()
        entrants.append(
            {
                "user": user.pk,
                "org": organisation.pk,
                "bid": receipt["receipt"]["bid_id"],
                "key": result.content_key,
            }
        )
    return {"tender": tender, "lot_id": lot_id, "entrants": entrants}


def worker(bids: int, mib: int, threads: int, processes: int) -> dict[str, Any]:
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from yingshang.files import facade as files
    from yingshang.identity.facade import get_user, principal_for_user
    from yingshang.identity.testing import make_user
    from yingshang.kernel import clock
    from yingshang.trading.opening import services
    from yingshang.trading.opening.models import OpeningBid, OpeningSession

    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory(prefix="opening-bench-") as folder:
        world = _prepare(bids, mib, Path(folder))
    tender = world["tender"]
    deadline = tender.bid_deadline
    fixed = clock.FixedClock(deadline + timedelta(seconds=1))
    with clock.use(fixed):
        services.open_tender(tender_id=tender.pk)
        session = OpeningSession.objects.get(tender_id=tender.pk)
        host = principal_for_user(make_user(roles=["centre_staff"]))
        bidders = {
            e["bid"]: principal_for_user(get_user(e["user"]), organisation_id=e["org"])
            for e in world["entrants"]
        }
        for principal in bidders.values():  # signing in comes before the decryption window
            services.sign_in(principal=principal, session_id=session.pk)
        services.start_decryption(principal=host, session_id=session.pk)
        rows = {row.bid_id: row for row in OpeningBid.objects.filter(session=session)}
        entrants = world["entrants"]
        half = len(entrants) // 2
        at_once = f"{threads} at once" + (f" in {processes} processes" if processes > 1 else "")
        passes = {"one at a time": (entrants[:half], 1, 1), at_once: (entrants[half:], threads, processes)}
        results = []
        for label, (group, width, spread) in passes.items():
            documents = [rows[e["bid"]].document_id for e in group]
            keys = [e["key"] for e in group]
            size_mib = sum(files.document(d).size for d in documents) / 1024 / 1024
            _reset_peak()
            raw_first = _raw_pass(documents, keys)
            raw_peak = _peak_mib()
            _reset_peak()
            ours = _release_all(group, bidders, width, spread)
            ours_peak = max(_peak_mib(), _children_peak_mib())
            raw_last = _raw_pass(documents, keys)
            checks = _checks_pass(documents, keys)
            results.append(
                {
                    "label": label,
                    "bids": len(group),
                    "threads": width,
                    "processes": spread,
                    "size_mib": size_mib,
                    "raw_seconds": min(raw_first, raw_last),
                    "raw_runs": [raw_first, raw_last],
                    "ours_seconds": ours,
                    "checks_seconds": checks,
                    "raw_peak_mib": raw_peak,
                    "ours_peak_mib": ours_peak,
                }
            )
    return {"vendor": connection.vendor, "bids": bids, "mib": mib, "passes": results}


def _release_all(
    group: list[dict[str, Any]], bidders: dict[int, Any], threads: int, processes: int = 1
) -> float:
    """Every bidder of ``group`` releases its key, ``threads`` at a time (each release on its own
    thread, as the web server runs concurrent requests, with its own database connection), spread
    over ``processes`` processes as the server runs one per core (``YINGSHANG_WEB_WORKERS``):
    forked here, each with its share of the bidders and of the threads."""
    import contextvars
    import multiprocessing
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections

    from yingshang.kernel import clock
    from yingshang.trading.opening import services

    def release(entrant: dict[str, Any]) -> None:
        try:
            row = services.release_key(
                principal=bidders[entrant["bid"]], bid_id=entrant["bid"], content_key=entrant["key"]
            )
            assert row.decryption == "decrypted", (row.decryption, row.reason_code)
        finally:
            if threads > 1:
                connection.close()

    def run(share: list[dict[str, Any]], width: int) -> None:
        if width == 1:
            for entrant in share:
                release(entrant)
            return
        with ThreadPoolExecutor(max_workers=width) as pool:
            # Each task runs in a copy of this context: the domain clock fixed at the opening.
            futures = [pool.submit(contextvars.copy_context().run, release, e) for e in share]
            for future in futures:
                future.result()

    if processes == 1:
        started = time.perf_counter()
        run(group, threads)
        return time.perf_counter() - started
    moment = clock.now()

    def child(share: list[dict[str, Any]]) -> None:
        connections.close_all()  # the parent's connections stay the parent's
        with clock.use(clock.FixedClock(moment)):
            run(share, max(threads // processes, 1))

    connections.close_all()
    for each in connections.all():  # a pool's threads do not survive a fork: each child makes its own
        if hasattr(each, "close_pool"):
            each.close_pool()
    fork = multiprocessing.get_context("fork")
    started = time.perf_counter()
    children = [fork.Process(target=child, args=(group[n::processes],)) for n in range(processes)]
    for process in children:
        process.start()
    for process in children:
        process.join()
    elapsed = time.perf_counter() - started
    failed = [process.exitcode for process in children if process.exitcode != 0]
    assert not failed, f"a release process failed: {failed}"
    return elapsed


def _section(r: dict[str, Any], load: tuple[float, float]) -> str:
    rows = []
    verdicts = []
    for p in r["passes"]:
        ratio = p["raw_seconds"] / p["ours_seconds"]
        verdicts.append(f"{p['label']}: {ratio:.2f} {'MET' if ratio >= 0.5 else 'MISSED'}")
        rows.append(
            f"| {p['label']} ({p['bids']} bids, {p['size_mib']:.0f} MiB) | "
            f"{p['ours_seconds']:.2f} s ({p['size_mib'] / p['ours_seconds']:.0f} MiB/s) | "
            f"{p['raw_seconds']:.2f} s ({p['size_mib'] / p['raw_seconds']:.0f} MiB/s) | **{ratio:.2f}** | "
            f"{p['raw_seconds'] / p['checks_seconds']:.2f} | "
            f"{p['ours_peak_mib']:.0f} / {p['raw_peak_mib']:.0f} MiB |"
        )
    table = "\n".join(rows)
    return f"""{MARKER}

`bench/opening.py --bids {r["bids"]} --mib {r["mib"]}` on {datetime.now(UTC):%Y-%m-%d} ({machine()}),
{r["vendor"]}; {load_note(load)}. Each bidder's package holds {r["mib"]} MiB of incompressible
documents. **Ours** is `opening.services.release_key` for every bid: the key checked against its
signed commitment, the stored envelope decrypted by streaming and its SHA-256 checked against the
receipt, the package hashed and written as it is decrypted (on a second thread), the manifest read
and its feature codes replaced by keyed hashes, the package stored (hard link), the outcome and
its ledger entries recorded. **Raw** is AES-256-GCM decryption of every chunk plus SHA-256 of the
same bytes, from the same stored files, one bid after the other (measured before and after ours;
the better run counts). Half the bids are released one at a time, the other half several at once
(the web server takes bidders' requests concurrently).

| key releases | ours | raw (AES-GCM + SHA-256) | ratio raw/ours (target >= 0.50) | ratio raw/checks alone | peak memory ours / raw |
|---|---|---|---|---|---|
{table}

Verdict: {"; ".join(verdicts)}. Memory stays bounded by the chunk size (1 MiB): the package goes to
a file as it is decrypted, at most two chunks wait between the threads.

**Checks alone** is the work every release needs whatever its bookkeeping, on one thread and in
the same run: the stored envelope read and hashed (against the receipt), every chunk decrypted,
the package hashed (its name in storage) and written with direct I/O; nothing recorded. Its ratio
to raw is the most any release could reach on this machine with one thread for the data; the
target (0.50) is above it: the checks the issue requires (the ciphertext against the receipt,
the package kept and named by its hash) are two SHA-256 passes and a write where raw is one
pass, and this machine's two cores run two hashes at once only about 1.3 times as fast as one
(measured: two SHA-256 of 8 MiB on two threads in 7.2 ms, one in 4.6 ms).

Where the time goes (timing each step on PostgreSQL, one bid of 8 MiB at a time, with
`time.perf_counter` around each function, 2026-12-01): a key that matches its commitment starts
decrypting at once on its own thread while its arrival is recorded (the arrival commits before
the outcome is read, as art. 31 needs); the thread opens the stored envelope by the receipt's
hash (no database read). A release then costs the longer of the arrival (about 5 ms alone, 9 ms
beside the decryption) and the decryption (15 to 18 ms: the two hashes, the decryption and the
write, on the two cores the arrival also wants), then the manifest and storing the package
through the files context (about 6 ms: type and archive checks, content and document rows) and
the outcome (row, ledger entry, history, event, counts; about 5 ms): 23 statements in three
transactions. The largest single saving of the day was the write: the package used to be
written through the page cache, and in this virtual machine, whose memory is backed by the host
on first touch, filling fresh cache pages cost 10 ms or more per 8 MiB (a decryption took 12 ms
when its file was deleted at once, and its pages reused, against 23 ms when the file was kept,
as a stored package is). Written with direct I/O (`files.write_staged(..., direct=True)`) it costs
about 3.5 ms; in one run the ratio went from 0.18 to 0.26 one at a time and from 0.26 to 0.37
four at once. Hashing the envelope on a third thread changed nothing measurable (two runs each
way) and was not kept. Releases at once contend for the cores, the interpreter lock and the
session's lock for the progress counts; each process streams one decryption at a time
(`OPENING_DECRYPTIONS_AT_ONCE`, default 1) while the other releases' arrivals, checks and
outcomes go on.
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bids", type=int, default=200)
    parser.add_argument("--mib", type=int, default=8)
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL")
    parser.add_argument("--write", action="store_true", help="write the result into docs/benchmarks.md")
    parser.add_argument("--threads", type=int, default=4, help="key releases at once in the second half")
    parser.add_argument(
        "--processes", type=int, default=2, help="server processes the releases at once are spread over"
    )
    parser.add_argument("--worker", nargs=4, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return
    load_start = os.getloadavg()
    if args.sqlite:
        with tempfile.TemporaryDirectory(prefix="opening-bench-db-") as folder:
            env = {
                "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
                "YINGSHANG_VAR_DIR": folder,
                **PRODUCTION_LIKE,
            }
            result = run_worker(
                __file__, env, [str(args.bids), str(args.mib), str(args.threads), str(args.processes)]
            )
    else:
        with postgres_database("opening_bench") as url, tempfile.TemporaryDirectory() as folder:
            result = run_worker(
                __file__,
                {"DATABASE_URL": url, "YINGSHANG_VAR_DIR": folder, **PRODUCTION_LIKE},
                [str(args.bids), str(args.mib), str(args.threads), str(args.processes)],
            )
    section = _section(result, (load_start[0], os.getloadavg()[0]))
    print(section)
    if args.write:
        write_section(MARKER, section)


if __name__ == "__main__":
    main()
