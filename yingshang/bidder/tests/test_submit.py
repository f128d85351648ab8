from __future__ import annotations

import hashlib
import io
import json
import os
import socket
from pathlib import Path

import pytest

from yingshang.bidder.client import BidderClient, RetryPolicy, idempotency_key
from yingshang.bidder.errors import ServerRefused, ServerUnavailable
from yingshang.bidder.progress import Progress
from yingshang.bidder.receipts import verify_receipt
from yingshang.bidder.tests.stub_server import TOKEN, StubPlatform

SIZE = 4500  # five chunks of the stub's 1000 bytes


def envelope(tmp_path: Path, size: int = SIZE) -> Path:
    path = tmp_path / "bid.env"
    path.write_bytes(os.urandom(size))
    return path


def client(platform: StubPlatform, attempts: int = 8, token: str = TOKEN) -> BidderClient:
    delays: list[float] = []
    made = BidderClient(platform.url, token, retry=RetryPolicy(attempts=attempts), sleep=delays.append)
    made.delays = delays  # type: ignore[attr-defined]
    return made


def stored(platform: StubPlatform) -> bytes:
    (upload,) = platform.uploads.values()
    return bytes(upload.data)


def no_acknowledged_byte_resent(platform: StubPlatform) -> bool:
    return all(put.offset >= put.acknowledged_before for put in platform.puts)


def test_upload_in_chunks_with_a_signed_receipt(tmp_path: Path, platform: StubPlatform) -> None:
    path = envelope(tmp_path)
    with client(platform) as bidder:
        result = bidder.upload(path, tender_id=12, lot_id=3)
    assert [put.offset for put in platform.puts] == [0, 1000, 2000, 3000, 4000]
    assert stored(platform) == path.read_bytes()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.sha256 == digest and result.size == SIZE and result.sent_bytes == SIZE
    assert result.idempotency_key == idempotency_key(digest, 12, 3) == platform.post_keys[0]
    check = verify_receipt(result.receipt, platform.signing_key.public_key(), envelope=path)
    assert check.envelope_sha256 == digest
    assert not (tmp_path / "bid.env.upload.json").exists()

    with client(platform) as bidder:  # again: the same idempotency key gives the same receipt, nothing sent
        again = bidder.upload(path, tender_id=12, lot_id=3)
    assert again.receipt == result.receipt and again.sent_bytes == 0 and len(platform.puts) == 5


def test_dropped_connection_resumes_from_received(tmp_path: Path, platform: StubPlatform) -> None:
    """The server stores chunk 2 but the answer is lost: the tool asks where it stands and goes on
    from there, without sending chunk 2 again."""
    path = envelope(tmp_path)
    platform.drop_puts = {2}
    with client(platform) as bidder:
        result = bidder.upload(path, tender_id=12, lot_id=3)
        assert len(bidder.delays) == 1  # type: ignore[attr-defined]
    assert [(put.offset, put.outcome) for put in platform.puts] == [
        (0, "stored"),
        (1000, "dropped"),
        (2000, "stored"),
        (3000, "stored"),
        (4000, "stored"),
    ]
    assert no_acknowledged_byte_resent(platform)
    assert ("GET", f"/api/v1/trading/bids/uploads/{result.upload_id}") in platform.requests
    assert stored(platform) == path.read_bytes()
    assert result.sent_bytes == SIZE - 1000 and len(platform.post_keys) == 1  # acknowledged bytes


def test_interrupted_run_resumes_with_the_same_key(tmp_path: Path, platform: StubPlatform) -> None:
    path = envelope(tmp_path)
    platform.fail_puts_from = 3
    with (
        client(platform, attempts=2) as bidder,
        pytest.raises(ServerUnavailable, match="run the same command again"),
    ):
        bidder.upload(path, tender_id=12, lot_id=3)
    state = json.loads((tmp_path / "bid.env.upload.json").read_text())
    (upload,) = platform.uploads.values()
    assert len(upload.data) == 2000 and state["upload_id"] == upload.upload_id
    assert state["idempotency_key"] == platform.post_keys[0]

    platform.fail_puts_from = None
    failed_puts = len(platform.puts)
    with client(platform) as bidder:
        result = bidder.upload(path, tender_id=12, lot_id=3)
    resumed = platform.puts[failed_puts:]
    assert [put.offset for put in resumed] == [2000, 3000, 4000]
    assert result.sent_bytes == SIZE - 2000 and result.idempotency_key == state["idempotency_key"]
    assert len(platform.post_keys) == 1  # the second run asked GET /uploads/{id}, made no new upload
    assert no_acknowledged_byte_resent(platform)
    assert stored(platform) == path.read_bytes()
    assert not (tmp_path / "bid.env.upload.json").exists()


def test_lost_state_file_still_finds_the_upload(tmp_path: Path, platform: StubPlatform) -> None:
    path = envelope(tmp_path)
    platform.fail_puts_from = 2
    with client(platform, attempts=0) as bidder, pytest.raises(ServerUnavailable):
        bidder.upload(path, tender_id=12, lot_id=3)
    (tmp_path / "bid.env.upload.json").unlink()
    platform.fail_puts_from = None
    with client(platform) as bidder:
        result = bidder.upload(path, tender_id=12, lot_id=3)
    assert platform.post_keys == [result.idempotency_key] * 2 and len(platform.uploads) == 1
    assert result.sent_bytes == SIZE - 1000 and stored(platform) == path.read_bytes()


def test_refusals_are_not_retried(tmp_path: Path, platform: StubPlatform) -> None:
    path = envelope(tmp_path)
    with client(platform, token="wrong") as bidder, pytest.raises(ServerRefused, match="login") as caught:
        bidder.upload(path, tender_id=12, lot_id=3)
    assert caught.value.status == 401 and caught.value.exit_code == 5
    assert not platform.uploads and len(platform.requests) == 1


def test_unreachable_server_gives_up_after_the_retries(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    delays: list[float] = []
    bidder = BidderClient(
        f"http://127.0.0.1:{port}",
        TOKEN,
        retry=RetryPolicy(attempts=3, base_delay=1, max_delay=3),
        sleep=delays.append,
    )
    with bidder, pytest.raises(ServerUnavailable, match="gave up after 4 attempts"):
        bidder.upload(envelope(tmp_path), tender_id=1, lot_id=1)
    assert len(delays) == 3 and 1 <= delays[0] <= 1.25 and 2 <= delays[1] <= 2.5 and 3 <= delays[2] <= 3.75


def test_progress_lines_when_not_a_terminal(tmp_path: Path, platform: StubPlatform) -> None:
    out = io.StringIO()
    with client(platform) as bidder:
        bidder.upload(
            envelope(tmp_path), tender_id=1, lot_id=1, progress=Progress(SIZE, stream=out, tty=False)
        )
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("upload   0.0%") and lines[-1].startswith("upload 100.0%")
    assert "\r" not in out.getvalue()
    tty = io.StringIO()
    bar = Progress(100, stream=tty, tty=True)
    bar.update(50)
    bar.finish(100)
    assert tty.getvalue().startswith("\r[###############               ]") and tty.getvalue().endswith("\n")


def test_server_errors_on_create_are_retried(tmp_path: Path, platform: StubPlatform) -> None:
    platform.fail_posts = 2
    with client(platform) as bidder:
        result = bidder.upload(envelope(tmp_path), tender_id=1, lot_id=1)
        assert len(bidder.delays) == 2  # type: ignore[attr-defined]
    assert result.sent_bytes == SIZE and len(platform.uploads) == 1


def test_the_hash_recorded_at_sealing_is_used_and_a_stale_one_is_forgotten_when_refused(
    tmp_path: Path, platform: StubPlatform
) -> None:
    from yingshang.bidder.files import hash_record_path, record_hash

    path = envelope(tmp_path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    stale = hashlib.sha256(b"what the file held when it was sealed").hexdigest()
    record_hash(path, stale)  # as if the file had changed since, unseen (the same size and times)
    with client(platform) as bidder, pytest.raises(ServerRefused) as refused:
        bidder.upload(path, tender_id=12, lot_id=3)
    assert refused.value.code == "hash_mismatch"
    assert platform.post_keys[0] == idempotency_key(stale, 12, 3)  # the recorded hash was used
    assert not hash_record_path(path).exists()  # forgotten: the next run reads the file
    with client(platform) as bidder:
        result = bidder.upload(path, tender_id=12, lot_id=3)
    assert result.sha256 == digest and stored_of(platform, digest) == path.read_bytes()


def stored_of(platform: StubPlatform, sha256: str) -> bytes:
    (upload,) = [upload for upload in platform.uploads.values() if upload.sha256 == sha256]
    return bytes(upload.data)
