"""The experts API at /api/v1/trading/experts.

Pool (centre staff review; experts apply for themselves), needs and draws (tenderer, agency or
centre staff), a supervisor's contribution to the seed, the expert's invitations and answers.
Committees are shown with codes and counts; names only where ``permissions.may_see_names``
allows. Errors are problem documents (codes in docs/contexts/experts.md).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from yingshang.identity import facade as identity
from yingshang.identity.facade import API_AUTH
from yingshang.kernel.policy import Principal, require_token_scope
from yingshang.trading.experts import selectors, services

router = Router(auth=API_AUTH, tags=["trading: experts"])


def principal_for(request: HttpRequest) -> Principal:
    """The caller. With an API token the token must carry ``experts:read`` (reads) or
    ``experts:write`` (writes)."""
    principal = identity.principal_for(request)
    read = request.method in ("GET", "HEAD")
    require_token_scope(principal, f"experts:{'read' if read else 'write'}")
    return principal


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class ExpertIn(StrictSchema):
    name: str = Field(min_length=1, max_length=100)
    region: str = Field(min_length=6, max_length=6, description="6-digit administrative division code")
    specialties: list[str] = Field(min_length=1, max_length=10, description="specialty codes, e.g. A0101")
    employer_uscc: str = Field("", max_length=18)
    employer_name: str = Field("", max_length=200)
    titles: list[str] = Field(default_factory=list, max_length=10)
    phone: str = Field("", max_length=32)
    user_id: int | None = Field(None, description="centre staff only: the account to link")


class ReviewIn(StrictSchema):
    approve: bool
    note: str = Field("", max_length=500)


class ExpertSuspensionIn(StrictSchema):
    until: date | None = Field(None, description="inclusive; null lifts the suspension")
    reason: str = Field("", max_length=500)


class BlacklistIn(StrictSchema):
    blacklisted: bool = True
    reason: str = Field("", max_length=500)


class PeriodIn(StrictSchema):
    starts_at: datetime
    ends_at: datetime
    reason: str = Field("", max_length=200)


class RelationshipIn(StrictSchema):
    organisation_uscc: str = Field(min_length=18, max_length=18)
    kind: str = Field(min_length=1, max_length=32)
    until: date | None = None


class ConflictIn(StrictSchema):
    organisation_uscc: str = Field(min_length=18, max_length=18)
    reason: str = Field(min_length=1, max_length=500)


class ImportIn(StrictSchema):
    source: str = Field(min_length=1, max_length=64, description="the other pool's name")
    experts: list[dict[str, Any]] = Field(max_length=5000)


class RowIn(StrictSchema):
    specialty: str = Field(min_length=1, max_length=16)
    count: int = Field(ge=1, le=50)
    regions: list[str] = Field(default_factory=list, max_length=20)
    remote: bool = False


class NeedIn(StrictSchema):
    rows: list[RowIn] = Field(min_length=1, max_length=20)
    representatives: int = Field(0, ge=0, le=20)
    evaluation_at: datetime


class ValueIn(StrictSchema):
    value: str = Field(min_length=1, max_length=200)


class UserIn(StrictSchema):
    user_id: int


class AcceptIn(StrictSchema):
    no_conflict: bool = Field(description="I declare no conflict of interest with any party")
    declaration: str = Field("", max_length=2000)


class DeclineIn(StrictSchema):
    reason: str = Field(min_length=1, max_length=500)


def _expert_out(expert: Any) -> dict[str, Any]:
    return {"code": expert.code, "status": expert.status}


@router.get("/pool", response=list[dict[str, Any]], summary="The pool (centre staff, supervisors, auditors)")
def pool(request: HttpRequest, status: str | None = None) -> Any:
    return selectors.pool_view(principal_for(request), status=status)


@router.post("/pool", response={201: dict[str, Any]}, summary="Register an expert (self or centre staff)")
def register(request: HttpRequest, payload: ExpertIn) -> Any:
    data = payload.dict()
    user_id = data.pop("user_id")
    expert = services.register_expert(
        principal=principal_for(request),
        data=services.ExpertInput(
            name=data["name"],
            region=data["region"],
            specialties=tuple(data["specialties"]),
            employer_uscc=data["employer_uscc"],
            employer_name=data["employer_name"],
            titles=tuple(data["titles"]),
            phone=data["phone"],
        ),
        user_id=user_id,
    )
    return Status(201, _expert_out(expert))


@router.post("/pool/import", response=dict[str, Any], summary="Import another city's pool")
def import_pool(request: HttpRequest, payload: ImportIn) -> Any:
    experts = services.import_pool(
        principal=principal_for(request), source=payload.source, records=payload.experts
    )
    return {"imported": len(experts), "codes": [e.code for e in experts]}


@router.post("/pool/{code}/review", response=dict[str, Any], summary="Approve or reject (centre staff)")
def review(request: HttpRequest, code: str, payload: ReviewIn) -> Any:
    expert = services.review_expert(
        principal=principal_for(request), code=code, approve=payload.approve, note=payload.note
    )
    return _expert_out(expert)


@router.post("/pool/{code}/suspension", response=dict[str, Any], summary="Suspend or lift (centre staff)")
def suspend(request: HttpRequest, code: str, payload: ExpertSuspensionIn) -> Any:
    expert = services.suspend_expert(
        principal=principal_for(request), code=code, until=payload.until, reason=payload.reason
    )
    return _expert_out(expert)


@router.post("/pool/{code}/blacklist", response=dict[str, Any], summary="Blacklist (centre staff)")
def blacklist(request: HttpRequest, code: str, payload: BlacklistIn) -> Any:
    expert = services.blacklist_expert(
        principal=principal_for(request), code=code, reason=payload.reason, blacklisted=payload.blacklisted
    )
    return _expert_out(expert)


@router.post(
    "/pool/{code}/unavailability", response={201: dict[str, Any]}, summary="Add an unavailable period"
)
def unavailable(request: HttpRequest, code: str, payload: PeriodIn) -> Any:
    services.add_unavailability(
        principal=principal_for(request),
        code=code,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        reason=payload.reason,
    )
    return Status(201, {"code": code})


@router.post("/pool/{code}/relationships", response={201: dict[str, Any]}, summary="Add a relationship")
def relationship(request: HttpRequest, code: str, payload: RelationshipIn) -> Any:
    services.add_relationship(
        principal=principal_for(request),
        code=code,
        organisation_uscc=payload.organisation_uscc,
        kind=payload.kind,
        until=payload.until,
    )
    return Status(201, {"code": code})


@router.post("/pool/{code}/conflicts", response={201: dict[str, Any]}, summary="Declare a conflict")
def conflict(request: HttpRequest, code: str, payload: ConflictIn) -> Any:
    services.declare_conflict(
        principal=principal_for(request),
        code=code,
        organisation_uscc=payload.organisation_uscc,
        reason=payload.reason,
    )
    return Status(201, {"code": code})


@router.put("/tenders/{tender_id}/lots/{lot_id}/need", response=dict[str, Any], summary="State the need")
def state_need(request: HttpRequest, tender_id: int, lot_id: int, payload: NeedIn) -> Any:
    principal = principal_for(request)
    services.state_need(
        principal=principal,
        tender_id=tender_id,
        lot_id=lot_id,
        rows=[
            services.RowInput(specialty=r.specialty, count=r.count, regions=tuple(r.regions), remote=r.remote)
            for r in payload.rows
        ],
        representatives=payload.representatives,
        evaluation_at=payload.evaluation_at,
    )
    return selectors.committee_view(principal, tender_id, lot_id)


@router.post("/tenders/{tender_id}/lots/{lot_id}/draw", response=dict[str, Any], summary="Commit the draw")
def start_draw(request: HttpRequest, tender_id: int, lot_id: int) -> Any:
    principal = principal_for(request)
    services.start_draw(principal=principal, tender_id=tender_id, lot_id=lot_id)
    return selectors.committee_view(principal, tender_id, lot_id)


@router.post(
    "/tenders/{tender_id}/lots/{lot_id}/contribution", response=dict[str, Any], summary="A supervisor's value"
)
def contribute(request: HttpRequest, tender_id: int, lot_id: int, payload: ValueIn) -> Any:
    count = services.contribute(
        principal=principal_for(request), tender_id=tender_id, lot_id=lot_id, value=payload.value
    )
    return {"draws": count}


@router.post(
    "/tenders/{tender_id}/lots/{lot_id}/representatives", response={201: dict[str, Any]}, summary="Appoint"
)
def representative(request: HttpRequest, tender_id: int, lot_id: int, payload: UserIn) -> Any:
    seat = services.appoint_representative(
        principal=principal_for(request), tender_id=tender_id, lot_id=lot_id, user_id=payload.user_id
    )
    return Status(201, {"code": seat.code})


@router.get("/tenders/{tender_id}/lots/{lot_id}/committee", response=dict[str, Any], summary="The committee")
def committee(request: HttpRequest, tender_id: int, lot_id: int) -> Any:
    return selectors.committee_view(principal_for(request), tender_id, lot_id)


@router.get("/invitations", response=list[dict[str, Any]], summary="My invitations (expert)")
def invitations(request: HttpRequest) -> Any:
    return selectors.invitations_view(principal_for(request))


@router.post("/invitations/{seat_id}/accept", response=dict[str, Any], summary="Accept with a declaration")
def accept(request: HttpRequest, seat_id: int, payload: AcceptIn) -> Any:
    seat = services.accept(
        principal=principal_for(request),
        seat_id=seat_id,
        no_conflict=payload.no_conflict,
        declaration=payload.declaration,
    )
    return {"seat_id": seat.pk, "status": seat.status}


@router.post("/invitations/{seat_id}/decline", response=dict[str, Any], summary="Decline with a reason")
def decline(request: HttpRequest, seat_id: int, payload: DeclineIn) -> Any:
    seat = services.decline(principal=principal_for(request), seat_id=seat_id, reason=payload.reason)
    return {"seat_id": seat.pk, "status": seat.status}
