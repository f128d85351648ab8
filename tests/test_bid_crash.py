"""Killing the server in the middle of a bid surge loses nothing and counts nothing half-done.

Real processes: a database of its own (a temporary SQLite file; a temporary PostgreSQL database
when ``DATABASE_URL`` names a PostgreSQL server), the real ASGI server (uvicorn) started and
SIGKILLed while bidders upload sealed bids in chunks with the bidder tool's library, then
restarted. The bidders' clients wait for the restart (their retry pause is the restart itself,
not a timer) and resume with the same idempotency keys. Then: every receipt names a bid whose
stored envelope is byte for byte what was sent; every bidder holds exactly one bid; an upload
that was partial at the kill did not count as a bid.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from tests import surge_kit
from yingshang.bidder.client import BidderClient, RetryPolicy
from yingshang.ledger.tests.test_crash import environment  # noqa: F401 - the per-database fixture

CHUNK = 128 * 1024
SMALL = 100 * 1024
LARGE = 3 * 1024 * 1024 + 12345
SIZES = [SMALL, SMALL, LARGE, LARGE, LARGE, LARGE]


class Watch:
    """Counts acknowledged bytes across the clients; fires once enough have arrived."""

    def __init__(self, threshold: int) -> None:
        self.lock = threading.Lock()
        self.acknowledged: dict[int, int] = {}
        self.threshold = threshold
        self.reached = threading.Event()

    def progress(self, n: int) -> Any:
        watch = self

        class _Progress:
            def update(self, done: int) -> None:
                with watch.lock:
                    watch.acknowledged[n] = done
                    if sum(watch.acknowledged.values()) >= watch.threshold:
                        watch.reached.set()

            def note(self, message: str) -> None:
                pass

            def finish(self, done: int) -> None:
                self.update(done)

        return _Progress()


def test_a_killed_server_loses_no_receipted_bid_and_clients_resume(
    environment: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    env = {**environment, "YINGSHANG_BID_CHUNK_BYTES": str(CHUNK)}
    world = surge_kit.prepare(env, sizes=SIZES, out=tmp_path / "bids")
    log = tmp_path / "server.log"
    server = surge_kit.Server(env, log=log).start()
    restarted = threading.Event()
    watch = Watch(threshold=int(sum(SIZES) * 0.4))
    results: dict[int, Any] = {}
    errors: dict[int, BaseException] = {}

    def wait_for_restart() -> None:
        restarted.wait(timeout=120)

    def bidder(n: int) -> None:
        spec = world["bidders"][n]
        client = BidderClient(
            server.url,
            spec["token"],
            retry=RetryPolicy(attempts=40, base_delay=0.0, max_delay=0.0),
            # The pause before a retry is the server's restart, not a timer.
            sleep=lambda _seconds: wait_for_restart(),
        )
        try:
            results[n] = client.upload(
                Path(spec["path"]),
                tender_id=world["tender_id"],
                lot_id=world["lot_id"],
                progress=watch.progress(n),
            )
        except BaseException as exc:  # reported below
            errors[n] = exc
        finally:
            client.close()

    threads = [threading.Thread(target=bidder, args=(n,)) for n in range(len(SIZES))]
    for thread in threads:
        thread.start()
    try:
        assert watch.reached.wait(timeout=300), "the surge never reached the kill point"
        server.kill()
        at_kill = surge_kit.state(env)
        # Nothing partial counts: every bid at the kill belongs to a completed upload.
        complete = {u["bid"] for u in at_kill["uploads"] if u["status"] == "complete"}
        assert {b["id"] for b in at_kill["bids"]} <= complete
        partial = [
            u for u in at_kill["uploads"] if u["status"] == "receiving" and 0 < u["received"] < u["size"]
        ]
        assert partial, "the kill should land while uploads are under way"
        assert all(u["bid"] is None for u in partial)
        server = surge_kit.Server(env, port=server.port, log=log).start()
        restarted.set()
        for thread in threads:
            thread.join(timeout=600)
    finally:
        restarted.set()
        server.stop()
    assert not errors, (errors, log.read_text()[-3000:])
    assert len(results) == len(SIZES)
    final = surge_kit.state(env)
    bids = {b["id"]: b for b in final["bids"]}
    # Every receipt names a bid whose stored bytes are exactly what the bidder sent.
    for n, result in results.items():
        receipt = result.receipt["receipt"]
        bid = bids[receipt["bid_id"]]
        assert bid["uscc"] == world["bidders"][n]["uscc"]
        assert receipt["envelope_sha256"] == world["bidders"][n]["sha256"] == bid["stored_sha256"]
        assert bid["status"] == "submitted"
    # One bid per bidder: nothing lost, nothing duplicated; one upload per idempotency key.
    assert sorted(b["uscc"] for b in bids.values()) == sorted(spec["uscc"] for spec in world["bidders"])
    keys = [u["key"] for u in final["uploads"]]
    assert len(keys) == len(set(keys)) == len(SIZES)
    # Uploads partial at the kill were resumed, not restarted: same upload, now complete.
    for upload in partial:
        assert next(u for u in final["uploads"] if u["id"] == upload["id"])["status"] == "complete"
