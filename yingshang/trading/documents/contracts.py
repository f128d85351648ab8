"""What the documents context hands to other contexts. Pure: no Django."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["DocumentVersionSummary", "TemplateSummary"]


@dataclass(frozen=True)
class TemplateSummary:
    code: str
    version: int
    category: str
    volume: int
    title_zh: str
    title_en: str


@dataclass(frozen=True)
class DocumentVersionSummary:
    """One published version of a tender's documents."""

    tender_id: int
    number: int
    kind: str  # original | amendment | clarification
    file_id: int  # the files context's document id of the PDF
    sha256: str
    published_at: datetime
    ledger_entry_hash: str
    deadline_after: datetime | None
