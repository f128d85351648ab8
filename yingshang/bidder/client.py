"""The platform's API as the bidder tool uses it (httpx), and the resumable upload.

``BidderClient(base_url, token=None, *, transport=None, timeout=60.0, retry=RetryPolicy(),
sleep=time.sleep)``: ``transport`` is any ``httpx.BaseTransport`` (tests and benchmarks may pass
``httpx.HTTPTransport(retries=0)`` or an in-process transport). Every 4xx raises
``ServerRefused(code, message, status)``; connection errors, 5xx and 429 are retried with
exponential backoff and, when the retries run out, raise ``ServerUnavailable``.

The upload protocol (docs/bidder-tool.md, "submit"): ``POST /uploads`` with an idempotency key
derived from the envelope's SHA-256 and the tender and lot, ``PUT /uploads/{id}/chunks/{offset}``
from the ``received`` offset the server reports, ``GET /uploads/{id}`` after any failure to learn
where to continue; bytes the server acknowledged are never sent again.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urljoin

import httpx

from yingshang.bidder import TOOL_NAME, __version__
from yingshang.bidder.errors import BidderError, InputError, ServerRefused, ServerUnavailable
from yingshang.bidder.files import file_sha256, forget_hash, read_json, write_json
from yingshang.bidder.progress import Progress

BIDS = "/api/v1/trading/bids"
IDENTITY = "/api/v1/identity/certificate"
EVALUATION = "/api/v1/trading/evaluation"
STATE_FORMAT = "yingshang-upload-state/1"
IDEMPOTENCY_LABEL = "yingshang-bidder/upload/1"


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` consecutive failures are retried (then ``ServerUnavailable``); the delay before
    retry n is ``min(max_delay, base_delay * 2**n)`` with up to 25 % random jitter."""

    attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, failure: int) -> float:
        delay = min(self.max_delay, self.base_delay * 2 ** max(failure - 1, 0))
        return delay * (1 + random.random() / 4)  # noqa: S311 - jitter, not a secret


@dataclass(frozen=True)
class UploadResult:
    receipt: dict[str, Any]
    upload_id: str
    idempotency_key: str
    sha256: str
    size: int
    sent_bytes: int  # bytes this run sent (0 when the upload was already complete)


def idempotency_key(sha256: str, tender_id: int | str, lot_id: int | str) -> str:
    """Deterministic: the same envelope for the same tender and lot always gets the same key."""
    text = f"{IDEMPOTENCY_LABEL}\n{sha256.lower()}\n{tender_id}\n{lot_id}"
    return hashlib.sha256(text.encode()).hexdigest()


def receipt_of(body: Any) -> dict[str, Any] | None:
    """The signed receipt ``{receipt, signature, key_id}`` in an upload answer, if there is one."""
    if not isinstance(body, Mapping):
        return None
    if isinstance(body.get("receipt"), Mapping) and "signature" in body:
        return {key: body[key] for key in ("receipt", "signature", "key_id") if key in body}
    inner = body.get("receipt")
    if isinstance(inner, Mapping) and isinstance(inner.get("receipt"), Mapping) and "signature" in inner:
        return receipt_of(inner)
    return None


def _error_of(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        code = str(body.get("code") or f"http_{response.status_code}")
        message = body.get("message") or body.get("detail") or response.reason_phrase
        if not isinstance(message, str):
            message = str(message)
        return code, message
    return f"http_{response.status_code}", response.reason_phrase or "refused"


class BidderClient:
    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InputError(
                f"the server must be an http:// or https:// address, not {base_url!r}", code="bad_server"
            )
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        headers = {"User-Agent": f"{TOOL_NAME}/{__version__}", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> BidderClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests ---------------------------------------------------------------------------------

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request; ``ServerRefused`` on 4xx (except 429), the response otherwise."""
        response = self.http.request(method, url, **kwargs)
        status = response.status_code
        if 400 <= status < 500 and status != 429:
            code, message = _error_of(response)
            if status == 401:
                message = f"{message} (the token was refused: sign in again with `login`)"
            raise ServerRefused(
                f"the server refused: {message} [{code}, HTTP {status}]", code=code, status=status
            )
        return response

    def request(self, method: str, url: str, *, idempotent: bool = True, **kwargs: Any) -> Any:
        """The JSON answer, with retries. A request that is not idempotent is retried only when the
        connection could not be made (so it was not sent)."""
        failures = 0
        while True:
            try:
                response = self._send(method, url, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                problem = f"cannot connect to {self.base_url}: {exc}"
            except httpx.TransportError as exc:
                if not idempotent:
                    raise ServerUnavailable(
                        f"the connection broke during {method} {url}: {exc}; the outcome is unknown, check with `status`"
                    ) from exc
                problem = f"the connection broke: {type(exc).__name__}: {exc}"
            else:
                if response.status_code < 400:
                    try:
                        return response.json() if response.content else {}
                    except ValueError as exc:
                        raise ServerUnavailable(f"the server's answer to {method} {url} is not JSON") from exc
                if not idempotent and response.status_code not in {429, 503}:
                    raise ServerUnavailable(
                        f"the server failed (HTTP {response.status_code}) during {method} {url}; check with `status`"
                    )
                problem = f"the server answered HTTP {response.status_code}"
            failures += 1
            if failures > self.retry.attempts:
                raise ServerUnavailable(f"{problem} (gave up after {failures} attempts)")
            self.sleep(self.retry.delay(failures))

    # -- identity ---------------------------------------------------------------------------------

    def challenge(self) -> dict[str, Any]:
        """``POST /api/v1/identity/certificate/challenge`` -> {challenge_id, challenge (base64), expires_at}."""
        return self.request("POST", f"{IDENTITY}/challenge", json={})

    def exchange_token(
        self, challenge_id: str, chain: Sequence[bytes], signature: Mapping[str, str]
    ) -> dict[str, Any]:
        """``POST /api/v1/identity/certificate/token`` -> {token, expires_at, organisation, uscc, fingerprint}."""
        return self.request(
            "POST", f"{IDENTITY}/token", json=signed_body(challenge_id, chain, signature), idempotent=False
        )

    def post_signed_challenge(
        self, url: str, challenge_id: str, chain: Sequence[bytes], signature: Mapping[str, str]
    ) -> dict[str, Any]:
        """The mobile signer's answer to a QR code: the same body as the token request, to ``url``."""
        target = url if url.startswith(("http://", "https://")) else urljoin(self.base_url + "/", url)
        return self.request(
            "POST", target, json=signed_body(challenge_id, chain, signature), idempotent=False
        )

    # -- evaluation clarifications -------------------------------------------------------------

    def clarifications(self) -> Any:
        """``GET /api/v1/trading/evaluation/clarifications``: the questions the committee asked
        the token's organisation, with any reply already given."""
        return self.request("GET", f"{EVALUATION}/clarifications")

    def reply_clarification(self, clarification_id: int, body: Mapping[str, Any]) -> Any:
        """``POST /api/v1/trading/evaluation/clarifications/{id}/reply`` with a signed reply
        (``yingshang.bidder.clarify.reply_body``)."""
        return self.request(
            "POST", f"{EVALUATION}/clarifications/{clarification_id}/reply", json=dict(body), idempotent=False
        )

    # -- bids -------------------------------------------------------------------------------------

    def create_upload(
        self, *, tender_id: int, lot_id: int, idempotency_key: str, size: int, sha256: str
    ) -> dict[str, Any]:
        body = {
            "tender_id": tender_id,
            "lot_id": lot_id,
            "idempotency_key": idempotency_key,
            "size": size,
            "sha256": sha256,
        }
        return self.request("POST", f"{BIDS}/uploads", json=body)

    def get_upload(self, upload_id: str) -> dict[str, Any]:
        return self.request("GET", f"{BIDS}/uploads/{upload_id}")

    def put_chunk(self, upload_id: str, offset: int, data: bytes) -> dict[str, Any]:
        """One attempt (no retry: after a failure the caller asks where the upload stands)."""
        response = self._send(
            "PUT",
            f"{BIDS}/uploads/{upload_id}/chunks/{offset}",
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        if response.status_code >= 500 or response.status_code == 429:
            raise ServerUnavailable(f"the server answered HTTP {response.status_code} to a chunk")
        try:
            return response.json()
        except ValueError as exc:
            raise ServerUnavailable("the server's answer to a chunk is not JSON") from exc

    def receipts(self) -> Any:
        return self.request("GET", f"{BIDS}/receipts")

    def receipt(self, bid_id: str) -> Any:
        return self.request("GET", f"{BIDS}/{bid_id}/receipt")

    def withdraw(self, bid_id: str) -> Any:
        return self.request("POST", f"{BIDS}/{bid_id}/withdraw", json={}, idempotent=False)

    def status(self, tender_id: int) -> Any:
        return self.request("GET", f"{BIDS}/status", params={"tender_id": tender_id})

    def public_key(self) -> Any:
        return self.request("GET", f"{BIDS}/public-key")

    def release_content_key(self, bid_id: str, content_key: bytes) -> Any:
        """``POST /{bid_id}/content-key`` {content_key: base64}: the opening's key release."""
        body = {"content_key": base64.b64encode(content_key).decode("ascii")}
        return self.request("POST", f"{BIDS}/{bid_id}/content-key", json=body, idempotent=False)

    # -- the resumable upload ---------------------------------------------------------------------

    def upload(
        self,
        path: Path,
        *,
        tender_id: int,
        lot_id: int,
        state_path: Path | None = None,
        progress: Progress | None = None,
    ) -> UploadResult:
        """Upload the envelope at ``path``, resuming where the server says it stands.

        ``state_path`` (by default ``<path>.upload.json``) keeps the idempotency key and the upload id
        between runs; it is removed once the receipt is in hand.
        """
        path = Path(path)
        state_path = state_path or path.with_name(path.name + ".upload.json")
        sha256, size = file_sha256(path)  # the hash recorded when it was sealed, if unchanged since
        try:
            return self._upload(
                path,
                sha256,
                size,
                tender_id=tender_id,
                lot_id=lot_id,
                state_path=state_path,
                progress=progress,
            )
        except ServerRefused:
            # Should the hash have come from a stale record (the file changed unseen), the next run
            # reads the file again; a sound record costs one more read, nothing else.
            forget_hash(path)
            raise

    def _upload(
        self,
        path: Path,
        sha256: str,
        size: int,
        *,
        tender_id: int,
        lot_id: int,
        state_path: Path,
        progress: Progress | None,
    ) -> UploadResult:
        key = idempotency_key(sha256, tender_id, lot_id)
        state = _load_state(state_path, sha256=sha256, tender_id=tender_id, lot_id=lot_id)
        if state is not None:
            key = state["idempotency_key"]
        upload: dict[str, Any] | None = None
        if (
            state is not None
            and state.get("server") == self.base_url
            and state.get("upload_id")
            and state.get("chunk_size")
        ):
            try:  # resume: ask where the upload stands
                upload = {"upload_id": state["upload_id"], "chunk_size": state["chunk_size"]}
                upload.update(self.get_upload(str(state["upload_id"])))
            except ServerRefused:
                upload = None  # unknown or expired upload: the idempotency key finds or makes it
        if upload is None:
            upload = self.create_upload(
                tender_id=tender_id, lot_id=lot_id, idempotency_key=key, size=size, sha256=sha256
            )
        receipt = receipt_of(upload)
        upload_id = str(upload.get("upload_id", state["upload_id"] if state else ""))
        if receipt is not None:
            _forget_state(state_path)
            return UploadResult(receipt, upload_id, key, sha256, size, 0)
        if not upload_id:
            raise ServerUnavailable("the server did not name the upload")
        chunk_size = int(upload.get("chunk_size") or 0)
        if chunk_size <= 0:
            raise ServerUnavailable("the server did not give a chunk size")
        _remember_state(
            state_path,
            {
                "format": STATE_FORMAT,
                "server": self.base_url,
                "idempotency_key": key,
                "upload_id": upload_id,
                "sha256": sha256,
                "size": size,
                "tender_id": tender_id,
                "lot_id": lot_id,
                "chunk_size": chunk_size,
            },
        )
        received = _offset(upload, size)
        if progress is not None and received:
            progress.note(f"resuming at {received} of {size} bytes")
        with open(path, "rb") as source:
            receipt, sent = self._send_chunks(
                source=source,
                upload_id=upload_id,
                received=received,
                size=size,
                chunk_size=chunk_size,
                progress=progress,
            )
        if progress is not None:
            progress.finish(size)
        _forget_state(state_path)
        return UploadResult(receipt, upload_id, key, sha256, size, sent)

    def _send_chunks(
        self,
        *,
        source: BinaryIO,
        upload_id: str,
        received: int,
        size: int,
        chunk_size: int,
        progress: Progress | None,
    ) -> tuple[dict[str, Any], int]:
        """Send from ``received`` to the end; (the receipt, the bytes sent)."""
        sent = 0
        failures = 0
        while True:
            if progress is not None:
                progress.update(received)
            if received >= size:
                status = self.get_upload(upload_id)
                if (receipt := receipt_of(status)) is None:
                    raise ServerUnavailable(
                        f"all {size} bytes were sent but the server gave no receipt yet "
                        f"(status {status.get('status')!r}); run the same command again"
                    )
                return receipt, sent
            source.seek(received)
            data = source.read(min(chunk_size, size - received))
            try:
                answer = self.put_chunk(upload_id, received, data)
            except (httpx.TransportError, ServerUnavailable, ServerRefused) as exc:
                if isinstance(exc, ServerRefused) and exc.status != 409:
                    raise  # 409: the server holds another offset; ask it where to go on
                failures += 1
                if failures > self.retry.attempts:
                    raise ServerUnavailable(
                        f"the upload stopped at {received} of {size} bytes ({exc}); "
                        "run the same command again to resume"
                    ) from exc
                if progress is not None:
                    progress.note(f"retrying after: {exc}")
                if not isinstance(exc, ServerRefused):
                    self.sleep(self.retry.delay(failures))
                status = self.get_upload(upload_id)
                if (receipt := receipt_of(status)) is not None:
                    return receipt, sent
                received = _offset(status, size)
                continue
            failures = 0
            sent += len(data)
            if (receipt := receipt_of(answer)) is not None:
                return receipt, sent
            received = _offset({"received": answer.get("received", received + len(data))}, size)


def signed_body(challenge_id: str, chain: Sequence[bytes], signature: Mapping[str, str]) -> dict[str, Any]:
    return {
        "challenge_id": challenge_id,
        "chain": [base64.b64encode(der).decode("ascii") for der in chain],
        "signature": dict(signature),
    }


def _load_state(path: Path, *, sha256: str, tender_id: int, lot_id: int) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        state = read_json(path)
    except BidderError:
        return None  # a damaged state file: the derived key gives the same upload anyway
    if (
        not isinstance(state, dict)
        or state.get("format") != STATE_FORMAT
        or state.get("sha256") != sha256
        or state.get("tender_id") != tender_id
        or state.get("lot_id") != lot_id
        or not isinstance(state.get("idempotency_key"), str)
    ):
        return None
    return state


def _remember_state(path: Path, state: dict[str, Any]) -> None:
    """Best effort: without the state file (a read-only folder) the derived idempotency key still
    finds the upload."""
    with contextlib.suppress(BidderError):
        write_json(path, state)


def _offset(answer: Mapping[str, Any], size: int) -> int:
    value = answer.get("received", 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= size:
        raise ServerUnavailable(f"the server reported an impossible offset {value!r} for a {size}-byte file")
    return value


def _forget_state(path: Path) -> None:
    path.unlink(missing_ok=True)
