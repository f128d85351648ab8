"""The pure modules against hand-computed examples: methods, clearing, anomalies."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yingshang.trading.evaluation import anomalies, clearing, methods
from yingshang.trading.evaluation.methods import BidFacts, Mark, SpecError, Verdict

COMPREHENSIVE: dict[str, Any] = {
    "method": "comprehensive",
    "criteria": [{"code": "licence", "zh": "营业执照有效", "en": "Valid licence"}],
    "items": [
        {"code": "tech", "zh": "技术方案", "en": "Technical proposal", "max": "40", "kind": "subjective"},
        {"code": "price", "zh": "投标报价", "en": "Price", "max": "50", "kind": "price"},
        {"code": "credit", "zh": "信用", "en": "Credit", "max": "10", "kind": "credit"},
    ],
    "price": {"benchmark": "lowest", "deduct_above": "1", "deduct_below": "0.5"},
}


def test_parse_round_trip_and_refusals():
    method = methods.parse(COMPREHENSIVE)
    assert [i.code for i in method.scored_items] == ["tech"]
    assert methods.parse(method.as_json()) == method
    bad = {**COMPREHENSIVE, "items": COMPREHENSIVE["items"][:2]}
    with pytest.raises(SpecError) as caught:
        methods.parse(bad)
    assert "90" in caught.value.text.render("en") and "100" in caught.value.text.render("zh-hans")
    with pytest.raises(SpecError):
        methods.parse({"method": "lottery"})
    with pytest.raises(SpecError):
        methods.parse({**COMPREHENSIVE, "candidates": 4})  # T10
    with pytest.raises(SpecError):
        methods.parse({**COMPREHENSIVE, "items": [{**COMPREHENSIVE["items"][0], "max": 40.0}]})
    with pytest.raises(SpecError):
        methods.parse({"method": "qualification", "criteria": []})
    dup = {**COMPREHENSIVE, "criteria": [{"code": "tech", "zh": "x", "en": "x"}]}
    with pytest.raises(SpecError):
        methods.parse(dup)


def test_score_out_of_range_is_refused():
    method = methods.parse(COMPREHENSIVE)
    method.check_mark("tech", D("40"))
    for value in (D("40.01"), D("-1"), D("3.333")):
        with pytest.raises(SpecError) as caught:
            method.check_mark("tech", value)
        assert caught.value.code == "score_out_of_range"
    with pytest.raises(SpecError) as unknown:
        method.check_mark("nonsense", D(1))
    assert unknown.value.code == "unknown_item"


def test_comprehensive_lowest_benchmark_by_hand():
    method = methods.parse(COMPREHENSIVE)
    bids = [BidFacts(1, 1_000_000), BidFacts(2, 1_100_000), BidFacts(3, 900_000), BidFacts(4, 800_000)]
    members = ["A", "B", "C"]
    tech = {1: ("30", "32", "34"), 2: ("38", "39", "40"), 3: ("20", "21", "21"), 4: ("40", "40", "40")}
    marks = [Mark(m, bid, "tech", D(v)) for bid, vs in tech.items() for m, v in zip(members, vs, strict=True)]
    # Bid 4 fails the licence criterion for two of three members: out.
    verdicts = [
        Verdict("A", 4, "licence", False, "执照过期"),
        Verdict("B", 4, "licence", False, "执照过期"),
        Verdict("C", 4, "licence", True),
        Verdict("A", 1, "licence", False, "存疑"),  # one of three: still passes
        Verdict("B", 1, "licence", True),
        Verdict("C", 1, "licence", True),
    ]
    credit = {1: D(80), 2: D("95.5"), 3: None, 4: D(100)}
    out = methods.evaluate(method, bids, members, marks, verdicts, credit=credit)
    assert out.failures[4] == (("licence", ("执照过期", "执照过期")),)
    assert out.passed(1)
    # Benchmark: lowest valid price 900,000 (bid 4 is out).
    assert out.benchmark_fen == D("900000.00")
    # Bid 1: +11.111 % -> 50 - 11.11 = 38.89; tech mean 32; credit 8.00 -> 78.89
    assert out.item_scores[(1, "price")] == D("38.89")
    assert out.item_scores[(1, "tech")] == D("32.00")
    assert out.item_scores[(1, "credit")] == D("8.00")
    assert out.item_scores[(1, "total")] == D("78.89")
    # Bid 2: +22.222 % -> 27.78; tech 39.00; credit 9.55 -> 76.33
    assert out.item_scores[(2, "total")] == D("76.33")
    # Bid 3: benchmark itself -> 50; tech (20+21+21)/3 = 20.67; credit missing 0 -> 70.67
    assert out.item_scores[(3, "tech")] == D("20.67")
    assert out.item_scores[(3, "total")] == D("70.67")
    assert [r.bid_id for r in out.ranking] == [1, 2, 3]
    assert out.candidates[0].score == D("78.89")
    assert out.member_scores[("A", 1, "total")] == D("30") + D("38.89") + D("8.00")


def test_average_benchmark_with_coefficient_and_below_deduction():
    spec = {
        **COMPREHENSIVE,
        "criteria": [],
        "price": {"benchmark": "average", "deduct_above": "2", "deduct_below": "1"},
    }
    method = methods.parse(spec)
    bids = [BidFacts(1, 1_000_000), BidFacts(2, 1_200_000)]
    # average 1,100,000 x 0.95 = 1,045,000
    out = methods.evaluate(method, bids, ["A"], [], coefficient=D("0.95"))
    assert out.benchmark_fen == D("1045000.00")
    # bid 1: -4.3062 % -> 50 - 4.31 = 45.69; bid 2: +14.8325 % x 2 = 29.67 -> 20.33
    assert out.item_scores[(1, "price")] == D("45.69")
    assert out.item_scores[(2, "price")] == D("20.33")


def test_ties_break_by_price_then_bid_id():
    spec = {**COMPREHENSIVE, "criteria": [], "items": [{"code": "tech", "zh": "技", "en": "T", "max": "100"}]}
    method = methods.parse(spec)
    bids = [BidFacts(7, 500), BidFacts(5, 500), BidFacts(6, 400), BidFacts(8, 100), BidFacts(9, 1)]
    marks = [Mark("A", b.bid_id, "tech", D(60)) for b in bids]
    out = methods.evaluate(method, bids, ["A"], marks)
    assert [r.bid_id for r in out.ranking] == [9, 8, 6, 5, 7]
    assert [r.bid_id for r in out.candidates] == [9, 8, 6]  # T10: at most three


def test_lowest_evaluated_price_by_hand():
    method = methods.parse(
        {
            "method": "lowest_evaluated_price",
            "adjustments": [
                {"code": "dev", "zh": "偏差调整", "en": "Deviation", "min_fen": 0, "max_fen": 100_000}
            ],
        }
    )
    method.check_mark("dev", D(100_000))
    with pytest.raises(SpecError):
        method.check_mark("dev", D(100_001))
    with pytest.raises(SpecError):
        method.check_mark("dev", D("1.5"))
    bids = [BidFacts(1, 1_000_000), BidFacts(2, 950_000), BidFacts(3, 990_000)]
    marks = [
        Mark("A", 2, "dev", D(60_000)),
        Mark("B", 2, "dev", D(60_001)),
        Mark("C", 2, "dev", D(60_000)),  # mean 60,000.33 -> 60,000
        Mark("A", 3, "dev", D(10_000)),
        Mark("B", 3, "dev", D(10_000)),
        Mark("C", 3, "dev", D(10_001)),
    ]
    out = methods.evaluate(method, bids, ["A", "B", "C"], marks)
    assert out.item_scores[(2, "dev")] == D(60_000)
    # evaluated: 1: 1,000,000; 2: 1,010,000; 3: 1,000,000 -> tie 1 vs 3 broken by price (3 lower)
    assert [(r.bid_id, r.evaluated_price_fen) for r in out.ranking] == [
        (3, 1_000_000),
        (1, 1_000_000),
        (2, 1_010_000),
    ]


def test_qualification_only():
    method = methods.parse(
        {"method": "qualification", "criteria": [{"code": "q", "zh": "资质", "en": "Grade"}]}
    )
    bids = [BidFacts(1, 300), BidFacts(2, 200), BidFacts(3, 100)]
    verdicts = [Verdict(m, 3, "q", False, "无资质") for m in "ABC"]
    out = methods.evaluate(method, bids, ["A", "B", "C"], [], verdicts)
    assert [r.bid_id for r in out.ranking] == [2, 1]
    assert out.failures[3] == (("q", ("无资质",) * 3),)


# --- clearing -----------------------------------------------------------------------------------


def _bill(items, total=None):
    data = {
        "format": "yingshang-boq/1",
        "items": [
            {"code": c, "name": c, "unit": "m2", "quantity": q, "unit_price_fen": p, "total_fen": t}
            for c, q, p, t in items
        ],
        "total_fen": total if total is not None else sum(t for *_, t in items),
    }
    return clearing.parse_boq(data)


def test_clearing_by_hand():
    control = _bill([("A", "100", 1000, 100_000), ("B", "10.5", 200, 2100)])
    good = _bill([("A", "100", 1100, 110_000), ("B", "10.5", 200, 2100)])
    wrong = _bill([("A", "100", 1100, 110_001), ("B", "12", 200, 2400)], total=112_000)
    copy = _bill([("A", "100", 1100, 110_001), ("B", "12", 500, 6000)])
    findings = clearing.clear(
        {1: good, 2: wrong, 3: copy}, {1: 112_100, 2: 112_401, 3: 116_001}, control, deviation_percent=D(20)
    )
    kinds = {(f.bid_id, f.kind, f.item) for f in findings}
    assert not any(b == 1 for b, *_ in kinds)  # +10 %: within the threshold
    assert (2, "arithmetic", "A") in kinds and (3, "arithmetic", "A") in kinds
    assert (2, "quantity_changed", "B") in kinds and (3, "quantity_changed", "B") in kinds
    assert (2, "sum", "") in kinds
    assert (2, "price_mismatch", "") in kinds  # the bill's 112,000 vs the opening's 112,401
    assert (3, "unit_price_deviation", "B") in kinds  # +150 %
    identical = {(b, i) for b, k, i in kinds if k == "identical_error"}
    assert identical == {(2, "A"), (3, "A"), (2, "B"), (3, "B")}
    assert clearing.summary(findings)[3]["identical_error"] == 2


def test_clearing_rounds_half_up_and_refuses_bad_bills():
    bill = _bill([("A", "0.5", 1, 1)])  # 0.5 fen -> 1
    assert clearing.clear({1: bill}, {1: 1}) == ()
    with pytest.raises(clearing.BoQError):
        clearing.parse_boq({"format": "yingshang-boq/1", "items": [{"code": "A", "quantity": 1.5}]})
    with pytest.raises(clearing.BoQError):
        clearing.parse_boq({"format": "other"})


# --- anomalies ----------------------------------------------------------------------------------


def test_anomalies_threshold_by_hand():
    scores = {("A", 1, "tech"): D(20), ("B", 1, "tech"): D(30), ("C", 1, "tech"): D(40)}
    # mean 30; A -33.3 %, C +33.3 % -> both anomalies at 30 %; none at 34 %
    found = anomalies.find(scores)
    assert [(a.member, a.item, a.deviation_percent) for a in found] == [
        ("A", "tech", D("-33.3")),
        ("C", "tech", D("33.3")),
        ("A", "total", D("-33.3")),
        ("C", "total", D("33.3")),
    ]
    assert anomalies.find(scores, percent=D(34)) == ()
    # Exactly at the threshold: not an anomaly (26 vs mean 20 -> +30 %).
    exact = {("A", 1, "x"): D(26), ("B", 1, "x"): D(17), ("C", 1, "x"): D(17)}
    assert all(a.member != "A" for a in anomalies.find(exact))
    assert anomalies.find({("A", 1, "x"): D(0), ("B", 1, "x"): D(0)}) == ()


@given(st.lists(st.integers(min_value=0, max_value=100), min_size=2, max_size=9))
def test_anomalies_never_flag_identical_scores_and_flag_only_beyond(values):
    scores = {(f"M{n}", 1, "x"): D(v) for n, v in enumerate(values)}
    found = anomalies.find(scores)
    average = D(sum(values)) / len(values)
    for a in found:
        assert abs(a.value - average) * 100 > D(30) * average
    if len(set(values)) == 1:
        assert found == ()
