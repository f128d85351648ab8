"""Events the bids context publishes (on commit). Pure: no Django.

Subscribe with ``yingshang.kernel.events.subscribe(BidWithdrawn, handler)`` (the deposits
context refunds on withdrawal, T16); subscribe to ``BidsEvent`` for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from yingshang.kernel.events import DomainEvent

__all__ = ["BidSubmitted", "BidWithdrawn", "BidsEvent"]


@dataclass(frozen=True)
class BidsEvent(DomainEvent, abstract=True):
    tender_id: int
    lot_id: int
    bid_id: int
    organisation_id: int


@dataclass(frozen=True)
class BidSubmitted(BidsEvent):
    """A sealed bid was accepted (``replaces``: the bid it supersedes, if any)."""

    name = "trading.bid.submitted"
    replaces: int | None = None


@dataclass(frozen=True)
class BidWithdrawn(BidsEvent):
    name = "trading.bid.withdrawn"
