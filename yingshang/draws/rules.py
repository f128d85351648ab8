"""Pure rules of the draws context: the committed parameters and the published record.

No Django. The record format (``yingshang-draw/1``) is documented in docs/draws.md and
verified by ``yingshang.kernel.draws.verify`` (and ``verification.verify_published``).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from yingshang.kernel import draws
from yingshang.ledger.contracts import Subject

#: Keys the platform puts into the committed parameters itself; a caller may not use them.
RESERVED_PARAMETERS = frozenset({"k", "subject"})
#: Longest eligible list, and longest item / contribution (characters).
MAX_ELIGIBLE = 100_000
MAX_ITEM_CHARS = 200
MAX_CONTRIBUTION_CHARS = 200


def committed_parameters(*, parameters: Mapping[str, Any], k: int, subject: Subject) -> dict[str, Any]:
    """The parameters object the commitment binds: the caller's parameters plus ``k`` and the
    subject as ``"context:type:id"``. ``ValueError`` if the caller used a reserved key;
    ``TypeError``/``ValueError`` for values that are not JSON (floats included)."""
    clash = RESERVED_PARAMETERS & set(parameters)
    if clash:
        raise ValueError(f"parameters may not use the reserved keys {sorted(clash)}")
    out = {str(key): value for key, value in parameters.items()}
    out["k"] = k
    out["subject"] = subject_text(subject)
    draws.check_json(out)
    return out


def subject_text(subject: Subject) -> str:
    return f"{subject.context}:{subject.type}:{subject.id}"


def format_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def b64(values: Sequence[bytes]) -> list[str]:
    return [base64.b64encode(value).decode("ascii") for value in values]


def public_record(draw: Any, *, origin: str) -> dict[str, Any]:
    """The JSON record of a draw row (duck-typed: the ``Draw`` model's fields).

    Before the draw: format, draw id, purpose, status, parameters, eligible digest and count,
    commitment and its entry, time prepared. Never the secret or the list (an expert list stays
    confidential until the draw). Once performed: also the list, the secret, the beacon, the
    contributions used (and those that came too late, which were not used), and the result."""
    record: dict[str, Any] = {
        "format": draws.FORMAT,
        "draw": str(draw.public_id),
        "purpose": draw.purpose,
        "status": draw.status,
        "origin": origin,
        "parameters": draw.parameters,
        "eligible_digest": draw.eligible_digest,
        "eligible_count": len(draw.eligible),
        "commitment": draw.commitment,
        "commitment_entry": {"hash": draw.commitment_entry_hash, "index": draw.commitment_entry_index},
        "prepared_at": format_time(draw.prepared_at),
    }
    if draw.status != "performed":
        return record
    used = [c for c in draw.contributions if c.get("used")]
    late = [c for c in draw.contributions if not c.get("used")]
    record["commitment_entry"]["proof"] = list(draw.commitment_proof)
    record.update(
        {
            "eligible": list(draw.eligible),
            "secret": bytes(draw.secret).hex(),
            "beacon": {
                "size": draw.beacon_size,
                "root": draw.beacon_root,
                "note": draw.beacon_note,
                "verifier_key": draw.beacon_verifier_key,
            },
            "contributions": [
                {"value": c["value"], "entry_hash": c["entry_hash"], "index": c["index"]} for c in used
            ],
            "late_contributions": [
                {"value": c["value"], "entry_hash": c["entry_hash"], "index": c.get("index")} for c in late
            ],
            "result": list(draw.result),
            "performed_at": format_time(draw.performed_at),
        }
    )
    return record
