"""Offline verification of a published draw record. Pure: no Django, no database, no server.

:func:`verify_published` adds to ``yingshang.kernel.draws.verify`` (the commitment, seed and
result recomputed) the checks that need the evidence ledger's verifier key: the beacon is a
checkpoint note signed by the log's key, its body names the record's origin, size and root, and
the commitment entry's inclusion proof leads to that root, so the commitment was in the log
before the beacon existed. Uses only ``yingshang.ledger.verifier`` (standard library plus
``cryptography``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from yingshang.kernel import draws
from yingshang.kernel.draws import DrawMismatch, VerifiedDraw
from yingshang.ledger import verifier


@dataclass(frozen=True)
class PublishedDraw:
    """A verified record: the recomputed draw and how far the beacon could be trusted."""

    draw: VerifiedDraw
    origin: str
    key_name: str
    key_id: str
    trusted: bool  # the note's key is one of the keys the caller trusts (not just the record's own)

    def summary(self) -> str:
        lines = [
            f"OK: draw {self.draw.draw} ({self.draw.purpose}) recomputes",
            f"result: {', '.join(self.draw.result)}",
            f"drawn {self.draw.k} of {self.draw.eligible_count}; eligible digest {self.draw.eligible_digest}",
            f"commitment: {self.draw.commitment}",
            f"beacon: checkpoint of tree size {self.draw.beacon_size}, root {self.draw.beacon_root}",
            f"signed by: {self.key_name} (key id {self.key_id})"
            + ("" if self.trusted else " -- WARNING: key taken from the record itself, not trusted"),
            f"contributions: {len(self.draw.contributions)}",
            f"seed: {self.draw.seed}",
        ]
        return "\n".join(lines)


def verify_published(record: Mapping[str, Any], *, trusted_keys: Sequence[str] = ()) -> PublishedDraw:
    """Verify a performed record completely. ``trusted_keys``: the log's published verifier keys
    (after a key rotation, every key of the history); the beacon's key must be one of them.
    Without them the record's own key is used and ``trusted`` is False. Raises
    :class:`DrawMismatch` with the reason."""
    drawn = draws.verify(record)
    beacon = record["beacon"]
    vkey = beacon.get("verifier_key")
    if not isinstance(vkey, str) or not vkey:
        raise DrawMismatch("beacon.verifier_key is missing")
    if trusted_keys and vkey not in trusted_keys:
        raise DrawMismatch(f"key mismatch: the beacon was signed by {vkey}, which is not a trusted key")
    note = beacon.get("note")
    if not isinstance(note, str):
        raise DrawMismatch("beacon.note is missing")
    try:
        key = verifier.parse_verifier_key(vkey)
        body = verifier.parse_checkpoint(verifier.verify_note(note, [key]).body)
    except verifier.NoteError as exc:
        raise DrawMismatch(f"beacon note: {exc}") from None
    if body.origin != record.get("origin"):
        raise DrawMismatch(
            f"beacon note is for log {body.origin!r}, the record says {record.get('origin')!r}"
        )
    if body.size != drawn.beacon_size or body.root.hex() != drawn.beacon_root:
        raise DrawMismatch("beacon size or root differs from the signed checkpoint note")
    entry = record["commitment_entry"]
    proof_text = entry.get("proof")
    if not isinstance(proof_text, list):
        raise DrawMismatch("commitment_entry.proof is missing")
    try:
        proof = [base64.b64decode(item, validate=True) for item in proof_text]
    except (binascii.Error, TypeError, ValueError):
        raise DrawMismatch("commitment_entry.proof is not a list of base64 hashes") from None
    try:
        verifier.verify_inclusion(bytes.fromhex(entry["hash"]), entry["index"], body.size, proof, body.root)
    except verifier.ProofError as exc:
        raise DrawMismatch(f"the commitment entry is not in the beacon's tree: {exc}") from None
    return PublishedDraw(
        draw=drawn, origin=body.origin, key_name=key.name, key_id=key.key_id.hex(), trusted=bool(trusted_keys)
    )
