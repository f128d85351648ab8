"""What the opening context hands to other contexts. Pure: no Django."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["OpenedBid", "OpeningResult"]


@dataclass(frozen=True)
class OpenedBid:
    """One bid's row of a finished (or decrypted) opening."""

    bid_id: int
    organisation_id: int
    bidder_uscc: str
    bidder_name: str
    decryption: str  # pending | decrypted | failed
    classification: str  # "" (opened) | revoked | withdrawn
    cause: str  # "" | bidder | platform
    reason: str
    price_fen: int | None
    price_uppercase: str
    duration_days: int | None
    quality: str
    project_manager: str
    deposit_status: str
    package_document_id: int | None  # the decrypted package (files context, restricted)
    package_sha256: str
    feature_codes: dict[str, object]  # keyed hashes only (HMAC-SHA256 with a platform key)
    confirmation: str  # unconfirmed | confirmed | objected


@dataclass(frozen=True)
class OpeningResult:
    session_id: int
    tender_id: int
    lot_id: int
    status: str
    bids_received: int
    control_price_fen: int | None
    finished_at: datetime | None
    record_sha256: str
    bids: tuple[OpenedBid, ...]
    #: The drawn coefficient (浮动系数) as a decimal string, or "" where the tender has no draw.
    coefficient: str = ""

    @property
    def opened(self) -> tuple[OpenedBid, ...]:
        """The rows that were decrypted and not revoked or withdrawn."""
        return tuple(b for b in self.bids if b.decryption == "decrypted" and not b.classification)
