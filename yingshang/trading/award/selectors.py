"""Reading the award as a principal may see it.

- guests and everyone: nothing before the publicity (tendering) or the result (procurement);
  then the candidates in rank order with prices and scores, the period, how many objections were
  raised and how many wait; after the result, the winner, the experts by name, their scores with
  codes instead of names, and the contract's date and price;
- the lot's bidders: their own objections with the answers;
- managers (tenderer, agency, centre staff) and supervisors: everything, with the clocks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet

from yingshang.kernel.errors import NotFound
from yingshang.kernel.policy import Principal
from yingshang.trading.award import messages, rules, states
from yingshang.trading.award.models import Award, Clock, Contract, Objection, SupervisorReport
from yingshang.trading.award.permissions import is_bidder, policy, role_of


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def award(award_id: int) -> Award:
    found = Award.objects.filter(pk=award_id).first()
    if found is None:
        raise NotFound(messages.NO_AWARD, code="no_award")
    return found


def award_of(tender_id: int, lot_id: int) -> Award:
    found = Award.objects.filter(tender_id=tender_id, lot_id=lot_id).first()
    if found is None:
        raise NotFound(messages.NO_AWARD, code="no_award")
    return found


def is_public(a: Award) -> bool:
    if rules.has_publicity(a.regime):
        return a.status in states.PUBLIC
    return a.status in states.RESULT_FIXED or a.status == states.RETENDER


def public_awards(limit: int = 200) -> QuerySet[Award]:
    """Awards in publicity or with a result, latest first."""
    return Award.objects.exclude(status=states.RECEIVED).order_by("-received_at", "-id")[:limit]


def may_see(principal: Principal, a: Award) -> bool:
    return is_public(a) or policy.allows(principal, "view_internal", a)


def clock_json(c: Clock) -> dict[str, Any]:
    return {
        "rule": c.rule_id,
        "objection_id": c.objection_id,
        "due_on": c.due_on.isoformat(),
        "due_at": _iso(c.due_at),
        "status": c.status,
        "met_at": _iso(c.met_at),
        "violation": c.violation,
    }


def objection_json(o: Objection, *, full: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": o.pk,
        "status": o.status,
        "raised_at": _iso(o.raised_at),
        "reply_due_on": o.reply_due_on.isoformat(),
        "answered_at": _iso(o.answered_at),
    }
    if full:
        out.update({"organisation_id": o.organisation_id, "text": o.text, "answer": o.answer})
    return out


def view(principal: Principal, a: Award) -> dict[str, Any]:
    """The award as ``principal`` may see it; ``NotFound`` when nothing of it is visible yet."""
    internal = policy.allows(principal, "view_internal", a)
    if not (is_public(a) or internal):
        raise NotFound(messages.NO_AWARD, code="no_award")
    role = role_of(principal, a) or "guest"
    result_fixed = a.status in states.RESULT_FIXED
    candidates = []
    for c in a.candidates.all():
        item: dict[str, Any] = {
            "rank": c.rank,
            "bid_id": c.bid_id,
            "organisation_id": c.organisation_id,
            "bidder": c.bidder_name,
            "uscc": c.bidder_uscc,
            "price_fen": c.price_fen,
            "score": str(c.score) if c.score is not None else None,
            "evaluated_price_fen": c.evaluated_price_fen,
            "passed_over": c.excused,
            "winner": result_fixed and c.rank == a.winner_rank,
        }
        if internal and c.excused:
            item.update(
                {
                    "passed_over_reason": c.excuse_reason,
                    "passed_over_note": c.excuse_note,
                    "evidence_document_id": c.excuse_document_id,
                }
            )
        candidates.append(item)
    objections = list(a.objections.all())
    own_org = principal.organisation_id
    bidder = is_bidder(principal, a) if not internal and not principal.is_guest else False
    out: dict[str, Any] = {
        "id": a.pk,
        "tender_id": a.tender_id,
        "lot_id": a.lot_id,
        "title": a.title,
        "ocid": a.ocid,
        "regime": a.regime,
        "method": a.method,
        "state_controlled": a.state_controlled,
        "status": a.status,
        "version": a.version,
        "role": role,
        "received_at": _iso(a.received_at),
        "publicity": {
            "starts_at": _iso(a.publicity_starts_at),
            "ends_on": a.publicity_ends_on.isoformat() if a.publicity_ends_on else None,
            "ends_at": _iso(a.publicity_ends_at),
            "objections": len(objections),
            "pending_objections": sum(1 for o in objections if o.answered_at is None),
            "suspended": a.status == states.SUSPENDED,
        },
        "candidates": candidates,
        "objections": [
            objection_json(o, full=internal or (bidder and o.organisation_id == own_org))
            for o in objections
            if internal or (bidder and o.organisation_id == own_org)
        ],
        "result": None,
        "contract": None,
        "report": None,
        "clocks": [],
    }
    if result_fixed:
        out["result"] = {
            "winner_rank": a.winner_rank,
            "awarded_at": _iso(a.awarded_at),
            "announced_at": _iso(a.announced_at),
            "reason": a.award_reason,
            "experts": a.experts,
            "experts_listed": a.experts_listed,
            "scores": a.published_scores,
        }
    if a.status == states.RETENDER:
        out["retender"] = {"at": _iso(a.retender_at), "reason": a.retender_reason}
    contract = Contract.objects.filter(award=a).first()
    if contract is not None:
        out["contract"] = {
            "signed_on": contract.signed_on.isoformat(),
            "price_fen": contract.price_fen,
            "document_id": contract.document_id,
            "registered_at": _iso(contract.registered_at),
            "late": contract.violation if internal else None,
        }
    if internal:
        report = SupervisorReport.objects.filter(award=a).first()
        if report is not None:
            out["report"] = {
                "text": report.text,
                "document_id": report.document_id,
                "reported_at": _iso(report.reported_at),
                "late": report.violation,
            }
        out["clocks"] = [clock_json(c) for c in a.clocks.all()]
    return out
