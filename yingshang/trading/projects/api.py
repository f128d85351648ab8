"""The projects API at /api/v1/trading: intake, tenders, timelines, notices.

Authentication: an API token (scopes ``projects:read`` / ``projects:write``) or the browser
session. The public notice list and notice detail answer anyone. Errors are problem documents
(``errors[]`` lists every violated rule with its article); a stale ``version`` answers 409 with
what changed since.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import ConfigDict

from yingshang.identity.facade import API_AUTH, principal_for
from yingshang.kernel import clock
from yingshang.kernel.errors import NotFound
from yingshang.ledger import facade as ledger
from yingshang.trading.projects import reference, rules, selectors, services, states
from yingshang.trading.projects.contracts import LotInput
from yingshang.trading.projects.models import Lot, Notice, Project, Tender
from yingshang.trading.projects.responses import notice_pdf_response

router = Router(auth=API_AUTH, tags=["trading: projects"])


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


# --- schemas --------------------------------------------------------------------------------------


class LotIn(StrictSchema):
    name: str = Field(min_length=1, max_length=200, examples=["第1标段：道路及管网工程"])
    estimated_price_fen: int = Field(
        gt=0, description="Estimated price (tendering) or budget (procurement), fen."
    )
    deposit_fen: int = Field(
        0, ge=0, description="Bid deposit in fen; at most 2 % of the estimated price (T15/G3)."
    )
    deposit_form: str = Field(
        "guarantee", description="cash, cheque, draft, promissory_note, guarantee, insurance, none"
    )
    bid_validity_days: int = Field(90, ge=1, le=365)
    qualifications: str = Field("", max_length=4000)


class IntakeIn(StrictSchema):
    name: str = Field(max_length=200, examples=["金城市滨河路综合改造工程"])
    resource_kind: str = Field(description="One of the resource kinds (GET /trading/reference).")
    regime: str | None = Field(None, description="tendering | procurement; default: the kind's first regime.")
    tenderer_id: int | None = Field(
        None, description="The tenderer's organisation id (required for an agency)."
    )
    supervisor_id: int | None = Field(
        None, description="The competent supervisory department's organisation id."
    )
    industry: str = Field("", max_length=100)
    state_controlled: bool = Field(False, description="State-owned capital holds control (T12).")
    description: str = Field("", max_length=10000)
    commitment_text: str = Field(
        services.DEFAULT_COMMITMENT, description="The commitment the submitter signs."
    )
    lots: list[LotIn] = Field(min_length=1, max_length=services.MAX_LOTS)


class IntakeUpdateIn(IntakeIn):
    version: int = Field(description="The version the form was loaded with (optimistic concurrency).")


class VersionIn(StrictSchema):
    version: int | None = Field(None, description="The version the form was loaded with.")


class ReturnIn(VersionIn):
    reason: str = Field(min_length=1, max_length=4000)


class TenderIn(StrictSchema):
    method: str = Field(examples=["open"])
    lot_ids: list[int] | None = Field(None, description="Default: every lot not in a running tender.")
    title: str = Field("", max_length=300)


class TimelineIn(StrictSchema):
    version: int
    documents_from: datetime | None = Field(None, description="ISO 8601 with a time zone.")
    documents_until: datetime | None = None
    questions_until: datetime | None = None
    bid_deadline: datetime | None = Field(
        None, description="The bid deadline, which is also the opening time."
    )


class PublishIn(StrictSchema):
    version: int
    title: str = Field(max_length=300)
    body: str = Field(max_length=100000)


class AmendIn(StrictSchema):
    version: int
    reason: str = Field(max_length=4000)
    body: str = Field(max_length=100000)
    title: str | None = Field(None, max_length=300)
    documents_until: datetime | None = None
    questions_until: datetime | None = None
    bid_deadline: datetime | None = None
    affects_preparation: bool = True


class SuspendIn(StrictSchema):
    version: int | None = None
    reason: str = Field(max_length=4000)
    ground: str = Field("objection", description="objection | supervisor_order | complaint | other")
    until: datetime | None = Field(None, description="Resume automatically at this time.")


class ResumeIn(StrictSchema):
    version: int | None = None
    reason: str = Field("", max_length=4000)


class CancelIn(StrictSchema):
    version: int | None = None
    reason: str = Field(max_length=4000)


class RetenderIn(StrictSchema):
    version: int | None = None
    bids_received: int = Field(ge=0, description="Bids received by the deadline (fewer than 3: T7).")
    reason: str = Field("", max_length=4000)
    method: str | None = None


class LotOut(Schema):
    id: int
    number: int
    name: str
    estimated_price_fen: int
    deposit_fen: int
    deposit_form: str
    bid_validity_days: int
    qualifications: str


class TenderBrief(Schema):
    id: int
    ocid: str
    sequence: int
    method: str
    status: str
    bid_deadline: datetime | None
    published_at: datetime | None
    previous_id: int | None


class ProjectOut(Schema):
    id: int
    code: str
    name: str
    resource_kind: str
    regime: str
    tenderer_id: int
    agency_id: int | None
    supervisor_id: int | None
    industry: str
    state_controlled: bool
    description: str
    intake_status: str
    return_reason: str
    commitment_text: str
    commitment_signed_by: int
    commitment_signed_at: datetime
    submitted_at: datetime
    version: int
    ledger_entry_hash: str
    lots: list[LotOut]
    tenders: list[TenderBrief]


class ProjectBrief(Schema):
    id: int
    code: str
    name: str
    resource_kind: str
    regime: str
    intake_status: str
    submitted_at: datetime
    version: int


class FindingOut(Schema):
    rule: str
    blocking: bool
    effect: str
    field: str
    provisional: bool
    message: str
    article: str


class NoticeOut(Schema):
    id: int
    version: int
    kind: str
    title: str
    body: str
    reason: str
    published_at: datetime
    ledger_entry_hash: str = Field(description="Leaf hash of the notice's entry in the evidence ledger.")
    ledger_index: int | None = Field(
        description="Index of that entry in the evidence ledger; null until the sequencer has put it in the log."
    )
    template: str = Field(description="The standard notice template it was produced from (code@vN).")
    pdf_sha256: str = Field(description="SHA-256 (hex) of the notice version's PDF.")
    pdf_url: str | None = Field(description="Where the PDF is downloaded (public once the tender is).")


class TenderOut(Schema):
    id: int
    ocid: str
    project_id: int
    project_code: str
    sequence: int
    method: str
    regime: str
    resource_kind: str
    status: str
    title: str
    lot_ids: list[int]
    documents_from: datetime | None
    documents_until: datetime | None
    questions_until: datetime | None
    bid_deadline: datetime | None
    timeline_provisional: bool
    documents_closed: bool
    published_at: datetime | None
    suspended_at: datetime | None
    suspended_until: datetime | None
    cancel_reason: str
    previous_id: int | None
    next_id: int | None
    version: int
    ledger_entry_hash: str
    server_time: datetime = Field(description="The platform's domain time now (countdowns count from this).")
    seconds_to_deadline: int | None


class TimelineOut(Schema):
    tender: TenderOut
    warnings: list[FindingOut]


class AmendOut(Schema):
    tender: TenderOut
    notice: NoticeOut
    moved_to: datetime | None
    warnings: list[FindingOut]


class HistoryOut(Schema):
    action: str
    from_status: str
    to_status: str
    version: int
    changed_fields: list[str]
    reason: str
    at: datetime
    actor: str
    ledger_entry_hash: str


class PublicNoticeOut(Schema):
    tender_id: int

    @staticmethod
    def resolve_tender_id(obj: Tender) -> int:
        return obj.pk

    ocid: str
    title: str
    resource_kind: str
    regime: str
    method: str
    status: str
    published_at: datetime | None
    bid_deadline: datetime | None


class PublicTenderOut(Schema):
    tender_id: int
    ocid: str
    title: str
    project_code: str
    resource_kind: str
    regime: str
    method: str
    status: str
    documents_from: datetime | None
    documents_until: datetime | None
    questions_until: datetime | None
    bid_deadline: datetime | None
    published_at: datetime | None
    server_time: datetime
    seconds_to_deadline: int | None
    previous_ocid: str | None
    notices: list[NoticeOut]


class LabelOut(Schema):
    code: str
    zh: str
    en: str


class MethodOut(LabelOut):
    regimes: list[str]
    public_notice: bool
    min_suppliers: int
    min_response_days: int | None
    response_unit: str | None


class KindOut(LabelOut):
    regimes: list[str]
    methods: list[str]


class ReferenceOut(Schema):
    regimes: list[LabelOut]
    resource_kinds: list[KindOut]
    methods: list[MethodOut]
    deposit_forms: list[LabelOut]
    tender_statuses: list[str]
    intake_statuses: list[str]


class NoticeFilterIn(Schema):
    q: str = Field("", max_length=100, description="Words in the title or the ocid.")
    resource_kind: str = ""
    regime: str = ""
    method: str = ""
    status: str = ""
    open_only: bool = Field(False, description="Only tenders still open for bids.")


# --- converters ---------------------------------------------------------------------------------------


def _lot_out(lot: Lot) -> LotOut:
    return LotOut(
        id=lot.pk,
        number=lot.number,
        name=lot.name,
        estimated_price_fen=lot.estimated_price_fen,
        deposit_fen=lot.deposit_fen,
        deposit_form=lot.deposit_form,
        bid_validity_days=lot.bid_validity_days,
        qualifications=lot.qualifications,
    )


def _project_out(project: Project) -> ProjectOut:
    return ProjectOut(
        id=project.pk,
        code=project.code,
        name=project.name,
        resource_kind=project.resource_kind,
        regime=project.regime,
        tenderer_id=project.tenderer_id,
        agency_id=project.agency_id,
        supervisor_id=project.supervisor_id,
        industry=project.industry,
        state_controlled=project.state_controlled,
        description=project.description,
        intake_status=project.intake_status,
        return_reason=project.return_reason,
        commitment_text=project.commitment_text,
        commitment_signed_by=project.commitment_signed_by_id,
        commitment_signed_at=project.commitment_signed_at,
        submitted_at=project.submitted_at,
        version=project.version,
        ledger_entry_hash=project.ledger_entry_hash,
        lots=[_lot_out(lot) for lot in project.lots.order_by("number")],
        tenders=[
            TenderBrief(
                id=t.pk,
                ocid=t.ocid,
                sequence=t.sequence,
                method=t.method,
                status=t.status,
                bid_deadline=t.bid_deadline,
                published_at=t.published_at,
                previous_id=t.previous_id,
            )
            for t in project.tenders.order_by("sequence")
        ],
    )


def _remaining(tender: Tender, now: datetime) -> int | None:
    if tender.bid_deadline is None or tender.status not in (states.PUBLISHED, states.DRAFT):
        return None
    return max(0, int((tender.bid_deadline - now).total_seconds()))


def _tender_out(tender: Tender) -> TenderOut:
    now = clock.now()
    next_id = Tender.objects.filter(previous=tender).values_list("pk", flat=True).first()
    return TenderOut(
        id=tender.pk,
        ocid=tender.ocid,
        project_id=tender.project_id,
        project_code=tender.project.code,
        sequence=tender.sequence,
        method=tender.method,
        regime=tender.regime,
        resource_kind=tender.resource_kind,
        status=tender.status,
        title=tender.title,
        lot_ids=list(tender.lots.order_by("number").values_list("pk", flat=True)),
        documents_from=tender.documents_from,
        documents_until=tender.documents_until,
        questions_until=tender.questions_until,
        bid_deadline=tender.bid_deadline,
        timeline_provisional=tender.timeline_provisional,
        documents_closed=tender.documents_closed,
        published_at=tender.published_at,
        suspended_at=tender.suspended_at,
        suspended_until=tender.suspended_until,
        cancel_reason=tender.cancel_reason,
        previous_id=tender.previous_id,
        next_id=next_id,
        version=tender.version,
        ledger_entry_hash=tender.ledger_entry_hash,
        server_time=now,
        seconds_to_deadline=_remaining(tender, now),
    )


def _language(request: HttpRequest) -> str:
    code = getattr(request, "LANGUAGE_CODE", "zh-hans") or "zh-hans"
    return "en" if code.startswith("en") else "zh"


def _findings(request: HttpRequest, findings: list[rules.Finding]) -> list[FindingOut]:
    language = _language(request)
    return [
        FindingOut(
            rule=f.rule_id,
            blocking=f.blocking,
            effect=f.effect,
            field=f.field,
            provisional=f.provisional,
            message=f.message.render(language),
            article=f.article.render(language),
        )
        for f in findings
    ]


def _notice_out(notice: Notice, indexes: dict[str, int] | None = None) -> NoticeOut:
    if indexes is None:
        indexes = ledger.indexes_of([notice.ledger_entry_hash])
    return NoticeOut(
        id=notice.pk,
        version=notice.version,
        kind=notice.kind,
        title=notice.title,
        body=notice.body,
        reason=notice.reason,
        published_at=notice.published_at,
        ledger_entry_hash=notice.ledger_entry_hash,
        ledger_index=indexes.get(notice.ledger_entry_hash),
        template=notice.template,
        pdf_sha256=notice.pdf_sha256,
        pdf_url=reverse("api:notice_pdf", kwargs={"tender_id": notice.tender_id, "version": notice.version})
        if notice.pdf_file_id
        else None,
    )


def _notices_out(notices: list[Notice]) -> list[NoticeOut]:
    """The notices with their ledger indexes (one query for the whole list)."""
    indexes = ledger.indexes_of(n.ledger_entry_hash for n in notices)
    return [_notice_out(n, indexes) for n in notices]


def _lots(lots: list[LotIn]) -> list[LotInput]:
    return [LotInput(**lot.model_dump()) for lot in lots]


def _intake_kwargs(payload: IntakeIn) -> dict[str, Any]:
    data = payload.model_dump(exclude={"lots", "version"})
    data["lots"] = _lots(payload.lots)
    return data


# --- reference and public notices -----------------------------------------------------------------------


@router.get(
    "/reference", response=ReferenceOut, auth=None, summary="Resource kinds, regimes, methods, deposit forms"
)
def reference_data(request: HttpRequest) -> ReferenceOut:
    return ReferenceOut(
        regimes=[LabelOut(code=r.code, zh=r.label.zh, en=r.label.en) for r in reference.REGIMES.values()],
        resource_kinds=[
            KindOut(
                code=k.code, zh=k.label.zh, en=k.label.en, regimes=list(k.regimes), methods=list(k.methods)
            )
            for k in reference.RESOURCE_KINDS.values()
        ],
        methods=[
            MethodOut(
                code=m.code,
                zh=m.label.zh,
                en=m.label.en,
                regimes=list(m.regimes),
                public_notice=m.public_notice,
                min_suppliers=m.min_suppliers,
                min_response_days=m.min_response_days,
                response_unit=m.response_unit,
            )
            for m in reference.METHOD_RULES.values()
        ],
        deposit_forms=[
            LabelOut(code=f.code, zh=f.label.zh, en=f.label.en) for f in reference.DEPOSIT_FORMS.values()
        ],
        tender_statuses=list(states.TENDER_STATUSES),
        intake_statuses=list(states.INTAKE_STATUSES),
    )


@router.get(
    "/notices", response=list[PublicNoticeOut], auth=None, summary="Published tender notices (public)"
)
@paginate(LimitOffsetPagination)
def list_notices(request: HttpRequest, filters: Query[NoticeFilterIn]) -> object:
    found = selectors.search_public_tenders(
        selectors.NoticeFilters(
            q=filters.q,
            resource_kind=filters.resource_kind,
            regime=filters.regime,
            method=filters.method,
            status=filters.status,
            open_only=filters.open_only,
        ),
        now=clock.now(),
    )
    # a queryset: the paginator slices it in the database
    return found.only(
        "pk", "ocid", "title", "resource_kind", "regime", "method", "status", "published_at", "bid_deadline"
    )


@router.get(
    "/notices/{tender_id}",
    response=PublicTenderOut,
    auth=None,
    summary="One published tender and its notices",
)
def get_notice(request: HttpRequest, tender_id: int) -> PublicTenderOut:
    tender = selectors.public_tender(tender_id)
    now = clock.now()
    return PublicTenderOut(
        tender_id=tender.pk,
        ocid=tender.ocid,
        title=tender.title,
        project_code=tender.project.code,
        resource_kind=tender.resource_kind,
        regime=tender.regime,
        method=tender.method,
        status=tender.status,
        documents_from=tender.documents_from,
        documents_until=tender.documents_until,
        questions_until=tender.questions_until,
        bid_deadline=tender.bid_deadline,
        published_at=tender.published_at,
        server_time=now,
        seconds_to_deadline=_remaining(tender, now),
        previous_ocid=tender.previous.ocid if tender.previous_id and tender.previous else None,
        notices=_notices_out(selectors.notices_of(tender)),
    )


@router.get(
    "/notices/{tender_id}/versions/{version}/pdf",
    auth=None,
    url_name="notice_pdf",
    response={200: None},
    summary="A notice version as PDF, produced from the standard notice template (public)",
)
def notice_pdf(request: HttpRequest, tender_id: int, version: int) -> HttpResponseBase:
    tender = selectors.public_tender(tender_id)
    notice = next((n for n in selectors.notices_of(tender) if n.version == version), None)
    if notice is None:
        raise NotFound()
    return notice_pdf_response(request, notice)


# --- projects (intake) --------------------------------------------------------------------------------


@router.get("/projects", response=list[ProjectBrief], summary="Projects I may see")
@paginate(LimitOffsetPagination)
def list_projects(request: HttpRequest, intake_status: str = "") -> object:
    projects = selectors.visible_projects(principal_for(request)).order_by("-submitted_at", "-id")
    if intake_status:
        projects = projects.filter(intake_status=intake_status)
    return projects


@router.post("/projects", response={201: ProjectOut}, summary="Submit a project intake (by commitment)")
def submit_intake(request: HttpRequest, payload: IntakeIn) -> Status[ProjectOut]:
    project = services.submit_intake(principal=principal_for(request), **_intake_kwargs(payload))
    return Status(201, _project_out(project))


@router.get("/projects/{project_id}", response=ProjectOut, summary="One project with its lots and tenders")
def get_project(request: HttpRequest, project_id: int) -> ProjectOut:
    return _project_out(selectors.project_for(principal_for(request), project_id))


@router.put("/projects/{project_id}", response=ProjectOut, summary="Correct (and resubmit) an intake")
def update_intake(request: HttpRequest, project_id: int, payload: IntakeUpdateIn) -> ProjectOut:
    project = services.update_intake(
        principal=principal_for(request),
        project_id=project_id,
        expected_version=payload.version,
        **_intake_kwargs(payload),
    )
    return _project_out(project)


@router.post("/projects/{project_id}/accept", response=ProjectOut, summary="Accept an intake (centre staff)")
def accept_intake(request: HttpRequest, project_id: int, payload: VersionIn) -> ProjectOut:
    project = services.accept_intake(
        principal=principal_for(request), project_id=project_id, expected_version=payload.version
    )
    return _project_out(project)


@router.post(
    "/projects/{project_id}/return",
    response=ProjectOut,
    summary="Return an intake with reasons (centre staff)",
)
def return_intake(request: HttpRequest, project_id: int, payload: ReturnIn) -> ProjectOut:
    project = services.return_intake(
        principal=principal_for(request),
        project_id=project_id,
        reason=payload.reason,
        expected_version=payload.version,
    )
    return _project_out(project)


@router.get(
    "/projects/{project_id}/history", response=list[HistoryOut], summary="The project's status history"
)
def project_history(request: HttpRequest, project_id: int) -> list[HistoryOut]:
    project = selectors.project_for(principal_for(request), project_id)
    return [
        HistoryOut(
            action=h.action,
            from_status=h.from_status,
            to_status=h.to_status,
            version=h.version,
            changed_fields=list(h.changed_fields),
            reason=h.reason,
            at=h.at,
            actor=h.actor_name,
            ledger_entry_hash=h.ledger_entry_hash,
        )
        for h in selectors.history_of(project)
    ]


@router.post(
    "/projects/{project_id}/tenders",
    response={201: TenderOut},
    summary="Start a tender for lots of the project",
)
def create_tender(request: HttpRequest, project_id: int, payload: TenderIn) -> Status[TenderOut]:
    tender = services.create_tender(
        principal=principal_for(request),
        project_id=project_id,
        method=payload.method,
        lot_ids=payload.lot_ids,
        title=payload.title,
    )
    return Status(201, _tender_out(tender))


# --- tenders ---------------------------------------------------------------------------------------------


@router.get("/tenders/{tender_id}", response=TenderOut, summary="One tender (workspace view)")
def get_tender(request: HttpRequest, tender_id: int) -> TenderOut:
    return _tender_out(selectors.tender_for(principal_for(request), tender_id))


@router.get(
    "/tenders/{tender_id}/notices", response=list[NoticeOut], summary="Every notice version of the tender"
)
def tender_notices(request: HttpRequest, tender_id: int) -> list[NoticeOut]:
    tender = selectors.tender_for(principal_for(request), tender_id)
    return _notices_out(selectors.notices_of(tender))


@router.get(
    "/tenders/{tender_id}/check", response=list[FindingOut], summary="Statutory check of the saved timeline"
)
def check_tender(request: HttpRequest, tender_id: int) -> list[FindingOut]:
    tender = selectors.tender_for(principal_for(request), tender_id)
    return _findings(request, services.check_timeline_of(tender))


@router.put(
    "/tenders/{tender_id}/timeline", response=TimelineOut, summary="Set a draft tender's timeline (checked)"
)
def save_timeline(request: HttpRequest, tender_id: int, payload: TimelineIn) -> TimelineOut:
    result = services.save_timeline(
        principal=principal_for(request),
        tender_id=tender_id,
        expected_version=payload.version,
        documents_from=payload.documents_from,
        documents_until=payload.documents_until,
        questions_until=payload.questions_until,
        bid_deadline=payload.bid_deadline,
    )
    return TimelineOut(tender=_tender_out(result.tender), warnings=_findings(request, result.warnings))


@router.post(
    "/tenders/{tender_id}/publish", response=TenderOut, summary="Publish the tender notice (tenderer/agency)"
)
def publish_tender(request: HttpRequest, tender_id: int, payload: PublishIn) -> TenderOut:
    tender = services.publish_tender(
        principal=principal_for(request),
        tender_id=tender_id,
        expected_version=payload.version,
        title=payload.title,
        body=payload.body,
    )
    return _tender_out(tender)


@router.post(
    "/tenders/{tender_id}/amend", response=AmendOut, summary="Publish an amendment (a new notice version)"
)
def amend_tender(request: HttpRequest, tender_id: int, payload: AmendIn) -> AmendOut:
    result = services.amend_tender(
        principal=principal_for(request),
        tender_id=tender_id,
        expected_version=payload.version,
        reason=payload.reason,
        body=payload.body,
        title=payload.title,
        documents_until=payload.documents_until,
        questions_until=payload.questions_until,
        bid_deadline=payload.bid_deadline,
        affects_preparation=payload.affects_preparation,
    )
    return AmendOut(
        tender=_tender_out(result.tender),
        notice=_notice_out(result.notice),
        moved_to=result.moved_to,
        warnings=_findings(request, result.warnings),
    )


@router.post(
    "/tenders/{tender_id}/suspend", response=TenderOut, summary="Suspend the tender (deadlines stop)"
)
def suspend_tender(request: HttpRequest, tender_id: int, payload: SuspendIn) -> TenderOut:
    tender = services.suspend_tender(
        principal=principal_for(request),
        tender_id=tender_id,
        reason=payload.reason,
        ground=payload.ground,
        until=payload.until,
        expected_version=payload.version,
    )
    return _tender_out(tender)


@router.post(
    "/tenders/{tender_id}/resume", response=TimelineOut, summary="Resume the tender (deadlines recomputed)"
)
def resume_tender(request: HttpRequest, tender_id: int, payload: ResumeIn) -> TimelineOut:
    result = services.resume_tender(
        principal=principal_for(request),
        tender_id=tender_id,
        reason=payload.reason,
        expected_version=payload.version,
    )
    return TimelineOut(tender=_tender_out(result.tender), warnings=_findings(request, result.warnings))


@router.post(
    "/tenders/{tender_id}/cancel",
    response=TenderOut,
    summary="Terminate the tender with reasons (T18 refunds)",
)
def cancel_tender(request: HttpRequest, tender_id: int, payload: CancelIn) -> TenderOut:
    tender = services.cancel_tender(
        principal=principal_for(request),
        tender_id=tender_id,
        reason=payload.reason,
        expected_version=payload.version,
    )
    return _tender_out(tender)


@router.post(
    "/tenders/{tender_id}/retender",
    response={201: TenderOut},
    summary="Re-tender after fewer than three bids (T7)",
)
def retender(request: HttpRequest, tender_id: int, payload: RetenderIn) -> Status[TenderOut]:
    new = services.retender(
        principal=principal_for(request),
        tender_id=tender_id,
        bids_received=payload.bids_received,
        reason=payload.reason,
        method=payload.method,
        expected_version=payload.version,
    )
    return Status(201, _tender_out(new))
