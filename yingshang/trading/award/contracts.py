"""What the award context hands to other contexts: frozen dataclasses. Pure: no Django."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

__all__ = ["AwardStatus", "ClockStatus"]


@dataclass(frozen=True)
class ClockStatus:
    rule_id: str  # "T11.start", "T11.reply", "T13", "T14", "G6.award", "G6.notice", "G7", "G7.filing"
    due_on: date  # the last day (Beijing)
    due_at: datetime  # 24:00 Beijing of the last day, UTC
    status: str  # open | overdue | met | met_late
    met_at: datetime | None


@dataclass(frozen=True)
class AwardStatus:
    award_id: int
    tender_id: int
    lot_id: int
    regime: str  # "tendering" | "procurement"
    status: str  # states.py: received, publicity, suspended, publicity_ended, awarded, contracted,
    #              reported, completed, retender
    received_at: datetime  # the evaluation report's finishing time
    publicity_starts_at: datetime | None
    publicity_ends_at: datetime | None  # 24:00 Beijing of the last day, UTC
    pending_objections: int
    winner_rank: int | None
    winner_organisation_id: int | None
    winner_price_fen: int | None
    awarded_at: datetime | None
    contract_signed_on: date | None
    contract_price_fen: int | None
    reported_at: datetime | None
    clocks: tuple[ClockStatus, ...] = ()
