"""The award life cycle of one lot, as data. Pure: no Django.

::

    received --(tendering: start publicity, T11.start)--> publicity
    publicity --(objection, T11)--> suspended --(every objection answered)--> publicity
    suspended --(last answer after the end)--> publicity_ended
    publicity --(end passed, chronograph)--> publicity_ended
    publicity_ended / received (procurement: no publicity) --(award decision)--> awarded
    publicity_ended / received (procurement) --(re-tender, T12)--> retender
    awarded --(contract)--> contracted --(report)--> completed
    awarded --(report, tendering)--> reported --(contract)--> completed
"""

from __future__ import annotations

RECEIVED = "received"
PUBLICITY = "publicity"
SUSPENDED = "suspended"
PUBLICITY_ENDED = "publicity_ended"
AWARDED = "awarded"
CONTRACTED = "contracted"
REPORTED = "reported"
COMPLETED = "completed"
RETENDER = "retender"

STATUSES: tuple[str, ...] = (
    RECEIVED,
    PUBLICITY,
    SUSPENDED,
    PUBLICITY_ENDED,
    AWARDED,
    CONTRACTED,
    REPORTED,
    COMPLETED,
    RETENDER,
)

TRANSITIONS: dict[str, frozenset[str]] = {
    RECEIVED: frozenset({PUBLICITY, AWARDED, RETENDER}),
    PUBLICITY: frozenset({SUSPENDED, PUBLICITY_ENDED}),
    SUSPENDED: frozenset({PUBLICITY, PUBLICITY_ENDED}),
    PUBLICITY_ENDED: frozenset({AWARDED, RETENDER}),
    AWARDED: frozenset({CONTRACTED, REPORTED}),
    CONTRACTED: frozenset({COMPLETED}),
    REPORTED: frozenset({COMPLETED}),
    COMPLETED: frozenset(),
    RETENDER: frozenset(),
}

#: The candidates (with prices and scores) are public from the publicity on.
PUBLIC = frozenset(
    {PUBLICITY, SUSPENDED, PUBLICITY_ENDED, AWARDED, CONTRACTED, REPORTED, COMPLETED, RETENDER}
)
#: The result is fixed: the winner, the experts' names and their coded scores are public.
RESULT_FIXED = frozenset({AWARDED, CONTRACTED, REPORTED, COMPLETED})
IN_PUBLICITY = frozenset({PUBLICITY, SUSPENDED})

# Objections
PENDING = "pending"
ANSWERED = "answered"

# Clocks
OPEN = "open"  # running, not yet due
OVERDUE = "overdue"  # due passed, obligation not yet met
MET = "met"  # met in time
MET_LATE = "met_late"  # met after the due date
CLOCK_STATUSES: tuple[str, ...] = (OPEN, OVERDUE, MET, MET_LATE)

# T12: the reasons a first-ranked candidate may be passed over (条例 art. 55)
GAVE_UP = "gave_up"
FORCE_MAJEURE = "force_majeure"
NO_PERFORMANCE_BOND = "no_performance_bond"
BROKE_THE_LAW = "broke_the_law"
EXCUSE_REASONS: tuple[str, ...] = (GAVE_UP, FORCE_MAJEURE, NO_PERFORMANCE_BOND, BROKE_THE_LAW)


def may_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def after_contract(current: str) -> str | None:
    """The status once the contract is registered, or None if it cannot be now."""
    return {AWARDED: CONTRACTED, REPORTED: COMPLETED}.get(current)


def after_report(current: str) -> str | None:
    """The status once the report to the supervisor is filed, or None if it cannot be now."""
    return {AWARDED: REPORTED, CONTRACTED: COMPLETED}.get(current)
