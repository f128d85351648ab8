"""The evaluation context's only door for other contexts (docs/contexts/evaluation.md)."""

from __future__ import annotations

from decimal import Decimal

from yingshang.kernel.errors import Conflict, NotFound
from yingshang.trading.evaluation import selectors, states
from yingshang.trading.evaluation.contracts import Candidate, EvaluationReport, ItemLabel, MemberScore
from yingshang.trading.evaluation.demo import ensure_demo_evaluations
from yingshang.trading.evaluation.messages import NO_EVALUATION, REPORT_NOT_FINISHED
from yingshang.trading.evaluation.models import Evaluation, Member

__all__ = [
    "Candidate",
    "EvaluationReport",
    "MemberScore",
    "ensure_demo_evaluations",
    "evaluation_report",
    "evaluation_status",
]


def evaluation_status(tender_id: int, lot_id: int) -> str | None:
    """``scoring`` | ``signing`` | ``finished``, or None before the evaluation started."""
    return (
        Evaluation.objects.filter(tender_id=tender_id, lot_id=lot_id).values_list("status", flat=True).first()
    )


def evaluation_report(tender_id: int, lot_id: int) -> EvaluationReport:
    """The finished report of the lot's evaluation: ``NotFound(code="no_evaluation")`` without
    one, ``Conflict(code="report_not_finished")`` until every member signed it."""
    evaluation = Evaluation.objects.filter(tender_id=tender_id, lot_id=lot_id).first()
    if evaluation is None:
        raise NotFound(NO_EVALUATION, code="no_evaluation")
    if evaluation.status != states.FINISHED or evaluation.finished_at is None:
        raise Conflict(REPORT_NOT_FINISHED, code="report_not_finished")
    report = evaluation.report
    return EvaluationReport(
        evaluation_id=evaluation.pk,
        tender_id=evaluation.tender_id,
        lot_id=evaluation.lot_id,
        regime=evaluation.regime,
        method=evaluation.method,
        finished_at=evaluation.finished_at,
        report_sha256=evaluation.report_sha256,
        candidates=tuple(
            Candidate(
                rank=c["rank"],
                bid_id=c["bid_id"],
                organisation_id=c["organisation_id"],
                bidder_uscc=c["bidder_uscc"],
                bidder_name=c["bidder_name"],
                price_fen=c["price_fen"],
                score=None if c["score"] is None else Decimal(c["score"]),
                evaluated_price_fen=c["evaluated_price_fen"],
            )
            for c in report.get("candidates", [])
        ),
        members=tuple(
            Member.objects.filter(evaluation=evaluation, signed_at__isnull=False)
            .order_by("position", "id")
            .values_list("code", flat=True)
        ),
        scores=tuple(
            MemberScore(
                member_code=s["member"], bid_id=s["bid_id"], item=s["item"], value=Decimal(s["value"])
            )
            for s in report.get("member_scores", [])
        ),
        items=_item_labels(evaluation),
    )


def _item_labels(evaluation: Evaluation) -> tuple[ItemLabel, ...]:
    method = selectors.method_of(evaluation)
    labels = [ItemLabel(i.code, i.zh, i.en) for i in method.items]
    labels += [ItemLabel(a.code, a.zh, a.en) for a in method.adjustments]
    labels.append(ItemLabel("total", "总分", "total"))
    return tuple(labels)
