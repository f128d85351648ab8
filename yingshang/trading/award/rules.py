"""The statutory checks of the award, applied to facts. Pure: no Django.

Every figure comes from ``yingshang.kernel.statutory`` (statutory.yaml); nothing is hard-coded:

- T11.start (block): the candidate publicity starts within 3 days of receiving the report;
- T11.duration (block): it lasts at least 3 days (ends at 24:00 Beijing time of its last day);
- T11 (suspend): an objection raised during the publicity suspends the procedure until answered;
- T11.reply (clock): the objection is answered within 3 days;
- T12 (block): a state-controlled project awards the first-ranked candidate unless it was passed
  over for a listed reason (here: every candidate ranked above the awarded one was);
- T13 / G7 (warn): the contract within 30 days of the award notice;
- T14 (warn): the report to the supervisor within 15 days of fixing the winner (tendering);
- G6.award / G6.notice (clock): procurement fixes the winner within 5 working days of the report
  and issues the notice and announcement within 2 working days of that;
- G6.experts (block): the procurement result announcement lists the experts;
- G7.filing (warn): procurement files the contract within 7 working days of signing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from yingshang.kernel.calendar import Calendar
from yingshang.kernel.statutory import PeriodEnd, Violation, as_day, deadline_for, evaluate

TENDERING = "tendering"
PROCUREMENT = "procurement"


def has_publicity(regime: str) -> bool:
    """Candidate publicity (T11) belongs to tendering; procurement announces the result (G6)."""
    return regime == TENDERING


# --- publicity ------------------------------------------------------------------------------------


def publicity_start_deadline(received_at: datetime, *, calendar: Calendar | None = None) -> PeriodEnd:
    """T11.start: the last day the publicity may start."""
    return deadline_for("T11.start", received_at, calendar=calendar)


def publicity_start_violation(
    received_at: datetime, starts_at: datetime, *, calendar: Calendar | None = None
) -> Violation | None:
    return evaluate("T11.start", {"event": received_at, "act": starts_at}, calendar=calendar)


def shortest_publicity(starts_at: datetime, *, calendar: Calendar | None = None) -> PeriodEnd:
    """T11.duration: the earliest last day of a publicity starting at ``starts_at``."""
    return deadline_for("T11.duration", starts_at, calendar=calendar)


def publicity_duration_violation(
    starts_at: datetime, ends_on: date, *, calendar: Calendar | None = None
) -> Violation | None:
    return evaluate("T11.duration", {"event": starts_at, "act": ends_on}, calendar=calendar)


def objection_reply_deadline(raised_at: datetime, *, calendar: Calendar | None = None) -> PeriodEnd:
    """T11.reply: the day an objection raised during the publicity must be answered by."""
    return deadline_for("T11.reply", raised_at, calendar=calendar)


def objection_violation(
    *,
    publicity_start: datetime,
    publicity_end: date,
    raised: datetime,
    replied: datetime | None,
    next_step: datetime,
    calendar: Calendar | None = None,
) -> Violation | None:
    """T11: a step taken while an objection raised in the publicity waits for its answer."""
    return evaluate(
        "T11",
        {
            "publicity_start": publicity_start,
            "publicity_end": publicity_end,
            "raised": raised,
            "replied": replied,
            "next_step": next_step,
        },
        calendar=calendar,
    )


# --- the award ------------------------------------------------------------------------------------


def first_ranked_excused(awarded_rank: int, excused_ranks: Iterable[int]) -> bool:
    """Every candidate ranked above ``awarded_rank`` was passed over for a recorded reason."""
    excused = set(excused_ranks)
    return all(rank in excused for rank in range(1, awarded_rank))


def t12_violation(
    *, state_controlled: bool, awarded_rank: int, excused_ranks: Iterable[int]
) -> Violation | None:
    return evaluate(
        "T12",
        {
            "state_controlled": state_controlled,
            "awarded_rank": awarded_rank,
            "first_ranked_excused": first_ranked_excused(awarded_rank, excused_ranks),
        },
    )


def may_retender(*, state_controlled: bool, excused_ranks: Iterable[int]) -> bool:
    """A state-controlled project may re-tender instead of awarding only once the first-ranked
    candidate was passed over for a listed reason (条例 art. 55); others may decide freely."""
    return not state_controlled or 1 in set(excused_ranks)


def award_deadline(received_at: datetime, *, calendar: Calendar | None = None) -> PeriodEnd:
    """G6.award: the winner fixed within 5 working days of receiving the report (procurement)."""
    return deadline_for("G6.award", received_at, calendar=calendar)


def notice_deadline(awarded_at: datetime, *, calendar: Calendar | None = None) -> PeriodEnd:
    """G6.notice: award notice and announcement within 2 working days of fixing the winner."""
    return deadline_for("G6.notice", awarded_at, calendar=calendar)


def experts_listed_violation(experts_listed: bool) -> Violation | None:
    """G6.experts: a procurement result announcement must list the evaluation experts."""
    return evaluate("G6.experts", {"experts_listed": experts_listed})


# --- contract and report --------------------------------------------------------------------------


def contract_rule(regime: str) -> str:
    return "T13" if regime == TENDERING else "G7"


def contract_deadline(regime: str, notice_at: datetime, *, calendar: Calendar | None = None) -> PeriodEnd:
    return deadline_for(contract_rule(regime), notice_at, calendar=calendar)


def report_rule(regime: str) -> str:
    """T14 (tendering: the report within 15 days of fixing the winner); G7.filing (procurement:
    the contract filed within 7 working days of signing)."""
    return "T14" if regime == TENDERING else "G7.filing"


def report_event(regime: str, *, awarded_at: datetime, signed_on: date | None) -> date | datetime | None:
    """What the report's clock counts from: the award (T14) or the contract signature (G7.filing)."""
    return awarded_at if regime == TENDERING else signed_on


def period_violation(
    rule_id: str, event: date | datetime, act: date | datetime, *, calendar: Calendar | None = None
) -> Violation | None:
    """A ``period_within`` clock checked when its obligation is met."""
    return evaluate(rule_id, {"event": event, "act": act}, calendar=calendar)


def period_end_for(rule_id: str, event: date | datetime, *, calendar: Calendar | None = None) -> PeriodEnd:
    """The due day of a forward clock (T14, G7.filing, ...) from its event."""
    return deadline_for(rule_id, event, calendar=calendar)


def day_of(value: date | datetime) -> date:
    """The Beijing day of an instant (or the day itself)."""
    return as_day(value)
