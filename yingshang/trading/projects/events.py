"""Events the projects context publishes (on commit). Pure: no Django.

Subscribe with ``yingshang.kernel.events.subscribe(TenderCancelled, handler)``; subscribe to
``ProjectsEvent`` for all of them. Fields are ids and plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from yingshang.kernel.events import DomainEvent

__all__ = [
    "BidDeadlinePassed",
    "DeadlineMoved",
    "IntakeAccepted",
    "IntakeReturned",
    "IntakeSubmitted",
    "NoticeAmended",
    "ProjectsEvent",
    "TenderCancelled",
    "TenderCreated",
    "TenderPublished",
    "TenderResumed",
    "TenderRetendered",
    "TenderSuspended",
]


@dataclass(frozen=True)
class ProjectsEvent(DomainEvent, abstract=True):
    project_id: int


@dataclass(frozen=True)
class IntakeSubmitted(ProjectsEvent):
    name = "trading.project.submitted"


@dataclass(frozen=True)
class IntakeAccepted(ProjectsEvent):
    name = "trading.project.accepted"


@dataclass(frozen=True)
class IntakeReturned(ProjectsEvent):
    name = "trading.project.returned"
    reason: str = ""


@dataclass(frozen=True)
class TenderCreated(ProjectsEvent):
    name = "trading.tender.created"
    tender_id: int = 0


@dataclass(frozen=True)
class TenderPublished(ProjectsEvent):
    name = "trading.tender.published"
    tender_id: int = 0


@dataclass(frozen=True)
class NoticeAmended(ProjectsEvent):
    name = "trading.tender.amended"
    tender_id: int = 0
    version: int = 0


@dataclass(frozen=True)
class DeadlineMoved(ProjectsEvent):
    name = "trading.tender.deadline_moved"
    tender_id: int = 0
    old_deadline: datetime | None = None
    new_deadline: datetime | None = None
    rule: str = ""


@dataclass(frozen=True)
class TenderSuspended(ProjectsEvent):
    name = "trading.tender.suspended"
    tender_id: int = 0


@dataclass(frozen=True)
class TenderResumed(ProjectsEvent):
    name = "trading.tender.resumed"
    tender_id: int = 0


@dataclass(frozen=True)
class BidDeadlinePassed(ProjectsEvent):
    name = "trading.tender.bid_deadline_passed"
    tender_id: int = 0


@dataclass(frozen=True)
class TenderCancelled(ProjectsEvent):
    """A tender was terminated: deposits, document fees and interest must be refunded (T18)."""

    name = "trading.tender.cancelled"
    tender_id: int = 0
    refund_required: bool = True


@dataclass(frozen=True)
class TenderRetendered(ProjectsEvent):
    name = "trading.tender.retendered"
    tender_id: int = 0  # the failed tender
    new_tender_id: int = 0
