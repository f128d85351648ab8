"""The documents context's evidence: its ledger action codes (Chinese and English labels), its
ledgered aggregates and the small helpers its services use to record facts.

Imported by ``DocumentsConfig.ready()``. Reaches the ledger only through its facade and
contracts. The table of codes is in ``docs/contexts/documents.md`` ("Evidence").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from yingshang.kernel import request_context
from yingshang.kernel.policy import Principal
from yingshang.ledger import facade as ledger
from yingshang.ledger.contracts import Actor, Subject

CREATED = "trading.documents.created"
DRAFT_SAVED = "trading.documents.draft_saved"
PUBLISHED = "trading.documents.published"
AMENDED = "trading.documents.amended"
CLARIFIED = "trading.documents.clarified"
RECEIPT_ISSUED = "trading.documents.receipt_issued"
QUESTION_ASKED = "trading.documents.question_asked"
TEMPLATE_PINNED = "trading.documents.template_pinned"

ACTIONS: dict[str, tuple[str, str]] = {
    CREATED: ("从标准模板创建招标文件", "Tender documents created from a standard template"),
    DRAFT_SAVED: ("保存招标文件草稿", "Tender documents draft saved"),
    PUBLISHED: ("发布招标文件", "Tender documents published"),
    AMENDED: ("修改招标文件（新版本）", "Tender documents amended (new version)"),
    CLARIFIED: ("澄清招标文件（新版本）", "Tender documents clarified (new version)"),
    RECEIPT_ISSUED: ("出具招标文件下载回执", "Document download receipt issued"),
    QUESTION_ASKED: ("匿名提出澄清问题", "Question asked anonymously"),
    TEMPLATE_PINNED: ("标准模板版本启用并锁定", "Standard template version pinned at first use"),
}


def documents_subject(document: Any) -> Subject:
    return Subject("trading", "tender_documents", str(document.pk))


def version_subject(version: Any) -> Subject:
    return Subject("trading", "tender_documents_version", str(version.pk))


def receipt_subject(commitment: str) -> Subject:
    """A receipt is named by its commitment alone: the subject says nothing about the tender."""
    return Subject("trading", "document_receipt", commitment)


def question_subject(question: Any) -> Subject:
    return Subject("trading", "tender_question", str(question.pk))


def template_subject(code: str, version: int) -> Subject:
    return Subject("trading", "document_template", f"{code}@v{version}")


def actor_of(principal: Principal) -> Actor:
    if principal.user_id is None:
        return Actor.system("tenderdocs")
    roles = ",".join(sorted(principal.roles)) or None
    return Actor.user(principal.user_id, organisation_id=principal.organisation_id, role=roles)


BLIND_ACTOR = Actor.system("tenderdocs")


@contextmanager
def blinded() -> Iterator[None]:
    """Record without the request's client address or id: a download or a question must not
    carry anything that points at the bidder (an IP address would)."""
    token = request_context.bind(request_id="", client_address="")
    try:
        yield
    finally:
        request_context.reset(token)


def register() -> None:
    """Register the action codes and the ledgered aggregates (from ``DocumentsConfig.ready``)."""
    from yingshang.trading.documents.models import DocumentVersion, TenderDocument

    for code, (zh, en) in ACTIONS.items():
        ledger.register_action(code, zh, en)
    ledger.ledgered(
        TenderDocument,
        # The template never changes after creation; the working values are recorded by digest in
        # each draft_saved entry, and what is published lives in the ledgered versions.
        fields=("tender_id", "template_code", "template_version"),
        subject=documents_subject,
    )
    ledger.ledgered(
        DocumentVersion,
        fields=("tender_id", "number", "kind", "values_sha256", "file_id", "sha256", "deadline_after"),
        subject=version_subject,
    )
