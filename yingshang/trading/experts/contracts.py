"""What the experts context hands to other contexts: frozen dataclasses. Pure: no Django.

Committee members are named by their expert code (a stable pseudonym such as ``EX-7K2M9Q``)
until the award result is fixed (T9.secret, 招标投标法 art. 37): nothing here carries a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Committee", "CommitteeMember", "NamedMember"]


@dataclass(frozen=True)
class CommitteeMember:
    code: str  # the expert's pseudonym, or "REP-<n>" for a tenderer's representative
    kind: str  # "expert" | "representative"
    user_id: int | None  # the account that signs in for this seat (None for an unlinked imported expert)
    specialty: str  # specialty code the seat was drawn for ("" for a representative)
    remote: bool  # evaluates remotely (cross-region)
    confirmed_at: datetime | None


@dataclass(frozen=True)
class Committee:
    tender_id: int
    lot_id: int
    regime: str  # "tendering" | "procurement"
    status: str  # "drawing" (seats still open) | "complete" (every seat confirmed)
    size: int  # seats required (experts + representatives)
    members: tuple[CommitteeMember, ...]  # confirmed members only, in draw order

    @property
    def complete(self) -> bool:
        return self.status == "complete"


@dataclass(frozen=True)
class NamedMember:
    """A member with identity, available only once the identities are published."""

    code: str
    name: str
    employer_name: str
    specialty: str
