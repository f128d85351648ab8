"""A whole evaluation run through the services (used by the demo and by ``testing``).

Called through ``facade.ensure_demo_evaluations`` by ``yingshang.demo`` and by
``testing.finished_evaluation``; nothing here is used by the platform itself.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from yingshang.identity import facade as identity
from yingshang.kernel.policy import Principal
from yingshang.trading.evaluation import services, states
from yingshang.trading.evaluation.models import Bid, Evaluation, Member, Score

#: The demo's method: comprehensive scoring, average benchmark with the opening's coefficient.
DEMO_SPEC: dict[str, Any] = {
    "method": "comprehensive",
    "criteria": [
        {
            "code": "qualification",
            "zh": "资格条件符合招标文件要求",
            "en": "Meets the qualification requirements",
        },
    ],
    "items": [
        {
            "code": "technical",
            "zh": "施工组织设计",
            "en": "Construction plan",
            "max": "30",
            "kind": "subjective",
        },
        {
            "code": "management",
            "zh": "项目管理机构",
            "en": "Project management team",
            "max": "10",
            "kind": "subjective",
        },
        {"code": "price", "zh": "投标报价", "en": "Bid price", "max": "50", "kind": "price"},
        {"code": "credit", "zh": "信用评价", "en": "Credit rating", "max": "10", "kind": "credit"},
    ],
    "price": {"benchmark": "average", "deduct_above": "1", "deduct_below": "0.5"},
}


def _principal(user_id: int) -> Principal:
    return identity.principal_for_user(identity.get_user(user_id))


def _marks(
    method: Any, bids: list[Bid], i: int, *, abnormal: bool = False
) -> tuple[dict[tuple[int, str], Decimal], list[services.VerdictInput]]:
    """Member ``i``'s deterministic marks, close to the others' (``abnormal``: the first bid's
    first item far below the committee, for the warning on abnormal scores)."""
    scores: dict[tuple[int, str], Decimal] = {}
    for j, bid in enumerate(bids):
        for k, item in enumerate(method.scored_items):
            base = item.max_points * Decimal("0.8") - Decimal(j % 3) + Decimal(i % 2) / 2
            if abnormal and j == 0 and k == 0:
                base = item.max_points * Decimal("0.35")
            scores[(bid.bid_id, item.code)] = max(Decimal(0), base.quantize(Decimal("0.01")))
        for adjustment in method.adjustments:
            scores[(bid.bid_id, adjustment.code)] = Decimal(adjustment.min_fen)
    verdicts = [services.VerdictInput(bid.bid_id, c.code, True) for bid in bids for c in method.criteria]
    return scores, verdicts


def _score_partly(evaluation: Evaluation, members: list[Member], bids: list[Bid], method: Any) -> None:
    """Scoring under way: every member has entered marks, the second member's mark for the first
    bid's first item is abnormally low (not yet explained: the warning shows), and every member
    but the second and the last has submitted."""
    if Score.objects.filter(member__evaluation=evaluation).exists():
        return
    for i, member in enumerate(members):
        assert member.user_id is not None
        scores, verdicts = _marks(method, bids, i, abnormal=i == 1)
        services.save_scores(
            principal=_principal(member.user_id),
            evaluation_id=evaluation.pk,
            scores=scores,
            verdicts=verdicts,
        )
    for i, member in enumerate(members):
        if i not in (1, len(members) - 1):
            assert member.user_id is not None
            services.submit(principal=_principal(member.user_id), evaluation_id=evaluation.pk)


def run_evaluation(
    *,
    tender_id: int,
    lot_id: int,
    organiser_user_id: int,
    spec: Mapping[str, Any] | None = None,
    until: str = states.FINISHED,
    partly: bool = False,
) -> Evaluation:
    """Start (if needed) and carry the lot's evaluation up to ``until`` (``scoring``: started,
    every member declared; ``signing``: scores submitted, report finished; ``finished``: signed
    by all). Scores are deterministic and close together (no anomalies)."""
    evaluation = Evaluation.objects.filter(tender_id=tender_id, lot_id=lot_id).first()
    if evaluation is None:
        evaluation = services.start_evaluation(
            principal=_principal(organiser_user_id),
            tender_id=tender_id,
            lot_id=lot_id,
            spec=spec or DEMO_SPEC,
        )
    members = list(Member.objects.filter(evaluation=evaluation).order_by("position", "id"))
    bids = list(Bid.objects.filter(evaluation=evaluation).order_by("position", "id"))
    method = services.selectors.method_of(evaluation)
    for member in members:
        assert member.user_id is not None
        services.declare(principal=_principal(member.user_id), evaluation_id=evaluation.pk, confirm=True)
    if until == states.SCORING:
        if partly and evaluation.status == states.SCORING:
            _score_partly(evaluation, members, bids, method)
        return Evaluation.objects.get(pk=evaluation.pk)
    if evaluation.status == states.SCORING:
        for i, member in enumerate(members):
            assert member.user_id is not None
            principal = _principal(member.user_id)
            member.refresh_from_db()
            if member.submitted_at is not None:
                continue
            scores, verdicts = _marks(method, bids, i)
            services.save_scores(
                principal=principal, evaluation_id=evaluation.pk, scores=scores, verdicts=verdicts
            )
        for member in members:
            assert member.user_id is not None
            member.refresh_from_db()
            if member.submitted_at is None:
                services.submit(principal=_principal(member.user_id), evaluation_id=evaluation.pk)
        chair = next(m for m in members if m.chair)
        assert chair.user_id is not None
        services.finish_report(principal=_principal(chair.user_id), evaluation_id=evaluation.pk)
        evaluation.refresh_from_db()
    if until == states.SIGNING:
        return evaluation
    for member in members:
        member.refresh_from_db()
        if member.signed_at is None and evaluation.status == states.SIGNING:
            assert member.user_id is not None
            evaluation = services.sign_report(
                principal=_principal(member.user_id),
                evaluation_id=evaluation.pk,
                report_sha256=evaluation.report_sha256,
            )
    return Evaluation.objects.get(pk=evaluation.pk)


def ensure_demo_evaluations(
    *,
    lots: Mapping[tuple[int, int], str],
    organiser_user_id: int,
    spec: Mapping[str, Any] | None = None,
    partly: Collection[tuple[int, int]] = (),
) -> int:
    """Idempotent: carry each (tender id, lot id) to its stage (``scoring`` | ``signing`` |
    ``finished``). Each lot needs a finished opening and a complete committee (the experts
    demo's draw). Lots in ``partly`` (stage ``scoring``) get every member's marks, one of them
    abnormal and unexplained, and some members' submissions. Returns how many lots changed."""
    changed = 0
    for (tender_id, lot_id), stage in lots.items():
        before = (
            Evaluation.objects.filter(tender_id=tender_id, lot_id=lot_id)
            .values_list("version", "status")
            .first()
        )
        evaluation = run_evaluation(
            tender_id=tender_id,
            lot_id=lot_id,
            organiser_user_id=organiser_user_id,
            spec=spec,
            until=stage,
            partly=(tender_id, lot_id) in partly,
        )
        if before != (evaluation.version, evaluation.status):
            changed += 1
    return changed
