"""Evidence of the projects context: its ledger action codes (Chinese and English labels), its
ledgered aggregates, subjects, actors and visibilities. Imported by ``ProjectsConfig.ready()``;
reaches the ledger only through its facade and contracts. The table is in
docs/contexts/projects.md ("Evidence").
"""

from __future__ import annotations

from typing import Any

from yingshang.kernel.policy import Principal
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor, Subject, Visibility

PROJECT_SUBMITTED = "trading.project.submitted"
PROJECT_RESUBMITTED = "trading.project.resubmitted"
PROJECT_ACCEPTED = "trading.project.accepted"
PROJECT_RETURNED = "trading.project.returned"
LOT_SAVED = "trading.lot.saved"
LOT_REMOVED = "trading.lot.removed"
TENDER_CREATED = "trading.tender.created"
TIMELINE_SAVED = "trading.tender.timeline_saved"
TENDER_PUBLISHED = "trading.tender.published"
NOTICE_PUBLISHED = "trading.notice.published"
TENDER_AMENDED = "trading.tender.amended"
DEADLINE_MOVED = "trading.tender.deadline_moved"
TENDER_SUSPENDED = "trading.tender.suspended"
TENDER_RESUMED = "trading.tender.resumed"
DOCUMENTS_CLOSED = "trading.tender.documents_closed"
BID_DEADLINE_PASSED = "trading.tender.bid_deadline_passed"
TENDER_CANCELLED = "trading.tender.cancelled"
REFUND_OBLIGATION = "trading.tender.refund_obligation"
TENDER_FAILED = "trading.tender.failed"
TENDER_RETENDERED = "trading.tender.retendered"

ACTIONS: dict[str, tuple[str, str]] = {
    PROJECT_SUBMITTED: ("提交进场登记", "Project intake submitted"),
    PROJECT_RESUBMITTED: ("重新提交进场登记", "Project intake resubmitted"),
    PROJECT_ACCEPTED: ("受理进场登记", "Project intake accepted"),
    PROJECT_RETURNED: ("退回进场登记", "Project intake returned"),
    LOT_SAVED: ("保存标段（包）", "Lot saved"),
    LOT_REMOVED: ("删除标段（包）", "Lot removed"),
    TENDER_CREATED: ("创建招标（采购）", "Tender created"),
    TIMELINE_SAVED: ("保存时间安排", "Tender timeline saved"),
    TENDER_PUBLISHED: ("发布招标公告", "Tender notice published"),
    NOTICE_PUBLISHED: ("发布公告版本", "Notice version published"),
    TENDER_AMENDED: ("变更公告", "Tender notice amended"),
    DEADLINE_MOVED: ("顺延投标截止时间", "Bid deadline moved"),
    TENDER_SUSPENDED: ("暂停招标", "Tender suspended"),
    TENDER_RESUMED: ("恢复招标", "Tender resumed"),
    DOCUMENTS_CLOSED: ("文件获取期结束", "Download period over"),
    BID_DEADLINE_PASSED: ("投标截止", "Bid deadline reached"),
    TENDER_CANCELLED: ("终止招标", "Tender terminated"),
    REFUND_OBLIGATION: ("退还保证金义务", "Refund obligation (T18)"),
    TENDER_FAILED: ("招标失败（投标人不足三个）", "Tender failed (fewer than three bids)"),
    TENDER_RETENDERED: ("重新招标", "Re-tender created"),
}


def project_subject(project: Any) -> Subject:
    return Subject("trading", "project", str(project.pk))


def lot_subject(lot: Any) -> Subject:
    return Subject("trading", "lot", str(lot.pk))


def tender_subject(tender: Any) -> Subject:
    return Subject("trading", "tender", str(tender.pk))


def notice_subject(notice: Any) -> Subject:
    return Subject("trading", "notice", str(notice.pk))


def actor_of(principal: Principal | None) -> Actor:
    if principal is None or principal.user_id is None:
        return Actor.system("projects")
    roles = ",".join(sorted(principal.roles)) or None
    return Actor.user(principal.user_id, organisation_id=principal.organisation_id, role=roles)


def parties_of(project: Any) -> Visibility:
    """The project's parties: tenderer, agency and the competent supervisory department."""
    organisations = [project.tenderer_id]
    if project.agency_id:
        organisations.append(project.agency_id)
    if project.supervisor_id:
        organisations.append(project.supervisor_id)
    return Visibility.parties(organisation_ids=organisations)


def register() -> None:
    from yingshang.trading.projects.models import Lot, Notice, Project, Tender

    for code, (zh, en) in ACTIONS.items():
        ledger.register_action(code, zh, en)
    ledger.ledgered(
        Project,
        fields=(
            "code", "name", "resource_kind", "regime", "tenderer_id", "agency_id", "supervisor_id",
            "industry", "state_controlled", "commitment_text", "commitment_signed_by_id",
            "commitment_signed_at", "intake_status", "return_reason", "version",
        ),
        subject=project_subject,
    )  # fmt: skip
    ledger.ledgered(
        Lot,
        fields=(
            "project_id", "number", "name", "estimated_price_fen", "qualifications", "deposit_fen",
            "deposit_form", "bid_validity_days",
        ),
        subject=lot_subject,
        deletions=(LOT_REMOVED,),
    )  # fmt: skip
    ledger.ledgered(
        Tender,
        fields=(
            "project_id", "ocid", "method", "status", "title", "documents_from", "documents_until",
            "questions_until", "bid_deadline", "published_at", "suspended_at", "suspended_until",
            "cancelled_at", "cancel_reason", "previous_id", "version",
        ),
        subject=tender_subject,
    )  # fmt: skip
    ledger.ledgered(
        Notice,
        fields=(
            "tender_id",
            "version",
            "kind",
            "title",
            "body",
            "reason",
            "published_at",
            "template",
            "pdf_file_id",
            "pdf_sha256",
        ),
        subject=notice_subject,
    )
