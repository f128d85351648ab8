"""The award's statutory clocks against hand-computed dates (2025 calendar: Qingming 4-6 April
off; Labour Day 1-5 May off, Sunday 27 April a make-up working day). Pure: no database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from yingshang.kernel.statutory import SHANGHAI
from yingshang.trading.award import rules, states


def bj(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=SHANGHAI)


def test_publicity_must_start_within_three_days_rolling_over_qingming() -> None:
    # Report Tue 1 April; +3 = Fri 4 April, a holiday -> Mon 7 April.
    due = rules.publicity_start_deadline(bj(2025, 4, 1))
    assert due.date == date(2025, 4, 7)
    assert due.nominal == date(2025, 4, 4)
    assert due.instant == datetime(2025, 4, 7, 16, 0, tzinfo=UTC)
    assert rules.publicity_start_violation(bj(2025, 4, 1), bj(2025, 4, 7, 23)) is None
    late = rules.publicity_start_violation(bj(2025, 4, 1), bj(2025, 4, 8, 9))
    assert late is not None and late.rule_id == "T11.start" and late.effect == "block"


def test_publicity_lasts_at_least_three_days() -> None:
    # Starting Mon 7 April: +3 = Thu 10 April.
    assert rules.shortest_publicity(bj(2025, 4, 7, 9)).date == date(2025, 4, 10)
    assert rules.publicity_duration_violation(bj(2025, 4, 7, 9), date(2025, 4, 10)) is None
    short = rules.publicity_duration_violation(bj(2025, 4, 7, 9), date(2025, 4, 9))
    assert short is not None and short.rule_id == "T11.duration"
    # Starting Wed 2 April: +3 = Sat 5 April (and the holiday) -> Mon 7 April.
    assert rules.shortest_publicity(bj(2025, 4, 2)).date == date(2025, 4, 7)


def test_objection_reply_within_three_days() -> None:
    # Raised Wed 9 April: +3 = Sat 12 April -> Mon 14 April.
    assert rules.objection_reply_deadline(bj(2025, 4, 9)).date == date(2025, 4, 14)
    assert rules.period_violation("T11.reply", bj(2025, 4, 9), bj(2025, 4, 14, 23)) is None
    assert rules.period_violation("T11.reply", bj(2025, 4, 9), bj(2025, 4, 15)) is not None


def test_objection_suspends_until_answered() -> None:
    start, end, raised = bj(2025, 4, 7), date(2025, 4, 10), bj(2025, 4, 9)
    waiting = rules.objection_violation(
        publicity_start=start, publicity_end=end, raised=raised, replied=None, next_step=bj(2025, 4, 14)
    )
    assert waiting is not None and waiting.effect == "suspend"
    answered = rules.objection_violation(
        publicity_start=start,
        publicity_end=end,
        raised=raised,
        replied=bj(2025, 4, 11),
        next_step=bj(2025, 4, 14),
    )
    assert answered is None


def test_contract_and_report_clocks() -> None:
    # Award Wed 16 April: T14 +15 = Thu 1 May (Labour Day) -> Tue 6 May; T13 +30 = Fri 16 May.
    assert rules.period_end_for("T14", bj(2025, 4, 16)).date == date(2025, 5, 6)
    assert rules.contract_deadline("tendering", bj(2025, 4, 16)).date == date(2025, 5, 16)
    assert rules.period_violation("T13", bj(2025, 4, 16), date(2025, 5, 16)) is None
    late = rules.period_violation("T13", bj(2025, 4, 16), date(2025, 5, 17))
    assert late is not None and late.effect == "warn"
    assert rules.period_violation("T14", bj(2025, 4, 16), bj(2025, 5, 7)) is not None


def test_procurement_working_day_clocks_count_the_make_up_sunday() -> None:
    # Report Tue 22 April: 5 working days = 23, 24, 25, Sun 27 (make-up), 28 -> Mon 28 April.
    assert rules.award_deadline(bj(2025, 4, 22)).date == date(2025, 4, 28)
    # Award Fri 25 April: 2 working days = Sun 27, Mon 28.
    assert rules.notice_deadline(bj(2025, 4, 25)).date == date(2025, 4, 28)
    # G7 from Fri 25 April: +30 = Sun 25 May -> Mon 26 May.
    assert rules.contract_deadline("procurement", bj(2025, 4, 25)).date == date(2025, 5, 26)
    # G7.filing from signing Tue 29 April: 30 Apr, 6, 7, 8, 9, 12, 13 May -> Tue 13 May.
    assert rules.period_end_for("G7.filing", date(2025, 4, 29)).date == date(2025, 5, 13)


@pytest.mark.parametrize(
    ("state_controlled", "rank", "excused", "ok"),
    [
        (True, 1, [], True),
        (True, 2, [], False),
        (True, 2, [1], True),
        (True, 3, [1], False),
        (True, 3, [1, 2], True),
        (False, 2, [], True),
        (False, 3, [], True),
    ],
)
def test_t12_first_ranked(state_controlled: bool, rank: int, excused: list[int], ok: bool) -> None:
    violation = rules.t12_violation(
        state_controlled=state_controlled, awarded_rank=rank, excused_ranks=excused
    )
    assert (violation is None) is ok
    if violation is not None:
        assert violation.rule_id == "T12" and violation.effect == "block"


def test_retender_and_experts_rules() -> None:
    assert not rules.may_retender(state_controlled=True, excused_ranks=[])
    assert rules.may_retender(state_controlled=True, excused_ranks=[1])
    assert rules.may_retender(state_controlled=False, excused_ranks=[])
    assert rules.experts_listed_violation(False) is not None
    assert rules.experts_listed_violation(True) is None


def test_states() -> None:
    assert states.may_move(states.RECEIVED, states.PUBLICITY)
    assert not states.may_move(states.PUBLICITY, states.AWARDED)
    assert not states.may_move(states.SUSPENDED, states.AWARDED)
    assert states.after_contract(states.AWARDED) == states.CONTRACTED
    assert states.after_report(states.CONTRACTED) == states.COMPLETED
    assert states.after_contract(states.PUBLICITY) is None
