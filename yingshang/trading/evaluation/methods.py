"""Evaluation methods as data, and the arithmetic that turns the members' marks into a ranking.
Pure: no Django.

A method spec is a JSON-able mapping (docs/contexts/evaluation.md, "Method spec"); :func:`parse`
checks it and returns a :class:`Method`, or raises :class:`SpecError` with a bilingual message.
Three methods:

- ``qualification`` (资格审查 / 合格制): pass/fail criteria only. A bid fails a criterion when
  more than half of the members who gave a verdict failed it; a bid failing any criterion is out,
  with the members' reasons. The passing bids are ranked by opening price, lowest first.
- ``comprehensive`` (综合评估法): criteria (optional, as above) plus scoring items, each with a
  code, a bilingual name, its maximum points and a kind: ``subjective`` (each member scores it),
  ``price`` (computed from the benchmark price) or ``credit`` (computed from the credit source).
  The items' maxima add up to exactly 100.
- ``lowest_evaluated_price`` (经评审的最低投标价法): criteria plus adjustments in fen (each member
  enters an amount within the adjustment's range); evaluated price = opening price + the sum of
  the adjustments; ranked by evaluated price, lowest first.

Price score (comprehensive): the benchmark B is the lowest valid price (``"lowest"``) or the
average of the valid prices times the coefficient drawn at the opening (``"average"``; the
coefficient is 1 where the opening drew none). Valid prices are those of the bids that passed every
criterion. A bid at price P deviates by d = (P - B) / B x 100 percent; its price score is
``max - deduct_above x d`` when d > 0 and ``max - deduct_below x |d|`` when d < 0, never below 0.

Rounding: every computed or averaged score is rounded to two decimals, ROUND_HALF_UP; an item's
final score is the mean of the members' scores for it, rounded; a bid's final score is the sum of
its rounded item scores. An averaged adjustment is rounded to whole fen, ROUND_HALF_UP.

Ties are broken deterministically: comprehensive — higher final score, then lower opening price,
then the earlier bid (lower bid id); lowest evaluated price — lower evaluated price, then lower
opening price, then lower bid id; qualification — lower opening price, then lower bid id.
At most ``candidates`` (1 to 3, default 3; T10) bids become candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from yingshang.kernel.text import Text

__all__ = [
    "COMPREHENSIVE",
    "LOWEST_EVALUATED_PRICE",
    "METHODS",
    "QUALIFICATION",
    "Adjustment",
    "BidFacts",
    "Criterion",
    "Item",
    "Mark",
    "Method",
    "Outcome",
    "PriceFormula",
    "Ranked",
    "SpecError",
    "Verdict",
    "benchmark_price",
    "evaluate",
    "mean",
    "parse",
    "price_score",
    "round2",
]

QUALIFICATION = "qualification"
COMPREHENSIVE = "comprehensive"
LOWEST_EVALUATED_PRICE = "lowest_evaluated_price"
METHODS = (QUALIFICATION, COMPREHENSIVE, LOWEST_EVALUATED_PRICE)

SUBJECTIVE = "subjective"
PRICE = "price"
CREDIT = "credit"
KINDS = (SUBJECTIVE, PRICE, CREDIT)

TWO = Decimal("0.01")
HUNDRED = Decimal(100)


class SpecError(ValueError):
    """A method spec or a mark that does not hold; ``text`` says why in both languages."""

    def __init__(self, text: Text, *, code: str = "bad_method") -> None:
        super().__init__(text.render("en"))
        self.text = text
        self.code = code


def _t(zh: str, en: str, **params: Any) -> Text:
    return Text(zh=zh, en=en, params=params)


def round2(value: Decimal) -> Decimal:
    return value.quantize(TWO, rounding=ROUND_HALF_UP)


def mean(values: Sequence[Decimal]) -> Decimal:
    """The mean, rounded to two decimals (ROUND_HALF_UP); 0 for no values."""
    if not values:
        return Decimal("0.00")
    return round2(sum(values, Decimal(0)) / Decimal(len(values)))


@dataclass(frozen=True)
class Criterion:
    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class Item:
    code: str
    zh: str
    en: str
    max_points: Decimal
    kind: str  # subjective | price | credit


@dataclass(frozen=True)
class Adjustment:
    code: str
    zh: str
    en: str
    min_fen: int
    max_fen: int


@dataclass(frozen=True)
class PriceFormula:
    benchmark: str = "lowest"  # lowest | average
    deduct_above: Decimal = Decimal(1)  # points per percent above the benchmark
    deduct_below: Decimal = Decimal("0.5")  # points per percent below the benchmark


@dataclass(frozen=True)
class Method:
    method: str
    criteria: tuple[Criterion, ...] = ()
    items: tuple[Item, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    price: PriceFormula = field(default_factory=PriceFormula)
    candidates: int = 3

    @property
    def scored_items(self) -> tuple[Item, ...]:
        """The items each member scores by hand."""
        return tuple(i for i in self.items if i.kind == SUBJECTIVE)

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)

    def adjustment(self, code: str) -> Adjustment | None:
        return next((a for a in self.adjustments if a.code == code), None)

    def check_mark(self, item_code: str, value: Decimal) -> None:
        """Refuse a member's mark outside its item's range (``SpecError`` code ``score_out_of_range``)."""
        item = self.item(item_code)
        if item is not None and item.kind == SUBJECTIVE:
            if not (Decimal(0) <= value <= item.max_points) or value != round2(value):
                raise SpecError(
                    _t(
                        "“%(name)s”的得分须在 0 至 %(max)s 分之间（最多两位小数），%(value)s 不在范围内。",
                        "The score for “%(name_en)s” must be 0 to %(max)s (at most two decimals); %(value)s is not.",
                        name=item.zh,
                        name_en=item.en,
                        max=item.max_points,
                        value=value,
                    ),
                    code="score_out_of_range",
                )
            return
        adjustment = self.adjustment(item_code)
        if adjustment is not None:
            if value != value.to_integral_value() or not (adjustment.min_fen <= value <= adjustment.max_fen):
                raise SpecError(
                    _t(
                        "“%(name)s”的调整金额须为 %(min)s 至 %(max)s 分之间的整数，%(value)s 不在范围内。",
                        "The adjustment “%(name_en)s” must be a whole number of fen from %(min)s to %(max)s;"
                        " %(value)s is not.",
                        name=adjustment.zh,
                        name_en=adjustment.en,
                        min=adjustment.min_fen,
                        max=adjustment.max_fen,
                        value=value,
                    ),
                    code="score_out_of_range",
                )
            return
        raise SpecError(
            _t(
                "评分项“%(code)s”不在评标办法中。", "“%(code)s” is not an item of the method.", code=item_code
            ),
            code="unknown_item",
        )

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": self.method,
            "candidates": self.candidates,
            "criteria": [{"code": c.code, "zh": c.zh, "en": c.en} for c in self.criteria],
        }
        if self.method == COMPREHENSIVE:
            out["items"] = [
                {"code": i.code, "zh": i.zh, "en": i.en, "max": str(i.max_points), "kind": i.kind}
                for i in self.items
            ]
            out["price"] = {
                "benchmark": self.price.benchmark,
                "deduct_above": str(self.price.deduct_above),
                "deduct_below": str(self.price.deduct_below),
            }
        if self.method == LOWEST_EVALUATED_PRICE:
            out["adjustments"] = [
                {"code": a.code, "zh": a.zh, "en": a.en, "min_fen": a.min_fen, "max_fen": a.max_fen}
                for a in self.adjustments
            ]
        return out


# --- parsing ----------------------------------------------------------------------------------------


def _bad(zh: str, en: str, **params: Any) -> SpecError:
    return SpecError(_t("评标办法有误：" + zh, "The method is not valid: " + en, **params))


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, (bool, float)):
        raise _bad(
            "%(where)s 须为整数或小数字符串。",
            "%(where)s must be an integer or a decimal string.",
            where=where,
        )
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _bad("%(where)s 不是数字。", "%(where)s is not a number.", where=where) from None
    if not number.is_finite():
        raise _bad("%(where)s 不是数字。", "%(where)s is not a number.", where=where)
    return number


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad("%(where)s 须为整数（分）。", "%(where)s must be an integer (fen).", where=where)
    return value


def _named(entry: Any, where: str, seen: set[str]) -> tuple[str, str, str]:
    if not isinstance(entry, Mapping):
        raise _bad("%(where)s 须为对象。", "%(where)s must be an object.", where=where)
    code = entry.get("code")
    if not isinstance(code, str) or not code.strip() or len(code) > 40 or code == "total":
        raise _bad(
            "%(where)s 的代码须为 1 至 40 个字符（不能是 total）。",
            "%(where)s needs a code of 1 to 40 characters (not “total”).",
            where=where,
        )
    if code in seen:
        raise _bad("代码“%(code)s”重复。", "The code “%(code)s” appears twice.", code=code)
    seen.add(code)
    zh, en = entry.get("zh"), entry.get("en")
    if not isinstance(zh, str) or not zh.strip() or not isinstance(en, str) or not en.strip():
        raise _bad(
            "“%(code)s”须有中文名称（zh）和英文名称（en）。",
            "“%(code)s” needs a Chinese (zh) and an English (en) name.",
            code=code,
        )
    return code.strip(), zh.strip(), en.strip()


def parse(spec: Mapping[str, Any]) -> Method:  # noqa: PLR0915 - one check after another
    """The method described by ``spec`` (docs/contexts/evaluation.md), or ``SpecError``."""
    if not isinstance(spec, Mapping):
        raise _bad("须为 JSON 对象。", "it must be a JSON object.")
    method = spec.get("method")
    if method not in METHODS:
        raise _bad(
            "method 须为 %(methods)s 之一。",
            "“method” must be one of %(methods)s.",
            methods=", ".join(METHODS),
        )
    seen: set[str] = set()
    raw_criteria = spec.get("criteria", [])
    if not isinstance(raw_criteria, list):
        raise _bad("criteria 须为列表。", "“criteria” must be a list.")
    criteria = tuple(Criterion(*_named(c, f"criteria[{n}]", seen)) for n, c in enumerate(raw_criteria))
    candidates = spec.get("candidates", 3)
    if isinstance(candidates, bool) or not isinstance(candidates, int) or not 1 <= candidates <= 3:
        raise _bad("推荐的中标候选人须为 1 至 3 名（T10）。", "“candidates” must be 1 to 3 (T10).")
    if method == QUALIFICATION:
        if not criteria:
            raise _bad(
                "合格制审查至少需要一项审查标准。", "a qualification review needs at least one criterion."
            )
        return Method(QUALIFICATION, criteria=criteria, candidates=candidates)
    if method == COMPREHENSIVE:
        raw_items = spec.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            raise _bad("综合评估法至少需要一个评分项（items）。", "the comprehensive method needs “items”.")
        items: list[Item] = []
        for n, entry in enumerate(raw_items):
            code, zh, en = _named(entry, f"items[{n}]", seen)
            points = _decimal(entry.get("max"), f"items[{n}].max")
            if points <= 0 or points != round2(points):
                raise _bad(
                    "“%(code)s”的分值须为正数（最多两位小数）。",
                    "“%(code)s” needs a positive maximum (at most two decimals).",
                    code=code,
                )
            kind = entry.get("kind", SUBJECTIVE)
            if kind not in KINDS:
                raise _bad(
                    "“%(code)s”的类型须为 subjective、price 或 credit。",
                    "“%(code)s” must be of kind subjective, price or credit.",
                    code=code,
                )
            items.append(Item(code, zh, en, points, kind))
        total = sum((i.max_points for i in items), Decimal(0))
        if total != HUNDRED:
            raise _bad(
                "各评分项分值合计须为 100 分，现为 %(total)s 分。",
                "the items' maxima must add up to 100; they add up to %(total)s.",
                total=total,
            )
        if sum(1 for i in items if i.kind == PRICE) > 1:
            raise _bad("价格分只能有一项。", "there can be only one price item.")
        raw_price = spec.get("price", {})
        if not isinstance(raw_price, Mapping):
            raise _bad("price 须为对象。", "“price” must be an object.")
        benchmark = raw_price.get("benchmark", "lowest")
        if benchmark not in ("lowest", "average"):
            raise _bad(
                "评标基准价须为 lowest（最低有效报价）或 average（有效报价平均值乘以浮动系数）。",
                "the benchmark must be “lowest” or “average”.",
            )
        above = _decimal(raw_price.get("deduct_above", "1"), "price.deduct_above")
        below = _decimal(raw_price.get("deduct_below", "0.5"), "price.deduct_below")
        if above < 0 or below < 0:
            raise _bad("扣分系数不能为负。", "the deductions cannot be negative.")
        return Method(
            COMPREHENSIVE,
            criteria=criteria,
            items=tuple(items),
            price=PriceFormula(benchmark, above, below),
            candidates=candidates,
        )
    raw_adjustments = spec.get("adjustments", [])
    if not isinstance(raw_adjustments, list):
        raise _bad("adjustments 须为列表。", "“adjustments” must be a list.")
    adjustments: list[Adjustment] = []
    for n, entry in enumerate(raw_adjustments):
        code, zh, en = _named(entry, f"adjustments[{n}]", seen)
        low = _int(entry.get("min_fen", 0), f"adjustments[{n}].min_fen")
        high = _int(entry.get("max_fen"), f"adjustments[{n}].max_fen")
        if low > high:
            raise _bad("“%(code)s”的下限大于上限。", "“%(code)s”: min_fen is above max_fen.", code=code)
        adjustments.append(Adjustment(code, zh, en, low, high))
    return Method(
        LOWEST_EVALUATED_PRICE, criteria=criteria, adjustments=tuple(adjustments), candidates=candidates
    )


# --- evaluation -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BidFacts:
    bid_id: int
    price_fen: int


@dataclass(frozen=True)
class Verdict:
    """A member's pass/fail on one criterion for one bid."""

    member: str
    bid_id: int
    criterion: str
    passed: bool
    reason: str = ""


@dataclass(frozen=True)
class Mark:
    """A member's score (subjective item) or adjustment (fen) for one bid."""

    member: str
    bid_id: int
    item: str
    value: Decimal


@dataclass(frozen=True)
class Ranked:
    rank: int
    bid_id: int
    price_fen: int
    score: Decimal | None
    evaluated_price_fen: int | None


@dataclass(frozen=True)
class Outcome:
    #: bid id -> the failed criteria, each with the failing members' reasons
    failures: Mapping[int, tuple[tuple[str, tuple[str, ...]], ...]]
    #: (bid id, item code) -> the final (averaged or computed) score, or the averaged adjustment
    item_scores: Mapping[tuple[int, str], Decimal]
    #: (member, bid id, item code or "total") -> that member's score, computed items included
    member_scores: Mapping[tuple[str, int, str], Decimal]
    benchmark_fen: Decimal | None
    ranking: tuple[Ranked, ...]  # every valid bid, ranked
    candidates: tuple[Ranked, ...]  # the first ``method.candidates`` of the ranking

    def passed(self, bid_id: int) -> bool:
        return not self.failures.get(bid_id)


def failures_of(
    method: Method, bids: Iterable[BidFacts], verdicts: Iterable[Verdict]
) -> dict[int, tuple[tuple[str, tuple[str, ...]], ...]]:
    by: dict[tuple[int, str], list[Verdict]] = {}
    for v in verdicts:
        by.setdefault((v.bid_id, v.criterion), []).append(v)
    out: dict[int, tuple[tuple[str, tuple[str, ...]], ...]] = {}
    for bid in bids:
        failed = []
        for criterion in method.criteria:
            given = by.get((bid.bid_id, criterion.code), [])
            no = [v for v in given if not v.passed]
            if given and len(no) * 2 > len(given):
                failed.append((criterion.code, tuple(v.reason for v in no if v.reason)))
        out[bid.bid_id] = tuple(failed)
    return out


def benchmark_price(
    prices: Sequence[int], formula: PriceFormula, coefficient: Decimal | None
) -> Decimal | None:
    """The benchmark in fen (two decimals), or None without valid prices."""
    if not prices:
        return None
    if formula.benchmark == "lowest":
        return Decimal(min(prices)).quantize(TWO)
    average = Decimal(sum(prices)) / Decimal(len(prices))
    return round2(average * (coefficient if coefficient is not None else Decimal(1)))


def price_score(price_fen: int, benchmark: Decimal, max_points: Decimal, formula: PriceFormula) -> Decimal:
    if benchmark <= 0:
        return Decimal("0.00")
    deviation = (Decimal(price_fen) - benchmark) / benchmark * HUNDRED
    rate = formula.deduct_above if deviation > 0 else formula.deduct_below
    return max(Decimal("0.00"), round2(max_points - rate * abs(deviation)))


def credit_points(max_points: Decimal, credit: Decimal | None) -> Decimal:
    """A credit item's points from a credit score on 0..100 (missing: 0)."""
    if credit is None:
        return Decimal("0.00")
    return round2(max_points * min(max(credit, Decimal(0)), HUNDRED) / HUNDRED)


def evaluate(
    method: Method,
    bids: Sequence[BidFacts],
    members: Sequence[str],
    marks: Iterable[Mark],
    verdicts: Iterable[Verdict] = (),
    *,
    coefficient: Decimal | None = None,
    credit: Mapping[int, Decimal | None] | None = None,
) -> Outcome:
    """Rank ``bids`` from the members' marks and verdicts (see the module's docstring)."""
    marks = list(marks)
    failures = failures_of(method, bids, verdicts)
    valid = [b for b in bids if not failures.get(b.bid_id)]
    given: dict[tuple[str, int, str], Decimal] = {(m.member, m.bid_id, m.item): m.value for m in marks}
    item_scores: dict[tuple[int, str], Decimal] = {}
    member_scores: dict[tuple[str, int, str], Decimal] = {}
    benchmark: Decimal | None = None
    ranking: list[Ranked]
    if method.method == COMPREHENSIVE:
        benchmark = benchmark_price([b.price_fen for b in valid], method.price, coefficient)
        totals: dict[int, Decimal] = {}
        for bid in bids:
            member_totals = {member: Decimal(0) for member in members}
            total = Decimal(0)
            for item in method.items:
                if item.kind == SUBJECTIVE:
                    values = [
                        given[(m, bid.bid_id, item.code)]
                        for m in members
                        if (m, bid.bid_id, item.code) in given
                    ]
                    score = mean(values)
                    for member in members:
                        if (member, bid.bid_id, item.code) in given:
                            member_scores[(member, bid.bid_id, item.code)] = given[
                                (member, bid.bid_id, item.code)
                            ]
                elif item.kind == PRICE:
                    score = (
                        price_score(bid.price_fen, benchmark, item.max_points, method.price)
                        if benchmark is not None and not failures.get(bid.bid_id)
                        else Decimal("0.00")
                    )
                else:
                    score = credit_points(item.max_points, (credit or {}).get(bid.bid_id))
                if item.kind != SUBJECTIVE:
                    for member in members:
                        member_scores[(member, bid.bid_id, item.code)] = score
                for member in members:
                    member_totals[member] += member_scores.get((member, bid.bid_id, item.code), Decimal(0))
                item_scores[(bid.bid_id, item.code)] = score
                total += score
            totals[bid.bid_id] = total
            item_scores[(bid.bid_id, "total")] = total
            for member, value in member_totals.items():
                member_scores[(member, bid.bid_id, "total")] = value
        ordered = sorted(valid, key=lambda b: (-totals[b.bid_id], b.price_fen, b.bid_id))
        ranking = [Ranked(n, b.bid_id, b.price_fen, totals[b.bid_id], None) for n, b in enumerate(ordered, 1)]
    elif method.method == LOWEST_EVALUATED_PRICE:
        evaluated: dict[int, int] = {}
        for bid in bids:
            price = Decimal(bid.price_fen)
            for adjustment in method.adjustments:
                values = [
                    given[(m, bid.bid_id, adjustment.code)]
                    for m in members
                    if (m, bid.bid_id, adjustment.code) in given
                ]
                amount = (
                    (sum(values, Decimal(0)) / Decimal(len(values))).quantize(
                        Decimal(1), rounding=ROUND_HALF_UP
                    )
                    if values
                    else Decimal(0)
                )
                item_scores[(bid.bid_id, adjustment.code)] = amount
                for member in members:
                    if (member, bid.bid_id, adjustment.code) in given:
                        member_scores[(member, bid.bid_id, adjustment.code)] = given[
                            (member, bid.bid_id, adjustment.code)
                        ]
                price += amount
            evaluated[bid.bid_id] = int(price)
            item_scores[(bid.bid_id, "total")] = price
        ordered = sorted(valid, key=lambda b: (evaluated[b.bid_id], b.price_fen, b.bid_id))
        ranking = [
            Ranked(n, b.bid_id, b.price_fen, None, evaluated[b.bid_id]) for n, b in enumerate(ordered, 1)
        ]
    else:
        ordered = sorted(valid, key=lambda b: (b.price_fen, b.bid_id))
        ranking = [Ranked(n, b.bid_id, b.price_fen, None, None) for n, b in enumerate(ordered, 1)]
    return Outcome(
        failures=failures,
        item_scores=item_scores,
        member_scores=member_scores,
        benchmark_fen=benchmark,
        ranking=tuple(ranking),
        candidates=tuple(ranking[: method.candidates]),
    )
