"""A witness's side of cosigning, over HTTP against the platform's API (no database, no Django).

``yingshang ledger witness-sign --url BASE --key witness.pem --name NAME`` runs :func:`cosign`:

1. ``GET /api/v1/ledger/public-key``: the log's origin and keys. Keys given with ``--log-key``
   (the log's published keys, from its official notice) are the only ones trusted; without
   them the keys the server lists are trusted (on first use: said so in the result).
2. ``GET /api/v1/ledger/checkpoint``: the latest checkpoint note; its log signature is verified
   (other signature lines, the witnesses', are ignored) and its body parsed.
3. The last checkpoint this witness cosigned comes from its state file (size and root, written
   after each cosignature). Without one, ``GET /api/v1/ledger/witnesses`` (with the token) gives
   the size the server has on record, and the old root is taken from the server's consistency
   answer (trust on first use, reported as such).
4. ``GET /api/v1/ledger/proofs/consistency?first=<last>&second=<new>``: the proof is verified
   (RFC 9162 2.1.4.2) against the old root and the root of the **signed** checkpoint; a log that
   went backwards or forked is refused.
5. The checkpoint body is signed with the witness key (a signed-note signature line) and
   ``POST /api/v1/ledger/witnesses/{id}/cosignatures`` with ``Authorization: Bearer <token>``
   (an API token of a supervisor of the witness's body, scope ``ledger:write``).

Only the standard library (``urllib``), ``cryptography`` and the pure ledger modules are used.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yingshang.ledger import note, verifier

__all__ = ["API_PREFIX", "CosignResult", "WitnessClientError", "cosign", "default_state_path"]

API_PREFIX = "/api/v1/ledger"
TIMEOUT_SECONDS = 30


class WitnessClientError(Exception):
    """The cosignature was not made; the message says why."""


@dataclass(frozen=True)
class CosignResult:
    size: int
    root: bytes
    previous_size: int | None
    signature_line: str
    witness_id: int
    posted: bool  # False when the witness had already cosigned this checkpoint (nothing to do)
    trusted_on_first_use: bool  # the old root or the log key came from the server, not from state


def default_state_path(key_path: Path) -> Path:
    return key_path.with_name(key_path.name + ".state.json")


class _Api:
    def __init__(self, base_url: str, token: str | None) -> None:
        self.base = base_url.rstrip("/") + API_PREFIX
        self.token = token

    def call(
        self, method: str, path: str, *, query: Mapping[str, Any] | None = None, body: Any = None
    ) -> Any:
        url = self.base + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (http(s) URL checked)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            raise WitnessClientError(f"{method} {path}: HTTP {error.code}: {_problem(error)}") from error
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise WitnessClientError(f"{method} {path}: {error}") from error


def _problem(error: urllib.error.HTTPError) -> str:
    try:
        answer = json.loads(error.read().decode("utf-8"))
    except (ValueError, OSError):
        return error.reason or "no details"
    if isinstance(answer, Mapping):
        return str(answer.get("detail") or answer.get("title") or answer)
    return str(answer)


def _check_url(base_url: str) -> None:
    scheme = urllib.parse.urlsplit(base_url).scheme
    if scheme not in ("http", "https"):
        raise WitnessClientError(f"the platform URL must start with https:// (or http://), not {base_url!r}")


def _read_state(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        int(state["size"])
        bytes.fromhex(state["root"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise WitnessClientError(f"the state file {path} is unreadable: {error}") from error
    return dict(state)


def _write_state(path: Path, state: Mapping[str, Any]) -> None:
    staged = path.with_name("." + path.name + ".new")
    staged.write_text(json.dumps(state, indent=1) + "\n", encoding="utf-8")
    os.replace(staged, path)


def _log_keys(api: _Api, pinned: Sequence[str]) -> tuple[str, list[verifier.Verifier], bool]:
    """The log's origin, the keys its checkpoint must verify under, and whether they are the
    server's own word (no ``--log-key`` given: trust on first use)."""
    answer = api.call("GET", "/public-key")
    origin = str(answer.get("origin", ""))
    served = [str(k["verifier_key"]) for k in answer.get("keys") or []] or [str(answer.get("verifier_key"))]
    try:
        keys = [verifier.parse_verifier_key(k) for k in (pinned or served)]
    except verifier.NoteError as error:
        raise WitnessClientError(f"a log key is malformed: {error}") from error
    return origin, keys, not pinned


def cosign(
    *,
    base_url: str,
    signer: note.NoteSigner,
    token: str | None,
    state_path: Path,
    log_keys: Sequence[str] = (),
    witness_id: int | None = None,
) -> CosignResult:
    """Fetch the latest checkpoint, check it against the last one this witness cosigned, sign it
    and post the cosignature. Raises :class:`WitnessClientError` naming what failed."""
    _check_url(base_url)
    if not token:
        raise WitnessClientError(
            "an API token is needed to post a cosignature (--token-file or YINGSHANG_WITNESS_TOKEN)"
        )
    api = _Api(base_url, token)
    state = _read_state(state_path)
    origin, keys, keys_on_first_use = _log_keys(api, log_keys)

    checkpoint = api.call("GET", "/checkpoint")
    try:
        signed = verifier.verify_note(str(checkpoint["note"]), keys)
        body = verifier.parse_checkpoint(signed.body)
    except (verifier.NoteError, KeyError) as error:
        raise WitnessClientError(
            f"the latest checkpoint does not verify with the log's key: {error}"
        ) from error
    if body.origin != origin:
        raise WitnessClientError(f"the checkpoint's origin {body.origin!r} is not the log's {origin!r}")

    if witness_id is None:
        witness_id = _witness_id(api, signer)
    previous_size, previous_root, root_on_first_use = _previous(api, state, signer, origin)
    if previous_size is not None and previous_size > body.size:
        raise WitnessClientError(
            f"the log went backwards: checkpoint {body.size} is older than the cosigned checkpoint {previous_size}"
        )
    if previous_size == body.size:
        if previous_root is not None and previous_root != body.root:
            raise WitnessClientError(f"two different roots for tree size {body.size}: the log forked")
        line = signer.sign(signed.body)
        return CosignResult(body.size, body.root, previous_size, line, witness_id, False, root_on_first_use)
    if previous_size:
        answer = api.call("GET", "/proofs/consistency", query={"first": previous_size, "second": body.size})
        if previous_root is None:  # trust on first use: the server's word for the old root
            previous_root = bytes.fromhex(str(answer["first_root"]))
        proof = [bytes.fromhex(h) for h in answer.get("proof", [])]
        try:
            verifier.verify_consistency(previous_size, body.size, previous_root, body.root, proof)
        except verifier.ProofError as error:
            raise WitnessClientError(
                f"checkpoint {body.size} is not consistent with the cosigned checkpoint {previous_size}: {error}"
            ) from error

    line = signer.sign(signed.body)
    api.call(
        "POST",
        f"/witnesses/{witness_id}/cosignatures",
        body={"signature_line": line, "checkpoint_size": body.size},
    )
    _write_state(
        state_path,
        {
            "origin": origin,
            "size": body.size,
            "root": body.root.hex(),
            "root_base64": base64.b64encode(body.root).decode(),
            "log_keys": sorted(k.vkey for k in keys),
            "witness_id": witness_id,
        },
    )
    return CosignResult(
        body.size, body.root, previous_size, line, witness_id, True, root_on_first_use or keys_on_first_use
    )


def _witness_id(api: _Api, signer: note.NoteSigner) -> int:
    for witness in api.call("GET", "/witnesses"):
        if witness.get("verifier_key") == signer.verifier_key:
            return int(witness["id"])
    raise WitnessClientError(
        f"no witness with the key {signer.verifier_key} is registered: register it first "
        f"(POST {API_PREFIX}/witnesses)"
    )


def _previous(
    api: _Api, state: Mapping[str, Any] | None, signer: note.NoteSigner, origin: str
) -> tuple[int | None, bytes | None, bool]:
    """(size, root, trusted on first use) of the last checkpoint this witness cosigned."""
    if state is not None:
        if state.get("origin") != origin:
            raise WitnessClientError(
                f"the state file is for log {state.get('origin')!r}, not {origin!r}: use another --state"
            )
        return int(state["size"]), bytes.fromhex(state["root"]), False
    for witness in api.call("GET", "/witnesses"):
        if witness.get("verifier_key") == signer.verifier_key:
            last = witness.get("last_cosigned_size")
            return (None, None, False) if last is None else (int(last), None, True)
    return None, None, False
