"""The documents context's only door for other contexts (documented in docs/contexts/documents.md).

Other contexts never learn who downloaded the documents: nothing here lists or counts downloads.
"""

from __future__ import annotations

from datetime import datetime

from yingshang.trading.documents import catalogue, selectors
from yingshang.trading.documents.contracts import DocumentVersionSummary, TemplateSummary
from yingshang.trading.documents.models import DocumentVersion

__all__ = [
    "DocumentVersionSummary",
    "TemplateSummary",
    "current_version",
    "ensure_demo_documents",
    "load_documents_demo",
    "templates",
]


def templates() -> list[TemplateSummary]:
    """The latest version of each standard template, in the set's order."""
    return [
        TemplateSummary(t.code, t.version, t.category, t.volume, t.title.zh, t.title.en)
        for t in catalogue.current_templates()
    ]


def _summary(version: DocumentVersion) -> DocumentVersionSummary:
    return DocumentVersionSummary(
        tender_id=version.tender_id,
        number=version.number,
        kind=version.kind,
        file_id=version.file_id,
        sha256=version.sha256,
        published_at=version.published_at,
        ledger_entry_hash=version.ledger_entry_hash,
        deadline_after=version.deadline_after,
    )


def current_version(tender_id: int) -> DocumentVersionSummary | None:
    """The tender's current published version, or None before publication."""
    found = selectors.published_versions(tender_id).order_by("-number").first()
    return _summary(found) if found is not None else None


def ensure_demo_documents(tender_id: int, *, until: datetime | None = None) -> bool:
    """Demo: documents for one tender right after it is published (inside the clock it was
    published with; ``until`` = the real present): version 1, three downloads with receipts and
    a question answered in a clarification, each step only if its moment is not after ``until``.
    Idempotent."""
    from yingshang.trading.documents import demo

    return demo.ensure_demo_documents(tender_id, until=until)


def load_documents_demo() -> int:
    """Documents, downloads with receipts and a question for the demo tenders (idempotent):
    call after the projects demo has created its tenders. Returns how many tenders got documents."""
    from yingshang.trading.documents import demo

    return demo.load()
