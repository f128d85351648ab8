"""The award context's only door for other contexts (docs/contexts/award.md)."""

from __future__ import annotations

from yingshang.kernel.errors import NotFound
from yingshang.trading.award import messages
from yingshang.trading.award.contracts import AwardStatus, ClockStatus
from yingshang.trading.award.demo import ensure_demo_awards
from yingshang.trading.award.models import Award, Contract, SupervisorReport

__all__ = ["AwardStatus", "ClockStatus", "award_status", "ensure_demo_awards"]


def award_status(tender_id: int, lot_id: int) -> AwardStatus:
    """Where the lot's award stands, with its statutory clocks. ``NotFound("no_award")`` before
    the evaluation report was received. No permission check: callers decide what to show."""
    award = Award.objects.filter(tender_id=tender_id, lot_id=lot_id).first()
    if award is None:
        raise NotFound(messages.NO_AWARD, code="no_award")
    winner = award.candidates.filter(rank=award.winner_rank).first() if award.winner_rank else None
    contract = Contract.objects.filter(award=award).first()
    report = SupervisorReport.objects.filter(award=award).first()
    return AwardStatus(
        award_id=award.pk,
        tender_id=award.tender_id,
        lot_id=award.lot_id,
        regime=award.regime,
        status=award.status,
        received_at=award.received_at,
        publicity_starts_at=award.publicity_starts_at,
        publicity_ends_at=award.publicity_ends_at,
        pending_objections=award.objections.filter(answered_at__isnull=True).count(),
        winner_rank=award.winner_rank,
        winner_organisation_id=winner.organisation_id if winner is not None else None,
        winner_price_fen=winner.price_fen if winner is not None else None,
        awarded_at=award.awarded_at,
        contract_signed_on=contract.signed_on if contract is not None else None,
        contract_price_fen=contract.price_fen if contract is not None else None,
        reported_at=report.reported_at if report is not None else None,
        clocks=tuple(
            ClockStatus(rule_id=c.rule_id, due_on=c.due_on, due_at=c.due_at, status=c.status, met_at=c.met_at)
            for c in award.clocks.all()
        ),
    )
