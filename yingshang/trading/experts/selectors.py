"""Reads of the expert pool and committees."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Max, QuerySet

from yingshang.kernel import clock
from yingshang.kernel.errors import NotFound, PermissionDenied
from yingshang.kernel.policy import Principal
from yingshang.kernel.text import Text
from yingshang.trading.experts import permissions, rules, states
from yingshang.trading.experts.models import Expert, Need, Seat


def expert_by_code(code: str) -> Expert | None:
    return Expert.objects.filter(code=code).first()


def expert_of_user(user_id: int | None) -> Expert | None:
    if user_id is None:
        return None
    return Expert.objects.filter(user_id=user_id).first()


def pool(*, status: str | None = None) -> QuerySet[Expert]:
    qs = Expert.objects.all().order_by("code")
    if status:
        qs = qs.filter(status=status)
    return qs


def need_of(tender_id: int, lot_id: int) -> Need | None:
    return Need.objects.filter(tender_id=tender_id, lot_id=lot_id).prefetch_related("rows").first()


def last_drawn_for_tenderer(tenderer_org_id: int, *, excluding_need_id: int | None) -> dict[int, datetime]:
    """expert id -> when they were last drawn (invited) for this tenderer, other needs only."""
    qs = Seat.objects.filter(need__tenderer_org_id=tenderer_org_id, expert__isnull=False)
    if excluding_need_id is not None:
        qs = qs.exclude(need_id=excluding_need_id)
    return {
        row["expert_id"]: row["last"]
        for row in qs.values("expert_id").annotate(last=Max("invited_at")).order_by()
    }


def candidates(
    *, tenderer_org_id: int, excluding_need_id: int | None, experts: Iterable[Expert] | None = None
) -> list[rules.Candidate]:
    """The whole pool as the pure rules see it."""
    recent = last_drawn_for_tenderer(tenderer_org_id, excluding_need_id=excluding_need_id)
    qs = (
        experts
        if experts is not None
        else Expert.objects.prefetch_related("unavailable", "relationships", "conflicts")
    )
    out = []
    for e in qs:
        out.append(
            rules.Candidate(
                code=e.code,
                approved=e.status == states.APPROVED,
                blacklisted=e.blacklisted,
                suspended_until=e.suspended_until,
                specialties=tuple(e.specialties),
                region=e.region,
                employer_uscc=e.employer_uscc,
                relationships=tuple((r.organisation_uscc, r.until) for r in e.relationships.all()),
                conflicts=tuple(c.organisation_uscc for c in e.conflicts.all()),
                unavailable=tuple((u.starts_at, u.ends_at) for u in e.unavailable.all()),
                last_drawn_for_tenderer=recent.get(e.pk),
            )
        )
    return out


def seats_of_user(user_id: int) -> QuerySet[Seat]:
    return (
        Seat.objects.filter(user_id=user_id).select_related("need", "row", "expert").order_by("-invited_at")
    )


def confirmed_seats_of_user(user_id: int) -> QuerySet[Seat]:
    return seats_of_user(user_id).filter(status=states.CONFIRMED).order_by("need__tender_id", "need__lot_id")


def _visible_name(principal: Principal, need: Need, seat: Seat) -> str | None:
    published = need.identities_published_at is not None
    if seat.expert is None or not permissions.may_see_names(
        principal, need.tender_id, published=published, own_user_id=seat.user_id
    ):
        return None
    return seat.expert.name


def committee_view(principal: Principal, tender_id: int, lot_id: int) -> dict[str, Any]:
    """The lot's need, draws and seats as ``principal`` may see them: codes and counts for the
    organisers; names only for the member themself, supervisors, auditors, or once published."""
    if not permissions.may_view_committee(principal, tender_id):
        raise PermissionDenied(
            Text(zh="您无权查看此评标委员会。", en="You may not see this committee."),
            code="permission_denied",
        )
    need = need_of(tender_id, lot_id)
    if need is None:
        raise NotFound(
            Text(zh="该标段尚未提出评标专家需求。", en="No expert need has been stated for this lot."),
            code="no_committee",
        )
    seats = list(Seat.objects.filter(need=need).select_related("expert", "row").order_by("order"))
    rows = []
    for row in need.rows.all():
        mine = [s for s in seats if s.row_id == row.pk]
        rows.append(
            {
                "row": row.position,
                "specialty": row.specialty,
                "count": row.count,
                "regions": list(row.regions),
                "remote": row.remote,
                "confirmed": sum(1 for s in mine if s.status == states.CONFIRMED),
                "invited": sum(1 for s in mine if s.status == states.INVITED),
                "declined": sum(1 for s in mine if s.status in (states.DECLINED, states.EXPIRED)),
                "shortage": row.shortage,
                "rounds": [
                    {
                        "number": r.number,
                        "draw_id": r.draw_id,
                        "k": r.k,
                        "eligible": r.eligible_count,
                        "excluded": r.excluded,
                        "status": r.status,
                    }
                    for r in row.rounds.all()
                ],
            }
        )
    confirmed = [s for s in seats if s.status == states.CONFIRMED]
    experts = sum(r.count for r in need.rows.all())
    return {
        "tender_id": tender_id,
        "lot_id": lot_id,
        "regime": need.regime,
        "method": need.method,
        "size": experts + need.representatives,
        "experts": experts,
        "representatives": need.representatives,
        "evaluation_at": need.evaluation_at,
        "published": need.identities_published_at is not None,
        "status": states.COMPLETE if len(confirmed) >= experts + need.representatives else states.DRAWING,
        "rows": rows,
        "members": [
            {
                "code": s.code,
                "kind": s.kind,
                "status": s.status,
                "specialty": s.row.specialty if s.row else "",
                "name": _visible_name(principal, need, s),
            }
            for s in seats
        ],
    }


def pool_view(principal: Principal, *, status: str | None = None) -> list[dict[str, Any]]:
    """The pool list: codes, specialties, status; names only for supervisors and auditors."""
    if not permissions.may_view_pool(principal):
        raise PermissionDenied(
            Text(zh="您无权查看专家库。", en="You may not see the pool."), code="permission_denied"
        )
    names = permissions.may_see_pool_names(principal)
    today = clock.today_in_shanghai()
    out = []
    for e in pool(status=status):
        out.append(
            {
                "code": e.code,
                "name": e.name if names else None,
                "region": e.region,
                "specialties": list(e.specialties),
                "titles": list(e.titles),
                "employer_uscc": e.employer_uscc,
                "employer_name": e.employer_name if names else None,
                "status": e.status,
                "suspended": e.suspended_until is not None and e.suspended_until >= today,
                "suspended_until": e.suspended_until,
                "blacklisted": e.blacklisted,
                "credit_score": e.credit_score,
                "source": e.source,
                "linked": e.user_id is not None,
            }
        )
    return out


def invitations_view(principal: Principal) -> list[dict[str, Any]]:
    """The signed-in expert's seats (their own: names are theirs anyway)."""
    if principal.user_id is None:
        return []
    out = []
    for s in seats_of_user(principal.user_id).filter(kind=states.EXPERT):
        out.append(
            {
                "seat_id": s.pk,
                "code": s.code,
                "tender_id": s.need.tender_id,
                "lot_id": s.need.lot_id,
                "specialty": s.row.specialty if s.row else "",
                "remote": bool(s.row and s.row.remote),
                "evaluation_at": s.need.evaluation_at,
                "status": s.status,
                "invited_at": s.invited_at,
                "respond_by": s.respond_by,
            }
        )
    return out
