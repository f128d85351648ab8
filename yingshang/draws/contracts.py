"""What the draws context hands to other contexts. Pure: no Django."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from yingshang.ledger.contracts import Subject


@dataclass(frozen=True)
class DrawSummary:
    """A draw as its owner sees it (never the secret)."""

    public_id: str
    purpose: str  # coefficient_draw | expert_draw | ...
    subject: Subject
    status: str  # prepared | performed
    k: int
    eligible_count: int
    eligible_digest: str
    commitment: str
    commitment_entry_hash: str
    contributions: int  # how many were given
    prepared_at: datetime
    beacon_size: int | None = None
    result: tuple[str, ...] | None = None  # None until performed
    performed_at: datetime | None = None


@dataclass(frozen=True)
class PublicDrawRecord:
    """The published record of a draw (format ``yingshang-draw/1``, docs/draws.md).

    ``data`` is a JSON-able dict: before the draw only the commitment, eligible digest and
    parameters; once performed everything needed to verify it offline (the eligible list, the
    revealed secret, the beacon with its signed note and inclusion proof, the contributions, the
    result)."""

    public_id: str
    performed: bool
    data: Mapping[str, Any]

    def as_json(self) -> dict[str, Any]:
        return dict(self.data)
