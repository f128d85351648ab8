"""The statutory rules: tests generated from statutory.yaml, and every function. No database."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from yingshang.kernel import statutory
from yingshang.kernel.calendar_data import builtin_calendar
from yingshang.kernel.statutory import (
    Clarification,
    Objection,
    StatutoryDataError,
    Timeline,
    UnknownRule,
    check_timeline,
    deadline_for,
    evaluate,
    latest_start_before,
    period_end,
)

BUILTIN = builtin_calendar()
BOOK = statutory.rules()
SH = ZoneInfo("Asia/Shanghai")
LAW_MD_IDS = {f"T{i}" for i in range(1, 22)} | {f"G{i}" for i in range(1, 11)}


_RAW = yaml.load(
    statutory.DATA_FILE.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
)


def raw_data() -> dict:
    """A fresh copy of statutory.yaml's contents, to change in a test."""
    return copy.deepcopy(_RAW)


def write_yaml(path: Path, data: dict) -> Path:
    path.write_text(
        yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True),
        encoding="utf-8",
    )
    return path


def at(day: date, hour: int = 9, minute: int = 30) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH)


# --- tests generated from the data file --------------------------------------------------------

EXAMPLES = [
    pytest.param(r.id, example, id=f"{r.id}-{index}-{'passes' if example.ok else 'violates'}")
    for r in BOOK.values()
    for index, example in enumerate(r.examples, start=1)
]


@pytest.mark.parametrize(("rule_id", "example"), EXAMPLES)
def test_example_from_statutory_yaml(rule_id, example):
    r = BOOK[rule_id]
    found = evaluate(r, example.facts, calendar=BUILTIN)
    assert (found is None) is example.ok, found and found.message.render("en")
    if example.limit is not None:
        facts = example.facts
        event = facts.get("event", facts.get("deadline"))
        computed = deadline_for(r, event, calendar=BUILTIN, excluded_days=facts.get("excluded_days", 0))
        assert computed.date == example.limit
    if found is not None:
        assert found.rule_id == r.id
        assert found.effect == r.effect
        assert found.article == r.article
        for language in ("zh-hans", "en"):
            rendered = found.message.render(language)
            assert "%(" not in rendered and rendered
        assert not found.provisional  # every example lies in a noticed year


@pytest.mark.parametrize("rule_id", list(BOOK))
def test_every_row_has_a_passing_and_a_violating_example(rule_id):
    oks = {e.ok for e in BOOK[rule_id].examples}
    assert oks == {True, False}


def test_every_law_md_row_is_in_the_data_file():
    assert {r.law_id for r in BOOK.values()} == LAW_MD_IDS
    assert all(r.regime == ("tendering" if r.id.startswith("T") else "procurement") for r in BOOK.values())


@pytest.mark.parametrize("rule_id", list(BOOK))
def test_rows_are_consistent(rule_id):
    r = BOOK[rule_id]
    if r.direction in ("forward", "backward"):
        assert r.unit in ("calendar", "working") and r.measure == "days" and isinstance(r.figure, int)
        assert r.comparison in ("at_least", "within")
    if r.measure == "percent":
        assert r.law_id in {"T15", "T19", "G3"}
    if r.measure == "count":
        assert r.law_id in {"T7", "T9", "T10", "G10"}
    first = min(BOOK.laws[s.law].effective_from for s in r.sources)
    assert r.effective_from >= first
    assert r.article.zh.startswith("《") and "条" in r.article.zh
    assert "art." in r.article.en


def test_effective_dates_of_the_laws():
    laws = BOOK.laws
    assert laws["tendering_law"].effective_from == date(2000, 1, 1)
    assert laws["tendering_law"].amended == (date(2017, 12, 28),)
    assert laws["tendering_regulations"].effective_from == date(2012, 2, 1)
    assert laws["procurement_law"].effective_from == date(2003, 1, 1)
    assert laws["procurement_regulations"].effective_from == date(2015, 3, 1)


@pytest.mark.parametrize(
    ("rule_id", "effect", "figure", "unit", "article"),
    [
        ("T1", "block", 20, "calendar", "《招标投标法》第二十四条"),
        ("T2", "block", 5, "calendar", "《招标投标法实施条例》第十六条"),
        ("T4", "extend", 15, "calendar", "《招标投标法》第二十三条；《招标投标法实施条例》第二十一条"),
        ("T5", "suspend", 10, "calendar", "《招标投标法实施条例》第二十二条"),
        ("T13", "warn", 30, "calendar", "《招标投标法》第四十六条"),
        ("T15", "block", 2, None, "《招标投标法实施条例》第二十六条"),
        ("T19", "block", 10, None, "《招标投标法实施条例》第五十八条"),
        ("T21", "clock", 3, "working", "《招标投标法实施条例》第六十一条；《招标投标法实施条例》第六十二条"),
        ("G2", "block", 5, "working", "《政府采购法实施条例》第三十一条"),
        ("G5", "block", 15, "working", "《政府采购法》第五十五条"),
        ("G8", "block", 5, "working", "《政府采购法实施条例》第三十八条"),
    ],
)
def test_key_rows_match_law_md(rule_id, effect, figure, unit, article):
    r = BOOK[rule_id]
    assert (r.effect, r.figure, r.unit, r.article.zh) == (effect, figure, unit, article)


def test_correcting_a_row_changes_its_tests(tmp_path):
    """The generated tests follow the data: change T1's figure and its examples disagree."""
    data = raw_data()
    t1 = next(row for row in data["rules"] if row["id"] == "T1")
    t1["figure"] = 25
    book = statutory.load_rules(write_yaml(tmp_path / "statutory.yaml", data))
    passing = next(e for e in book["T1"].examples if e.ok)
    assert evaluate(book["T1"], passing.facts, calendar=BUILTIN) is not None
    assert "25" in evaluate(book["T1"], passing.facts, calendar=BUILTIN).message.render("en")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda row: row.update(effect="explode"), "not one of"),
        (lambda row: row.update(check="guess"), "unknown check"),
        (lambda row: row.update(examples=[e for e in row["examples"] if e["ok"]]), "violating example"),
        (lambda row: row["examples"][0]["facts"].update(when="now"), "unknown ['when']"),
        (lambda row: row.update(sources=[{"law": "constitution", "article": 1}]), "bad source"),
        (lambda row: row.update(effective_from="2000"), "effective_from must be a date"),
        (lambda row: row.update(effective_from=date(1999, 1, 1)), "before every law"),
        (lambda row: row.update(colour="red"), "unknown columns"),
        (lambda row: row.update(regime="procurement"), "T rows are tendering"),
        (lambda row: row.update(unit=None), "needs a unit"),
    ],
)
def test_a_malformed_data_file_is_refused_with_the_row_named(tmp_path, mutate, problem):
    data = raw_data()
    mutate(next(row for row in data["rules"] if row["id"] == "T1"))
    with pytest.raises(StatutoryDataError, match="T1") as caught:
        statutory.load_rules(write_yaml(tmp_path / "statutory.yaml", data))
    assert problem in str(caught.value)


def test_a_duplicate_id_is_refused(tmp_path):
    data = raw_data()
    data["rules"].append(data["rules"][0])
    with pytest.raises(StatutoryDataError, match="appears twice"):
        statutory.load_rules(write_yaml(tmp_path / "statutory.yaml", data))


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "一"),
        (10, "十"),
        (16, "十六"),
        (24, "二十四"),
        (60, "六十"),
        (100, "一百"),
        (105, "一百零五"),
        (119, "一百一十九"),
    ],
)
def test_chinese_article_numbers(n, text):
    assert statutory.chinese_number(n) == text


# --- periods --------------------------------------------------------------------------------


def test_period_end_rolls_forward_over_rest_days_and_ends_at_midnight_shanghai():
    end = period_end("T1", date(2025, 3, 3), calendar=BUILTIN)
    assert (end.date, end.nominal, end.moved, end.provisional) == (
        date(2025, 3, 24),
        date(2025, 3, 23),
        True,
        False,
    )
    assert end.instant == datetime(2025, 3, 24, 16, 0, tzinfo=UTC)  # 24:00 Shanghai = 16:00 UTC
    assert end.instant.astimezone(SH) == datetime(2025, 3, 25, 0, 0, tzinfo=SH)


def test_period_end_counts_from_the_shanghai_day_of_an_instant():
    late_evening = datetime(2025, 3, 2, 17, 0, tzinfo=UTC)  # 01:00 on 3 March in Shanghai
    assert period_end("T1", late_evening, calendar=BUILTIN).date == date(2025, 3, 24)
    with pytest.raises(ValueError, match="timezone-aware"):
        period_end("T1", datetime(2025, 3, 3, 9, 0), calendar=BUILTIN)


def test_working_day_periods_count_make_up_days():
    end = period_end("T21", date(2025, 9, 30), calendar=BUILTIN)
    assert end.date == date(2025, 10, 11)  # Oct 9, Oct 10, Saturday Oct 11 (worked)
    assert not end.moved


def test_periods_reaching_a_year_without_a_notice_are_provisional():
    end = period_end("T1", date(2026, 12, 20), calendar=BUILTIN)
    assert end.nominal == date(2027, 1, 9)  # a Saturday
    assert end.date == date(2027, 1, 11)
    assert end.provisional
    assert not period_end("T1", date(2026, 3, 2), calendar=BUILTIN).provisional


def test_excluded_days_extend_the_period():
    assert period_end("T20", date(2025, 3, 3), calendar=BUILTIN, excluded_days=3).date == date(2025, 3, 17)
    with pytest.raises(ValueError, match="0 or more"):
        period_end("T20", date(2025, 3, 3), calendar=BUILTIN, excluded_days=-1)


def test_backward_periods_never_move():
    last = latest_start_before("T4", date(2025, 10, 20), calendar=BUILTIN)
    assert last.date == date(2025, 10, 5)  # a holiday, yet not moved
    assert BUILTIN.is_rest_day(last.date)
    assert last.instant == datetime(2025, 10, 5, 16, 0, tzinfo=UTC)
    deadline = datetime(2025, 6, 19, 16, 30, tzinfo=UTC)  # 00:30 on 20 June in Shanghai
    assert latest_start_before("T4", deadline, calendar=BUILTIN).date == date(2025, 6, 5)


def test_direction_is_enforced():
    with pytest.raises(ValueError, match="latest_start_before"):
        period_end("T4", date(2025, 6, 1), calendar=BUILTIN)
    with pytest.raises(ValueError, match="period_end"):
        latest_start_before("T1", date(2025, 6, 1), calendar=BUILTIN)
    with pytest.raises(ValueError, match="forward"):
        deadline_for("T4", date(2025, 6, 20), calendar=BUILTIN, excluded_days=1)
    assert deadline_for("T4", date(2025, 6, 20), calendar=BUILTIN).date == date(2025, 6, 5)
    assert deadline_for("T16", date(2025, 4, 28), calendar=BUILTIN).date == date(2025, 5, 6)


def test_periods_before_the_calendar_are_bad_input():
    with pytest.raises(ValueError, match="2003"):
        period_end("T1", date(2003, 12, 1), calendar=BUILTIN)


def test_rule_lookup():
    assert statutory.rule("T1") is BOOK["T1"]
    assert statutory.rule(BOOK["T1"]) is BOOK["T1"]
    with pytest.raises(UnknownRule):
        statutory.rule("T99")
    with pytest.raises(KeyError):
        statutory.rule("T99")


def test_rules_in_force_by_effective_date():
    in_2011 = {r.id for r in statutory.rules_in_force("tendering", date(2011, 6, 1))}
    assert {"T1", "T4", "T7", "T8", "T9", "T13", "T14"} <= in_2011
    assert not in_2011 & {"T2", "T3", "T5", "T10", "T15", "T21"}
    in_2014 = {r.id for r in statutory.rules_in_force("procurement", date(2014, 6, 1))}
    assert {"G1", "G4", "G5", "G7", "G10.group"} <= in_2014
    assert not in_2014 & {"G2", "G3", "G6", "G8", "G9", "G10"}
    assert "G10" in {r.id for r in statutory.rules_in_force("procurement", date(2017, 10, 1))}
    with pytest.raises(ValueError, match="regime"):
        statutory.rules_in_force("auction", date(2020, 1, 1))


def test_evaluate_names_missing_and_unknown_facts():
    with pytest.raises(ValueError, match=r"missing \['act'\]"):
        evaluate("T1", {"event": date(2025, 3, 3)}, calendar=BUILTIN)
    with pytest.raises(ValueError, match=r"unknown \['colour'\]"):
        evaluate("T7", {"count": 3, "colour": "red"})
    with pytest.raises(TypeError):
        evaluate("T7", {"count": "three"})
    with pytest.raises(ValueError, match="outnumber"):
        evaluate("T9", {"size": 5, "experts": 6})


# --- helpers later contexts call ---------------------------------------------------------------


def test_deposit_limit_fen():
    assert statutory.deposit_limit_fen(100_000_000, "tendering") == 2_000_000
    assert statutory.deposit_limit_fen(99_999, "tendering") == 1_999  # 2% of ¥999.99 is ¥19.9998: floored
    assert statutory.deposit_limit_fen(100_000_000, "procurement") == 2_000_000
    assert statutory.deposit_limit_fen(0, "procurement") == 0
    with pytest.raises(ValueError):
        statutory.deposit_limit_fen(-1, "tendering")
    with pytest.raises(ValueError, match="regime"):
        statutory.deposit_limit_fen(100, "auction")


def test_performance_bond_limit_fen():
    assert statutory.performance_bond_limit_fen(50_000_000) == 5_000_000
    assert statutory.performance_bond_limit_fen(99) == 9


@pytest.mark.parametrize(
    ("size", "experts", "regime", "method", "ok"),
    [
        (5, 4, "tendering", "open", True),
        (7, 5, "tendering", "invited", True),
        (6, 4, "tendering", "open", False),
        (5, 3, "tendering", "open", False),
        (3, 2, "procurement", "negotiation", True),
        (3, 2, "procurement", "inquiry", True),
        (3, 2, "procurement", "consultation", True),
        (3, 2, "procurement", "open", False),
        (5, 4, "procurement", "open", True),
        (4, 3, "procurement", "negotiation", False),
    ],
)
def test_committee_ok(size, experts, regime, method, ok):
    assert statutory.committee_ok(size, experts, regime=regime, method=method) is ok
    found = statutory.committee_violations(size, experts, regime=regime, method=method)
    assert (found == []) is ok


def test_committee_for_an_unknown_or_committee_less_method():
    with pytest.raises(ValueError, match="unknown method"):
        statutory.committee_ok(5, 4, method="auction")
    with pytest.raises(ValueError, match="single_source"):
        statutory.committee_ok(5, 4, regime="procurement", method="single_source")


def test_small_helpers():
    assert statutory.enough_bidders(3) and not statutory.enough_bidders(2)
    assert statutory.candidates_ok(3) and not statutory.candidates_ok(4)
    deadline = at(date(2025, 6, 20))
    assert statutory.opening_time_ok(deadline, deadline.astimezone(UTC))
    assert not statutory.opening_time_ok(deadline, deadline + timedelta(minutes=1))
    assert statutory.objection_in_time(deadline, date(2025, 6, 10), calendar=BUILTIN)
    assert not statutory.objection_in_time(deadline, date(2025, 6, 11), calendar=BUILTIN)
    assert statutory.objection_in_time(deadline, date(2025, 6, 18), prequalification=True, calendar=BUILTIN)
    assert not statutory.objection_in_time(
        deadline, date(2025, 6, 19), prequalification=True, calendar=BUILTIN
    )


def test_tendering_complaint_deadline_excludes_the_objection_reply_period():
    plain = statutory.tendering_complaint_deadline(date(2025, 3, 3), calendar=BUILTIN)
    assert plain.date == date(2025, 3, 13)
    waited = statutory.tendering_complaint_deadline(
        date(2025, 3, 3),
        objection_raised=date(2025, 3, 5),
        objection_replied=date(2025, 3, 8),
        calendar=BUILTIN,
    )
    assert waited.date == date(2025, 3, 17)  # 13 + 3 = 16 March, a Sunday
    with pytest.raises(ValueError, match="awaits its reply"):
        statutory.tendering_complaint_deadline(
            date(2025, 3, 3), objection_raised=date(2025, 3, 5), calendar=BUILTIN
        )
    with pytest.raises(ValueError, match="before it was raised"):
        statutory.tendering_complaint_deadline(
            date(2025, 3, 3),
            objection_raised=date(2025, 3, 5),
            objection_replied=date(2025, 3, 4),
            calendar=BUILTIN,
        )


def test_procurement_complaint_deadline():
    # challenge received Thursday 3 April 2025: the 7-working-day reply period ends 15 April
    # (4 April is Qingming); 15 working days later, with Sunday 27 April worked and 1-5 May
    # off, is 8 May.
    end = statutory.procurement_complaint_deadline(date(2025, 4, 3), calendar=BUILTIN)
    assert end.date == date(2025, 5, 8)
    assert not end.provisional
    assert statutory.procurement_complaint_deadline(date(2026, 12, 10), calendar=BUILTIN).provisional


# --- check_timeline ---------------------------------------------------------------------------


GOOD_TENDER = Timeline(
    documents_issued=date(2025, 3, 3),
    documents_sale_end=date(2025, 3, 10),
    objection_deadline=date(2025, 3, 14),
    clarifications=(
        Clarification(issued=date(2025, 3, 5)),
        Clarification(date(2025, 3, 20), affects_preparation=False),
    ),
    objections=(Objection(raised=date(2025, 3, 6), replied=date(2025, 3, 7)),),
    bid_deadline=at(date(2025, 3, 24)),
    opening=at(date(2025, 3, 24)),
    bid_validity_days=90,
    deposit_validity_days=90,
    estimated_price_fen=500_000_000,
    deposit_fen=10_000_000,
    bidders=5,
    committee_size=5,
    committee_experts=4,
    candidates=3,
    report_received=date(2025, 3, 28),
    publicity_start=date(2025, 3, 31),
    publicity_end=date(2025, 4, 3),
    winner_fixed=date(2025, 4, 7),
    award_notice=date(2025, 4, 8),
    contract_signed=date(2025, 5, 6),
    supervisor_report=date(2025, 4, 22),
    contract_price_fen=480_000_000,
    performance_bond_fen=48_000_000,
)


def test_a_compliant_tendering_timeline_has_no_violations():
    assert check_timeline(GOOD_TENDER, regime="tendering", calendar=BUILTIN) == []


def test_every_violation_of_a_bad_timeline_is_returned():
    bad = Timeline(
        documents_issued=date(2025, 9, 15),
        documents_sale_end=date(2025, 9, 18),  # T2: until 22 Sep at least (20 Sep is a Saturday)
        objection_deadline=date(2025, 9, 30),  # T5.window: 10 days before 8 Oct is 28 Sep
        clarifications=(Clarification(issued=date(2025, 9, 25)),),  # T4: by 23 Sep
        bid_deadline=at(date(2025, 10, 8)),  # T1: 20 days reach 5 Oct, a holiday: 9 Oct
        opening=at(date(2025, 10, 8), 10, 0),  # T8
        bid_validity_days=90,
        deposit_validity_days=60,  # T15.validity
        estimated_price_fen=100_000_000,
        deposit_fen=2_000_001,  # T15
        bidders=2,  # T7
        committee_size=6,  # T9
        committee_experts=4,
        candidates=4,  # T10
        performance_bond_fen=10_000_000,
        contract_price_fen=90_000_000,  # T19
    )
    found = check_timeline(bad, regime="tendering", calendar=BUILTIN)
    assert [v.rule_id for v in found] == [
        "T1",
        "T2",
        "T4",
        "T5.window",
        "T7",
        "T8",
        "T9",
        "T10",
        "T15",
        "T15.validity",
        "T19",
    ]
    t1 = found[0]
    assert (t1.effect, t1.limit, t1.actual, t1.provisional) == (
        "block",
        date(2025, 10, 9),
        date(2025, 10, 8),
        False,
    )
    assert t1.article.render("zh-hans") == "《招标投标法》第二十四条"
    assert "2025-10-09" in t1.message.render("zh-hans") and "2025-10-09" in t1.message.render("en")
    t4 = next(v for v in found if v.rule_id == "T4")
    assert (t4.effect, t4.limit) == ("extend", date(2025, 9, 23))
    t15 = next(v for v in found if v.rule_id == "T15")
    assert "¥20,000.01" in t15.message.render("en") and "¥20,000.00" in t15.message.render("en")
    json.dumps([v.as_dict() for v in found], ensure_ascii=False)
    assert found[0].as_dict()["limit"] == "2025-10-09"
    assert found[0].as_dict()["message"]["en"].startswith("There must be at least 20 days")


def test_objections_suspend_and_must_be_answered_in_time():
    timeline = Timeline(
        bid_deadline=at(date(2025, 10, 20)),
        prequalification_deadline=at(date(2025, 9, 10)),
        objections=(
            Objection(raised=date(2025, 9, 20), replied=None),  # timely, unanswered: T5 suspends
            Objection(raised=date(2025, 9, 22), replied=date(2025, 9, 30)),  # answered late: T5.reply
            Objection(raised=date(2025, 10, 15), replied=None),  # out of time: no suspension
            Objection(raised=date(2025, 9, 5), replied=None, stage="prequalification"),  # T5.prequal
        ),
    )
    found = check_timeline(timeline, regime="tendering", calendar=BUILTIN)
    assert [(v.rule_id, v.effect) for v in found] == [
        ("T5", "suspend"),
        ("T5.prequal", "suspend"),
        ("T5.reply", "clock"),
    ]
    reply = next(v for v in found if v.rule_id == "T5.reply")
    assert reply.limit == date(2025, 9, 25)


def test_an_objection_during_publicity_suspends_the_award():
    base: dict[str, Any] = {
        "publicity_start": date(2025, 6, 23),
        "publicity_end": date(2025, 6, 26),
        "report_received": date(2025, 6, 20),
    }
    waiting = Timeline(
        **base, objections=(Objection(date(2025, 6, 24), None, "result"),), award_notice=date(2025, 6, 27)
    )
    assert [v.rule_id for v in check_timeline(waiting, regime="tendering", calendar=BUILTIN)] == ["T11"]
    answered = Timeline(
        **base,
        objections=(Objection(date(2025, 6, 24), date(2025, 6, 26), "result"),),
        award_notice=date(2025, 6, 27),
    )
    assert check_timeline(answered, regime="tendering", calendar=BUILTIN) == []
    late_start = Timeline(
        report_received=date(2025, 6, 20), publicity_start=date(2025, 6, 24), publicity_end=date(2025, 6, 28)
    )
    assert [v.rule_id for v in check_timeline(late_start, regime="tendering", calendar=BUILTIN)] == [
        "T11.start"
    ]


def test_prequalification_rules():
    timeline = Timeline(
        prequalification_issued=date(2025, 4, 25),
        prequalification_sale_end=date(2025, 4, 30),  # T2: 25 Apr + 5 = 30 Apr: fine
        prequalification_deadline=at(date(2025, 5, 5)),  # T3: 30 Apr + 5 = 5 May, a holiday: 6 May
        clarifications=(
            Clarification(issued=date(2025, 5, 3), prequalification=True),
        ),  # T4.prequal: by 2 May
    )
    found = check_timeline(timeline, regime="tendering", calendar=BUILTIN)
    assert [(v.rule_id, v.limit) for v in found] == [
        ("T3", date(2025, 5, 6)),
        ("T4.prequal", date(2025, 5, 2)),
    ]


def test_violations_in_a_year_without_a_notice_are_provisional():
    timeline = Timeline(documents_issued=date(2026, 12, 20), bid_deadline=at(date(2027, 1, 9)))
    (found,) = check_timeline(timeline, regime="tendering", calendar=BUILTIN)
    assert (found.rule_id, found.limit, found.provisional) == ("T1", date(2027, 1, 11), True)
    assert (
        check_timeline(
            Timeline(documents_issued=date(2026, 12, 20), bid_deadline=at(date(2027, 1, 11))),
            regime="tendering",
            calendar=BUILTIN,
        )
        == []
    )


def test_rules_apply_only_from_their_effective_date():
    old = Timeline(
        documents_issued=date(2011, 5, 3),
        documents_sale_end=date(2011, 5, 5),
        bid_deadline=at(date(2011, 5, 20)),
    )
    assert [v.rule_id for v in check_timeline(old, regime="tendering", calendar=BUILTIN)] == [
        "T1"
    ]  # T2 dates from 2012
    judged_later = check_timeline(old, regime="tendering", calendar=BUILTIN, on=date(2013, 1, 1))
    assert [v.rule_id for v in judged_later] == ["T1", "T2"]


def test_a_procurement_timeline():
    timeline = Timeline(
        method="open",
        documents_issued=date(2025, 9, 26),
        documents_sale_end=date(2025, 10, 9),  # G2: 5 working days reach 10 Oct
        bid_deadline=at(date(2025, 10, 16)),  # G1: 20 days reach 16 Oct: fine
        clarifications=(Clarification(issued=date(2025, 10, 5)),),  # G2.clarification: by 1 Oct
        estimated_price_fen=100_000_000,
        deposit_fen=3_000_000,  # G3
        deposit_form="cash",  # G3.form
        committee_size=3,  # G10: an open tender needs 5
        committee_experts=2,
        evaluation_finished=date(2025, 10, 17),
        report_received=date(2025, 10, 21),  # G6: 2 working days reach 21 Oct: fine
        winner_fixed=date(2025, 10, 29),  # G6.award: 5 working days reach 28 Oct
        award_notice=date(2025, 10, 31),
        contract_signed=date(2025, 12, 1),  # G7: 30 days reach 30 Nov (Sunday): 1 Dec, fine
        contract_filed=date(2025, 12, 11),  # G7.filing: 7 working days reach 10 Dec
    )
    found = check_timeline(timeline, regime="procurement", calendar=BUILTIN)
    assert [v.rule_id for v in found] == [
        "G2",
        "G2.clarification",
        "G3",
        "G3.form",
        "G6.award",
        "G7.filing",
        "G10",
    ]
    assert next(v for v in found if v.rule_id == "G2").limit == date(2025, 10, 10)


def test_procurement_methods_choose_their_rules():
    negotiation = Timeline(
        method="negotiation",
        documents_issued=date(2025, 3, 3),
        bid_deadline=at(date(2025, 3, 10)),
        committee_size=3,
        committee_experts=2,
    )
    assert check_timeline(negotiation, regime="procurement", calendar=BUILTIN) == []  # G1 is for tenders only
    too_small = Timeline(method="inquiry", committee_size=2, committee_experts=2)
    assert [v.rule_id for v in check_timeline(too_small, regime="procurement", calendar=BUILTIN)] == [
        "G10.group"
    ]
    single = Timeline(
        method="single_source",
        single_source_publicity_start=date(2025, 4, 30),
        single_source_publicity_end=date(2025, 5, 9),
    )
    assert [v.rule_id for v in check_timeline(single, regime="procurement", calendar=BUILTIN)] == ["G8"]


def test_check_timeline_refuses_unknown_regimes_and_methods():
    with pytest.raises(ValueError, match="regime"):
        check_timeline(Timeline(), regime="auction")
    with pytest.raises(ValueError, match="method"):
        check_timeline(Timeline(method="lottery"), regime="tendering")
    assert check_timeline(Timeline(), regime="tendering") == []


def test_check_timeline_uses_the_default_calendar():
    timeline = Timeline(documents_issued=date(2025, 3, 3), bid_deadline=at(date(2025, 3, 23)))
    assert [v.rule_id for v in check_timeline(timeline, regime="tendering")] == ["T1"]


def test_timeline_days():
    days = GOOD_TENDER.days()
    assert date(2025, 3, 3) in days and date(2025, 3, 24) in days and date(2025, 3, 6) in days
    assert min(days) == date(2025, 3, 3)


def test_docs_list_every_row_with_its_figure_and_effect():
    docs = (Path(__file__).resolve().parents[3] / "docs" / "statutory.md").read_text(encoding="utf-8")
    for r in BOOK.values():
        figure = "-" if r.figure is None else f"{r.figure}%" if r.measure == "percent" else str(r.figure)
        row = next((line for line in docs.splitlines() if line.startswith(f"| {r.id} |")), None)
        assert row is not None, f"docs/statutory.md does not list {r.id}"
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert (cells[5], cells[6], cells[7]) == (figure, r.effect, r.effective_from.isoformat()), r.id


def test_the_data_file_is_where_the_docs_say():
    assert statutory.DATA_FILE == Path(statutory.__file__).with_name("statutory.yaml")
