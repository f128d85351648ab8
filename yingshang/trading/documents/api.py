"""Tender documents API at /api/v1/trading/documents.

Public: the template catalogue, and the published versions of a published tender (number, kind,
digest, ledger entry hash: never a download count). Bidders download a version with a receipt and
ask questions anonymously; the tender's tenderer and agency create, fill, publish and revise the
documents and answer questions (they see question texts, never askers); who downloaded is served
only to oversight after the bid deadline. Errors are RFC 9457 problem documents.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from yingshang.identity.facade import API_AUTH, principal_for
from yingshang.kernel.errors import NotFound
from yingshang.kernel.policy import Principal
from yingshang.ledger import facade as ledger
from yingshang.trading.documents import catalogue, selectors, services
from yingshang.trading.documents.models import DocumentVersion, DownloadReceipt, Question, TenderDocument
from yingshang.trading.documents.permissions import manages, oversees, policy
from yingshang.trading.documents.responses import pdf_response, receipt_json
from yingshang.trading.projects.contracts import TenderSummary


def _guest(request: HttpRequest) -> bool:
    return True


OPTIONAL_AUTH = [*API_AUTH, _guest]
router = Router(auth=API_AUTH, tags=["tender documents"])


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class TextLabelOut(Schema):
    zh: str
    en: str


class ChoiceOut(Schema):
    value: str
    label: TextLabelOut


class FieldOut(Schema):
    code: str
    type: str = Field(description="text | money (integer fen) | date (YYYY-MM-DD) | choice")
    label: TextLabelOut
    required: bool
    max_length: int
    multiline: bool
    min_fen: int | None
    max_fen: int | None
    choices: list[ChoiceOut]


class SectionOut(Schema):
    code: str
    title: TextLabelOut
    body: str


class TemplateOut(Schema):
    code: str
    version: int
    category: str
    category_label: TextLabelOut
    volume: int
    title: TextLabelOut
    basis: str
    content_sha256: str


class TemplateDetailOut(TemplateOut):
    fields: list[FieldOut]
    sections: list[SectionOut]


class VersionOut(Schema):
    number: int
    kind: str
    reason: str
    sha256: str
    size: int
    published_at: datetime
    ledger_entry_hash: str = Field(description="Leaf hash of the version's ledger entry (hex).")
    ledger_index: int | None = Field(
        description="Index of that entry in the evidence ledger; null until the sequencer has put it in the log."
    )
    affects_preparation: bool
    deadline_before: datetime | None
    deadline_after: datetime | None


class DocumentsOut(Schema):
    tender_id: int
    status: str
    template_code: str
    template_version: int
    current_version: int
    versions: list[VersionOut]
    revision: int | None = Field(None, description="The draft's revision (managers and oversight only).")
    values: dict[str, Any] | None = Field(
        None, description="The working values (managers and oversight only)."
    )


class CreateIn(StrictSchema):
    template_code: str = Field(min_length=1, max_length=64)
    template_version: int | None = Field(None, ge=1)


class DraftIn(StrictSchema):
    values: dict[str, Any]
    revision: int | None = Field(None, ge=1, description="The revision the edit is based on (stale: 409).")


class DocumentsPublishIn(StrictSchema):
    revision: int | None = Field(None, ge=1)


class RevisionIn(StrictSchema):
    reason: str = Field(min_length=1, max_length=1000)
    answers: dict[int, str] = Field(default_factory=dict, description="Question number -> answer.")
    affects_preparation: bool = True
    revision: int | None = Field(None, ge=1)


class DownloadReceiptOut(Schema):
    receipt: dict[str, Any] = Field(description="The canonical receipt (what the commitment covers).")
    commitment: str
    signature: dict[str, str]
    ledger_promise: dict[str, Any]
    content_url: str


class QuestionIn(StrictSchema):
    text: str = Field(min_length=1, max_length=2000)


class QuestionOut(Schema):
    number: int
    text: str
    status: str
    answer: str
    answered_in_version: int | None
    asked_at: datetime | None = Field(None, description="Shown to the asker only.")
    mine: bool = Field(False, description="True on the asker's own questions (never shown to others).")


class DownloadOut(Schema):
    receipt: str
    version: int
    organisation_id: int
    organisation_name: str
    user_id: int
    issued_at: datetime


def _label(text: Any) -> dict[str, str]:
    return {"zh": text.zh, "en": text.en}


def _template_out(t: catalogue.StandardTemplate, detail: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": t.code,
        "version": t.version,
        "category": t.category,
        "category_label": _label(t.category_label),
        "volume": t.volume,
        "title": _label(t.title),
        "basis": t.basis,
        "content_sha256": t.content_sha256,
    }
    if detail:
        out["fields"] = [
            {
                "code": f.code,
                "type": f.type,
                "label": _label(f.label),
                "required": f.required,
                "max_length": f.max_length,
                "multiline": f.multiline,
                "min_fen": f.min_fen,
                "max_fen": f.max_fen,
                "choices": [{"value": c.value, "label": _label(c.label)} for c in f.choices],
            }
            for f in t.fields
        ]
        out["sections"] = [{"code": s.code, "title": _label(s.title), "body": s.body} for s in t.sections]
    return out


def _version_out(v: DocumentVersion, indexes: dict[str, int] | None = None) -> VersionOut:
    if indexes is None:
        indexes = ledger.indexes_of([v.ledger_entry_hash])
    return VersionOut(
        number=v.number,
        kind=v.kind,
        reason=v.reason,
        sha256=v.sha256,
        size=v.size,
        published_at=v.published_at,
        ledger_entry_hash=v.ledger_entry_hash,
        ledger_index=indexes.get(v.ledger_entry_hash),
        affects_preparation=v.affects_preparation,
        deadline_before=v.deadline_before,
        deadline_after=v.deadline_after,
    )


def _versions_out(versions: list[DocumentVersion]) -> list[VersionOut]:
    """The versions with their ledger indexes (one query for the whole list)."""
    indexes = ledger.indexes_of(v.ledger_entry_hash for v in versions)
    return [_version_out(v, indexes) for v in versions]


def _documents_out(principal: Principal, tender: TenderSummary, document: TenderDocument) -> DocumentsOut:
    insider = manages(principal, tender) or oversees(principal, tender) or principal.is_superuser
    if document.status == TenderDocument.Status.DRAFT and not insider:
        raise NotFound()
    return DocumentsOut(
        tender_id=tender.id,
        status=document.status,
        template_code=document.template_code,
        template_version=document.template_version,
        current_version=document.current_version,
        versions=_versions_out(list(selectors.published_versions(tender.id))),
        revision=document.revision if insider else None,
        values=dict(document.values) if insider else None,
    )


@router.get("/templates", response=list[TemplateOut], auth=OPTIONAL_AUTH, summary="The standard templates")
def list_templates(request: HttpRequest) -> list[dict[str, Any]]:
    policy.require(principal_for(request), "view_catalogue")
    return [_template_out(t) for t in catalogue.current_templates()]


@router.get(
    "/templates/{code}/versions/{int:version}",
    response=TemplateDetailOut,
    auth=OPTIONAL_AUTH,
    summary="One template version with its fields and sections",
)
def template_detail(request: HttpRequest, code: str, version: int) -> dict[str, Any]:
    policy.require(principal_for(request), "view_catalogue")
    found = catalogue.load_catalogue().get((code, version))
    if found is None:
        raise NotFound()
    return _template_out(found, detail=True)


@router.get(
    "/tenders/{int:tender_id}",
    response=DocumentsOut,
    auth=OPTIONAL_AUTH,
    summary="A tender's documents and their published versions",
)
def tender_documents(request: HttpRequest, tender_id: int) -> DocumentsOut:
    principal = principal_for(request)
    tender = selectors.visible_tender(principal, tender_id)
    document = selectors.document_of(tender.id)
    if document is None:
        raise NotFound()
    return _documents_out(principal, tender, document)


@router.post(
    "/tenders/{int:tender_id}",
    response={201: DocumentsOut},
    summary="Create the tender's documents from a standard template",
)
def create_documents(request: HttpRequest, tender_id: int, payload: CreateIn) -> Any:
    principal = principal_for(request)
    document = services.create_documents(
        principal=principal,
        tender_id=tender_id,
        template_code=payload.template_code,
        template_version=payload.template_version,
    )
    return Status(201, _documents_out(principal, selectors.tender(tender_id), document))


def _document_for_manager(principal: Principal, tender_id: int) -> TenderDocument:
    selectors.visible_tender(principal, tender_id, "manage")
    document = selectors.document_of(tender_id)
    if document is None:
        raise NotFound()
    return document


@router.put("/tenders/{int:tender_id}/draft", response=DocumentsOut, summary="Save the working values")
def save_draft(request: HttpRequest, tender_id: int, payload: DraftIn) -> DocumentsOut:
    principal = principal_for(request)
    document = _document_for_manager(principal, tender_id)
    document = services.save_draft(
        principal=principal, document_id=document.pk, values=payload.values, revision=payload.revision
    )
    return _documents_out(principal, selectors.tender(tender_id), document)


@router.post(
    "/tenders/{int:tender_id}/publish",
    response={201: VersionOut},
    summary="Publish version 1 (every required field filled)",
)
def publish(request: HttpRequest, tender_id: int, payload: DocumentsPublishIn) -> Any:
    principal = principal_for(request)
    document = _document_for_manager(principal, tender_id)
    version = services.publish(principal=principal, document_id=document.pk, revision=payload.revision)
    return Status(201, _version_out(version))


@router.post(
    "/tenders/{int:tender_id}/revisions",
    response={201: VersionOut},
    summary="Publish an amendment or clarification as a new version",
    description=(
        "The saved working values (an amendment when they differ from the current version) and/or "
        "answers to questions (a clarification). Affecting bid preparation less than 15 days before "
        "the bid deadline moves the deadline (T4); every holder of the documents is notified."
    ),
)
def revise(request: HttpRequest, tender_id: int, payload: RevisionIn) -> Any:
    principal = principal_for(request)
    document = _document_for_manager(principal, tender_id)
    version = services.issue_revision(
        principal=principal,
        document_id=document.pk,
        reason=payload.reason,
        answers=payload.answers,
        affects_preparation=payload.affects_preparation,
        revision=payload.revision,
    )
    return Status(201, _version_out(version))


@router.get(
    "/tenders/{int:tender_id}/versions/{int:number}/pdf",
    summary="A version's PDF for the tender's managers and oversight (no receipt)",
    response={200: None},
    openapi_extra={"responses": {200: {"description": "The PDF, as an attachment"}}},
)
def version_pdf(request: HttpRequest, tender_id: int, number: int) -> HttpResponseBase:
    principal = principal_for(request)
    selectors.visible_tender(principal, tender_id, "view_draft")
    return pdf_response(request, selectors.version(tender_id, number).file_id)


@router.post(
    "/tenders/{int:tender_id}/versions/{int:number}/download",
    response={201: DownloadReceiptOut},
    summary="Obtain a version as a bidder, with a signed receipt",
    description=(
        "No precondition beyond the bidder role and the download period. The receipt is signed by "
        "the platform; the ledger holds only its commitment, so the list of downloaders stays secret."
    ),
)
def download(request: HttpRequest, tender_id: int, number: int) -> Any:
    principal = principal_for(request)
    selectors.visible_tender(principal, tender_id, "download")
    receipt = services.download(principal=principal, tender_id=tender_id, number=number)
    return Status(201, receipt_json(receipt))


class ReceiptCheckIn(StrictSchema):
    receipt: dict[str, Any]
    signature: dict[str, Any]


class ReceiptCheckOut(Schema):
    valid: bool = Field(description="The platform signed this receipt.")
    commitment: str = Field(description="SHA-256 of the canonical receipt: what the ledger entry holds.")


@router.post(
    "/receipts/check",
    response=ReceiptCheckOut,
    auth=OPTIONAL_AUTH,
    summary="Check a download receipt someone shows you",
    description=(
        "Anyone may check a receipt (the `receipt` and `signature` objects of a receipt document): "
        "the answer says whether the platform signed it and gives its commitment, which the public "
        "ledger entry `trading:document_receipt:<commitment>` holds. Nothing is stored or logged."
    ),
)
def check_receipt(request: HttpRequest, payload: ReceiptCheckIn) -> ReceiptCheckOut:
    valid, commitment = services.check_receipt(payload.receipt, payload.signature)
    return ReceiptCheckOut(valid=valid, commitment=commitment)


@router.get("/receipts", response=list[DownloadReceiptOut], summary="My organisation's download receipts")
def my_receipts(request: HttpRequest) -> list[dict[str, Any]]:
    principal = principal_for(request)
    return [receipt_json(r) for r in selectors.own_receipts(principal)[:200]]


@router.get("/receipts/{number}", response=DownloadReceiptOut, summary="One of my download receipts")
def my_receipt(request: HttpRequest, number: str) -> dict[str, Any]:
    return receipt_json(selectors.own_receipt(principal_for(request), number))


@router.get(
    "/receipts/{number}/content",
    summary="The PDF a receipt was issued for",
    response={200: None},
    openapi_extra={"responses": {200: {"description": "The PDF, as an attachment"}}},
)
def receipt_content(request: HttpRequest, number: str) -> HttpResponseBase:
    receipt: DownloadReceipt = selectors.own_receipt(principal_for(request), number)
    return pdf_response(request, receipt.version.file_id)


def _question_out(q: Question, *, mine: bool) -> QuestionOut:
    return QuestionOut(
        number=q.number,
        text=q.text,
        status=q.status,
        answer=q.answer,
        answered_in_version=q.answered_in.number if q.answered_in_id and q.answered_in else None,
        asked_at=q.asked_at if mine else None,
        mine=mine,
    )


@router.get(
    "/tenders/{int:tender_id}/questions",
    response=list[QuestionOut],
    auth=OPTIONAL_AUTH,
    summary="Questions: all texts for the tender's managers and oversight, own and answered ones for others",
)
def questions(request: HttpRequest, tender_id: int) -> list[QuestionOut]:
    principal = principal_for(request)
    tender = selectors.visible_tender(principal, tender_id)
    own = {q.pk for q in selectors.own_questions(principal, tender.id)}
    if policy.allows(principal, "view_questions", tender):
        found = list(selectors.questions_for_managers(tender.id).select_related("answered_in"))
    else:
        found = list(
            (selectors.answered_questions(tender.id) | selectors.own_questions(principal, tender.id))
            .distinct()
            .select_related("answered_in")
            .order_by("number")
        )
    return [_question_out(q, mine=q.pk in own) for q in found]


@router.post(
    "/tenders/{int:tender_id}/questions",
    response={201: QuestionOut},
    summary="Ask a question anonymously (bidders)",
)
def ask(request: HttpRequest, tender_id: int, payload: QuestionIn) -> Any:
    principal = principal_for(request)
    selectors.visible_tender(principal, tender_id, "ask")
    question = services.ask_question(principal=principal, tender_id=tender_id, text=payload.text)
    return Status(201, _question_out(question, mine=True))


@router.get(
    "/tenders/{int:tender_id}/downloads",
    response=list[DownloadOut],
    summary="Who obtained the documents: oversight only, after the bid deadline",
)
def downloads(request: HttpRequest, tender_id: int) -> list[DownloadOut]:
    principal = principal_for(request)
    tender = selectors.visible_tender(principal, tender_id, "view_published")
    return [
        DownloadOut(
            receipt=r.number,
            version=r.version.number,
            organisation_id=r.organisation_id,
            organisation_name=r.organisation.name,
            user_id=r.user_id,
            issued_at=r.issued_at,
        )
        for r in selectors.downloads_for_oversight(principal, tender)
    ]
