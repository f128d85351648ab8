"""Who may be drawn for a need: the exclusion rules, as pure functions. Pure: no Django.

Each candidate gets at most one reason (the first that applies, in ``REASONS`` order), so the
counts per reason add up to the number excluded.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

__all__ = [
    "REASONS",
    "Candidate",
    "Eligibility",
    "Need",
    "eligibility",
    "exclusion_reason",
    "new_code",
]

#: Exclusion reasons, in the order they are checked.
REASONS: tuple[str, ...] = (
    "not_approved",
    "blacklisted",
    "suspended",
    "specialty",
    "region",
    "unavailable",
    "employed_by_bidder",
    "employed_by_tenderer",
    "relationship",
    "declared_conflict",
    "recent_draw",
    "already_drawn",
)

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I


def new_code() -> str:
    """A fresh pseudonymous expert code such as ``EX-7K2M9Q``."""
    return "EX-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


@dataclass(frozen=True)
class Candidate:
    """What the rules need to know about one expert."""

    code: str
    approved: bool
    blacklisted: bool
    suspended_until: date | None
    specialties: tuple[str, ...]
    region: str
    employer_uscc: str
    #: (organisation USCC, until) of relationships (former employer, shareholding, ...)
    relationships: tuple[tuple[str, date | None], ...] = ()
    #: organisation USCCs the expert declared a conflict with
    conflicts: tuple[str, ...] = ()
    #: (starts, ends) periods the expert cannot serve
    unavailable: tuple[tuple[datetime, datetime], ...] = ()
    #: when the expert was last drawn for this tenderer (None: never)
    last_drawn_for_tenderer: datetime | None = None


@dataclass(frozen=True)
class Need:
    """One row of a need, with the facts of the tender it serves."""

    specialty: str
    regions: tuple[str, ...]  # empty: any region
    evaluation_at: datetime
    bidder_usccs: frozenset[str]
    tenderer_usccs: frozenset[str]  # the tenderer and its agency
    repeat_window_days: int
    already_drawn: frozenset[str] = field(default_factory=frozenset)


def _in_region(region: str, regions: Sequence[str]) -> bool:
    if not regions:
        return True
    # a province ("620000") covers its cities and districts, a city ("620100") its districts
    return any(region.startswith(_prefix(r)) for r in regions)


def _prefix(region: str) -> str:
    if region.endswith("0000"):
        return region[:2]
    if region.endswith("00"):
        return region[:4]
    return region


def exclusion_reason(c: Candidate, need: Need) -> str | None:
    """Why ``c`` may not be drawn for ``need``, or None when eligible."""
    at = need.evaluation_at
    if not c.approved:
        return "not_approved"
    if c.blacklisted:
        return "blacklisted"
    if c.suspended_until is not None and at.date() <= c.suspended_until:
        return "suspended"
    if not any(s.startswith(need.specialty) for s in c.specialties):
        return "specialty"
    if not _in_region(c.region, need.regions):
        return "region"
    if any(start <= at < end for start, end in c.unavailable):
        return "unavailable"
    if c.employer_uscc and c.employer_uscc in need.bidder_usccs:
        return "employed_by_bidder"
    if c.employer_uscc and c.employer_uscc in need.tenderer_usccs:
        return "employed_by_tenderer"
    parties = need.bidder_usccs | need.tenderer_usccs
    if any(uscc in parties and (until is None or at.date() <= until) for uscc, until in c.relationships):
        return "relationship"
    if any(uscc in parties for uscc in c.conflicts):
        return "declared_conflict"
    recent = c.last_drawn_for_tenderer
    if recent is not None and (at - recent).days < need.repeat_window_days:
        return "recent_draw"
    if c.code in need.already_drawn:
        return "already_drawn"
    return None


@dataclass(frozen=True)
class Eligibility:
    eligible: tuple[str, ...]  # codes, sorted: the deterministic order handed to the draw
    excluded: dict[str, str]  # code -> reason

    def counts(self) -> dict[str, int]:
        """Excluded per reason, in ``REASONS`` order, zeros left out."""
        found = Counter(self.excluded.values())
        return {reason: found[reason] for reason in REASONS if found[reason]}


def eligibility(candidates: Iterable[Candidate], need: Need) -> Eligibility:
    eligible: list[str] = []
    excluded: dict[str, str] = {}
    for c in candidates:
        reason = exclusion_reason(c, need)
        if reason is None:
            eligible.append(c.code)
        else:
            excluded[c.code] = reason
    return Eligibility(eligible=tuple(sorted(eligible)), excluded=excluded)
