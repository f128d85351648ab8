"""What the projects context hands to other contexts. Pure: no Django.

Returned by ``facade`` functions (docs/contexts/projects.md). Times are aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["LotInput", "LotSummary", "ProjectSummary", "TenderSummary"]


@dataclass(frozen=True)
class TenderSummary:
    """One tender (one run of a method for one or more lots)."""

    id: int
    ocid: str
    project_id: int
    code: str  # the project's code
    title: str  # the project's name
    #: states.py: draft, published, suspended, bid_deadline_passed, cancelled, failed
    status: str
    regime: str  # "tendering" | "procurement"
    method: str  # kernel.statutory.METHODS
    resource_kind: str  # reference.RESOURCE_KINDS
    tenderer_org_id: int
    agency_org_id: int | None
    supervisor_org_id: int | None
    documents_from: datetime | None  # download period start (UTC)
    documents_until: datetime | None  # download period end (UTC)
    questions_until: datetime | None
    bid_deadline: datetime | None  # the bid deadline, which is also the opening time
    published_at: datetime | None
    suspended: bool
    # additions (defaults keep the interface stable)
    lot_ids: tuple[int, ...] = ()
    previous_tender_id: int | None = None
    state_controlled: bool = False
    intake_status: str = ""  # submitted | accepted | returned


@dataclass(frozen=True)
class LotSummary:
    id: int
    project_id: int
    number: int
    name: str
    estimated_price_fen: int
    deposit_fen: int
    deposit_form: str
    bid_validity_days: int


@dataclass(frozen=True)
class ProjectSummary:
    id: int
    code: str
    name: str
    resource_kind: str
    regime: str
    intake_status: str  # submitted | accepted | returned
    tenderer_org_id: int
    agency_org_id: int | None
    supervisor_org_id: int | None
    state_controlled: bool
    lots: tuple[LotSummary, ...] = ()


@dataclass(frozen=True)
class LotInput:
    """A lot as submitted at intake."""

    name: str
    estimated_price_fen: int
    deposit_fen: int = 0
    deposit_form: str = "guarantee"
    bid_validity_days: int = 90
    qualifications: str = ""
