"""Reads of the documents context, filtered by what the principal may see.

Downloaders are never listed here for the tenderer, the agency or the public: the only reads of
``DownloadReceipt`` are a bidder's own receipts and, after the bid deadline, the oversight list
(``permissions.may_view_downloads``). No count of downloads is offered to anyone before then.
"""

from __future__ import annotations

import re

from django.db.models import QuerySet

from yingshang.kernel import clock
from yingshang.kernel.errors import NotFound
from yingshang.kernel.policy import Principal
from yingshang.trading.documents.models import DocumentVersion, DownloadReceipt, Question, TenderDocument
from yingshang.trading.documents.permissions import may_view_downloads, policy
from yingshang.trading.projects import facade as projects
from yingshang.trading.projects.contracts import TenderSummary


def tender(tender_id: int) -> TenderSummary:
    """The tender's summary from the projects facade; ``NotFound`` for an unknown id."""
    if isinstance(tender_id, bool) or not isinstance(tender_id, int) or tender_id < 1:
        raise NotFound()
    try:
        return projects.tender_summary(tender_id)
    except LookupError:
        raise NotFound() from None


def visible_tender(principal: Principal, tender_id: int, action: str = "view_published") -> TenderSummary:
    """The tender if ``principal`` may ``action`` it; ``NotFound`` when it may not even see it,
    the policy's denial when it sees it but may not act."""
    policy.require(principal, "view_catalogue")  # an API token without tenderdocs:read: 403
    summary = tender(tender_id)
    if not policy.allows(principal, "view_published", summary):
        raise NotFound()
    policy.require(principal, action, summary)
    return summary


def document_by_id(document_id: int) -> TenderDocument:
    document = TenderDocument.objects.filter(pk=document_id).first()
    if document is None:
        raise NotFound()
    return document


def document_of(tender_id: int) -> TenderDocument | None:
    return TenderDocument.objects.filter(tender_id=tender_id).first()


def published_versions(tender_id: int) -> QuerySet[DocumentVersion]:
    return DocumentVersion.objects.filter(tender_id=tender_id).order_by("number")


def version(tender_id: int, number: int) -> DocumentVersion:
    found = DocumentVersion.objects.filter(tender_id=tender_id, number=number).first()
    if found is None:
        raise NotFound()
    return found


def own_receipts(principal: Principal, tender_id: int | None = None) -> QuerySet[DownloadReceipt]:
    """The receipts of the principal's organisation (a bidder's own)."""
    if principal.organisation_id is None or not principal.has_scope("tenderdocs:read"):
        return DownloadReceipt.objects.none()
    found = DownloadReceipt.objects.filter(organisation_id=principal.organisation_id)
    if tender_id is not None:
        found = found.filter(tender_id=tender_id)
    return found.select_related("version").order_by("-issued_at", "-id")


RECEIPT_NUMBER = re.compile(r"DR[0-9A-F]{20}")


def own_receipt(principal: Principal, number: str) -> DownloadReceipt:
    """One of the principal's organisation's receipts; ``NotFound`` for anyone else's."""
    if not isinstance(number, str) or not RECEIPT_NUMBER.fullmatch(number):
        raise NotFound()
    found = own_receipts(principal).filter(number=number).first()
    if found is None:
        raise NotFound()
    return found


def downloads_for_oversight(principal: Principal, summary: TenderSummary) -> QuerySet[DownloadReceipt]:
    """Who downloaded, for oversight after the bid deadline; ``PermissionDenied`` otherwise."""
    if not may_view_downloads(principal, summary, clock.now()):
        from yingshang.kernel.errors import PermissionDenied
        from yingshang.kernel.text import Text

        raise PermissionDenied(
            Text(
                zh="获取招标文件的投标人名单在投标截止前保密，仅在截止后向监督、审计和交易中心开放；招标人和代理机构无权查看。",
                en="Who obtained the documents is secret until the bid deadline; afterwards only oversight "
                "(supervisor, auditors, centre staff) may see it, never the tenderer or the agency.",
            ),
            code="downloads_secret",
        )
    return (
        DownloadReceipt.objects.filter(tender_id=summary.id)
        .select_related("version", "organisation")
        .order_by("issued_at", "id")
    )


def questions_for_managers(tender_id: int) -> QuerySet[Question]:
    return Question.objects.filter(tender_id=tender_id).order_by("number")


def own_questions(principal: Principal, tender_id: int) -> QuerySet[Question]:
    if principal.organisation_id is None:
        return Question.objects.none()
    return Question.objects.filter(
        tender_id=tender_id, asker_organisation_id=principal.organisation_id
    ).order_by("number")


def answered_questions(tender_id: int) -> QuerySet[Question]:
    """Published answers (everyone who may see the documents sees them, without askers)."""
    return Question.objects.filter(tender_id=tender_id, status=Question.Status.ANSWERED).order_by("number")
