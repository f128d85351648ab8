"""What the evaluation context hands to other contexts: frozen dataclasses. Pure: no Django."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

__all__ = ["Candidate", "EvaluationReport", "ItemLabel", "MemberScore"]


@dataclass(frozen=True)
class Candidate:
    rank: int  # 1, 2, 3 (T10: at most three)
    bid_id: int
    organisation_id: int
    bidder_uscc: str
    bidder_name: str
    price_fen: int  # the opening price
    score: Decimal | None  # comprehensive scoring: the final score; else None
    evaluated_price_fen: int | None  # lowest evaluated price: the evaluated price; else None


@dataclass(frozen=True)
class MemberScore:
    member_code: str  # expert code (pseudonym), never a name
    bid_id: int
    item: str  # scoring item code, or "total"
    value: Decimal


@dataclass(frozen=True)
class ItemLabel:
    """A scoring item's name, for publishing the scores (``item`` of :class:`MemberScore`)."""

    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class EvaluationReport:
    evaluation_id: int
    tender_id: int
    lot_id: int
    regime: str  # "tendering" | "procurement"
    method: str  # "comprehensive" | "lowest_evaluated_price" | "qualification"
    finished_at: datetime  # when the last member signed (the report is received then)
    report_sha256: str  # hash of the canonical report document recorded in the ledger
    candidates: tuple[Candidate, ...]  # ranked, at most three
    members: tuple[str, ...]  # member codes that signed
    scores: tuple[MemberScore, ...]  # each member's scores (for the anonymised publication)
    items: tuple[ItemLabel, ...] = ()  # the names of the items in ``scores`` ("total" included)
