"""The bids API at /api/v1/trading/bids: resumable uploads of sealed bids, receipts, withdrawal.

Authentication: an API token (scopes ``bids:read`` / ``bids:write``; the bidder tool's token
from certificate sign-in) or the browser session, acting for an organisation in the bidder
role. A bidder sees its own bids only; nobody else learns that a bid exists before the opening.
Errors are problem documents with a stable ``code`` (docs/contexts/bids.md lists them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from yingshang.identity import facade as identity
from yingshang.identity.facade import API_AUTH, principal_for
from yingshang.kernel.errors import InvalidInput
from yingshang.kernel.text import Text
from yingshang.trading.bids import receipts, selectors, services
from yingshang.trading.bids.models import Bid, BidUpload

router = Router(auth=API_AUTH, tags=["trading: bids"])


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class UploadIn(StrictSchema):
    tender_id: int = Field(ge=1)
    lot_id: int = Field(ge=1)
    idempotency_key: str = Field(
        min_length=8,
        max_length=100,
        description="Chosen by the client; the same key again returns the same upload or receipt.",
    )
    size: int = Field(gt=0, description="Bytes of the whole envelope file.")
    sha256: str = Field(min_length=64, max_length=64, description="SHA-256 (hex) of the whole envelope file.")


class BidReceiptOut(Schema):
    receipt: dict[str, Any] = Field(description="The signed payload (type yingshang-bid-receipt/1).")
    signature: dict[str, str] = Field(
        description='Ed25519 over b"yingshang-bid-receipt/1\\n" + RFC 8785 JSON of receipt.'
    )


class UploadOut(Schema):
    upload_id: UUID
    tender_id: int
    lot_id: int
    size: int
    received: int = Field(description="Bytes acknowledged: resume from here.")
    chunk_size: int
    status: str = Field(description="receiving | verifying | complete | refused")
    refusal_code: str = ""
    refusal: str = ""
    receipt: BidReceiptOut | None = None


class BidOut(Schema):
    bid_id: int
    tender_id: int
    lot_id: int
    status: str
    size: int
    envelope_sha256: str
    received_at: datetime
    withdrawn_at: datetime | None
    replaces: int | None


class WithdrawIn(StrictSchema):
    reason: str = Field("", max_length=2000)


class LimitIn(StrictSchema):
    max_bytes: int = Field(ge=1024 * 1024, le=64 * 1024**3, description="The largest sealed bid, bytes.")


class LimitOut(Schema):
    tender_id: int
    max_bytes: int
    chunk_size: int


class ReceiptKeyOut(Schema):
    algorithm: str
    key_id: str
    public_key: str = Field(description="The raw Ed25519 public key, base64.")
    pem: str


def _receipt(bid: Bid | None) -> BidReceiptOut | None:
    if bid is None or not bid.receipt:
        return None
    return BidReceiptOut(receipt=bid.receipt, signature=bid.receipt_signature)


def upload_out(state: services.UploadState) -> UploadOut:
    upload: BidUpload = state.upload
    refusal = Text(zh=upload.refusal_zh, en=upload.refusal_en) if upload.refusal_code else None
    return UploadOut(
        upload_id=upload.public_id,
        tender_id=upload.tender_id,
        lot_id=upload.lot_id,
        size=upload.size,
        received=upload.received,
        chunk_size=upload.chunk_size,
        status=upload.status,
        refusal_code=upload.refusal_code,
        refusal=str(refusal) if refusal else "",
        receipt=_receipt(state.bid),
    )


def _bid_out(bid: Bid) -> BidOut:
    return BidOut(
        bid_id=bid.pk,
        tender_id=bid.tender_id,
        lot_id=bid.lot_id,
        status=bid.status,
        size=bid.size,
        envelope_sha256=bid.envelope_sha256,
        received_at=bid.received_at,
        withdrawn_at=bid.withdrawn_at,
        replaces=bid.replaces_id,
    )


def _certificate_of(request: HttpRequest) -> str:
    return identity.certificate_of(request) or ""


@router.post(
    "/uploads",
    response={200: UploadOut, 201: UploadOut},
    summary="Start (or find again) the upload of a sealed bid",
)
def start_upload(request: HttpRequest, payload: UploadIn) -> Any:
    state = services.start_upload(
        principal=principal_for(request),
        tender_id=payload.tender_id,
        lot_id=payload.lot_id,
        idempotency_key=payload.idempotency_key,
        size=payload.size,
        sha256=payload.sha256,
        token_certificate=_certificate_of(request),
    )
    created = state.upload.received == 0 and state.upload.status == "receiving"
    return Status(201 if created else 200, upload_out(state))


@router.get("/uploads/{upload_id}", response=UploadOut, summary="Where an upload stands (resume point)")
def get_upload(request: HttpRequest, upload_id: UUID) -> Any:
    return upload_out(services.upload_state(principal=principal_for(request), upload_id=upload_id))


@router.put(
    "/uploads/{upload_id}/chunks/{offset}",
    response={200: UploadOut, 201: UploadOut},
    summary="Send one chunk (raw bytes, application/octet-stream) at the acknowledged offset",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def put_chunk(request: HttpRequest, upload_id: UUID, offset: int) -> Any:
    if offset < 0:
        raise InvalidInput(
            Text(zh="偏移量不能为负。", en="The offset cannot be negative."), code="bad_offset"
        )
    state = services.receive_chunk(
        principal=principal_for(request), upload_id=upload_id, offset=offset, data=request.body
    )
    return Status(201 if state.bid is not None else 200, upload_out(state))


@router.get("/receipts", response=list[BidReceiptOut], summary="The organisation's bid receipts")
def list_receipts(request: HttpRequest) -> Any:
    return [_receipt(bid) for bid in selectors.own_bids(principal_for(request))[:500]]


@router.get("/public-key", response=ReceiptKeyOut, auth=None, summary="The key that signs bid receipts")
def public_key(request: HttpRequest) -> Any:
    return receipts.public_key()


@router.get("/status", response=list[BidOut], summary="The organisation's bids on a tender")
def status(request: HttpRequest, tender_id: int) -> Any:
    return [_bid_out(bid) for bid in selectors.own_bids(principal_for(request), tender_id=tender_id)]


@router.get("/{bid_id}/receipt", response=BidReceiptOut, summary="One bid's receipt (own bids only)")
def get_receipt(request: HttpRequest, bid_id: int) -> Any:
    return _receipt(selectors.own_bid(principal_for(request), bid_id))


@router.post("/{bid_id}/withdraw", response=BidOut, summary="Withdraw a bid before the deadline")
def withdraw(request: HttpRequest, bid_id: int, payload: WithdrawIn) -> Any:
    bid = services.withdraw_bid(principal=principal_for(request), bid_id=bid_id, reason=payload.reason)
    return _bid_out(bid)


@router.get(
    "/tenders/{tender_id}/limit",
    response=LimitOut,
    auth=None,
    summary="The tender's size limit for sealed bids, and the chunk size",
)
def get_limit(request: HttpRequest, tender_id: int) -> Any:
    services.require_visible_tender(principal_for(request), tender_id)
    return LimitOut(
        tender_id=tender_id, max_bytes=services.max_bytes(tender_id), chunk_size=services.chunk_size()
    )


@router.put(
    "/tenders/{tender_id}/limit", response=LimitOut, summary="Set the tender's size limit (its managers)"
)
def put_limit(request: HttpRequest, tender_id: int, payload: LimitIn) -> Any:
    limit = services.set_bid_limit(
        principal=principal_for(request), tender_id=tender_id, max_bytes=payload.max_bytes
    )
    return LimitOut(tender_id=tender_id, max_bytes=limit.max_bytes, chunk_size=services.chunk_size())
