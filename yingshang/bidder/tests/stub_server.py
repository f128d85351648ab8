"""A small real HTTP server (``http.server`` in a thread) speaking the platform's protocol for the
bidder tool's tests: resumable uploads with signed receipts, certificate sign-in, the QR signer's
post, status, withdraw and the content-key release. It records what it received and can break
on purpose (drop a connection, fail with 503)."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from yingshang.bidder.receipts import RECEIPT_SIGNING_PREFIX
from yingshang.envelope import Signature, public_key_of_certificate, verify

TOKEN = "test-token-0123456789"
BIDS = "/api/v1/trading/bids"
IDENTITY = "/api/v1/identity/certificate"


@dataclass
class Upload:
    upload_id: str
    key: str
    tender_id: int
    lot_id: int
    size: int
    sha256: str
    data: bytearray = field(default_factory=bytearray)
    receipt: dict[str, Any] | None = None


@dataclass
class PutRecord:
    offset: int
    length: int
    acknowledged_before: int  # the highest `received` the server had told the client so far
    outcome: str


class StubPlatform:
    def __init__(self, *, chunk_size: int = 1000) -> None:
        self.chunk_size = chunk_size
        self.signing_key = Ed25519PrivateKey.generate()
        self.uploads: dict[str, Upload] = {}
        self.by_key: dict[str, str] = {}
        self.requests: list[tuple[str, str]] = []
        self.puts: list[PutRecord] = []
        self.post_keys: list[str] = []
        self.acknowledged: dict[str, int] = {}
        self.drop_puts: set[int] = set()  # PUT numbers (1-based) stored then dropped without an answer
        self.fail_puts_from: int | None = None  # every PUT from this number on answers 503
        self.fail_posts = 0  # this many POST /uploads answer 500 first
        self.challenges: dict[str, bytes] = {}
        self.signed: list[dict[str, Any]] = []
        self.released: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> StubPlatform:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    # -- protocol ---------------------------------------------------------------------------------

    def _ack(self, upload: Upload) -> int:
        self.acknowledged[upload.upload_id] = max(
            self.acknowledged.get(upload.upload_id, 0), len(upload.data)
        )
        return len(upload.data)

    def _view(self, upload: Upload) -> dict[str, Any]:
        view = {
            "upload_id": upload.upload_id,
            "chunk_size": self.chunk_size,
            "received": self._ack(upload),
            "size": upload.size,
            "status": "complete" if upload.receipt else "receiving",
        }
        if upload.receipt:
            view["receipt"] = upload.receipt
        return view

    def _receipt(self, upload: Upload) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "bid_id": f"bid-{upload.upload_id[:8]}",
            "tender_id": upload.tender_id,
            "lot_id": upload.lot_id,
            "envelope_sha256": upload.sha256,
            "size": upload.size,
            "received_at": "2026-11-30T12:00:00.000000Z",
        }
        signature = self.signing_key.sign(RECEIPT_SIGNING_PREFIX + rfc8785.dumps(payload))
        return {"receipt": payload, "signature": base64.b64encode(signature).decode(), "key_id": "stub"}

    def handle(self, method: str, path: str, query: dict[str, list[str]], headers: Any, body: bytes) -> Any:
        """(status, JSON) or ``None`` to drop the connection without an answer."""
        self.requests.append((method, path))
        authorised = headers.get("Authorization") == f"Bearer {TOKEN}"
        if path == f"{IDENTITY}/challenge" and method == "POST":
            challenge_id = uuid.uuid4().hex
            self.challenges[challenge_id] = uuid.uuid4().bytes + uuid.uuid4().bytes
            return 201, {
                "challenge_id": challenge_id,
                "challenge": base64.b64encode(self.challenges[challenge_id]).decode(),
                "expires_at": "2026-11-30T12:05:00Z",
            }
        if method == "POST" and (path == f"{IDENTITY}/token" or path.startswith(f"{IDENTITY}/qr/")):
            data = json.loads(body)
            challenge = self.challenges.get(data["challenge_id"])
            if challenge is None:
                return 400, {"code": "unknown_challenge", "message": "unknown challenge"}
            chain = [base64.b64decode(item) for item in data["chain"]]
            try:
                verify(public_key_of_certificate(chain[0]), challenge, Signature.from_json(data["signature"]))
            except Exception:
                return 400, {"code": "bad_signature", "message": "the signature does not verify"}
            self.signed.append(data)
            if path.endswith("/sign"):
                return 200, {"status": "signed"}
            return 201, {
                "token": TOKEN,
                "expires_at": "2026-11-30T13:00:00Z",
                "organisation": "Acme",
                "uscc": "x",
            }
        if not authorised:
            return 401, {"code": "unauthorised", "message": "no valid token"}
        if not path.startswith(BIDS):
            return 404, {"code": "not_found", "message": path}
        rest = path[len(BIDS) :]
        with self.lock:
            return self._bids(method, rest, query, body)

    def _bids(self, method: str, rest: str, query: dict[str, list[str]], body: bytes) -> Any:
        parts = [part for part in rest.split("/") if part]
        if method == "POST" and parts == ["uploads"]:
            if self.fail_posts:
                self.fail_posts -= 1
                return 500, {"code": "error", "message": "internal"}
            data = json.loads(body)
            self.post_keys.append(data["idempotency_key"])
            existing = self.by_key.get(data["idempotency_key"])
            if existing:
                upload = self.uploads[existing]
                return (200, upload.receipt) if upload.receipt else (200, self._view(upload))
            upload = Upload(
                uuid.uuid4().hex,
                data["idempotency_key"],
                data["tender_id"],
                data["lot_id"],
                data["size"],
                data["sha256"],
            )
            self.uploads[upload.upload_id] = upload
            self.by_key[upload.key] = upload.upload_id
            return 201, self._view(upload)
        if method == "GET" and len(parts) == 2 and parts[0] == "uploads":
            found = self.uploads.get(parts[1])
            return (200, self._view(found)) if found else (404, {"code": "not_found", "message": "no upload"})
        if method == "PUT" and len(parts) == 4 and parts[0] == "uploads" and parts[2] == "chunks":
            return self._put(parts[1], int(parts[3]), body)
        if method == "GET" and parts == ["status"]:
            tender = int(query["tender_id"][0])
            return 200, {
                "tender_id": tender,
                "bids": [
                    u.receipt["receipt"] for u in self.uploads.values() if u.receipt and u.tender_id == tender
                ],
            }
        if method == "GET" and parts == ["receipts"]:
            return 200, {"receipts": [u.receipt for u in self.uploads.values() if u.receipt]}
        if method == "GET" and len(parts) == 2 and parts[1] == "receipt":
            for upload in self.uploads.values():
                if upload.receipt and upload.receipt["receipt"]["bid_id"] == parts[0]:
                    return 200, upload.receipt
            return 404, {"code": "not_found", "message": "no such bid"}
        if method == "POST" and len(parts) == 2 and parts[1] == "withdraw":
            return 200, {"bid_id": parts[0], "status": "withdrawn"}
        if method == "POST" and len(parts) == 2 and parts[1] == "content-key":
            self.released.append({"bid_id": parts[0], **json.loads(body)})
            return 200, {"bid_id": parts[0], "status": "key_released"}
        return 404, {"code": "not_found", "message": rest}

    def _put(self, upload_id: str, offset: int, body: bytes) -> Any:
        upload = self.uploads.get(upload_id)
        if upload is None:
            return 404, {"code": "not_found", "message": "no upload"}
        number = len(self.puts) + 1
        record = PutRecord(offset, len(body), self.acknowledged.get(upload_id, 0), "")
        self.puts.append(record)
        if self.fail_puts_from is not None and number >= self.fail_puts_from:
            record.outcome = "503"
            return 503, {"code": "unavailable", "message": "try later"}
        if offset != len(upload.data):
            record.outcome = "409"
            return 409, {"code": "offset_mismatch", "message": f"expected offset {len(upload.data)}"}
        if len(body) > self.chunk_size or offset + len(body) > upload.size:
            record.outcome = "413"
            return 413, {"code": "too_large", "message": "chunk too large"}
        upload.data.extend(body)
        if number in self.drop_puts:
            record.outcome = "dropped"
            return None
        record.outcome = "stored"
        if len(upload.data) == upload.size:
            if hashlib.sha256(upload.data).hexdigest() != upload.sha256:
                return 400, {"code": "hash_mismatch", "message": "the file does not match its hash"}
            upload.receipt = self._receipt(upload)
            self._ack(upload)
            return 201, upload.receipt
        return 200, {"received": self._ack(upload), "status": "receiving"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parsed = urlparse(self.path)
                result = platform.handle(
                    self.command, parsed.path, parse_qs(parsed.query), self.headers, body
                )
                if result is None:
                    self.close_connection = True
                    return
                status, payload = result
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _serve

        return Handler
