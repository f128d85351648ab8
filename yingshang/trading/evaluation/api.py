"""The evaluation API at /api/v1/trading/evaluation.

Members (experts) see only their own evaluations and, after the no-conflict declaration, the
bids; organisers and supervisors follow the progress; member identities never appear (codes
only). Errors are problem documents with the codes listed in docs/contexts/evaluation.md.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from yingshang.files import facade as files
from yingshang.identity import facade as identity
from yingshang.identity.facade import API_AUTH
from yingshang.kernel.policy import Principal, require_token_scope
from yingshang.trading.evaluation import selectors, services
from yingshang.trading.evaluation.models import Clarification
from yingshang.trading.evaluation.permissions import member_of

router = Router(auth=API_AUTH, tags=["trading: evaluation"])


def principal_for(request: HttpRequest, *, bidder_tool: bool = False) -> Principal:
    """The caller. With an API token the token must carry ``evaluation:read`` (reads) or
    ``evaluation:write`` (writes). The bidder tool's certificate-bound token (``bids:write``) may list and answer
    its clarifications (``bidder_tool``)."""
    principal = identity.principal_for(request)
    read = request.method in ("GET", "HEAD")
    require_token_scope(
        principal, f"evaluation:{'read' if read else 'write'}", *(("bids:write",) if bidder_tool else ())
    )
    return principal


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class StartIn(StrictSchema):
    spec: dict[str, Any] = Field(description="The method spec (docs/contexts/evaluation.md).")
    chair_code: str | None = Field(None, max_length=40)
    control_boq: dict[str, Any] | None = Field(
        None, description="The control price's bill (yingshang-boq/1)."
    )


class CodeIn(StrictSchema):
    code: str = Field(min_length=1, max_length=40)


class DeclarationIn(StrictSchema):
    confirm: bool


class ScoreIn(StrictSchema):
    bid_id: int
    item: str = Field(min_length=1, max_length=40)
    value: str = Field(
        min_length=1, max_length=30, description="A decimal (points) or whole fen (adjustments)."
    )


class VerdictIn(StrictSchema):
    bid_id: int
    criterion: str = Field(min_length=1, max_length=40)
    passed: bool
    reason: str = Field("", max_length=2000)


class ScoresIn(StrictSchema):
    scores: list[ScoreIn] = Field(default_factory=list, max_length=2000)
    verdicts: list[VerdictIn] = Field(default_factory=list, max_length=2000)


class ExplanationIn(StrictSchema):
    bid_id: int
    item: str = Field(min_length=1, max_length=40)
    text: str = Field(min_length=1, max_length=4000)


class ClarificationQuestionIn(StrictSchema):
    bid_id: int
    question: str = Field(min_length=1, max_length=4000)


class ReplyIn(StrictSchema):
    reply: str = Field(min_length=1, max_length=20000)
    signature: str = Field(
        min_length=1, max_length=2000, description="Base64 signature over the reply payload."
    )
    algorithm: str = Field(min_length=1, max_length=30)
    chain: list[str] = Field(
        min_length=1, max_length=5, description="Certificates (DER, base64), leaf first."
    )


class SignIn(StrictSchema):
    report_sha256: str = Field(min_length=64, max_length=64)


def _view(request: HttpRequest, evaluation_id: int) -> dict[str, Any]:
    principal = principal_for(request)
    return selectors.room_view(principal, selectors.visible_to(principal, evaluation_id))


@router.get("/mine", response=list[dict[str, Any]], summary="Your evaluations (members: your own seats only)")
def mine(request: HttpRequest) -> Any:
    principal = principal_for(request)
    out = []
    for e in selectors.mine(principal):
        me = member_of(principal, e)
        out.append(
            {
                "evaluation_id": e.pk,
                "tender_id": e.tender_id,
                "lot_id": e.lot_id,
                "status": e.status,
                "method": e.method,
                "your_code": me.code if me else None,
                "started_at": e.started_at,
            }
        )
    return out


@router.post("/tenders/{tender_id}/lots/{lot_id}/start", response=dict[str, Any], summary="Start (organiser)")
def start(request: HttpRequest, tender_id: int, lot_id: int, payload: StartIn) -> Any:
    evaluation = services.start_evaluation(
        principal=principal_for(request),
        tender_id=tender_id,
        lot_id=lot_id,
        spec=payload.spec,
        chair_code=payload.chair_code,
        control_boq=payload.control_boq,
    )
    return _view(request, evaluation.pk)


@router.get(
    "/evaluations/{evaluation_id}", response=dict[str, Any], summary="The evaluation as you may see it"
)
def get_evaluation(request: HttpRequest, evaluation_id: int) -> Any:
    return _view(request, evaluation_id)


@router.post(
    "/evaluations/{evaluation_id}/chair", response=dict[str, Any], summary="Designate the chair (organiser)"
)
def chair(request: HttpRequest, evaluation_id: int, payload: CodeIn) -> Any:
    services.designate_chair(principal=principal_for(request), evaluation_id=evaluation_id, code=payload.code)
    return _view(request, evaluation_id)


@router.post(
    "/evaluations/{evaluation_id}/declaration", response=dict[str, Any], summary="Sign the declaration"
)
def declaration(request: HttpRequest, evaluation_id: int, payload: DeclarationIn) -> Any:
    services.declare(principal=principal_for(request), evaluation_id=evaluation_id, confirm=payload.confirm)
    services.open_bids(principal=principal_for(request), evaluation_id=evaluation_id)
    return _view(request, evaluation_id)


@router.post(
    "/evaluations/{evaluation_id}/scores", response=dict[str, Any], summary="Save scores and verdicts"
)
def scores(request: HttpRequest, evaluation_id: int, payload: ScoresIn) -> Any:
    services.save_scores(
        principal=principal_for(request),
        evaluation_id=evaluation_id,
        scores={(s.bid_id, s.item): s.value for s in payload.scores},
        verdicts=[services.VerdictInput(v.bid_id, v.criterion, v.passed, v.reason) for v in payload.verdicts],
    )
    return _view(request, evaluation_id)


@router.post(
    "/evaluations/{evaluation_id}/explanations", response=dict[str, Any], summary="Explain an abnormal score"
)
def explanation(request: HttpRequest, evaluation_id: int, payload: ExplanationIn) -> Any:
    services.explain(
        principal=principal_for(request),
        evaluation_id=evaluation_id,
        bid_id=payload.bid_id,
        item=payload.item,
        text_=payload.text,
    )
    return _view(request, evaluation_id)


@router.post("/evaluations/{evaluation_id}/submit", response=dict[str, Any], summary="Submit your scores")
def submit(request: HttpRequest, evaluation_id: int) -> Any:
    services.submit(principal=principal_for(request), evaluation_id=evaluation_id)
    return _view(request, evaluation_id)


@router.post(
    "/evaluations/{evaluation_id}/clarifications",
    response=dict[str, Any],
    summary="Ask a bidder to clarify (member)",
)
def ask(request: HttpRequest, evaluation_id: int, payload: ClarificationQuestionIn) -> Any:
    asked = services.request_clarification(
        principal=principal_for(request),
        evaluation_id=evaluation_id,
        bid_id=payload.bid_id,
        question=payload.question,
    )
    return {
        "clarification_id": asked.pk,
        "bid_id": asked.bid_id,
        "question": asked.question,
        "asked_at": asked.asked_at,
    }


@router.get(
    "/clarifications", response=list[dict[str, Any]], summary="Clarifications asked of your organisation"
)
def my_clarifications(request: HttpRequest) -> Any:
    principal = principal_for(request, bidder_tool=True)
    if principal.organisation_id is None or not principal.has_role("bidder"):
        return []
    return [
        {
            "clarification_id": c.pk,
            "tender_id": c.evaluation.tender_id,
            "lot_id": c.evaluation.lot_id,
            "bid_id": c.bid_id,
            "question": c.question,
            "asked_at": c.asked_at,
            "reply": c.reply,
            "replied_at": c.replied_at,
            "sign_this": services.reply_payload(c.pk, "<reply>").decode().rsplit("\n", 1)[0]
            + "\n<SHA-256 of the UTF-8 reply, hex>",
        }
        for c in Clarification.objects.filter(organisation_id=principal.organisation_id).select_related(
            "evaluation"
        )
    ]


@router.post(
    "/clarifications/{clarification_id}/reply", response=dict[str, Any], summary="Reply, signed (bidder)"
)
def reply(request: HttpRequest, clarification_id: int, payload: ReplyIn) -> Any:
    answered = services.reply_clarification(
        principal=principal_for(request, bidder_tool=True),
        clarification_id=clarification_id,
        reply=payload.reply,
        signature_b64=payload.signature,
        algorithm=payload.algorithm,
        chain_b64=payload.chain,
    )
    return {
        "clarification_id": answered.pk,
        "reply_sha256": answered.reply_sha256,
        "replied_at": answered.replied_at,
    }


@router.post(
    "/evaluations/{evaluation_id}/report", response=dict[str, Any], summary="Finish the report (chair)"
)
def finish_report(request: HttpRequest, evaluation_id: int) -> Any:
    services.finish_report(principal=principal_for(request), evaluation_id=evaluation_id)
    return _view(request, evaluation_id)


@router.post(
    "/evaluations/{evaluation_id}/signatures", response=dict[str, Any], summary="Sign the report (member)"
)
def sign(request: HttpRequest, evaluation_id: int, payload: SignIn) -> Any:
    services.sign_report(
        principal=principal_for(request), evaluation_id=evaluation_id, report_sha256=payload.report_sha256
    )
    return _view(request, evaluation_id)


def package_response(request: HttpRequest, evaluation_id: int, bid_id: int) -> FileResponse:
    """The decrypted bid package for a declared member."""
    document_id = selectors.package_document(principal_for(request), evaluation_id, bid_id)
    handle = files.open_document(document_id)
    return FileResponse(
        handle, as_attachment=True, filename=f"bid-{bid_id}.zip", content_type="application/zip"
    )


@router.get(
    "/evaluations/{evaluation_id}/bids/{bid_id}/package", summary="The decrypted bid package (member)"
)
def package(request: HttpRequest, evaluation_id: int, bid_id: int) -> Any:
    return package_response(request, evaluation_id, bid_id)
