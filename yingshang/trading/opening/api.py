"""The opening hall's API at /api/v1/trading/opening (and the bidder tool's key release at
/api/v1/trading/bids/{bid_id}/content-key, where ``yingshang-bidder open-key`` posts it).

Reads are open to guests (public facts only; the hall's participants see more, see
``selectors``). Writes need a token (scope ``opening:write``; the bidder tool's ``bids:write``
token also covers a bidder's own acts) or the browser session. Errors are problem documents with
the codes listed in docs/contexts/opening.md.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from yingshang.files import facade as files
from yingshang.identity import facade as identity
from yingshang.identity.facade import API_AUTH, principal_for
from yingshang.kernel.errors import NotFound
from yingshang.trading.opening import selectors, services
from yingshang.trading.opening.permissions import policy


def _guest(request: HttpRequest) -> bool:
    return True


OPTIONAL_AUTH = [*API_AUTH, _guest]
router = Router(auth=API_AUTH, tags=["trading: opening"])
#: Mounted at /trading/bids: the path the bidder tool already uses.
keys_router = Router(auth=API_AUTH, tags=["trading: opening"])


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class KeyIn(StrictSchema):
    content_key: str = Field(min_length=1, max_length=200, description="The 32-byte content key, base64.")


class KeyOut(Schema):
    bid_id: int
    decryption: str = Field(
        description="decrypted | failed (the figures stay hidden until the window closes)"
    )
    reason: str = ""


class ShareIn(StrictSchema):
    index: int = Field(ge=1, le=255)
    share: str = Field(min_length=1, max_length=200, description="The custodian's 32-byte share, base64.")


class ConfigureIn(StrictSchema):
    sign_in_minutes: int | None = Field(None, ge=1, le=1440)
    decryption_minutes: int | None = Field(None, ge=1, le=1440)


class AmountIn(StrictSchema):
    amount_fen: int = Field(gt=0, description="The control price in fen.")


class TextIn(StrictSchema):
    text: str = Field(min_length=1, max_length=4000)


class ReasonIn(StrictSchema):
    reason: str = Field(min_length=1, max_length=2000)


class EventOut(Schema):
    id: int
    kind: str
    public: bool
    at: Any
    data: dict[str, Any]


def _view(request: HttpRequest, session_id: int) -> dict[str, Any]:
    return selectors.view(principal_for(request), selectors.session(session_id))


@keys_router.post(
    "/{bid_id}/content-key", response=KeyOut, summary="Release a bid's content key at the opening (bidder)"
)
def release_content_key(request: HttpRequest, bid_id: int, payload: KeyIn) -> Any:
    row = services.release_key(
        principal=principal_for(request),
        bid_id=bid_id,
        content_key=payload.content_key,
        certificate=identity.certificate_of(request) or "",
    )
    return KeyOut(bid_id=row.bid_id, decryption=row.decryption, reason=row.reason)


@router.get(
    "/tenders/{tender_id}/sessions",
    response=list[dict[str, Any]],
    auth=OPTIONAL_AUTH,
    summary="A tender's openings",
)
def tender_sessions(request: HttpRequest, tender_id: int) -> Any:
    principal = principal_for(request)
    return [selectors.view(principal, s) for s in selectors.sessions_of(tender_id)]


@router.get(
    "/sessions/{session_id}",
    response=dict[str, Any],
    auth=OPTIONAL_AUTH,
    summary="An opening as you may see it",
)
def get_session(request: HttpRequest, session_id: int) -> Any:
    return _view(request, session_id)


@router.get(
    "/sessions/{session_id}/events",
    response=list[EventOut],
    auth=OPTIONAL_AUTH,
    summary="The opening's events after an event id (guests: public ones)",
)
def get_events(request: HttpRequest, session_id: int, after: int = 0) -> Any:
    found = selectors.session(session_id)
    principal = principal_for(request)
    policy.require(principal, "view")
    return [
        EventOut(id=e.pk, kind=e.kind, public=e.public, at=e.at, data=e.data)
        for e in selectors.events_after(principal, found, after)
    ]


@router.post(
    "/tenders/{tender_id}/lots/{lot_id}/configure", response=dict[str, Any], summary="Set the windows (host)"
)
def configure(request: HttpRequest, tender_id: int, lot_id: int, payload: ConfigureIn) -> Any:
    session = services.configure(
        principal=principal_for(request),
        tender_id=tender_id,
        lot_id=lot_id,
        sign_in_minutes=payload.sign_in_minutes,
        decryption_minutes=payload.decryption_minutes,
    )
    return _view(request, session.pk)


@router.post("/sessions/{session_id}/sign-in", response=dict[str, Any], summary="Sign in to the opening")
def sign_in(request: HttpRequest, session_id: int) -> Any:
    services.sign_in(
        principal=principal_for(request),
        session_id=session_id,
        certificate=identity.certificate_of(request) or "",
    )
    return _view(request, session_id)


class CoefficientsIn(StrictSchema):
    values: list[str] = Field(
        min_length=2, max_length=50, description="The coefficients to draw one from, as decimals ('0.95')."
    )


class ContributionIn(StrictSchema):
    value: str = Field(min_length=1, max_length=200, description="The supervisor's own random value.")


@router.post(
    "/sessions/{session_id}/coefficient-draw",
    response=dict[str, Any],
    summary="Commit to a random coefficient draw before decryption (host)",
)
def coefficient_draw(request: HttpRequest, session_id: int, payload: CoefficientsIn) -> Any:
    services.prepare_coefficient_draw(
        principal=principal_for(request), session_id=session_id, values=payload.values
    )
    return _view(request, session_id)


@router.post(
    "/sessions/{session_id}/coefficient-draw/contribution",
    response=dict[str, Any],
    summary="Add a value to the coefficient draw's seed before its beacon is fixed (supervisor)",
)
def coefficient_contribution(request: HttpRequest, session_id: int, payload: ContributionIn) -> Any:
    services.contribute_to_coefficient(
        principal=principal_for(request), session_id=session_id, value=payload.value
    )
    return _view(request, session_id)


@router.post(
    "/sessions/{session_id}/coefficient-draw/result",
    response=dict[str, Any],
    auth=OPTIONAL_AUTH,
    summary="Make the committed draw if its beacon (a signed checkpoint) exists; anyone may ask",
)
def coefficient_result(request: HttpRequest, session_id: int) -> Any:
    services.complete_coefficient_draw(session_id=session_id)
    return _view(request, session_id)


@router.post(
    "/sessions/{session_id}/control-price",
    response=dict[str, Any],
    summary="Publish the control price (host)",
)
def control_price(request: HttpRequest, session_id: int, payload: AmountIn) -> Any:
    services.publish_control_price(
        principal=principal_for(request), session_id=session_id, amount_fen=payload.amount_fen
    )
    return _view(request, session_id)


@router.post(
    "/sessions/{session_id}/decryption", response=dict[str, Any], summary="Start the decryption window (host)"
)
def start_decryption(request: HttpRequest, session_id: int) -> Any:
    services.start_decryption(principal=principal_for(request), session_id=session_id)
    return _view(request, session_id)


@router.post(
    "/sessions/{session_id}/close-window",
    response=dict[str, Any],
    summary="Close the window once every key is in (host)",
)
def close_window(request: HttpRequest, session_id: int) -> Any:
    services.close_window(session_id=session_id, principal=principal_for(request))
    return _view(request, session_id)


@router.post(
    "/sessions/{session_id}/confirming",
    response=dict[str, Any],
    summary="Put the record to the bidders (host)",
)
def confirming(request: HttpRequest, session_id: int) -> Any:
    services.put_to_bidders(principal=principal_for(request), session_id=session_id)
    return _view(request, session_id)


@router.post("/sessions/{session_id}/confirm", response=dict[str, Any], summary="Confirm your row (bidder)")
def confirm(request: HttpRequest, session_id: int) -> Any:
    services.confirm_row(principal=principal_for(request), session_id=session_id)
    return _view(request, session_id)


@router.post(
    "/sessions/{session_id}/objections", response=dict[str, Any], summary="Raise an objection (bidder)"
)
def objection(request: HttpRequest, session_id: int, payload: TextIn) -> Any:
    services.raise_objection(principal=principal_for(request), session_id=session_id, text_=payload.text)
    return _view(request, session_id)


@router.post(
    "/objections/{objection_id}/answer", response=dict[str, Any], summary="Answer an objection (host)"
)
def answer(request: HttpRequest, objection_id: int, payload: TextIn) -> Any:
    found = services.answer_objection(
        principal=principal_for(request), objection_id=objection_id, text_=payload.text
    )
    return _view(request, found.session_id)


@router.post("/sessions/{session_id}/pause", response=dict[str, Any], summary="Pause (host)")
def pause(request: HttpRequest, session_id: int, payload: ReasonIn) -> Any:
    services.pause(principal=principal_for(request), session_id=session_id, reason=payload.reason)
    return _view(request, session_id)


@router.post("/sessions/{session_id}/resume", response=dict[str, Any], summary="Resume (host)")
def resume(request: HttpRequest, session_id: int, payload: ReasonIn) -> Any:
    services.resume(principal=principal_for(request), session_id=session_id, reason=payload.reason)
    return _view(request, session_id)


@router.post(
    "/sessions/{session_id}/finish", response=dict[str, Any], summary="Finish and publish the record (host)"
)
def finish(request: HttpRequest, session_id: int) -> Any:
    services.finish(principal=principal_for(request), session_id=session_id)
    return _view(request, session_id)


@router.post(
    "/bids/{bid_id}/custodian-share",
    response=KeyOut,
    summary="Submit a custodian's key share (k-of-n backup decryption)",
)
def custodian_share(request: HttpRequest, bid_id: int, payload: ShareIn) -> Any:
    row = services.release_share(
        principal=principal_for(request), bid_id=bid_id, index=payload.index, share=payload.share
    )
    return KeyOut(bid_id=row.bid_id, decryption=row.decryption, reason=row.reason)


@router.get(
    "/sessions/{session_id}/record.pdf",
    auth=OPTIONAL_AUTH,
    response={200: None},
    summary="The finished opening's record as a PDF (its platform signature: GET /sessions/{id})",
    openapi_extra={"responses": {200: {"description": "The PDF of the opening record"}}},
)
def record_pdf(request: HttpRequest, session_id: int) -> Any:
    found = selectors.session(session_id)
    if found.status != "finished" or found.record_pdf_id is None:
        raise NotFound(code="no_record")
    with files.open_document(found.record_pdf_id) as handle:
        body = handle.read()
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="opening-record-{found.pk}.pdf"'
    return response
