"""Reads of the evaluation: listings, the members' marks as the pure modules want them, the
anomalies of the moment and the progress (by member code only)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from yingshang.kernel.errors import NotFound
from yingshang.kernel.policy import Principal
from yingshang.trading.evaluation import anomalies, methods
from yingshang.trading.evaluation.messages import NO_EVALUATION
from yingshang.trading.evaluation.models import Bid, Evaluation, Explanation, Member, Score, Verdict
from yingshang.trading.evaluation.permissions import may_follow, member_of


def anomaly_percent() -> Decimal:
    value = settings.YINGSHANG.get("EVALUATION_ANOMALY_PERCENT") or getattr(
        settings, "EVALUATION_ANOMALY_PERCENT", anomalies.DEFAULT_PERCENT
    )
    return Decimal(str(value))


def boq_deviation_percent() -> Decimal:
    return Decimal(str(settings.YINGSHANG.get("EVALUATION_BOQ_DEVIATION_PERCENT", 20)))


def get(evaluation_id: int) -> Evaluation:
    found = Evaluation.objects.filter(pk=evaluation_id).first()
    if found is None:
        raise NotFound(NO_EVALUATION, code="no_evaluation")
    return found


def visible_to(principal: Principal, evaluation_id: int) -> Evaluation:
    """The evaluation if the principal is a member or may follow it; else ``NotFound``."""
    evaluation = get(evaluation_id)
    if member_of(principal, evaluation) is None and not may_follow(principal, evaluation):
        raise NotFound(NO_EVALUATION, code="no_evaluation")
    return evaluation


def mine(principal: Principal) -> list[Evaluation]:
    """A member's own evaluations, and the ones the principal organises or supervises."""
    if principal.user_id is None:
        return []
    seated = Evaluation.objects.filter(members__user_id=principal.user_id)
    others: QuerySet[Evaluation] = Evaluation.objects.exclude(members__user_id=principal.user_id)
    out = list(seated.order_by("-started_at"))
    if principal.roles & {"agency", "tenderer", "centre_staff", "supervisor", "auditor"}:
        out += [e for e in others.order_by("-started_at")[:200] if may_follow(principal, e)]
    return out


def method_of(evaluation: Evaluation) -> methods.Method:
    return methods.parse(evaluation.spec)


def members(evaluation: Evaluation) -> list[Member]:
    return list(Member.objects.filter(evaluation=evaluation).order_by("position", "id"))


def bids(evaluation: Evaluation) -> list[Bid]:
    return list(Bid.objects.filter(evaluation=evaluation).order_by("position", "id"))


def marks(evaluation: Evaluation, *, submitted_only: bool = False) -> list[methods.Mark]:
    scores = Score.objects.filter(member__evaluation=evaluation).select_related("member")
    if submitted_only:
        scores = scores.filter(member__submitted_at__isnull=False)
    return [methods.Mark(s.member.code, s.bid_id, s.item, s.value) for s in scores]


def verdicts(evaluation: Evaluation) -> list[methods.Verdict]:
    rows = Verdict.objects.filter(member__evaluation=evaluation).select_related("member")
    return [methods.Verdict(v.member.code, v.bid_id, v.criterion, v.passed, v.reason) for v in rows]


def required_entries(evaluation: Evaluation) -> int:
    method = method_of(evaluation)
    per_bid = len(method.scored_items) + len(method.adjustments) + len(method.criteria)
    return per_bid * Bid.objects.filter(evaluation=evaluation).count()


def missing_of(member: Member) -> int:
    evaluation = member.evaluation
    method = method_of(evaluation)
    wanted_items = {i.code for i in method.scored_items} | {a.code for a in method.adjustments}
    bid_ids = set(Bid.objects.filter(evaluation=evaluation).values_list("bid_id", flat=True))
    have = set(
        Score.objects.filter(member=member, item__in=wanted_items, bid_id__in=bid_ids).values_list(
            "bid_id", "item"
        )
    )
    have_verdicts = set(
        Verdict.objects.filter(member=member, bid_id__in=bid_ids).values_list("bid_id", "criterion")
    )
    criteria = {c.code for c in method.criteria}
    return (
        len(bid_ids) * len(wanted_items)
        - len(have)
        + len(bid_ids) * len(criteria)
        - len({(b, c) for b, c in have_verdicts if c in criteria})
    )


def current_anomalies(evaluation: Evaluation) -> tuple[anomalies.Anomaly, ...]:
    """The anomalies among the members' hand-entered scores (subjective items only: adjustments
    in fen and computed items are not compared), once every member's scores are complete."""
    method = method_of(evaluation)
    items = [i.code for i in method.scored_items]
    if not items:
        return ()
    if any(missing_of(m) for m in members(evaluation)):
        return ()
    table = {(m.member, m.bid_id, m.item): m.value for m in marks(evaluation) if m.item in items}
    return anomalies.find(table, percent=anomaly_percent(), items=items)


def explanations(evaluation: Evaluation) -> dict[tuple[str, int, str], Explanation]:
    rows = Explanation.objects.filter(member__evaluation=evaluation).select_related("member")
    return {(e.member.code, e.bid_id, e.item): e for e in rows}


def unexplained(evaluation: Evaluation, code: str | None = None) -> list[anomalies.Anomaly]:
    given = explanations(evaluation)
    return [
        a
        for a in current_anomalies(evaluation)
        if (code is None or a.member == code) and (a.member, a.bid_id, a.item) not in given
    ]


def evaluations_for_tender(tender_id: int) -> QuerySet[Evaluation]:
    return Evaluation.objects.filter(Q(tender_id=tender_id))


def _member_row(m: Member) -> dict[str, Any]:
    return {
        "code": m.code,
        "chair": m.chair,
        "declared": m.declared_at is not None,
        "submitted": m.submitted_at is not None,
        "signed": m.signed_at is not None,
    }


def room_view(principal: Principal, evaluation: Evaluation) -> dict[str, Any]:
    """The evaluation as ``principal`` may see it (the API's and the pages' one source). Member
    identities never appear: codes only. A member sees the bids only after the declaration."""
    from yingshang.trading.evaluation.models import Clarification, Finding
    from yingshang.trading.evaluation.permissions import role_of

    role = role_of(principal, evaluation)
    me = member_of(principal, evaluation)
    method = method_of(evaluation)
    out: dict[str, Any] = {
        "evaluation_id": evaluation.pk,
        "tender_id": evaluation.tender_id,
        "lot_id": evaluation.lot_id,
        "regime": evaluation.regime,
        "status": evaluation.status,
        "method": evaluation.spec,
        "role": role,
        "started_at": evaluation.started_at,
        "anomaly_percent": str(anomaly_percent()),
        "members": [_member_row(m) for m in members(evaluation)],
    }
    if me is not None:
        out["you"] = {
            **_member_row(me),
            "opened_at": me.opened_at,
            "submitted_at": me.submitted_at,
            "missing": missing_of(me) if me.declared_at else None,
        }
        if me.declared_at is None:
            from yingshang.trading.evaluation.messages import DECLARATION

            out["declaration"] = DECLARATION.as_dict()
    sees_bids = (me is not None and me.declared_at is not None) or (me is None and role is not None)
    if sees_bids:
        findings: dict[int, list[dict[str, str]]] = {}
        for f in Finding.objects.filter(evaluation=evaluation):
            findings.setdefault(f.bid_id, []).append(
                {"kind": f.kind, "item": f.item, "zh": f.detail_zh, "en": f.detail_en}
            )
        own_scores: dict[tuple[int, str], str] = {}
        own_verdicts: dict[tuple[int, str], dict[str, Any]] = {}
        if me is not None:
            own_scores = {(s.bid_id, s.item): str(s.value) for s in Score.objects.filter(member=me)}
            own_verdicts = {
                (v.bid_id, v.criterion): {"passed": v.passed, "reason": v.reason}
                for v in Verdict.objects.filter(member=me)
            }
        rows = []
        for b in bids(evaluation):
            row: dict[str, Any] = {
                "bid_id": b.bid_id,
                "bidder_name": b.bidder_name,
                "bidder_uscc": b.bidder_uscc,
                "price_fen": b.price_fen,
                "duration_days": b.duration_days,
                "quality": b.quality,
                "credit_score": None if b.credit_score is None else str(b.credit_score),
                "boq_status": b.boq_status,
                "findings": findings.get(b.bid_id, []),
            }
            if me is not None:
                row["package"] = b.package_document_id is not None
                row["scores"] = {
                    item: own_scores.get((b.bid_id, item))
                    for item in [i.code for i in method.scored_items] + [a.code for a in method.adjustments]
                }
                row["verdicts"] = {c.code: own_verdicts.get((b.bid_id, c.code)) for c in method.criteria}
            rows.append(row)
        out["bids"] = rows
        out["clarifications"] = [
            {
                "clarification_id": c.pk,
                "bid_id": c.bid_id,
                "asked_by": c.asked_by,
                "question": c.question,
                "asked_at": c.asked_at,
                "reply": c.reply,
                "reply_sha256": c.reply_sha256,
                "replied_at": c.replied_at,
            }
            for c in Clarification.objects.filter(evaluation=evaluation)
        ]
    if me is not None and me.declared_at is not None:
        given = explanations(evaluation)
        out["anomalies"] = [
            {
                "bid_id": a.bid_id,
                "item": a.item,
                "value": str(a.value),
                "mean": str(a.mean),
                "deviation_percent": str(a.deviation_percent),
                "explanation": given[(a.member, a.bid_id, a.item)].text
                if (a.member, a.bid_id, a.item) in given
                else None,
            }
            for a in current_anomalies(evaluation)
            if a.member == me.code
        ]
    if evaluation.status != "scoring" and role is not None:
        out["report"] = evaluation.report
        out["report_sha256"] = evaluation.report_sha256
        out["report_finished_at"] = evaluation.report_finished_at
        out["finished_at"] = evaluation.finished_at
    return out


def package_document(principal: Principal, evaluation_id: int, bid_id: int) -> int:
    """The decrypted package's document id for a declared member (``PermissionDenied`` before
    the declaration, ``NotFound`` for anyone else or a bid without a package)."""
    from yingshang.kernel.errors import PermissionDenied
    from yingshang.trading.evaluation.messages import NO_PACKAGE, NOT_DECLARED

    evaluation = visible_to(principal, evaluation_id)
    me = member_of(principal, evaluation)
    if me is None:
        raise NotFound(NO_EVALUATION, code="no_evaluation")
    if me.declared_at is None:
        raise PermissionDenied(NOT_DECLARED, code="not_declared")
    bid = Bid.objects.filter(evaluation=evaluation, bid_id=bid_id).first()
    if bid is None or bid.package_document_id is None:
        raise NotFound(NO_PACKAGE, code="no_package")
    return int(bid.package_document_id)
