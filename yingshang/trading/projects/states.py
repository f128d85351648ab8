"""The life of a project's intake and of a tender. Pure: no Django.

Intake (a project entering the centre)::

    submitted --(centre staff accept)--> accepted
    submitted --(centre staff return, with reasons)--> returned
    returned  --(the submitter corrects and resubmits)--> submitted

Tender (one run of a method for one or more lots)::

    draft --(publish notice)--> published
    published --(suspend: objection T5, supervisor's order, complaint)--> suspended
    suspended --(resume; deadlines recomputed)--> published
    published --(bid deadline reached; chronograph)--> bid_deadline_passed
    bid_deadline_passed --(fewer than 3 bids, T7: re-tender)--> failed      (a new tender follows)
    draft | published | suspended | bid_deadline_passed --(terminate with reasons)--> cancelled

``cancelled`` and ``failed`` are final. Later contexts (opening, evaluation, award) continue
from ``bid_deadline_passed``.
"""

from __future__ import annotations

# --- intake ---------------------------------------------------------------------------------
SUBMITTED = "submitted"
ACCEPTED = "accepted"
RETURNED = "returned"

INTAKE_STATUSES: tuple[str, ...] = (SUBMITTED, ACCEPTED, RETURNED)

INTAKE_TRANSITIONS: dict[str, frozenset[str]] = {
    SUBMITTED: frozenset({ACCEPTED, RETURNED}),
    RETURNED: frozenset({SUBMITTED}),
    ACCEPTED: frozenset(),
}

# --- tender ---------------------------------------------------------------------------------
DRAFT = "draft"
PUBLISHED = "published"
SUSPENDED = "suspended"
BID_DEADLINE_PASSED = "bid_deadline_passed"
CANCELLED = "cancelled"
FAILED = "failed"

TENDER_STATUSES: tuple[str, ...] = (DRAFT, PUBLISHED, SUSPENDED, BID_DEADLINE_PASSED, CANCELLED, FAILED)
FINAL: frozenset[str] = frozenset({CANCELLED, FAILED})
#: Statuses whose notice the public may read.
PUBLIC: frozenset[str] = frozenset({PUBLISHED, SUSPENDED, BID_DEADLINE_PASSED, CANCELLED, FAILED})

TENDER_TRANSITIONS: dict[str, frozenset[str]] = {
    DRAFT: frozenset({PUBLISHED, CANCELLED}),
    PUBLISHED: frozenset({SUSPENDED, BID_DEADLINE_PASSED, CANCELLED}),
    SUSPENDED: frozenset({PUBLISHED, CANCELLED}),
    BID_DEADLINE_PASSED: frozenset({FAILED, CANCELLED}),
    CANCELLED: frozenset(),
    FAILED: frozenset(),
}

#: Statuses in which the timeline (and the notice) may still be edited: before publication
#: freely, afterwards only as a versioned amendment.
EDITABLE_TIMELINE: frozenset[str] = frozenset({DRAFT, PUBLISHED, SUSPENDED})


def may_move_intake(source: str, target: str) -> bool:
    return target in INTAKE_TRANSITIONS.get(source, frozenset())


def may_move_tender(source: str, target: str) -> bool:
    return target in TENDER_TRANSITIONS.get(source, frozenset())
