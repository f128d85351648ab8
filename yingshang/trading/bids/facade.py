"""The bids context's only door for other contexts (documented in docs/contexts/bids.md).

Before a tender's deadline nothing here names a bidder: ``submitted_count`` is a number, and
``bids_for_opening`` refuses to answer until the deadline has passed.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from yingshang.kernel import clock
from yingshang.kernel.errors import Conflict, NotFound
from yingshang.kernel.policy import Principal
from yingshang.kernel.text import Text
from yingshang.trading.bids import selectors, services, states
from yingshang.trading.bids.contracts import BidSummary
from yingshang.trading.bids.models import Bid, BidUpload
from yingshang.trading.projects import facade as projects

__all__ = [
    "BidSummary",
    "bid_of_upload",
    "bid_status",
    "bids_for_opening",
    "has_upload",
    "submit_envelope",
    "submitted_count",
    "withdraw_bid",
]


def submitted_count(tender_id: int) -> int:
    """How many organisations hold a submitted (not replaced, not withdrawn) bid (T7 counts them)."""
    return selectors.submitted_count(tender_id)


def _summary(bid: Bid) -> BidSummary:
    return BidSummary(
        id=bid.pk,
        tender_id=bid.tender_id,
        lot_id=bid.lot_id,
        organisation_id=bid.organisation_id,
        bidder_uscc=bid.bidder_uscc,
        status=bid.status,
        received_at=bid.received_at,
        size=bid.size,
        envelope_sha256=bid.envelope_sha256,
        ciphertext_sha256=bid.ciphertext_sha256,
        key_commitment=bid.key_commitment,
        certificate_fingerprint=bid.certificate_fingerprint,
        document_id=bid.document_id,
        header=dict(bid.header),
    )


def bids_for_opening(tender_id: int) -> list[BidSummary]:
    """The submitted bids of a tender, by arrival; ``Conflict`` before its deadline."""
    tender = projects.tender_summary(tender_id)
    if tender.bid_deadline is None or clock.now() < tender.bid_deadline:
        raise Conflict(
            Text(
                zh="投标截止时间未到，投标人名单保密。", en="Before the bid deadline the bidders stay secret."
            ),
            code="before_deadline",
        )
    bids = Bid.objects.filter(tender_id=tender_id, status=states.SUBMITTED).order_by("received_at", "id")
    return [_summary(bid) for bid in bids]


def has_upload(*, organisation_id: int, idempotency_key: str) -> bool:
    """Whether the organisation has started an upload under this idempotency key."""
    return BidUpload.objects.filter(organisation_id=organisation_id, idempotency_key=idempotency_key).exists()


def bid_of_upload(*, organisation_id: int, idempotency_key: str) -> int | None:
    upload = BidUpload.objects.filter(
        organisation_id=organisation_id, idempotency_key=idempotency_key
    ).first()
    return upload.bid_id if upload is not None else None


def bid_status(bid_id: int) -> str:
    """submitted | replaced | withdrawn (for the bidder's own tools; NotFound if none)."""
    bid = Bid.objects.filter(pk=bid_id).first()
    if bid is None:
        raise NotFound()
    return bid.status


def withdraw_bid(*, principal: Principal, bid_id: int, reason: str = "") -> None:
    """Withdraw (撤回) the principal's bid before the deadline (recorded; T16 refund follows)."""
    services.withdraw_bid(principal=principal, bid_id=bid_id, reason=reason)


def submit_envelope(
    *,
    principal: Principal,
    tender_id: int,
    lot_id: int,
    data: bytes,
    idempotency_key: str,
    last_chunk_at: Callable[[], AbstractContextManager[object]] | None = None,
) -> dict[str, Any]:
    """Upload a whole envelope through the same protocol as the API (chunk by chunk) and return
    the signed receipt ``{"receipt": ..., "signature": ...}``. For the demo loader and commands;
    refusals raise as the API's do."""
    import hashlib
    from contextlib import nullcontext

    state = services.start_upload(
        principal=principal,
        tender_id=tender_id,
        lot_id=lot_id,
        idempotency_key=idempotency_key,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    offset = state.upload.received
    while state.bid is None:
        chunk = data[offset : offset + state.upload.chunk_size]
        last = offset + len(chunk) >= len(data)
        with last_chunk_at() if (last and last_chunk_at is not None) else nullcontext():
            state = services.receive_chunk(
                principal=principal, upload_id=state.upload.public_id, offset=offset, data=chunk
            )
        offset = state.upload.received
    return {"receipt": state.bid.receipt, "signature": state.bid.receipt_signature}
