"""Events the opening context publishes (on commit). Pure: no Django.

Subscribe with ``yingshang.kernel.events.subscribe(OpeningFinished, handler)``; subscribe to
``OpeningEvent`` for all of them. (The live stream does not use these: it reads the session's
persisted ``OpeningEvent`` rows, see docs/contexts/opening.md.)
"""

from __future__ import annotations

from dataclasses import dataclass

from yingshang.kernel.events import DomainEvent

__all__ = [
    "BidRevoked",
    "OpeningFailedTooFew",
    "OpeningFinished",
    "OpeningStarted",
    "OpeningStep",
    "WindowClosed",
]


@dataclass(frozen=True)
class OpeningStep(DomainEvent, abstract=True):
    session_id: int
    tender_id: int
    lot_id: int


@dataclass(frozen=True)
class OpeningStarted(OpeningStep):
    """The bid deadline came with at least three bids: the session is open for sign-in."""

    name = "trading.opening.started"


@dataclass(frozen=True)
class OpeningFailedTooFew(OpeningStep):
    """Fewer than three bids by the deadline (T7): no opening; the tender is re-tendered."""

    name = "trading.opening.failed_too_few"
    bids_received: int = 0
    new_tender_id: int | None = None


@dataclass(frozen=True)
class WindowClosed(OpeningStep):
    name = "trading.opening.window_closed"


@dataclass(frozen=True)
class BidRevoked(OpeningStep):
    """A bid counts as revoked (撤销, art. 31): the deposit consequence of T16 may follow."""

    name = "trading.opening.bid_revoked"
    bid_id: int = 0
    organisation_id: int = 0


@dataclass(frozen=True)
class OpeningFinished(OpeningStep):
    name = "trading.opening.finished"
