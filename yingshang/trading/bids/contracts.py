"""What the bids context hands to other contexts. Pure: no Django."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class BidSummary:
    """A submitted bid as the opening hall sees it: ciphertext facts only, never content."""

    id: int
    tender_id: int
    lot_id: int
    organisation_id: int
    bidder_uscc: str
    status: str  # submitted | replaced | withdrawn
    received_at: datetime
    size: int
    envelope_sha256: str
    ciphertext_sha256: str
    key_commitment: str
    certificate_fingerprint: str
    document_id: int
    header: dict[str, Any]
