"""States of bids and uploads. Pure: no Django."""

from __future__ import annotations

# Bid
SUBMITTED = "submitted"
REPLACED = "replaced"
WITHDRAWN = "withdrawn"

# Upload
RECEIVING = "receiving"
VERIFYING = "verifying"
COMPLETE = "complete"
REFUSED = "refused"

BID_TRANSITIONS: dict[str, frozenset[str]] = {
    SUBMITTED: frozenset({REPLACED, WITHDRAWN}),
    REPLACED: frozenset(),
    WITHDRAWN: frozenset(),
}

UPLOAD_TRANSITIONS: dict[str, frozenset[str]] = {
    RECEIVING: frozenset({VERIFYING, REFUSED}),
    VERIFYING: frozenset({COMPLETE, REFUSED}),
    COMPLETE: frozenset(),
    REFUSED: frozenset(),
}


def bid_may_become(current: str, target: str) -> bool:
    return target in BID_TRANSITIONS.get(current, frozenset())


def upload_may_become(current: str, target: str) -> bool:
    return target in UPLOAD_TRANSITIONS.get(current, frozenset())
