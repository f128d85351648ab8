"""The opening context's only door for other contexts (docs/contexts/opening.md)."""

from __future__ import annotations

from yingshang.kernel.errors import Conflict, NotFound
from yingshang.kernel.text import Text
from yingshang.trading.opening import states
from yingshang.trading.opening.contracts import OpenedBid, OpeningResult
from yingshang.trading.opening.demo import ensure_demo_opening
from yingshang.trading.opening.models import OpeningSession

__all__ = ["OpenedBid", "OpeningResult", "ensure_demo_opening", "opening_result", "session_status"]


def session_status(tender_id: int, lot_id: int) -> str | None:
    """The lot's opening status (states.py), or None when no session exists yet."""
    return (
        OpeningSession.objects.filter(tender_id=tender_id, lot_id=lot_id)
        .values_list("status", flat=True)
        .first()
    )


def opening_result(tender_id: int, lot_id: int) -> OpeningResult:
    """The opened bids of a lot for evaluation: every row with its decryption outcome, its
    figures, the decrypted package's document id and the hashed feature codes. ``NotFound``
    without a session; ``Conflict("not_opened")`` before the decryption window has closed."""
    session = OpeningSession.objects.filter(tender_id=tender_id, lot_id=lot_id).first()
    if session is None:
        raise NotFound(code="no_session")
    if session.status not in states.SHEET_VISIBLE:
        raise Conflict(
            Text(zh="开标尚未完成解密。", en="The opening has not finished decrypting."), code="not_opened"
        )
    rows = tuple(
        OpenedBid(
            bid_id=row.bid_id,
            organisation_id=row.organisation_id,
            bidder_uscc=row.bidder_uscc,
            bidder_name=row.bidder_name,
            decryption=row.decryption,
            classification=row.classification,
            cause=row.cause,
            reason=row.reason,
            price_fen=row.price_fen,
            price_uppercase=row.price_uppercase,
            duration_days=row.duration_days,
            quality=row.quality,
            project_manager=row.project_manager,
            deposit_status=row.deposit_status,
            package_document_id=row.package_document_id,
            package_sha256=row.package_sha256,
            feature_codes=dict(row.manifest.get("feature_codes") or {}),
            confirmation=row.confirmation,
        )
        for row in session.rows.order_by("received_at", "id")
    )
    return OpeningResult(
        session_id=session.pk,
        tender_id=session.tender_id,
        lot_id=session.lot_id,
        status=session.status,
        bids_received=session.bids_received,
        control_price_fen=session.control_price_fen,
        finished_at=session.finished_at,
        record_sha256=session.record_sha256,
        bids=rows,
        coefficient=session.coefficient,
    )
