"""A deadline surge rehearsal kit, shared by the crash test and ``bench/surge.py``.

``prepare(env, bidders=N, sizes=[...], out=DIR)`` runs a script in a fresh process against the
database that ``env`` names: migrates it, puts a test CA in the trust store, publishes an open
tender (deadline 60 days ahead of the domain time), creates N bidder organisations with users,
API tokens (``bids:write``) and certificates, and seals one envelope per bidder into ``out``
with the real envelope code. ``Server`` runs the real ASGI server (uvicorn) on that database.
Nothing is mocked.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent

PREPARE = r"""
import io, json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from datetime import timedelta
from pathlib import Path
from django.core.management import call_command
call_command("migrate", verbosity=0)
from yingshang import envelope
from yingshang.bidder.files import record_hash
from yingshang.identity import certificate_services, services as identity
from yingshang.identity.testing import make_organisation, make_user
from yingshang.kernel import clock
from yingshang.pki import Vendor
from yingshang.trading.projects.testing import tender_open_now

spec = json.loads(sys.argv[1])
out = Path(spec["out"])
out.mkdir(parents=True, exist_ok=True)
now = clock.now()
vendor = Vendor.create("演练CA", now=now - timedelta(days=1))
for authority in vendor.authorities:
    certificate_services.ensure_authority(certificate=authority.der, vendor=vendor.name, uscc_rule=str(vendor.rule))
tender = tender_open_now(name="金城市演练工程")
lot_id = tender.lots.first().pk
bidders = []
for n, size in enumerate(spec["sizes"]):
    organisation = make_organisation("enterprise", name=f"金城市演练投标人{n:03d}有限公司")
    user = make_user(roles=["bidder"], organisation=organisation)
    token = identity.create_api_token(
        user=user, name="surge", scopes=["bids:write"], expires_at=now + timedelta(days=2),
        organisation=organisation,
    ).plain
    signing = vendor.issue_leaf(organisation.name, organisation.uscc, usage="signing", now=now)
    encryption = vendor.issue_leaf(organisation.name, organisation.uscc, usage="encryption", now=now)
    package = os.urandom(size)
    path = out / f"bidder-{n:03d}.sealed"
    with path.open("wb") as sink:
        result = envelope.seal(
            io.BytesIO(package), sink, tender=str(tender.pk), lot=str(lot_id), bidder=organisation.uscc,
            signer_key=signing.private_key, signer_chain=signing.chain,
            recipient_certificate=encryption.der,
        )
    record_hash(path, result.envelope_sha256)  # as the bidder tool's seal does
    bidders.append({"token": token, "path": str(path), "sha256": result.envelope_sha256,
                    "size": result.size, "uscc": organisation.uscc})
print(json.dumps({"tender_id": tender.pk, "lot_id": lot_id, "deadline": tender.bid_deadline.isoformat(),
                  "bidders": bidders}))
"""

#: The database's view after a run: bids, uploads, and the stored bytes' hashes.
STATE = r"""
import hashlib, json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from yingshang.files import facade as files
from yingshang.trading.bids.models import Bid, BidUpload
bids = []
for bid in Bid.objects.order_by("id"):
    with files.open_document(bid.document_id) as stored:
        digest = hashlib.sha256(stored.read()).hexdigest()
    bids.append({"id": bid.pk, "uscc": bid.bidder_uscc, "status": bid.status, "envelope_sha256": bid.envelope_sha256,
                 "stored_sha256": digest, "received_at": bid.received_at.isoformat()})
uploads = [{"id": str(u.public_id), "status": u.status, "received": u.received, "size": u.size,
            "bid": u.bid_id, "key": u.idempotency_key} for u in BidUpload.objects.order_by("id")]
print(json.dumps({"bids": bids, "uploads": uploads}))
"""


def run_script(env: dict[str, str], code: str, *args: str, timeout: float = 1200) -> Any:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def prepare(env: dict[str, str], *, sizes: list[int], out: Path) -> dict[str, Any]:
    return run_script(env, PREPARE, json.dumps({"sizes": sizes, "out": str(out)}))


def state(env: dict[str, str]) -> dict[str, Any]:
    return run_script(env, STATE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """The real ASGI server (uvicorn, one process) on ``env``'s database."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        port: int | None = None,
        app: str = "config.asgi:application",
        log: Path | None = None,
        workers: int = 1,
    ):
        self.env = env
        self.log = log
        self.workers = workers
        self.port = port or free_port()
        self.app = app
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, ready_path: str = "/healthz", wait: float = 120) -> Server:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                self.app,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
                *(["--workers", str(self.workers)] if self.workers > 1 else []),
            ],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab") if self.log else subprocess.DEVNULL,
        )
        deadline = time.monotonic() + wait  # a bounded wait for a process to listen
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the server exited during start-up"
            try:
                if httpx.get(self.url + ready_path, timeout=2).status_code < 500:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server did not answer within {wait} s")

    def kill(self) -> None:
        """SIGKILL: no clean-up, no finished requests."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def peak_memory_kib(self) -> int:
        """The server's peak resident set (VmHWM), in KiB: its process's, or with several workers
        the sum of the worker processes' (each one's own peak)."""
        assert self.process is not None
        pids = [self.process.pid]
        if self.workers > 1:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            pids = [int(pid) for pid in children.read_text().split()] or pids
        total = 0
        for pid in pids:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        return total
