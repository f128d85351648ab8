"""Reads of the bids context: a bidder's own bids and uploads, nothing else."""

from __future__ import annotations

from django.db.models import QuerySet

from yingshang.kernel.errors import NotFound
from yingshang.kernel.policy import Principal
from yingshang.trading.bids import states
from yingshang.trading.bids.models import Bid
from yingshang.trading.bids.permissions import policy


def own_bids(principal: Principal, *, tender_id: int | None = None) -> QuerySet[Bid]:
    if not policy.allows(principal, "view") or principal.organisation_id is None:
        return Bid.objects.none()
    bids = Bid.objects.filter(organisation_id=principal.organisation_id)
    if tender_id is not None:
        bids = bids.filter(tender_id=tender_id)
    return bids.order_by("-received_at", "-id")


def own_bid(principal: Principal, bid_id: int) -> Bid:
    bid = own_bids(principal).filter(pk=bid_id).first()
    if bid is None:
        raise NotFound()
    return bid


def submitted_count(tender_id: int) -> int:
    """How many organisations hold a submitted bid on the tender (any lot)."""
    return (
        Bid.objects.filter(tender_id=tender_id, status=states.SUBMITTED)
        .values("organisation_id")
        .distinct()
        .count()
    )
