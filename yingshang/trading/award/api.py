"""The award API at /api/v1/trading/award.

Reads are open to guests (the publicity and the result once public; managers and supervisors
see more, see ``selectors``). Writes need a token (scope ``award:write``) or the browser session.
Errors are problem documents with the codes listed in docs/contexts/award.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from yingshang.identity.facade import API_AUTH, principal_for
from yingshang.trading.award import selectors, services, states


def _guest(request: HttpRequest) -> bool:
    return True


OPTIONAL_AUTH = [*API_AUTH, _guest]
router = Router(auth=API_AUTH, tags=["trading: award"])


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class PublicityIn(StrictSchema):
    ends_on: dt.date | None = Field(
        None,
        description="The publicity's last day (Beijing); default: the shortest lawful period (T11.duration).",
    )


class TextIn(StrictSchema):
    text: str = Field(min_length=1, max_length=4000)


class ExcuseIn(StrictSchema):
    rank: int = Field(ge=1, le=3)
    reason: str = Field(description=" | ".join(states.EXCUSE_REASONS))
    evidence_document_id: int = Field(ge=1, description="Uploaded with purpose award_evidence.")
    note: str = Field("", max_length=4000)


class DecisionIn(StrictSchema):
    rank: int = Field(ge=1, le=3, description="The awarded candidate's rank.")
    reason: str = Field("", max_length=4000)
    expected_version: int | None = Field(None, ge=1)


class AwardRetenderIn(StrictSchema):
    reason: str = Field(min_length=1, max_length=4000)


class ContractIn(StrictSchema):
    signed_on: dt.date
    price_fen: int = Field(gt=0, le=10**15, description="The contract price in fen.")
    document_id: int = Field(ge=1, description="Uploaded with purpose award_contract.")


class ReportIn(StrictSchema):
    text: str = Field(min_length=1, max_length=8000)
    document_id: int | None = Field(None, ge=1, description="Uploaded with purpose award_report (optional).")


def _view(request: HttpRequest, award_id: int) -> dict[str, Any]:
    return selectors.view(principal_for(request), selectors.award(award_id))


@router.get("/awards", response=list[dict[str, Any]], auth=OPTIONAL_AUTH, summary="Publicities and results")
def list_awards(request: HttpRequest) -> Any:
    principal = principal_for(request)
    return [
        selectors.view(principal, a) for a in selectors.public_awards() if selectors.may_see(principal, a)
    ]


@router.get(
    "/tenders/{tender_id}/lots/{lot_id}",
    response=dict[str, Any],
    auth=OPTIONAL_AUTH,
    summary="A lot's award as you may see it",
)
def get_award(request: HttpRequest, tender_id: int, lot_id: int) -> Any:
    return selectors.view(principal_for(request), selectors.award_of(tender_id, lot_id))


@router.post(
    "/tenders/{tender_id}/lots/{lot_id}/publicity",
    response={201: dict[str, Any]},
    summary="Receive the evaluation report and publish the candidates (tenderer/agency)",
)
def start_publicity(request: HttpRequest, tender_id: int, lot_id: int, payload: PublicityIn) -> Any:
    award = services.start_publicity(
        principal=principal_for(request), tender_id=tender_id, lot_id=lot_id, ends_on=payload.ends_on
    )
    return Status(201, _view(request, award.pk))


@router.post(
    "/tenders/{tender_id}/lots/{lot_id}/report-received",
    response=dict[str, Any],
    summary="Receive the evaluation report (procurement; tenderer/agency)",
)
def receive(request: HttpRequest, tender_id: int, lot_id: int) -> Any:
    principal = principal_for(request)
    services.require_manager_of_tender(principal, tender_id)
    award = services.ensure_award(tender_id, lot_id)
    return _view(request, award.pk)


@router.post(
    "/awards/{award_id}/objections",
    response={201: dict[str, Any]},
    summary="Object to the evaluation result during the publicity (bidder of the lot)",
)
def raise_objection(request: HttpRequest, award_id: int, payload: TextIn) -> Any:
    objection = services.raise_objection(
        principal=principal_for(request), award_id=award_id, text_=payload.text
    )
    return Status(201, selectors.objection_json(objection, full=True))


@router.post(
    "/objections/{objection_id}/answer",
    response=dict[str, Any],
    summary="Answer an objection (tenderer/agency; T11.reply)",
)
def answer_objection(request: HttpRequest, objection_id: int, payload: TextIn) -> Any:
    objection = services.answer_objection(
        principal=principal_for(request), objection_id=objection_id, text_=payload.text
    )
    return selectors.objection_json(objection, full=True)


@router.post(
    "/awards/{award_id}/passed-over",
    response=dict[str, Any],
    summary="Record why a candidate cannot be awarded, with evidence (T12)",
)
def record_excuse(request: HttpRequest, award_id: int, payload: ExcuseIn) -> Any:
    services.record_excuse(
        principal=principal_for(request),
        award_id=award_id,
        rank=payload.rank,
        reason=payload.reason,
        evidence_document_id=payload.evidence_document_id,
        note=payload.note,
    )
    return _view(request, award_id)


@router.post(
    "/awards/{award_id}/decision", response=dict[str, Any], summary="Fix the winner (tenderer/agency)"
)
def decide(request: HttpRequest, award_id: int, payload: DecisionIn) -> Any:
    services.decide_award(
        principal=principal_for(request),
        award_id=award_id,
        rank=payload.rank,
        reason=payload.reason,
        expected_version=payload.expected_version,
    )
    return _view(request, award_id)


@router.post("/awards/{award_id}/retender", response=dict[str, Any], summary="Re-tender instead of awarding")
def retender(request: HttpRequest, award_id: int, payload: AwardRetenderIn) -> Any:
    services.request_retender(principal=principal_for(request), award_id=award_id, reason=payload.reason)
    return _view(request, award_id)


@router.post(
    "/awards/{award_id}/contract",
    response={201: dict[str, Any]},
    summary="Register the signed contract (T13/G7)",
)
def register_contract(request: HttpRequest, award_id: int, payload: ContractIn) -> Any:
    services.register_contract(
        principal=principal_for(request),
        award_id=award_id,
        signed_on=payload.signed_on,
        price_fen=payload.price_fen,
        document_id=payload.document_id,
    )
    return Status(201, _view(request, award_id))


@router.post(
    "/awards/{award_id}/report",
    response={201: dict[str, Any]},
    summary="File the written report with the supervisor (T14/G7.filing)",
)
def report(request: HttpRequest, award_id: int, payload: ReportIn) -> Any:
    services.report_to_supervisor(
        principal=principal_for(request),
        award_id=award_id,
        text_=payload.text,
        document_id=payload.document_id,
    )
    return Status(201, _view(request, award_id))
